/**
 * Start-up benchmark (issue 9, item 8): `safety-sync --help` and `serve` until `/readyz` answers
 * 200, each from the compiled dist/ and from the TypeScript sources (tsx), beside the limit
 * measured in the same run: a bare `node -e 0`. Prints medians of RUNS runs (default 5).
 *
 *   npm run build && npm run bench:startup
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench npm run bench:startup   # serve on PostgreSQL
 *
 * Without DATABASE_URL, serve runs on a throwaway in-memory PGlite (`memory:`), which adds the
 * WebAssembly start-up and the migrations to every run. Not part of `npm test`: durations are
 * measured here, never asserted in a test.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.RUNS ?? 5);
const DATABASE_URL = process.env.DATABASE_URL ?? 'memory:';

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['DATABASE_URL', 'DATA_DIR', 'PORT', 'HOST', 'GRAPH_BASE_URL', 'GRAPH_ACCESS_TOKEN', 'BOT_ID', 'BOT_PASSWORD']) delete env[k];
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

/** Milliseconds from spawn to exit. */
function timeExit(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

/** Milliseconds from spawn to the first 200 from /readyz; the server is then stopped. */
function timeReady(env: NodeJS.ProcessEnv): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/safety-sync.mjs', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    let polling = false;
    const onData = (c: Buffer) => {
      text += c.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m && !polling) {
        polling = true;
        void poll(m[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      if (!polling) reject(new Error(`serve exited (${code}) before listening:\n${text}`));
    });
    const poll = async (url: string) => {
      for (;;) {
        const ok = await fetch(`${url}/readyz`).then((r) => r.status === 200, () => false);
        if (ok) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      const ms = performance.now() - t;
      child.once('exit', () => resolve(ms));
      child.kill('SIGTERM');
    };
  });
}

async function median(label: string, f: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) xs.push(await f());
  xs.sort((a, b) => a - b);
  const m = xs[Math.floor(xs.length / 2)]!;
  console.log(`${label.padEnd(44)} median ${Math.round(m).toString().padStart(6)} ms   (min ${Math.round(xs[0]!)}, max ${Math.round(xs.at(-1)!)})`);
  return m;
}

if (!existsSync(`${ROOT}dist/.build-stamp.json`)) {
  console.error('No build: run `npm run build` first.');
  process.exit(2);
}
console.log(
  `start-up, ${RUNS} runs each, serve on ${DATABASE_URL.startsWith('postgres') ? 'PostgreSQL' : 'in-memory PGlite'}, ` +
    `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} (read the figures beside the bare node start)`,
);
const env = baseEnv({});
const sources = baseEnv({ SAFETY_SYNC_RUN_SOURCES: '1' });
const serveEnv = (e: NodeJS.ProcessEnv) => ({ ...e, DATABASE_URL, PORT: '0', HOST: '127.0.0.1', SAFETY_API_KEY: 'bench-startup-key-0123456789' });
const bare = await median('limit: bare `node -e 0`', () => timeExit(['-e', '0'], env));
const help = await median('--help, compiled (dist/)', () => timeExit(['bin/safety-sync.mjs', '--help'], env));
await median('--help, TypeScript sources (tsx)', () => timeExit(['bin/safety-sync.mjs', '--help'], sources));
const ready = await median('serve -> /readyz 200, compiled (dist/)', () => timeReady(serveEnv(env)));
await median('serve -> /readyz 200, TypeScript sources (tsx)', () => timeReady(serveEnv(sources)));
console.log(`\n--help compiled: ${Math.round(help)} ms (goal < 300 ms; ${Math.round(help - bare)} ms above a bare node start)`);
console.log(`serve ready compiled: ${Math.round(ready)} ms (goal < 2000 ms)`);
