/**
 * `npm run playground`: the demo (seeded company + emulated Entra tenant + the bot in demo mode) and
 * the Microsoft 365 Agents Playground pointed at its bot endpoint. No Entra, no tunnel, no Teams.
 *
 * Environment: PORT (the demo server, default 3978), PLAYGROUND_PORT (default 56150), DATABASE_URL
 * (default `memory:`: a fresh demo company every run; set DATABASE_URL or DATA_DIR to keep the data),
 * SAFETY_API_KEY (otherwise the demo prints a random one), BOT_LOCALE (the bot's language whatever the
 * client sends; the Agents Playground always sends en-US).
 *
 * `npm run playground -- --lang ja`: the bot answers in Japanese (sets BOT_LOCALE=ja-JP for the demo).
 *
 * The playground signs nothing, so the demo must accept anonymous requests: BOT_ID/BOT_PASSWORD are
 * removed from the demo's environment here (the bot refuses anonymous requests whenever BOT_ID is set).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = Number(process.env.PORT ?? 3978);
const playgroundPort = Number(process.env.PLAYGROUND_PORT ?? 56150);
const botUrl = `http://127.0.0.1:${port}`;

const children: ChildProcess[] = [];
let stopping = false;

function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
}

async function waitForHealth(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (stopping) throw new Error('stopped');
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** `--lang ja` / `--lang=ja` (or en): the bot's language in the demo, as BOT_LOCALE. */
export function langArgument(argv: readonly string[]): 'ja-JP' | 'en-US' | null {
  const i = argv.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  if (i < 0) return null;
  const value = (argv[i]!.includes('=') ? argv[i]!.slice('--lang='.length) : argv[i + 1] ?? '').trim().toLowerCase();
  if (value.startsWith('ja')) return 'ja-JP';
  if (value.startsWith('en')) return 'en-US';
  throw new Error(`--lang must be ja or en, not "${value}"`);
}

async function main(): Promise<void> {
  const demoEnv: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  const lang = langArgument(process.argv.slice(2));
  if (lang) demoEnv.BOT_LOCALE = lang;
  if (!process.env.DATABASE_URL && !process.env.DATA_DIR) demoEnv.DATABASE_URL = 'memory:';
  if (demoEnv.BOT_ID) console.log('playground: BOT_ID is ignored here (the Agents Playground sends unsigned requests; demo mode accepts them only without BOT_ID).');
  delete demoEnv.BOT_ID;
  delete demoEnv.BOT_PASSWORD;

  const demo = spawn(process.execPath, ['bin/safety-sync.mjs', 'demo'], { cwd: root, env: demoEnv, stdio: 'inherit' });
  children.push(demo);
  demo.on('exit', (code) => {
    if (!stopping) console.error(`playground: the demo server stopped (exit ${code ?? 'signal'})`);
    stop(code ?? 1);
  });
  await waitForHealth(`${botUrl}/healthz`, 60_000);

  const cli = fileURLToPath(new URL('../node_modules/@microsoft/m365agentsplayground/cli.js', import.meta.url));
  const playground = spawn(
    process.execPath,
    [cli, 'start', '--app-endpoint', `${botUrl}/api/messages`, '--channel-id', 'msteams', '--port', String(playgroundPort), '--disable-telemetry'],
    {
      cwd: root,
      // Without this it tries to open a desktop browser and exits when there is none.
      env: { ...process.env, TEAMSAPPTESTER_BROWSER: 'none' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(playground);
  playground.stdout?.on('data', (chunk: Buffer) => process.stdout.write(`playground: ${chunk.toString()}`));
  playground.on('exit', (code) => {
    if (!stopping) console.error(`playground: the Agents Playground stopped (exit ${code ?? 'signal'})`);
    stop(code ?? 1);
  });
  await waitForHealth(`http://127.0.0.1:${playgroundPort}/`, 60_000);
  console.log(
    [
      '',
      `Agents Playground: http://127.0.0.1:${playgroundPort}  (you are Alex Wilber, system administrator and Cloud Application Administrator)`,
      demoEnv.BOT_LOCALE?.startsWith('ja')
        ? '  「ディレクトリ同期」と入力し、読み込み内容を確認して「読み込みを実行」を押してください（BOT_LOCALE=ja-JP）。'
        : '  type "sync directory", read the plan card, press Confirm import (npm run playground -- --lang ja for Japanese).',
      'Stop with Ctrl+C.',
      '',
    ].join('\n'),
  );
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
main().catch((e: unknown) => {
  console.error(`playground: ${e instanceof Error ? e.message : String(e)}`);
  stop(1);
});
