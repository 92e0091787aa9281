/**
 * `node bin/safety-sync.mjs …` as a child process, the way an operator runs it. Waits are upper
 * bounds for a hang (generous, so a loaded machine never fails a test), never speed assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Variables of the developer's shell that would change what the command does. */
const CLEARED = [
  'DATABASE_URL', 'DATA_DIR', 'PORT', 'HOST', 'SAFETY_API_KEY', 'GRAPH_BASE_URL', 'GRAPH_ACCESS_TOKEN', 'BOT_ID', 'BOT_PASSWORD',
  'AAD_APP_CLIENT_ID', 'AAD_APP_CLIENT_SECRET', 'AAD_APP_TENANT_ID', 'LOG_LEVEL', 'SHUTDOWN_GRACE_MS', 'DIRECTORY_READ',
];

export interface CliProcess {
  child: ChildProcess;
  /** Standard output and standard error so far. */
  out(): string;
  err(): string;
  /** Resolves with the first match of re in stdout+stderr; rejects when the process exits first or after ms. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code; rejects after ms (the process is then killed): a hang. */
  exit(ms?: number): Promise<number | null>;
}

export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): CliProcess {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of CLEARED) delete base[k];
  const child = spawn(process.execPath, ['bin/safety-sync.mjs', ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    changed();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
    changed();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(changed);
  return {
    child,
    out: () => out,
    err: () => err,
    waitFor(re, ms = 150_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => done(new Error(`no ${re} within ${ms} ms:\n${out}\n${err}`)), ms);
        const check = () => {
          const m = re.exec(out + '\n' + err);
          if (m) done(undefined, m);
          else if (child.exitCode !== null || child.signalCode !== null) done(new Error(`exited (${child.exitCode}) before ${re}:\n${out}\n${err}`));
        };
        const done = (e?: Error, m?: RegExpMatchArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (e) reject(e);
          else resolve(m!);
        };
        listeners.add(check);
        check();
      });
    },
    async exit(ms = 150_000) {
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<'hang'>((resolve) => {
        timer = setTimeout(() => resolve('hang'), ms);
      });
      const r = await Promise.race([exited, hang]);
      clearTimeout(timer);
      if (r === 'hang') {
        child.kill('SIGKILL');
        throw new Error(`still running after ${ms} ms (a hang):\n${out}\n${err}`);
      }
      return r;
    },
  };
}

/**
 * `safety-sync serve` on loopback as a child process, with the given settings, resolved once
 * /healthz answers (rejects when the process exits first). Its output goes to `onOutput`; the bot
 * and app registrations of the developer's shell are cleared so the server runs as configured here.
 */
export async function startServeProcess(
  settings: { port: number; databaseUrl: string; apiKey: string } & Record<string, string | number>,
  onOutput: (chunk: string) => void,
): Promise<ChildProcess> {
  const { port, databaseUrl, apiKey, ...extra } = settings;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of CLEARED) delete env[k];
  Object.assign(env, { PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, SAFETY_API_KEY: apiKey, LOG_LEVEL: 'warn' });
  for (const [k, v] of Object.entries(extra)) env[k] = String(v);
  const child = spawn(process.execPath, ['bin/safety-sync.mjs', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (c: Buffer) => {
    out += c.toString();
    onOutput(c.toString());
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited:\n${out}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
