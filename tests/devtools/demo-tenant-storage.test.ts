/**
 * The demo tenant controls in-process over a real Graph emulator: the saved file (written on each
 * change, read at start, refused when it is not a demo tenant), reset back to the fixture, the
 * guard-sized deletion, the page's language choice and its escaping.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli.ts';
import { isAppError } from '../../src/domain/errors.ts';
import type { Plan } from '../../src/domain/types.ts';
import { DEMO_ADMIN_OBJECT_ID, DEMO_USERS, loadDemoTenant } from '../../src/devtools/demo-tenant.ts';
import {
  createDemoTenantControl,
  demoTenantStorage,
  loadSavedDemoTenant,
  type DemoTenantStorage,
} from '../../src/devtools/demo-tenant-control.ts';
import { pageLanguage, renderDemoTenantPage } from '../../src/devtools/demo-tenant-page.ts';
import { startGraphEmulator, type GraphEmulator, type GraphUser } from '../../src/devtools/graph-emulator.ts';

const byId = (users: GraphUser[]) => [...users].sort((a, b) => (a.id.toLowerCase() < b.id.toLowerCase() ? -1 : 1));

describe('demo tenant controls (in-process, real Graph emulator)', () => {
  let dir = '';
  let storage: DemoTenantStorage;
  const emulators: GraphEmulator[] = [];
  const start = async () => {
    const { tenant, saved } = loadSavedDemoTenant(storage);
    const emulator = await startGraphEmulator({ tenant, port: 0 });
    emulators.push(emulator);
    return { emulator, saved, control: createDemoTenantControl(emulator, storage) };
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'safety-sync-demo-storage-'));
    storage = demoTenantStorage({ dataDir: dir });
  });
  afterEach(async () => {
    await Promise.all(emulators.splice(0).map((e) => e.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('the tenant lives in DATA_DIR/demo-tenant.json, and nowhere with DATABASE_URL', () => {
    assert.equal(storage.file, join(dir, 'demo-tenant.json'));
    assert.equal(demoTenantStorage({ dataDir: dir, databaseUrl: 'memory:' }).file, null);
  });

  it('starts from the fixture; every change is saved (mode 0600) and read back at the next start', async () => {
    const first = await start();
    assert.equal(first.saved, false);
    assert.equal(existsSync(storage.file!), false, 'nothing is written before a change');
    const added = first.control.addUser({ displayName: 'Newcomer Ken', mailNickname: 'ken', department: 'Onboarding' });
    assert.equal(added.userPrincipalName, 'ken@contoso.onmicrosoft.com');
    first.control.updateUser(DEMO_USERS.leeGu, { accountEnabled: false, displayName: 'Lee Gu (on leave)' });
    first.control.deleteUser('MeganB@contoso.onmicrosoft.com');
    assert.equal(statSync(storage.file!).mode & 0o777, 0o600);

    const second = await start();
    assert.equal(second.saved, true);
    assert.deepEqual(byId(second.emulator.tenant.users), byId(first.emulator.tenant.users));
    const lee = second.control.list().users.find((u) => u.id === DEMO_USERS.leeGu)!;
    assert.equal(lee.accountEnabled, false);
    assert.equal(lee.displayName, 'Lee Gu (on leave)');
  });

  it('a saved file that is not a demo tenant stops the start with VALIDATION_FAILED naming the file', () => {
    writeFileSync(storage.file!, '{"tenantId":"someone else","users":[]}');
    assert.throws(
      () => loadSavedDemoTenant(storage),
      (e: unknown) => isAppError(e) && e.code === 'VALIDATION_FAILED' && e.message.includes(storage.file!) && /reset/.test(e.message),
    );
    writeFileSync(storage.file!, '{not json');
    assert.throws(() => loadSavedDemoTenant(storage), (e: unknown) => isAppError(e) && e.code === 'VALIDATION_FAILED');
  });

  it('reset brings back exactly the fixture (through the emulator, so delta reads see it) and removes the file', async () => {
    const { emulator, control } = await start();
    control.addUser({ displayName: 'A' });
    control.addGuest({ displayName: 'G', mail: 'g@fabrikam.example' });
    control.duplicateEmail(DEMO_USERS.leeGu, 'AlexW@contoso.onmicrosoft.com');
    control.massDeletion();
    assert.ok(existsSync(storage.file!));
    assert.deepEqual(control.reset(), { users: 200 });
    const fixture = loadDemoTenant();
    assert.deepEqual(byId(emulator.tenant.users), byId(fixture.users));
    assert.equal(existsSync(storage.file!), false);
  });

  it('60 deletions spare the administrators; more than there are is VALIDATION_FAILED; unknown users are NOT_FOUND', async () => {
    const { control } = await start();
    const deleted = control.massDeletion();
    assert.equal(deleted.length, 60);
    const ids = new Set(deleted.map((u) => u.id.toLowerCase()));
    assert.ok(!ids.has(DEMO_ADMIN_OBJECT_ID.toLowerCase()));
    assert.ok(!ids.has(DEMO_USERS.modAdministrator.toLowerCase()));
    assert.throws(() => control.massDeletion(500), (e: unknown) => isAppError(e) && e.code === 'VALIDATION_FAILED');
    assert.throws(() => control.deleteUser('ghost'), (e: unknown) => isAppError(e) && e.code === 'NOT_FOUND');
    assert.throws(() => control.addUser({ displayName: 'Again', mailNickname: 'AlexW' }), (e: unknown) => isAppError(e) && e.code === 'CONFLICT');
  });

  it('the page escapes what the tenant holds (a name is text, never markup)', async () => {
    const { control } = await start();
    control.addUser({ displayName: '<img src=x onerror=alert(1)>"&\'' });
    const html = renderDemoTenantPage(control.list(), 'en', 'n0nce');
    assert.ok(!html.includes('<img src=x'), 'escaped');
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&#39;'));
  });

  it('`safety-sync plan` with no demo running reads the saved tenant from the same data dir', async function () {
    this.timeout(120_000);
    const { control } = await start();
    control.addUser({ displayName: 'Saved Newcomer', mailNickname: 'saved.newcomer' });
    let out = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const saved = { ...process.env };
    for (const k of ['DATABASE_URL', 'GRAPH_BASE_URL', 'GRAPH_ACCESS_TOKEN', 'AAD_APP_CLIENT_ID', 'AAD_APP_CLIENT_SECRET', 'AAD_APP_TENANT_ID']) delete process.env[k];
    process.env.DATA_DIR = dir;
    process.env.LOG_LEVEL = 'silent';
    try {
      const code = await main(['plan', '--json'], { out: sink, err: new Writable({ write: (_c, _e, cb) => cb() }), interactive: false });
      assert.equal(code, 0);
    } finally {
      process.env = saved;
    }
    const plan = JSON.parse(out) as Plan;
    assert.ok(plan.changes.createUsers.some((u) => u.loginName === 'saved.newcomer@contoso.onmicrosoft.com'));
  });

  it('page language: ?lang wins, else the best of Accept-Language that is en or ja, else English', () => {
    assert.equal(pageLanguage('ja', 'en-US'), 'ja');
    assert.equal(pageLanguage('en', 'ja-JP'), 'en');
    assert.equal(pageLanguage(undefined, 'ja-JP,ja;q=0.9,en;q=0.8'), 'ja');
    assert.equal(pageLanguage(undefined, 'fr-FR,en;q=0.5,ja;q=0.7'), 'ja');
    assert.equal(pageLanguage('de', 'fr'), 'en');
    assert.equal(pageLanguage(undefined, undefined), 'en');
  });
});
