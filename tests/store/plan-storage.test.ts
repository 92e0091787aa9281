/**
 * Issue 9 item 5 on every engine: a plan's stored body is bounded (the first skipped users only,
 * every one counted in the summary) and the full skipped-user list is read on demand.
 */
import assert from 'node:assert/strict';
import type { DirectorySnapshot, DirectoryUser } from '../../src/domain/types.ts';
import type { DirectoryReader } from '../../src/directory/graph-reader.ts';
import { SKIPPED_USERS_INLINE, type SafetyStore } from '../../src/store/safety-store.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
import { engines } from '../helpers/databases.ts';

const guest = (n: number): DirectoryUser => ({
  id: `oid-guest-${n}`,
  userPrincipalName: `guest${n}#EXT#@contoso.com`,
  displayName: `Guest ${n}`,
  mail: `guest${n}@fabrikam.com`,
  businessPhones: [],
  department: null,
  accountEnabled: true,
  userType: 'Guest',
  identityIssuers: [],
});
const member = (n: number): DirectoryUser => ({ ...guest(n), id: `oid-m-${n}`, userPrincipalName: `m${n}@contoso.com`, mail: `m${n}@contoso.com`, userType: 'Member' });
const fixed = (users: DirectoryUser[], tenantId: string): DirectoryReader => ({ read: async (): Promise<DirectorySnapshot> => ({ tenantId, users }) });

for (const engine of engines()) {
  describe(`plan storage on ${engine.name}`, () => {
    let store: SafetyStore;
    let sync: SyncService;
    const clock = new Date('2026-11-23T09:00:00Z');
    before(async () => {
      store = await engine.open();
      sync = new SyncService(store, { clock: () => clock });
    });
    after(async () => store.close());

    it('item 5: a plan with 250 skipped users stores the first 100 in its body and lists all 250 on demand, in order', async () => {
      const company = await store.createCompany({ name: 'Skips', plan: 'enterprise', maxUsers: 1000 });
      const users = [member(1), ...Array.from({ length: 250 }, (_, i) => guest(i)), member(2)];
      const plan = await sync.createPlan(company.id, fixed(users, 'tenant-skips'), { requestedBy: 'alice', source: 'api' });
      assert.equal(plan.summary.skipped.guest, 250);
      const stored = await store.getPlan(company.id, plan.id);
      assert.equal(stored.skippedUsers.length, SKIPPED_USERS_INLINE);
      assert.deepEqual(stored.skippedUsers, plan.skippedUsers.slice(0, SKIPPED_USERS_INLINE));
      const all = await store.listSkippedUsers(company.id, plan.id);
      assert.deepEqual(all, plan.skippedUsers);
      assert.deepEqual(await store.listSkippedUsers(company.id, plan.id, { offset: 240, limit: 20 }), plan.skippedUsers.slice(240));
      const [row] = await store.db.query<{ size: number }>('select octet_length(body::text) as size from plans where id = $1', [plan.id]);
      assert.ok(row!.size < 40_000, `plan body is ${row!.size} bytes`);
    });

    it('item 5: the snapshot reads users, memberships and roles flat and equals listUsers exactly', async () => {
      const company = await store.createCompany({ name: 'Flat', plan: 'enterprise', maxUsers: 1000 });
      await store.updateSettings(company.id, { initialPassword: 'Welcome#2026' });
      const users = Array.from({ length: 30 }, (_, i) => ({ ...member(i), department: i % 4 === 0 ? null : `部署 ${i % 3}` }));
      const plan = await sync.createPlan(company.id, fixed(users, 'tenant-flat'), { requestedBy: 'alice', source: 'api' });
      await sync.apply(company.id, plan.id, { confirmedBy: 'bob' });
      const extra = await store.createDepartment(company.id, { code: 'A-manual', name: 'Manual' }, 'alice');
      const [first, second] = await store.listUsers(company.id);
      await store.updateUser(company.id, first!.id, { departmentIds: [...first!.departments.map((d) => d.id), extra.id], roles: ['manager', 'guest'] }, 'alice');
      await store.updateUser(company.id, second!.id, { roles: ['crisisManager'] }, 'alice');
      const snapshot = await store.snapshot(company.id);
      assert.deepEqual(snapshot.users, await store.listUsers(company.id));
      const changed = snapshot.users.find((u) => u.id === first!.id)!;
      assert.deepEqual(changed.roles.length, 2);
      assert.ok(changed.departments.some((d) => d.id === extra.id && d.source === 'manual'));
    });

    it('item 5: a short skipped-user list stays whole in the body and is listed from it', async () => {
      const company = await store.createCompany({ name: 'Few skips', plan: 'enterprise', maxUsers: 1000 });
      const plan = await sync.createPlan(company.id, fixed([member(1), guest(1), guest(2)], 'tenant-few'), { requestedBy: 'alice', source: 'api' });
      assert.equal((await store.getPlan(company.id, plan.id)).skippedUsers.length, 2);
      assert.deepEqual(await store.listSkippedUsers(company.id, plan.id), plan.skippedUsers);
    });
  });
}
