/** B7: incremental directory reads through Graph delta and the directory mirror, on every engine. */
import assert from 'node:assert/strict';
import { AppError } from '../../src/domain/errors.ts';
import type { DirectoryUser } from '../../src/domain/types.ts';
import { startGraphEmulator, type GraphEmulator, type GraphUser } from '../../src/devtools/graph-emulator.ts';
import { createGraphDirectoryReader } from '../../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import { DirectoryMirror, mergeUser } from '../../src/store/directory-mirror.ts';
import type { SafetyStore } from '../../src/store/safety-store.ts';
import { incrementalReader } from '../../src/sync/incremental-reader.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
import { engines } from '../helpers/databases.ts';
import { numberedGraphUser, numberedId } from '../helpers/graph-users.ts';

const TENANT = '33333333-4444-4555-8666-777777777777';
const OTHER_TENANT = '88888888-4444-4555-8666-777777777777';
const gid = (n: number) => numberedId(n);
const gu = (n: number, over: Partial<GraphUser> = {}): GraphUser => numberedGraphUser(n, over);

describe('mergeUser (Graph delta sends at least the changed properties)', () => {
  const before: DirectoryUser = {
    id: 'x', userPrincipalName: 'x@c.com', displayName: 'Old', mail: 'x@c.com', businessPhones: ['1'],
    department: '営業部', accountEnabled: true, userType: 'Member', identityIssuers: [],
  };
  it('replaces only the fields Graph sent; an absent field is unchanged, not blank', () => {
    const changed: DirectoryUser = { ...before, displayName: 'New', department: null, businessPhones: [], mail: null };
    assert.deepEqual(mergeUser(before, changed, ['id', 'displayName']), { ...before, displayName: 'New' });
  });
  it('a field Graph sent as null becomes null', () => {
    const changed: DirectoryUser = { ...before, department: null };
    assert.equal(mergeUser(before, changed, ['department']).department, null);
  });
  it('a user the mirror did not know is taken as sent', () => {
    const changed: DirectoryUser = { ...before, displayName: 'Only' };
    assert.deepEqual(mergeUser(undefined, changed, ['displayName']), changed);
  });
});

