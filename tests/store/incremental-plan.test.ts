/**
 * Issue 9 item 5 on every engine: after a Graph delta round, SyncService re-plans only the users
 * connected to what changed, and the plan is exactly the one a full read plans for the same state.
 * Any other service change in between (here: the admin API) makes it plan in full.
 */
import assert from 'node:assert/strict';
import { startGraphEmulator, type GraphEmulator, type GraphUser } from '../../src/devtools/graph-emulator.ts';
import { createGraphDirectoryReader } from '../../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import type { SafetyStore, StoredPlan } from '../../src/store/safety-store.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
import { engines } from '../helpers/databases.ts';
import { numberedGraphUser, numberedId } from '../helpers/graph-users.ts';

const TENANT = '44444444-4444-4555-8666-777777777777';
const gid = (n: number) => numberedId(n, 'bbbbbbbb');
const gu = (n: number, over: Partial<GraphUser> = {}): GraphUser =>
  numberedGraphUser(n, { department: n % 2 ? '営業部' : '総務部', ...over }, 'bbbbbbbb');

for (const engine of engines()) {
  describe(`incremental re-plan through SyncService (issue 9 item 5) on ${engine.name}`, () => {
    let store: SafetyStore;
    let emu: GraphEmulator;
    let companyId: string;
    const now = new Date('2026-12-01T00:00:00Z');
    const events: { event: string; fields: Record<string, unknown> }[] = [];
    const log = (event: string, fields: Record<string, unknown>) => events.push({ event, fields });
    const graph = () => createGraphDirectoryReader({ graphBaseUrl: emu.baseUrl, tokenProvider: staticTokenProvider('t') });
    const delta = () => new SyncService(store, { clock: () => now, log });
    const fullRead = () => new SyncService(store, { clock: () => now, directoryRead: 'full' });
    const plan = async () => {
      const p = await delta().createPlan(companyId, graph(), { requestedBy: 'a', source: 'api' });
      const created = events.filter((e) => e.event === 'plan.created').at(-1)!.fields;
      return { p, planning: created['planning'], closureSize: created['closureSize'] as number | undefined, why: created['fullBecause'] };
    };
    /** Everything a plan says, as the full planner would say it (ids, times and the read's kind aside). */
    const content = async (p: StoredPlan) => ({
      tenantId: p.tenantId,
      summary: { ...p.summary, changesRead: null },
      changes: p.changes,
      errors: p.errors,
      warnings: p.warnings,
      skippedUsers: await store.listSkippedUsers(companyId, p.id),
      requiresDeletionConfirmation: p.requiresDeletionConfirmation,
      baseDataVersion: p.baseDataVersion,
    });
    const assertSameAsFullRead = async (p: StoredPlan) => {
      const full = await fullRead().createPlan(companyId, graph(), { requestedBy: 'a', source: 'api' });
      assert.deepEqual(await content(p), await content(full));
    };

    before(async () => {
      store = await engine.open();
      const users = Array.from({ length: 120 }, (_, i) => gu(i + 1));
      users.push(gu(121, { userType: 'Guest' }), gu(122, { accountEnabled: false }));
      emu = await startGraphEmulator({ tenant: { tenantId: TENANT, displayName: 'Resync', users, directoryRoles: {} } });
      companyId = (await store.createCompany({ name: 'Resync Co', plan: 'premier', maxUsers: 1000 })).id;
      await store.updateSettings(companyId, { initialPassword: 'Welcome#2026', deletionThreshold: 50 });
      // A service-only user: never imported, but its email is a key a new Entra user can collide on (R28).
      await store.createUser(companyId, { loginName: 'svc-only', password: 'Pass#2026x', name: 'Service only', email: 'shared@contoso.com' }, 'admin');
    });
    after(async () => {
      await emu.close();
      await store.close();
    });

    it('first import and the plan after it are full; a few changes later only their components are re-planned, exactly as a full read plans', async () => {
      const p1 = await plan();
      assert.equal(p1.planning, 'full', 'the first import links the tenant: full');
      await delta().apply(companyId, p1.p.id, { confirmedBy: 'a' });
      const p2 = await plan();
      assert.equal(p2.planning, 'full', 'the applied first import touched every user: the full plan is cheaper');
      assert.match(String(p2.why), /too many changes|too many others/);
      assert.match(String(p1.why), /full directory read/);
      assert.equal(p2.p.summary.usersUnchanged, 120);

      emu.updateUser(gid(5), { userPrincipalName: 'renamed5@contoso.com', displayName: 'Renamed 5' });
      emu.updateUser(gid(6), { mail: 'shared@contoso.com' }); // collides with the service-only user
      emu.updateUser(gid(7), { department: '開発部' }); // a new department
      emu.updateUser(gid(8), { accountEnabled: false }); // linked: still updated, with a warning
      emu.removeUser(gid(9));
      emu.addUser(gu(200, { mail: 'U10@Contoso.com' })); // a case-differing key shared with u10
      emu.addUser(gu(201, { userType: 'Guest' }));
      const p3 = await plan();
      assert.equal(p3.planning, 'incremental', `planned in full: ${String(p3.why)}`);
      assert.ok(p3.closureSize! > 0 && p3.closureSize! < 20, `closure of ${p3.closureSize} users`);
      assert.deepEqual(p3.p.errors.map((e) => e.code).sort(), ['DUPLICATE_EMAIL', 'DUPLICATE_EMAIL']);
      assert.deepEqual(p3.p.changes.deleteUsers.map((u) => u.loginName), ['u9@contoso.com']);
      await assertSameAsFullRead(p3.p);
    });

    it('after an applied incremental plan the next one starts from it; an admin change in between makes it full, still exact', async () => {
      emu.updateUser(gid(6), { mail: 'u6@contoso.com' });
      emu.removeUser(gid(200));
      const p4 = await plan();
      assert.equal(p4.planning, 'incremental', `planned in full: ${String(p4.why)}`);
      await assertSameAsFullRead(p4.p);
      assert.deepEqual(p4.p.errors, []);
      await delta().apply(companyId, p4.p.id, { confirmedBy: 'a' });

      emu.updateUser(gid(11), { displayName: 'Eleven' });
      emu.updateUser(gid(12), { userPrincipalName: 'U13@contoso.com' }); // takes u13's UPN key (case-different)
      const p5 = await plan();
      assert.equal(p5.planning, 'incremental', `planned in full: ${String(p5.why)}`);
      assert.ok(p5.closureSize! < 30, `closure of ${p5.closureSize} users`);
      assert.deepEqual(p5.p.changes.updateUsers.map((u) => u.loginName), ['u11@contoso.com']);
      await assertSameAsFullRead(p5.p);
      // R29's count came from p4 (its count, less its deletes, plus its creates), not from a count of the users.
      const [recorded] = await store.db.query<{ service_users: number }>('select service_users from plans where id = $1', [p5.p.id]);
      assert.equal(Number(recorded!.service_users), (await store.listUsers(companyId)).length);
      assert.ok(p4.p.changes.createUsers.length + p4.p.changes.deleteUsers.length > 0, 'p4 created or deleted users');

      const p6 = await plan();
      assert.equal(p6.planning, 'incremental', 'nothing changed since p5: nothing to re-plan');
      assert.equal(p6.closureSize, 0);
      // Now the service changes outside an import.
      const u20 = await store.findUserByLoginName(companyId, 'u20@contoso.com');
      await store.updateUser(companyId, u20!.id, { name: 'Changed by an admin' }, 'admin');
      emu.updateUser(gid(21), { displayName: 'Twenty-one' });
      const p7 = await plan();
      assert.equal(p7.planning, 'full');
      assert.match(String(p7.why), /service data changed/);
      assert.deepEqual(p7.p.changes.updateUsers.map((u) => u.loginName).sort(), ['u11@contoso.com', 'u20@contoso.com', 'u21@contoso.com']);
      await assertSameAsFullRead(p7.p);
    });
  });
}
