/**
 * The demo tenant page (/demo/tenant) in Debian Chromium against a spawned `safety-sync demo`:
 * a newcomer adds a user, disables one from its row and makes a duplicate email, in English
 * (light) and Japanese (dark); each message appears inside the viewport next to its action.
 * Screenshots go to test-artifacts/demo/. Skipped (with the reason printed) only when Chromium is absent.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/net.ts';
import { spawnCli, type CliProcess } from '../helpers/spawn.ts';
import { CHROMIUM_PATH, skipWithoutChromium } from '../helpers/chromium.ts';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/demo/', import.meta.url));

describe('demo tenant page in headless Chromium (safety-sync demo)', function () {
  this.timeout(300_000);
  const executablePath = CHROMIUM_PATH;
  let demo: CliProcess | undefined;
  let browser: import('playwright-core').Browser | undefined;
  let base = '';
  let dataDir = '';

  before(async function () {
    skipWithoutChromium(this);
    dataDir = mkdtempSync(join(tmpdir(), 'safety-sync-demo-page-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    demo = spawnCli(['demo'], { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' });
    await demo.waitFor(/Stop with Ctrl\+C/);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    if (demo && demo.child.exitCode === null) {
      demo.child.kill('SIGTERM');
      await demo.exit();
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const inViewport = (page: import('playwright-core').Page, selector: string) =>
    page.$eval(selector, (el) => {
      const r = el.getBoundingClientRect();
      return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;
    });

  const cases = [
    { lang: 'en', colorScheme: 'light', added: /Added Newcomer Ken\./, disabled: /Disabled /, duplicate: /now has the email AlexW@contoso\.onmicrosoft\.com/ },
    { lang: 'ja', colorScheme: 'dark', added: /新人 花子 を追加しました。/, disabled: /を無効にしました。/, duplicate: /のメールアドレスを AlexW@contoso\.onmicrosoft\.com にしました。/ },
  ] as const;
  for (const c of cases) {
    it(`${c.lang} (${c.colorScheme}): add a user, disable one from its row, make a duplicate email; each message in view`, async () => {
      const page = await browser!.newPage({ viewport: { width: 1280, height: 900 }, locale: c.lang === 'ja' ? 'ja-JP' : 'en-US', colorScheme: c.colorScheme });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        // The refused guest below answers 400 on purpose; anything else is an error.
        if (m.type() === 'error' && !/status of 400/.test(m.text())) errors.push(m.text());
      });
      const reset = await fetch(`${base}/demo/tenant/api/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(reset.status, 200);
      await page.goto(`${base}/demo/tenant`); // the language comes from Accept-Language (the locale)
      assert.equal(await page.getAttribute('html', 'lang'), c.lang);
      await page.screenshot({ path: `${ARTIFACTS}demo-tenant-${c.lang}-${c.colorScheme}.png` });

      await page.fill('#add-name', c.lang === 'ja' ? '新人 花子' : 'Newcomer Ken');
      await page.fill('#add-dept', c.lang === 'ja' ? '開発部' : 'Onboarding');
      await page.click('#add button[type=submit]');
      await page.waitForSelector('#status-add.ok', { timeout: 20_000 });
      assert.match((await page.textContent('#status-add')) ?? '', c.added);
      assert.ok(await inViewport(page, '#status-add'), 'the message is next to its action, in view');
      await page.screenshot({ path: `${ARTIFACTS}demo-tenant-${c.lang}-${c.colorScheme}-added.png` });

      // Disable a user from its row (Lee Gu, …0024).
      const row = '#status-00000000-0000-0000-0000-0000000000024';
      await page.click(`button[data-user="00000000-0000-0000-0000-0000000000024"][data-op="disable"]`);
      await page.waitForSelector(`${row}.ok`, { timeout: 20_000 });
      assert.match((await page.textContent(row)) ?? '', c.disabled);
      assert.ok(await inViewport(page, row));
      assert.equal(await page.locator('button[data-user="00000000-0000-0000-0000-0000000000024"][data-op="enable"]').count(), 1);

      await page.selectOption('#dup-user', '00000000-0000-0000-0000-0000000000125');
      await page.selectOption('#dup-mail', 'AlexW@contoso.onmicrosoft.com');
      await page.click('#duplicate button[type=submit]');
      await page.waitForSelector('#status-duplicate.ok', { timeout: 20_000 });
      assert.match((await page.textContent('#status-duplicate')) ?? '', c.duplicate);
      assert.ok(await inViewport(page, '#status-duplicate'));
      await page.screenshot({ path: `${ARTIFACTS}demo-tenant-${c.lang}-${c.colorScheme}-duplicate.png` });
      await page.locator('#users caption').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${ARTIFACTS}demo-tenant-${c.lang}-${c.colorScheme}-table.png` });

      // A refused change says why, next to the form, and leaves the button usable.
      await page.fill('#guest-name', 'X');
      await page.fill('#guest-mail', 'not-an-address');
      await page.click('#guest button[type=submit]');
      await page.waitForSelector('#status-guest.error', { timeout: 20_000 });
      assert.match((await page.textContent('#status-guest')) ?? '', c.lang === 'ja' ? /変更されませんでした: 入力内容を確認してください（メールアドレス）。/ : /Not changed: mail: Invalid email/);
      assert.ok(await inViewport(page, '#status-guest'));
      assert.equal(await page.isDisabled('#guest button[type=submit]'), false);

      const text = (await page.textContent('main')) ?? '';
      assert.ok(!/undefined|\[object Object\]|\{\w+\}/.test(text), 'no raw placeholder');
      assert.deepEqual(errors, []);

      // Back to the shipped tenant for the next language.
      await page.click('#reset button[type=submit]');
      await page.waitForSelector('#status-reset.ok', { timeout: 20_000 });
      assert.match((await page.textContent('caption')) ?? '', /200/);
      await page.close();
    });
  }
});
