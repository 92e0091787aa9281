/**
 * Issue 9 item 5: a plan stores a bounded body (the first skipped users, every count); the full
 * skipped-user list is fetched on demand, by page, over the admin API.
 */
import assert from 'node:assert/strict';
import { startGraphEmulator, type GraphEmulator } from '../../src/devtools/graph-emulator.ts';
import { SKIPPED_USERS_INLINE } from '../../src/store/safety-store.ts';
import { startTestServer, type TestServer } from '../helpers/api.ts';

const TENANT = 'cccccccc-0000-4000-8000-00000000000c';
const GUESTS = SKIPPED_USERS_INLINE + 50;
const oid = (n: number) => `cccccccc-1111-4000-8000-${String(n).padStart(12, '0')}`;

describe('the full skipped-user list of a plan, by page (issue 9 item 5)', () => {
  let graph: GraphEmulator;
  let t: TestServer;
  let cid: string;
  let pid: string;

  before(async () => {
    graph = await startGraphEmulator({
      tenant: {
        tenantId: TENANT,
        displayName: 'Guests Inc',
        directoryRoles: {},
        users: [
          { id: oid(0), userPrincipalName: 'member@guests.example', displayName: 'Member', mail: 'member@guests.example' },
          ...Array.from({ length: GUESTS }, (_, i) => ({
            id: oid(i + 1),
            userPrincipalName: `guest${String(i).padStart(3, '0')}_ext#EXT#@guests.example`,
            displayName: `Guest ${i}`,
            userType: 'Guest' as const,
          })),
        ],
      },
    });
    t = await startTestServer(graph.baseUrl);
    cid = (await t.call<{ id: string }>('POST', '/api/v1/companies', { name: 'Guests Inc', plan: 'premier', maxUsers: 100 })).body.id;
    await t.call('PATCH', `/api/v1/companies/${cid}/settings`, { initialPassword: 'Welcome#2026' });
    const plan = await t.call<{ id: string; summary: { skipped: { guest: number } }; skippedUsers: unknown[] }>('POST', `/api/v1/companies/${cid}/sync/plans`, {});
    assert.equal(plan.status, 201);
    pid = plan.body.id;
    assert.equal(plan.body.summary.skipped.guest, GUESTS, 'every guest is counted');
  });
  after(async () => {
    await t?.close();
    await graph?.close();
  });

  it('the stored plan keeps the first skipped users; the list endpoint gives all of them, in order, by page', async () => {
    const stored = await t.call<{ skippedUsers: Array<{ entraObjectId: string }> }>('GET', `/api/v1/companies/${cid}/sync/plans/${pid}`);
    assert.equal(stored.body.skippedUsers.length, SKIPPED_USERS_INLINE);
    const all = await t.call<{ users: Array<{ entraObjectId: string }>; offset: number; limit: number }>('GET', `/api/v1/companies/${cid}/sync/plans/${pid}/skipped-users`);
    assert.equal(all.status, 200);
    assert.equal(all.body.users.length, GUESTS);
    assert.deepEqual(all.body.users.slice(0, SKIPPED_USERS_INLINE), stored.body.skippedUsers);
    const last = await t.call<{ users: unknown[]; offset: number }>('GET', `/api/v1/companies/${cid}/sync/plans/${pid}/skipped-users?offset=${GUESTS - 10}&limit=20`);
    assert.equal(last.body.offset, GUESTS - 10);
    assert.deepEqual(last.body.users, all.body.users.slice(GUESTS - 10));
  });

  it('a bad page is 400 VALIDATION_FAILED; another company or an unknown plan is 404', async () => {
    for (const q of ['limit=0', 'offset=-1', 'limit=abc', 'page=2']) {
      const r = await t.call<{ error: { code: string } }>('GET', `/api/v1/companies/${cid}/sync/plans/${pid}/skipped-users?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'VALIDATION_FAILED');
    }
    const other = (await t.call<{ id: string }>('POST', '/api/v1/companies', { name: 'Other', plan: 'premier', maxUsers: 10 })).body.id;
    assert.equal((await t.call('GET', `/api/v1/companies/${other}/sync/plans/${pid}/skipped-users`)).status, 404);
    assert.equal((await t.call('GET', `/api/v1/companies/${cid}/sync/plans/00000000-0000-4000-8000-000000000000/skipped-users`)).status, 404);
  });
});
