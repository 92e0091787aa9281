/**
 * The configuration tab (Fluent UI React v9) in Debian Chromium, against `safety-sync demo` (which
 * hands the page the demo administrator's token outside Teams). Every flow, in English and Japanese,
 * light and dark: after each action its message is inside the viewport; no visible text holds a raw
 * code, `undefined`, an empty placeholder or a GUID. Screenshots go to test-artifacts/tab/.
 * Builds the bundle first when `npm run build:tab` has not run. Skipped (with the reason printed)
 * only when Chromium is absent.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { buildTab } from '../../scripts/build-tab.ts';
import { DEMO_TENANT_ID } from '../../src/devtools/demo-tenant.ts';
import { TAB_BUILD_DIR } from '../../src/teams/tab/tab-routes.ts';
import { freePort } from '../helpers/net.ts';
import { CHROMIUM_PATH, skipWithoutChromium } from '../helpers/chromium.ts';
import { assertCleanText, assertMessageInView } from '../helpers/tab-page.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/tab/', import.meta.url));
const API_KEY = 'tab-browser-test-key-0123';

describe('configuration tab in headless Chromium (safety-sync demo)', function () {
  this.timeout(240_000);
  const executablePath = CHROMIUM_PATH;
  let child: ChildProcess | undefined;
  let browser: import('playwright-core').Browser | undefined;
  let base = '';
  let out = '';

  before(async function () {
    skipWithoutChromium(this);
    if (!existsSync(join(TAB_BUILD_DIR, 'tab.js'))) await buildTab();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATABASE_URL: 'memory:', LOG_LEVEL: 'warn', SAFETY_API_KEY: API_KEY };
    for (const k of ['BOT_ID', 'GRAPH_BASE_URL', 'GRAPH_ACCESS_TOKEN', 'AAD_APP_CLIENT_ID', 'AAD_APP_CLIENT_SECRET', 'AAD_APP_TENANT_ID']) delete env[k];
    child = spawn(process.execPath, ['bin/safety-sync.mjs', 'demo'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`demo exited:\n${out}`);
      if (i > 200) throw new Error(`demo not up:\n${out}`);
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

  const open = async (locale: string, scheme: 'light' | 'dark', query = '') => {
    const page = await browser!.newPage({ viewport: { width: 1100, height: 900 }, locale, colorScheme: scheme });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Nothing but this server: no CDN, no request anywhere else.
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    await page.goto(`${base}/tab${query}`);
    await page.waitForSelector('[data-testid="app"]', { timeout: 30_000 });
    return { page, errors, foreign };
  };

  for (const [locale, scheme] of [['en-US', 'light'], ['ja-JP', 'dark'], ['en-US', 'dark'], ['ja-JP', 'light']] as const) {
    const ja = locale === 'ja-JP';
    const shot = (page: Page, step: string) => page.screenshot({ path: `${ARTIFACTS}${step}-${locale}-${scheme}.png` });
    const T = ja
      ? { save: '保存', saved: '設定を保存しました。', invalid: '定期実行の cron 式が正しくありません', custom: 'カスタム（cron 式）', daily: '毎日 03:00', done: 'Microsoft Entra ID 読み込みは正常に完了しました。', upToDate: '変更はありません（最新の状態です）', cancelled: 'キャンセルしました', undone: '読み込みを取り消しました。', tokenIssued: 'SCIM トークンを発行しました。', revoked: '失効させました', admin: 'Alex Wilber' }
      : { save: 'Save', saved: 'Settings saved.', invalid: 'The schedule is not a valid cron expression', custom: 'Custom (cron expression)', daily: 'Every day at 03:00', done: 'Import completed.', upToDate: 'Already up to date', cancelled: 'Preview cancelled', undone: 'The import was undone.', tokenIssued: 'Secret token issued.', revoked: 'Token revoked.', admin: 'Alex Wilber' };

    it(`${locale}, ${scheme}: status, settings, preview, cancel, confirm with the deletion dialog, up to date, run detail, undo, SCIM tokens`, async () => {
      const { page, errors, foreign } = await open(locale, scheme);
      assert.equal(await page.getAttribute('html', 'lang'), locale.slice(0, 2));
      const bg = await page.evaluate(() => getComputedStyle(document.querySelector('[data-testid="app"]')!.parentElement!.parentElement!).backgroundColor);
      const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
      assert.ok(scheme === 'dark' ? r! + g! + b! < 200 : r! + g! + b! > 600, `${scheme} theme background: ${bg}`);

      // Status at the top: the tenant by name, the plan in words.
      assert.match(await page.getByTestId('status-tenant').innerText(), /Contoso/);
      assert.match(await page.getByTestId('status-plan').innerText(), ja ? /エンタープライズ|プレミア/ : /Enterprise|Premier/);
      await assertCleanText(page, 'status');
      await shot(page, '01-loaded');

      // Settings: a bad cron is refused next to Save, in the admin's language; Save stays usable.
      await page.click('#schedule-preset');
      await page.getByRole('option', { name: T.custom }).click();
      await page.fill('#schedule', 'every day');
      await page.click('#save-button');
      await assertMessageInView(page, 'error', new RegExp(T.invalid), 'bad schedule');
      assert.equal(await page.isEnabled('#save-button'), true, 'Save is not left greyed after a failure');
      await assertCleanText(page, 'bad schedule');
      await shot(page, '02-settings-error');
      await page.click('#schedule-preset');
      await page.getByRole('option', { name: T.daily }).click();
      await page.click('#save-button');
      await assertMessageInView(page, 'success', new RegExp(T.saved), 'settings saved');
      await page.waitForFunction(() => /\b0?3:00/.test(document.querySelector('[data-testid="status-next-run"]')?.textContent ?? ''));
      assert.match(await page.getByTestId('status-next-run').innerText(), /Asia\/Tokyo/);

      // Preview, then cancel.
      await page.click('#plan-button');
      await page.waitForSelector('[data-testid="plan"]', { timeout: 60_000 });
      const counts = await page.$$eval('[data-testid="count-value"]', (els) => els.map((e) => e.textContent));
      assert.deepEqual(counts.slice(0, 5), ['188', '4', '1', '1', '11']);
      assert.match(await page.getByTestId('users-read').innerText(), ja ? /Entra ID から取得したユーザー：200 人/ : /Users read from Entra ID: 200/);
      assert.equal(await page.locator('[data-testid="table-create"] tbody tr').count(), 188, 'the tab lists every user, not samples');
      await page.click('#list-update');
      assert.ok((await page.locator('[data-testid="table-update"] tbody tr').count()) >= 4);
      assert.match(await page.locator('[data-testid="table-update"]').innerText(), ja ? /氏名|メールアドレス|電話番号|部署/ : /Name|Email|Phone|Department/);
      await page.click('#list-departments');
      assert.match(await page.locator('[data-testid="table-departments"]').innerText(), /› MicrosoftEntraID読み込み部署 › /);
      await page.click('#list-skipped');
      assert.match(await page.locator('[data-testid="table-skipped"]').innerText(), ja ? /Entra でアカウントを有効に/ : /Enable the account in Entra, or it will never be created/);
      await assertCleanText(page, 'preview');
      await shot(page, '03-preview');
      await page.click('#cancel-button');
      await assertMessageInView(page, 'info', new RegExp(T.cancelled), 'cancel');

      // Preview, confirm: one deletion, so a dialog names who is deleted.
      await page.click('#plan-button');
      await page.waitForSelector('#confirm-button', { timeout: 60_000 });
      assert.equal(await page.locator('#confirm-deletions').count(), 0, '1 deletion under the guard of 50: no deletion confirmation shown');
      await page.click('#confirm-button');
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      assert.match(await dialog.innerText(), /\(|（/);
      assert.equal(await page.locator('[data-testid="dialog-people"] li').count(), 1);
      await assertCleanText(page, 'confirm dialog');
      await shot(page, '04-confirm-dialog');
      await page.click('#dialog-confirm');
      await assertMessageInView(page, 'success', new RegExp(T.done), 'import');
      await assertCleanText(page, 'imported');
      await shot(page, '05-imported');
      await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length >= 1);
      assert.match(await page.getByTestId('status-last-import').innerText(), new RegExp(T.admin));

      // Nothing changes now: "already up to date", no Confirm.
      await page.click('#plan-button');
      await page.waitForSelector('[data-testid="up-to-date"]', { timeout: 60_000 });
      assert.match(await page.getByTestId('up-to-date').innerText(), new RegExp(T.upToDate.replace(/[()（）]/g, '.')));
      assert.equal(await page.locator('#confirm-button').count(), 0, 'no Confirm when nothing changes');
      await shot(page, '06-up-to-date');
      await page.click('#cancel-button');

      // History: the run's detail shows field-level changes with field names in words.
      await page.locator('[data-testid="run-detail"]').first().click();
      await page.waitForSelector('[data-testid="run-detail-dialog"]');
      const detail = await page.getByTestId('run-detail-dialog').innerText();
      assert.match(detail, new RegExp(T.admin));
      assert.match(detail, ja ? /メールアドレス|電話番号|氏名/ : /Email|Phone|Name/);
      await assertCleanText(page, 'run detail');
      await shot(page, '07-run-detail');
      await page.getByRole('dialog').getByRole('button', { name: ja ? '閉じる' : 'Close' }).click();

      // History filters and the CSV in the admin's language.
      await page.click('#filter-result');
      await page.getByRole('option', { name: ja ? '失敗' : 'Failed' }).click();
      await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 0);
      await page.click('#filter-result');
      await page.getByRole('option', { name: ja ? 'すべて' : 'All' }).click();
      await page.fill('#filter-from', '2100-01-01');
      await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length === 0);
      await page.fill('#filter-from', '');
      await page.waitForFunction(() => document.querySelectorAll('#runs tbody tr').length >= 1);
      const download = page.waitForEvent('download');
      await page.click('#csv-button');
      const file = await download;
      const csv = await (await import('node:fs/promises')).readFile((await file.path())!, 'utf8');
      assert.match(csv.split('\n')[0]!, ja ? /^\ufeff日時 \(Asia\/Tokyo\),種類/ : /^\ufeffWhen \(Asia\/Tokyo\),Origin/);
      await assertMessageInView(page, 'success', ja ? /履歴をダウンロードしました/ : /History downloaded/, 'csv');

      // Undo as its own flow: a dialog naming the import, who ran it, and what it reverses.
      await page.click('#undo-button');
      await page.waitForSelector('[data-testid="undo-dialog"]');
      const undo = await page.getByTestId('undo-dialog').innerText();
      assert.match(undo, new RegExp(T.admin));
      assert.match(undo, ja ? /作成された 188 人を削除/ : /removes 188 users it created/);
      assert.doesNotMatch(undo, ja ? /読み込みを実行/ : /Confirm import/);
      await assertCleanText(page, 'undo dialog');
      await shot(page, '08-undo-dialog');
      await page.click('#undo-confirm');
      await assertMessageInView(page, 'success', new RegExp(T.undone), 'undo');
      await page.waitForFunction(() => (document.querySelector('#undo-button') as HTMLButtonElement | null)?.disabled === true);
      await shot(page, '09-undone');

      // SCIM: issue (the secret shown once, with Copy), revoke after a dialog.
      await page.fill('#token-label', 'Entra provisioning');
      await page.click('#issue-button');
      await assertMessageInView(page, 'success', new RegExp(T.tokenIssued), 'token issued');
      assert.match(await page.locator('#new-token').innerText(), /^scim_/);
      await shot(page, '10-token');
      await page.locator('[data-testid="revoke"]').first().click();
      await page.getByRole('dialog').waitFor();
      assert.match(await page.getByRole('dialog').innerText(), /Entra provisioning/);
      await page.click('#revoke-confirm');
      await assertMessageInView(page, 'success', new RegExp(T.revoked), 'revoke');
      assert.equal(await page.locator('#new-token').count(), 0, 'the secret of a revoked token is no longer shown');
      await assertCleanText(page, 'scim');

      // Back to the schedule off for the next run of the journey.
      await page.click('#schedule-preset');
      await page.getByRole('option', { name: ja ? 'オフ' : 'Off' }).click();
      await page.click('#save-button');
      await assertMessageInView(page, 'success', new RegExp(T.saved), 'schedule off');
      await page.screenshot({ path: `${ARTIFACTS}11-full-${locale}-${scheme}.png`, fullPage: true });
      assert.deepEqual(errors, []);
      assert.deepEqual(foreign, []);
      await page.close();
    });
  }

  /** Picks a schedule preset and a time zone in the settings and saves them (ja-JP). */
  async function saveSchedule(page: import('playwright-core').Page, preset: string, zone: string, what: string): Promise<void> {
    await page.click('#schedule-preset');
    await page.getByRole('option', { name: preset }).click();
    await page.click('#time-zone');
    await page.getByRole('option', { name: zone, exact: true }).click();
    await page.click('#save-button');
    await assertMessageInView(page, 'success', /設定を保存しました/, what);
  }

  it('the company time zone: settable in the tab, and the next scheduled run is shown in it (ja-JP, dark)', async () => {
    const { page, errors } = await open('ja-JP', 'dark');
    await saveSchedule(page, '毎日 03:00', 'UTC', 'time zone UTC');
    await page.waitForFunction(() => /\b0?3:00（UTC）/.test(document.querySelector('[data-testid="status-next-run"]')?.textContent ?? ''));
    await page.screenshot({ path: `${ARTIFACTS}17-time-zone-ja-JP-dark.png` });
    await saveSchedule(page, 'オフ', 'Asia/Tokyo', 'time zone back');
    await page.waitForFunction(() => /定期実行はオフです/.test(document.querySelector('[data-testid="status-next-run"]')?.textContent ?? ''));
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('defect: the deletion-guard confirmation was always visible with a blank threshold; now only above the guard, naming it, and Confirm waits for it', async () => {
    for (const [locale, scheme, label] of [['en-US', 'dark', /Also delete 1 users \(more than the deletion guard of 0\)/], ['ja-JP', 'light', /1 人の削除も実行する（削除ガード 0 人を超えています）/]] as const) {
      const { page, errors } = await open(locale, scheme);
      await page.fill('#threshold', '0');
      await page.click('#save-button');
      await assertMessageInView(page, 'success', /Settings saved|設定を保存しました/, 'threshold 0');
      await page.click('#plan-button');
      await page.waitForSelector('#confirm-button', { timeout: 60_000 });
      const box = page.locator('#confirm-deletions');
      assert.equal(await box.count(), 1);
      assert.match(await page.locator('label[for="confirm-deletions"]').innerText(), label);
      assert.equal(await page.isEnabled('#confirm-button'), false, 'Confirm waits for the deletion confirmation');
      await box.check();
      assert.equal(await page.isEnabled('#confirm-button'), true);
      await assertCleanText(page, 'deletion guard');
      await page.screenshot({ path: `${ARTIFACTS}14-deletion-guard-${locale}-${scheme}.png` });
      await page.click('#cancel-button');
      await page.fill('#threshold', '50');
      await page.click('#save-button');
      await assertMessageInView(page, 'success', /Settings saved|設定を保存しました/, 'threshold 50');
      assert.deepEqual(errors, []);
      await page.close();
    }
  });

  it('defect: a stale-plan refusal looked like nothing happened; now it is said next to Confirm in Japanese and Confirm stays usable', async () => {
    const a = await open('ja-JP', 'dark');
    const b = await open('ja-JP', 'dark');
    await a.page.click('#plan-button');
    await a.page.waitForSelector('#confirm-button', { timeout: 60_000 });
    await b.page.click('#plan-button');
    await b.page.waitForSelector('#confirm-button', { timeout: 60_000 });
    await b.page.click('#confirm-button');
    await b.page.click('#dialog-confirm');
    await assertMessageInView(b.page, 'success', /正常に完了しました/, 'first confirm');
    await a.page.click('#confirm-button');
    await a.page.click('#dialog-confirm');
    await assertMessageInView(a.page, 'error', /何も反映していません。もう一度「読み込み内容を確認」を押して/, 'stale plan');
    assert.equal(await a.page.isEnabled('#confirm-button'), true, 'Confirm is not left greyed after a failure');
    assert.equal(await a.page.isEnabled('#plan-button'), true);
    await assertCleanText(a.page, 'stale plan');
    await a.page.screenshot({ path: `${ARTIFACTS}15-stale-plan-ja-JP-dark.png` });
    // Undo the import for the next test.
    await b.page.click('#undo-button');
    await b.page.click('#undo-confirm');
    await assertMessageInView(b.page, 'success', /読み込みを取り消しました。/, 'undo');
    assert.deepEqual([...a.errors, ...b.errors], []);
    await a.page.close();
    await b.page.close();
  });

  it('a card\'s deep link (?plan=…) opens its plan, in the high-contrast theme; a cancelled plan says so instead', async () => {
    const token = ((await (await fetch(`${base}/api/tab/demo-token`)).json()) as { token: string }).token;
    const made = await fetch(`${base}/api/tab/plans`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(made.status, 201);
    const { id } = (await made.json()) as { id: string };
    const { page, errors } = await open('ja-JP', 'light', `?plan=${id}&theme=contrast`);
    await page.waitForSelector('[data-testid="plan"]', { timeout: 30_000 });
    const bg = await page.evaluate(() => getComputedStyle(document.querySelector('[data-testid="app"]')!.parentElement!.parentElement!).backgroundColor);
    assert.equal(bg, 'rgb(0, 0, 0)', 'high contrast');
    await assertCleanText(page, 'deep link');
    await page.screenshot({ path: `${ARTIFACTS}16-deep-link-contrast-ja-JP.png` });
    await page.click('#cancel-button');
    await assertMessageInView(page, 'info', /キャンセルしました/, 'cancel from the deep link');
    await page.goto(`${base}/tab?plan=${id}&theme=contrast`);
    await assertMessageInView(page, 'info', /キャンセルされました/, 'the cancelled plan says so');
    assert.deepEqual(errors, []);
    await page.close();
  });

  for (const [locale, scheme] of [['ja-JP', 'dark'], ['en-US', 'light']] as const) {
    it(`${locale}, ${scheme}: disconnect asks first, names the tenant, and says how to reconnect`, async () => {
      const { page, errors } = await open(locale, scheme);
      await page.click('#disconnect-button');
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      assert.match(await dialog.innerText(), /Contoso/);
      await assertCleanText(page, 'disconnect dialog');
      await page.screenshot({ path: `${ARTIFACTS}12-disconnect-dialog-${locale}-${scheme}.png` });
      await page.click('#disconnect-confirm');
      await assertMessageInView(page, 'success', locale === 'ja-JP' ? /ディレクトリ同期/ : /sync directory/, 'disconnect');
      await assertCleanText(page, 'disconnected');
      await page.screenshot({ path: `${ARTIFACTS}13-disconnected-${locale}-${scheme}.png` });
      // Reconnect the demo company (the bot's first import would) for the next run.
      const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
      const [company] = (await (await fetch(`${base}/api/v1/companies`, { headers: auth })).json()) as { id: string }[];
      const res = await fetch(`${base}/api/v1/companies/${company!.id}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ entraTenantId: DEMO_TENANT_ID }) });
      assert.equal(res.status, 200);
      assert.deepEqual(errors, []);
      await page.close();
    });
  }
});
