/** B6: undoing the last import restores what it changed, on every engine. */
import assert from 'node:assert/strict';
import { AppError } from '../../src/domain/errors.ts';
import type { Company, DirectoryUser } from '../../src/domain/types.ts';
import type { DirectoryReader } from '../../src/directory/graph-reader.ts';
import type { SafetyStore } from '../../src/store/safety-store.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
import { engines } from '../helpers/databases.ts';

const du = (n: number, extra: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id: `oid-${n}`,
  userPrincipalName: `u${n}@contoso.com`,
  displayName: `User ${n}`,
  mail: `u${n}@contoso.com`,
  businessPhones: [],
  department: '総務部',
  accountEnabled: true,
  userType: 'Member',
  identityIssuers: [],
  ...extra,
});
const fixed = (users: DirectoryUser[]): DirectoryReader => ({ read: async () => ({ tenantId: 'tenant-undo', users }) });

for (const engine of engines()) {
  describe(`undo (B6) on ${engine.name}`, () => {
    let store: SafetyStore;
    let sync: SyncService;
    let company: Company;
    const importOnce = async (users: DirectoryUser[]) => {
      const p = await sync.createPlan(company.id, fixed(users), { requestedBy: 'a', source: 'api' });
      assert.deepEqual(p.errors, []);
      return (await sync.apply(company.id, p.id, { confirmedBy: 'b' })).run;
    };
    const state = async () =>
      (await store.listUsers(company.id)).map(({ updatedAt: _u, ...u }) => u);

    before(async () => {
      store = await engine.open();
      sync = new SyncService(store);
      company = await store.createCompany({ name: 'Undo Co', plan: 'premier', maxUsers: 50 });
      await store.updateSettings(company.id, { initialPassword: 'Welcome#2026' });
    });
    after(async () => store.close());

    it('reverses the last import: created users removed, changed fields restored, deleted users back with their id', async () => {
      await importOnce([du(1), du(2), du(3)]);
      const u3 = (await store.listUsers(company.id)).find((u) => u.loginName === 'u3@contoso.com')!;
      await store.updateUser(company.id, u3.id, { roles: ['manager'], memo: 'kept by undo' }, 'admin');
      const before = await state();
      const depsBefore = (await store.listDepartments(company.id)).map((d) => d.code);
      await importOnce([du(1, { displayName: 'Renamed', department: '人事部' }), du(2), du(4)]);
      assert.notDeepEqual(await state(), before);

      const undo = await sync.createUndoPlan(company.id, 'admin');
      assert.deepEqual(undo.errors, []);
      assert.deepEqual(undo.summary, { usersToRemove: 1, usersToRestore: 1, usersToRevert: 1, departmentsCreatedByImport: 1 });
      const { run } = await sync.apply(company.id, undo.id, { confirmedBy: 'admin' });
      assert.equal(run.status, 'succeeded');
      assert.deepEqual(await state(), before);
      assert.deepEqual((await store.listDepartments(company.id)).map((d) => d.code), depsBefore, 'the department the import created is gone again');
      const changes = await store.listChanges(company.id, { runId: run.id });
      assert.ok(changes.length >= 3 && changes.every((c) => c.origin === 'undo'));
      await assert.rejects(sync.createUndoPlan(company.id, 'admin'), (e) => e instanceof AppError && e.code === 'CONFLICT');
    });

    it('refuses to overwrite a change made after the import (UNDO_CONFLICT), all or nothing', async () => {
      await importOnce([du(1), du(2), du(3), du(5)]);
      const u5 = (await store.listUsers(company.id)).find((u) => u.loginName === 'u5@contoso.com')!;
      await store.updateUser(company.id, u5.id, { phone: '090-0000-0000' }, 'admin');
      const undo = await sync.createUndoPlan(company.id, 'admin');
      assert.deepEqual(undo.errors.map((e) => e.code), ['UNDO_CONFLICT']);
      await assert.rejects(sync.apply(company.id, undo.id, { confirmedBy: 'admin' }), (e) => e instanceof AppError && e.code === 'PLAN_HAS_ERRORS');
      assert.ok((await store.listUsers(company.id)).some((u) => u.loginName === 'u5@contoso.com'));
    });

    it('an undo plan is its own kind, assessed like an import plan: expired, stale and cancelled previews are refused by their own code and recorded', async () => {
      await importOnce([du(1), du(2), du(3), du(6)]);
      let now = new Date('2026-11-24T09:00:00Z');
      const timed = new SyncService(store, { clock: () => now });
      const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof AppError ? e.code : String(e)));

      const expired = await timed.createUndoPlan(company.id, 'admin');
      assert.equal(expired.kind, 'undo');
      assert.equal((await timed.getUndoPlan(company.id, expired.id)).status, 'pending');
      assert.equal(await code(timed.getPlan(company.id, expired.id)), 'NOT_FOUND', 'an undo plan is not an import plan');
      now = new Date(now.getTime() + 16 * 60_000);
      assert.equal((await timed.getUndoPlan(company.id, expired.id)).status, 'expired');
      assert.equal(await code(timed.apply(company.id, expired.id, { confirmedBy: 'admin' })), 'PLAN_EXPIRED');

      const stale = await timed.createUndoPlan(company.id, 'admin');
      await store.createUser(company.id, { loginName: 'manual-undo', password: 'Passw0rd!', name: 'Manual' }, 'admin');
      assert.equal(await code(timed.apply(company.id, stale.id, { confirmedBy: 'admin' })), 'PLAN_STALE');
      assert.equal((await timed.getUndoPlan(company.id, stale.id)).status, 'stale', 'recorded as stale by the apply');
      assert.equal(await code(timed.apply(company.id, stale.id, { confirmedBy: 'admin' })), 'PLAN_STALE', 'and refused as stale again');

      const cancelled = await timed.createUndoPlan(company.id, 'admin');
      assert.equal((await timed.cancelPlan(company.id, cancelled.id, 'admin')).status, 'cancelled');
      assert.equal(await code(timed.apply(company.id, cancelled.id, { confirmedBy: 'admin' })), 'PLAN_CANCELLED');
      assert.ok((await store.listUsers(company.id)).some((u) => u.loginName === 'u6@contoso.com'), 'nothing was undone');
    });

    it('defect 7: six concurrent applies of one undo plan all answer 200 with the first run', async () => {
      await importOnce([du(1), du(2), du(3), du(7)]);
      const undo = await sync.createUndoPlan(company.id, 'admin');
      assert.deepEqual(undo.errors, []);
      const results = await Promise.all(Array.from({ length: 6 }, () => sync.apply(company.id, undo.id, { confirmedBy: 'admin' })));
      assert.equal(new Set(results.map((r) => r.run.id)).size, 1);
      assert.equal(results.filter((r) => !r.alreadyApplied).length, 1, 'undone once');
      assert.ok(!(await store.listUsers(company.id)).some((u) => u.loginName === 'u7@contoso.com'));
    });
  });
}
