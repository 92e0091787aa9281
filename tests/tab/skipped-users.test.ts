/**
 * The tab pages through every skipped user of a plan (issue 8/9 leftover: the plan body keeps the
 * first SKIPPED_USERS_INLINE only). GET /api/tab/plans/{pid}/skipped-users answers exactly what the
 * admin API's GET …/sync/plans/{pid}/skipped-users answers (one helper, one store function), behind
 * the tab's own check (the Teams SSO token, R1–R3).
 */
import assert from 'node:assert/strict';
import { seedDemoCompany, startDemoSso, startDemoTenant, type DemoSso, type DemoTenant } from '../../src/devtools/demo.ts';
import { DEMO_ADMIN_OBJECT_ID, DEMO_USERS } from '../../src/devtools/demo-tenant.ts';
import type { Plan, SkippedUser } from '../../src/domain/types.ts';
import { SKIPPED_USERS_INLINE } from '../../src/store/safety-store.ts';
import type { TestServer } from '../helpers/api.ts';
import { startTabTestServer } from '../helpers/tab.ts';

const GUESTS = 250;

interface Page {
  offset: number;
  limit: number;
  total: number;
  users: SkippedUser[];
}

describe('the tab API lists every skipped user of a plan, by page', function () {
  this.timeout(60_000);
  let tenant: DemoTenant;
  let sso: DemoSso;
  let t: TestServer;
  let admin: string;
  let companyId: string;
  let plan: Plan;
  const call = <T>(path: string, token = admin) => t.call<T>('GET', path, undefined, { authorization: `Bearer ${token}` });

  before(async () => {
    tenant = await startDemoTenant();
    for (let i = 0; i < GUESTS; i++) tenant.control.addGuest({ displayName: `Guest ${String(i).padStart(3, '0')}`, mail: `guest${i}@fabrikam.example` });
    sso = await startDemoSso();
    t = await startTabTestServer(tenant, sso);
    companyId = (await seedDemoCompany(t.ctx.store)).company.id;
    admin = await sso.signUserToken(DEMO_ADMIN_OBJECT_ID);
    const made = await t.call<Plan>('POST', '/api/tab/plans', {}, { authorization: `Bearer ${admin}` });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    plan = made.body;
  });
  after(async () => {
    await t?.close();
    await sso?.close();
    await tenant?.close();
  });

  it('the plan body keeps the first users; the pages give all of them, in order, with the total of the counts by reason', async () => {
    const total = Object.values(plan.summary.skipped).reduce((a, b) => a + b, 0);
    assert.ok(plan.summary.skipped.guest + plan.summary.skipped.external >= GUESTS, JSON.stringify(plan.summary.skipped));
    assert.equal(plan.skippedUsers.length, SKIPPED_USERS_INLINE);
    const seen: SkippedUser[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = await call<Page>(`/api/tab/plans/${plan.id}/skipped-users?offset=${offset}&limit=100`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.equal(page.body.total, total);
      assert.equal(page.body.offset, offset);
      seen.push(...page.body.users);
      if (page.body.users.length < 100) break;
    }
    assert.equal(seen.length, total, 'every skipped user is reachable');
    assert.equal(new Set(seen.map((u) => u.entraObjectId)).size, total, 'nobody twice');
    assert.deepEqual(seen.slice(0, SKIPPED_USERS_INLINE), plan.skippedUsers, 'the same order as the body');
    const byReason = seen.reduce<Record<string, number>>((m, u) => ({ ...m, [u.reason]: (m[u.reason] ?? 0) + 1 }), {});
    for (const [reason, n] of Object.entries(plan.summary.skipped)) assert.equal(byReason[reason] ?? 0, n, reason);
  });

  it('answers what the admin API answers for the same plan and page', async () => {
    for (const q of ['', '?offset=90&limit=20', `?offset=${GUESTS}&limit=5000`]) {
      const tab = await call<Page>(`/api/tab/plans/${plan.id}/skipped-users${q}`);
      const api = await t.call<Page>('GET', `/api/v1/companies/${companyId}/sync/plans/${plan.id}/skipped-users${q}`);
      assert.equal(tab.status, 200);
      assert.deepEqual(tab.body, api.body, q);
    }
  });

  it('a bad page is 400 VALIDATION_FAILED; no token is 401; a service user who is no administrator is 403; an unknown plan is 404', async () => {
    for (const q of ['limit=0', 'offset=-1', 'limit=abc', 'limit=5001', 'page=2']) {
      const r = await call<{ error: { code: string } }>(`/api/tab/plans/${plan.id}/skipped-users?${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, 'VALIDATION_FAILED');
    }
    assert.equal((await t.call('GET', `/api/tab/plans/${plan.id}/skipped-users`, undefined, { authorization: '' })).status, 401);
    const megan = await sso.signUserToken(DEMO_USERS.meganBowen);
    const refused = await call<{ error: { details: { reason: string } }; users?: unknown }>(`/api/tab/plans/${plan.id}/skipped-users`, megan);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.details.reason, 'NOT_SYSTEM_ADMIN');
    assert.equal(refused.body.users, undefined);
    assert.equal((await call(`/api/tab/plans/00000000-0000-4000-8000-000000000000/skipped-users`)).status, 404);
    assert.equal((await call(`/api/tab/plans/not-a-plan/skipped-users`)).status, 404);
  });

  it('an undo plan has no users not imported: 404, as GET /api/tab/plans/{pid} answers for it', async () => {
    const auth = { authorization: `Bearer ${admin}` };
    assert.equal((await t.call('POST', `/api/tab/plans/${plan.id}/apply`, {}, auth)).status, 200);
    const undo = await t.call<{ id: string }>('POST', '/api/tab/undo-plans', {}, auth);
    assert.equal(undo.status, 201, JSON.stringify(undo.body));
    assert.equal((await call(`/api/tab/plans/${undo.body.id}/skipped-users`)).status, 404);
    assert.equal((await t.call('GET', `/api/v1/companies/${companyId}/sync/plans/${undo.body.id}/skipped-users`)).status, 404);
  });
});
