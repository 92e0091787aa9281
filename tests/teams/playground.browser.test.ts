/**
 * `npm run playground` driven in Debian Chromium with playwright-core: the Microsoft 365 Agents
 * Playground (default user Alex Wilber of the emulated tenant) talks to the demo bot; typing
 * `sync directory` shows the plan card, Confirm imports, and the demo company's users change; then
 * once more in Japanese (`npm run playground -- --lang ja`: the Playground always sends en-US).
 * Skipped (with the reason printed) only when Chromium is absent.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/net.ts';
import { CHROMIUM_PATH, skipWithoutChromium } from '../helpers/chromium.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const API_KEY = 'playground-test-api-key-0123';

async function waitFor(url: string, timeoutMs: number, child: ChildProcess, output: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`npm run playground exited (${child.exitCode}):\n${output()}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} not up after ${timeoutMs} ms:\n${output()}`);
}

async function englishFlow(page: import('playwright-core').Page): Promise<void> {
  const box = page.locator('[contenteditable="true"][role="textbox"]');
  await box.waitFor({ timeout: 30_000 });
  await box.click();
  await page.keyboard.type('sync directory');
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('button', { name: 'Confirm import' });
  await confirm.waitFor({ timeout: 30_000 });
  await page.getByText('Directory sync plan').first().waitFor();
  await page.getByText('Users to create').first().waitFor();
  await page.screenshot({ path: `${ROOT}test-artifacts/playground-plan.png` });
  await confirm.click();
  await page.getByText('Import completed').first().waitFor({ timeout: 30_000 });
  await page.getByText('Confirmed by Alex Wilber', { exact: false }).first().waitFor();
  await page.screenshot({ path: `${ROOT}test-artifacts/playground-result.png` });
  assert.equal(await page.getByRole('button', { name: 'Confirm import' }).count(), 0, 'the plan card was replaced');
}

function playgroundSuite(title: string, args: string[], flow: (page: import('playwright-core').Page) => Promise<void>): void {
  describe(title, function () {
    this.timeout(120_000);
    const executablePath = CHROMIUM_PATH;
    let child: ChildProcess | undefined;
    let browser: import('playwright-core').Browser | undefined;
    let out = '';
    let botPort = 0;
    let playgroundPort = 0;

    before(async function () {
      skipWithoutChromium(this);
      botPort = await freePort();
      playgroundPort = await freePort();
      const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(botPort), PLAYGROUND_PORT: String(playgroundPort), SAFETY_API_KEY: API_KEY, DATABASE_URL: 'memory:', LOG_LEVEL: 'warn' };
      for (const k of ['BOT_ID', 'BOT_PASSWORD', 'GRAPH_BASE_URL', 'GRAPH_ACCESS_TOKEN', 'AAD_APP_CLIENT_ID', 'AAD_APP_CLIENT_SECRET', 'AAD_APP_TENANT_ID']) delete env[k];
      child = spawn(process.execPath, ['--no-deprecation', '--import', 'tsx', 'scripts/playground.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      await waitFor(`http://127.0.0.1:${botPort}/healthz`, 60_000, child, () => out);
      await waitFor(`http://127.0.0.1:${playgroundPort}/`, 60_000, child, () => out);
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
      });
    });

    after(async () => {
      await browser?.close();
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      }
    });

    it(`${title}: sync directory -> plan card -> Confirm -> result; the demo company changed`, async () => {
      const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
      // Only loopback: the playground's CDN fonts and telemetry are refused, not fetched.
      await page.route('**/*', (route) => {
        const u = new URL(route.request().url());
        return u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.protocol === 'data:' ? route.continue() : route.abort();
      });
      try {
        await page.goto(`http://127.0.0.1:${playgroundPort}/`);
        await flow(page);
      } catch (e) {
        await page.screenshot({ path: `${ROOT}test-artifacts/playground-failure-${args.join('') || 'en'}.png` }).catch(() => undefined);
        throw new Error(`${(e as Error).message}\n--- npm run playground output ---\n${out}`);
      }

      const api = async <T>(path: string): Promise<T> => {
        const res = await fetch(`http://127.0.0.1:${botPort}/api/v1${path}`, { headers: { authorization: `Bearer ${API_KEY}` } });
        assert.equal(res.status, 200, path);
        return (await res.json()) as T;
      };
      const [company] = await api<{ id: string; name: string }[]>('/companies');
      assert.equal(company!.name, 'Contoso Demo');
      const users = await api<{ loginName: string; entraObjectId: string | null }[]>(`/companies/${company!.id}/users`);
      assert.equal(users.length, 194);
      assert.ok(users.some((u) => u.loginName === 'MiriamG@contoso.onmicrosoft.com'));
      assert.ok(!users.some((u) => u.loginName === 'taro.taishoku@contoso.onmicrosoft.com'), 'the departed user was deleted');
      const runs = await api<{ status: string; confirmedBy: string; counts: { created: number } }[]>(`/companies/${company!.id}/sync/runs`);
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.status, 'succeeded');
      assert.equal(runs[0]!.confirmedBy, 'AlexW@contoso.onmicrosoft.com');
      assert.equal(runs[0]!.counts.created, 188);
    });
  });
}

/** The same flow in Japanese: every text the admin reads comes from the Japanese catalogue and glossary. */
async function japaneseFlow(page: import('playwright-core').Page): Promise<void> {
  const box = page.locator('[contenteditable="true"][role="textbox"]');
  await box.waitFor({ timeout: 30_000 });
  await box.click();
  await page.keyboard.type('ディレクトリ同期');
  await page.keyboard.press('Enter');
  const confirm = page.getByRole('button', { name: '読み込みを実行' });
  await confirm.waitFor({ timeout: 30_000 });
  await page.getByText('読み込み内容の確認').first().waitFor();
  await page.getByText('作成するユーザー').first().waitFor();
  await page.getByText('Entra ID から取得したユーザー', { exact: false }).first().waitFor();
  await page.getByText('読み込まれないユーザー').first().waitFor();
  assert.equal(await page.getByRole('button', { name: 'Confirm import' }).count(), 0, 'no English button');
  await page.screenshot({ path: `${ROOT}test-artifacts/playground-plan-ja.png` });
  // The Playground sends en-US with the click: the card's own language answers.
  await confirm.click();
  await page.getByText('Microsoft Entra ID 読み込みは正常に完了しました。').first().waitFor({ timeout: 30_000 });
  await page.getByText('Alex Wilber さんが', { exact: false }).first().waitFor();
  await page.screenshot({ path: `${ROOT}test-artifacts/playground-result-ja.png` });
  assert.equal(await page.getByRole('button', { name: '読み込みを実行' }).count(), 0, 'the plan card was replaced');
  assert.equal(await page.getByText('Import completed').count(), 0, 'no English result');
}

playgroundSuite('Agents Playground in headless Chromium (npm run playground)', [], englishFlow);
playgroundSuite('Agents Playground in Japanese (npm run playground -- --lang ja)', ['--lang', 'ja'], japaneseFlow);