for (const engine of engines()) {
  describe(`incremental directory reads (B7) on ${engine.name}`, () => {
    let store: SafetyStore;
    let emu: GraphEmulator;
    let companyId: string;
    let now = new Date('2026-11-24T00:00:00Z');
    const graph = () => createGraphDirectoryReader({ graphBaseUrl: emu.baseUrl, tokenProvider: staticTokenProvider('t') });
    const reader = () => incrementalReader(store.db, companyId, graph(), { clock: () => now });
    const since = (n: number) => emu.requestLog.slice(n).map((r) => r.url);
    const isFullRead = (u: string) => u.startsWith('/v1.0/users?');
    const isLatest = (u: string) => u.startsWith('/v1.0/users/delta?') && u.includes('$deltatoken=latest');
    const isDeltaRound = (u: string) => u.startsWith('/v1.0/users/delta?') && !u.includes('$deltatoken=latest');

    before(async () => {
      store = await engine.open();
      emu = await startGraphEmulator({ tenant: { tenantId: TENANT, displayName: 'Delta', users: [1, 2, 3, 4].map((n) => gu(n)), directoryRoles: {} } });
      companyId = (await store.createCompany({ name: 'Delta Co', plan: 'premier', maxUsers: 100 })).id;
      await store.updateSettings(companyId, { initialPassword: 'Welcome#2026' });
    });
    after(async () => {
      await emu.close();
      await store.close();
    });

    it('reads everything once, then only what changed; the plan still sees the whole directory', async () => {
      const first = await reader().read();
      assert.equal(first.users.length, 4);
      assert.equal(first.tenantId, TENANT);
      const firstUrls = since(0);
      assert.ok(firstUrls.some(isFullRead), 'the first read is the full GET /users of DESIGN §2');
      assert.ok(firstUrls.some(isLatest), 'with a delta link taken just before it');
      assert.ok(!firstUrls.some(isDeltaRound));

      emu.updateUser(gid(2), { displayName: 'User 2 renamed' });
      emu.removeUser(gid(3));
      emu.addUser(gu(5));
      const seen = emu.requestLog.length;
      const second = await reader().read();
      const later = since(seen);
      assert.ok(later.some(isDeltaRound), 'continued from the stored delta link');
      assert.ok(!later.some(isFullRead), 'only what changed is read');
      assert.deepEqual(second.users.map((u) => u.id).sort(), [gid(1), gid(2), gid(4), gid(5)]);
      assert.equal(second.users.find((u) => u.id === gid(2))!.displayName, 'User 2 renamed');
    });

    it('plans from the mirror exactly as from a full read', async () => {
      const sync = new SyncService(store, { clock: () => now });
      const p1 = await sync.createPlan(companyId, graph(), { requestedBy: 'a', source: 'api' });
      await sync.apply(companyId, p1.id, { confirmedBy: 'a' });
      emu.removeUser(gid(4));
      emu.updateUser(gid(1), { department: '開発部' });
      const p2 = await sync.createPlan(companyId, graph(), { requestedBy: 'a', source: 'api' });
      const full = await new SyncService(store, { clock: () => now, directoryRead: 'full' }).createPlan(companyId, graph(), { requestedBy: 'a', source: 'api' });
      assert.deepEqual(p2.changes, full.changes);
      assert.deepEqual(p2.changes.deleteUsers.map((u) => u.loginName), ['u4@contoso.com']);
      assert.deepEqual(p2.changes.createDepartments.map((d) => d.code), ['開発部']);
    });

    it('a full round again after a day, and when the stored link cannot be followed', async () => {
      now = new Date(now.getTime() + 25 * 60 * 60 * 1000);
      let seen = emu.requestLog.length;
      await reader().read();
      assert.ok(since(seen).some(isFullRead), 'daily full read');
      assert.ok(!since(seen).some(isDeltaRound));
      await store.db.query(`update sync_state set delta_link = 'http://127.0.0.1:1/v1.0/users/delta?$deltatoken=old' where company_id = $1`, [companyId]);
      seen = emu.requestLog.length;
      const snap = await reader().read();
      assert.equal(snap.users.length, 3);
      assert.ok(since(seen).some(isFullRead), 'started over with a full read');
      const state = await new DirectoryMirror(store.db).state(companyId);
      assert.ok(state.deltaLink?.startsWith(emu.baseUrl));
    });

    it('an expired delta link (Graph answers 410 syncStateNotFound) starts over with a full read of the whole directory', async () => {
      // The mirror holds a link from the previous reads; Graph has since forgotten it.
      await reader().read();
      emu.expireDeltaTokens();
      emu.updateUser(gid(1), { displayName: 'User 1 after expiry' });
      const seen = emu.requestLog.length;
      const snap = await reader().read();
      const urls = since(seen);
      assert.ok(urls.some((u) => isDeltaRound(u) && u.includes('$deltatoken=')), 'the stored link was tried');
      assert.ok(urls.some((u) => isDeltaRound(u) && !u.includes('$deltatoken=') && !u.includes('$skiptoken=')), 'then a full round');
      assert.deepEqual(snap.users.map((u) => u.id).sort(), [gid(1), gid(2), gid(5)]);
      assert.equal(snap.users.find((u) => u.id === gid(1))!.displayName, 'User 1 after expiry');
      // The mirror now holds a link Graph follows again: the next read is incremental.
      const state = await new DirectoryMirror(store.db).state(companyId);
      const next = emu.requestLog.length;
      assert.ok(state.deltaLink);
      await reader().read();
      assert.ok(!since(next).some(isFullRead));
      assert.ok(since(next).some((u) => isDeltaRound(u) && u.includes('$deltatoken=')));
    });

    it('a Graph without delta support still gets full reads', async () => {
      const plainGraph = graph();
      const noDelta = {
        ...plainGraph,
        latestDeltaLink: async (): Promise<string> => {
          throw new AppError('DIRECTORY_UNAVAILABLE', 'no delta');
        },
      };
      await new DirectoryMirror(store.db).reset(companyId);
      const snap = await incrementalReader(store.db, companyId, noDelta, { clock: () => now }).read();
      assert.equal(snap.users.length, 3);
      assert.equal((await new DirectoryMirror(store.db).state(companyId)).deltaLink, null);
    });

    it('defect 2: NUL characters and 10,000-character values from Graph are cleaned before the mirror and the plan, which names the user and applies', async () => {
      await new DirectoryMirror(store.db).reset(companyId);
      emu.addUser(gu(16, { displayName: 'Nul\u0000Six', department: 'd'.repeat(10_000) }));
      const sync = new SyncService(store, { clock: () => now });
      const p1 = await sync.createPlan(companyId, graph(), { requestedBy: 'a', source: 'api' });
      assert.deepEqual(p1.errors, []);
      assert.deepEqual(p1.warnings.filter((w) => w.code === 'DIRECTORY_VALUE_ADJUSTED').map((w) => w['entraObjectId']), [gid(16)]);
      assert.equal((await sync.apply(companyId, p1.id, { confirmedBy: 'a' })).run.status, 'succeeded');
      // A delta round brings another NUL: the merged mirror keeps both adjustments, the plan still names the user.
      emu.updateUser(gid(16), { displayName: 'Nul\u0000Six\u0000Again' });
      const p2 = await sync.createPlan(companyId, graph(), { requestedBy: 'a', source: 'api' });
      const w = p2.warnings.filter((x) => x.code === 'DIRECTORY_VALUE_ADJUSTED');
      assert.deepEqual(w.map((x) => (x['fields'] as { field: string }[]).map((f) => f.field)), [['department', 'displayName']]);
      assert.deepEqual(p2.changes.updateUsers.map((u) => u.fields.name), [{ from: 'NulSix', to: 'NulSixAgain' }]);
      assert.equal((await sync.apply(companyId, p2.id, { confirmedBy: 'a' })).run.status, 'succeeded');
      const sixteen = (await store.listUsers(companyId)).find((u) => u.loginName === 'u16@contoso.com')!;
      assert.deepEqual([sixteen.name, sixteen.departments[0]!.code.length], ['NulSixAgain', 200]);
    });

    it('a company reads only its own tenant: another tenant\'s credential is refused before any user is read, and the mirror keeps no row of it', async () => {
      const sync = new SyncService(store, { clock: () => now });
      await sync.createPlan(companyId, graph(), { requestedBy: 'a', source: 'api' });
      const before = await new DirectoryMirror(store.db).state(companyId);
      assert.ok(before.deltaLink, 'the linked tenant is mirrored');
      const other = await startGraphEmulator({ tenant: { tenantId: OTHER_TENANT, displayName: 'Other', users: [6, 7].map((n) => gu(n)), directoryRoles: {} } });
      try {
        const otherGraph = createGraphDirectoryReader({ graphBaseUrl: other.baseUrl, tokenProvider: staticTokenProvider('t') });
        await assert.rejects(
          sync.createPlan(companyId, otherGraph, { requestedBy: 'a', source: 'schedule' }),
          (e) => e instanceof AppError && e.code === 'TENANT_MISMATCH',
        );
        assert.ok(other.requestLog.every((r) => !r.url.startsWith('/v1.0/users')), 'no user of the other tenant was read');
        const rows = await store.db.query<{ tenant_key: string }>('select distinct tenant_key from directory_mirror where company_id = $1', [companyId]);
        assert.deepEqual(rows.map((r) => r.tenant_key), [TENANT.toLowerCase()]);
        assert.deepEqual(await new DirectoryMirror(store.db).state(companyId), before, 'the delta link is untouched');
      } finally {
        await other.close();
      }
    });

    it('the mirror is keyed by tenant: a company re-linked to another tenant never continues the old tenant\'s delta link or shows its users', async () => {
      const sync = new SyncService(store, { clock: () => now });
      const other = await startGraphEmulator({ tenant: { tenantId: OTHER_TENANT, displayName: 'Other', users: [6, 7].map((n) => gu(n)), directoryRoles: {} } });
      try {
        await store.updateCompany(companyId, { entraTenantId: OTHER_TENANT });
        const seen = emu.requestLog.length;
        const otherGraph = createGraphDirectoryReader({ graphBaseUrl: other.baseUrl, tokenProvider: staticTokenProvider('t') });
        const p = await sync.createPlan(companyId, otherGraph, { requestedBy: 'a', source: 'api' });
        assert.deepEqual(since(seen), [], 'the old tenant\'s delta link was not followed');
        assert.equal(p.tenantId, OTHER_TENANT);
        assert.deepEqual(p.changes.createUsers.map((u) => u.entraObjectId).sort(), [gid(6), gid(7)]);
        const rows = await store.db.query<{ tenant_key: string }>('select distinct tenant_key from directory_mirror where company_id = $1', [companyId]);
        assert.deepEqual(rows.map((r) => r.tenant_key), [OTHER_TENANT.toLowerCase()]);
        assert.deepEqual((await new DirectoryMirror(store.db).snapshot(companyId, TENANT)).users, [], 'no row of the old tenant');
        assert.equal((await new DirectoryMirror(store.db).state(companyId)).tenantId?.toLowerCase(), OTHER_TENANT.toLowerCase());
      } finally {
        await other.close();
      }
    });
  });
}
