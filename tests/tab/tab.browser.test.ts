/**
 * The configuration tab in Debian Chromium, against `safety-sync demo` (which hands the page the
 * demo administrator's token outside Teams): load, preview with the full lists, confirm, history.
 * Screenshots go to test-artifacts/. Skipped (with the reason printed) only when Chromium is absent.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/net.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

describe('configuration tab in headless Chromium (safety-sync demo)', function () {
  this.timeout(120_000);
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  let child: ChildProcess | undefined;
  let browser: import('playwright-core').Browser | undefined;
  let base = '';
  let out = '';

  before(async function () {
    if (!existsSync(executablePath)) {
      console.log(`      (skipped: no Chromium at ${executablePath}; install it with apt-get install -y chromium or set CHROMIUM_PATH)`);
      this.skip();
    }
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATABASE_URL: 'memory:', LOG_LEVEL: 'warn', SAFETY_API_KEY: 'tab-browser-test-key-0123' };
    for (const k of ['BOT_ID', 'GRAPH_BASE_URL', 'GRAPH_ACCESS_TOKEN', 'AAD_APP_CLIENT_ID', 'AAD_APP_CLIENT_SECRET', 'AAD_APP_TENANT_ID']) delete env[k];
    child = spawn(process.execPath, ['bin/safety-sync.mjs', 'demo'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const until = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`demo exited:\n${out}`);
      if (Date.now() > until) throw new Error(`demo not up:\n${out}`);
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {
        /* not yet */
      }
      await new Promise((r) => setTimeout(r, 300));
    }
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    child?.kill('SIGTERM');
  });

  for (const locale of ['en-US', 'ja-JP'] as const) {
    it(`${locale}: loads, previews every change, and shows the history`, async () => {
      const page = await browser!.newPage({ viewport: { width: 1100, height: 1400 }, locale });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${base}/tab`);
      await page.waitForSelector('#app:not([hidden])', { timeout: 20_000 });
      assert.match(await page.textContent('#who') ?? '', /Contoso Demo/);
      assert.equal(await page.getAttribute('html', 'lang'), locale.slice(0, 2));
      await page.click('#plan-button');
      await page.waitForSelector('#plan:not([hidden])', { timeout: 30_000 });
      const counts = await page.$$eval('#summary dd', (dds) => dds.map((d) => d.textContent));
      assert.deepEqual(counts.slice(0, 5), ['188', '4', '1', '1', '11']);
      await page.click('#plan-lists details summary');
      assert.equal(await page.locator('#plan-lists details').first().locator('tbody tr').count(), 188, 'the tab lists every user, not samples');
      await page.screenshot({ path: `${ARTIFACTS}tab-preview-${locale}.png` });
      await page.click('#cancel-button');
      await page.waitForSelector('#plan', { state: 'hidden' });
      assert.deepEqual(errors, []);
      await page.close();
    });
  }

  it('confirming imports and the run appears in the history', async () => {
    const page = await browser!.newPage({ viewport: { width: 1100, height: 1400 }, locale: 'en-US' });
    await page.goto(`${base}/tab`);
    await page.waitForSelector('#app:not([hidden])', { timeout: 20_000 });
    await page.click('#plan-button');
    await page.waitForSelector('#plan:not([hidden])', { timeout: 30_000 });
    await page.click('#confirm-button');
    await page.waitForSelector('.banner.ok', { timeout: 30_000 });
    assert.match(await page.textContent('#banner') ?? '', /188 created, 4 updated, 1 deleted, 11 departments created/);
    await page.waitForFunction(() => document.querySelectorAll('#runs tr').length === 1 && /succeeded/.test(document.querySelector('#runs')!.textContent ?? ''));
    await page.screenshot({ path: `${ARTIFACTS}tab-after-import.png`, fullPage: true });
    await page.close();
  });
});
