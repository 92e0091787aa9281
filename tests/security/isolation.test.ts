/**
 * Isolation between companies, route by route (issue 7, "Must show"): a caller of company A
 * neither reads nor changes company B. Table-driven over the admin API (B's ids under A's path),
 * the tab API (A's administrator naming B's plan or SCIM token) and SCIM (A's token naming B's
 * users). After every row, B is exactly as it was.
 */
import assert from 'node:assert/strict';
import { seedDemoCompany, startDemoSso, startDemoTenant, type DemoSso, type DemoTenant } from '../../src/devtools/demo.ts';
import { DEMO_ADMIN_OBJECT_ID } from '../../src/devtools/demo-tenant.ts';
import { startGraphEmulator, type GraphEmulator } from '../../src/devtools/graph-emulator.ts';
import { createGraphDirectoryReader } from '../../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import type { Company } from '../../src/domain/types.ts';
import { ScimTokenStore } from '../../src/store/scim-tokens.ts';
import { registerTabRoutes } from '../../src/teams/tab/tab-routes.ts';
import { startTestServer, type TestServer } from '../helpers/api.ts';

const TENANT_B = 'bbbbbbbb-0000-4000-8000-00000000000b';

interface Row {
  /** Who calls and through which edge. */
  edge: 'admin' | 'tab' | 'scim';
  method: string;
  path: (b: BIds) => string;
  body?: (b: BIds) => unknown;
}

interface BIds {
  companyB: string;
  userB: string;
  deptB: string;
  planB: string;
  scimTokenB: string;
}

describe('isolation between companies over every route (issue 7)', function () {
  let tenant: DemoTenant;
  let graphB: GraphEmulator;
  let sso: DemoSso;
  let t: TestServer;
  let a: Company;
  let b: Company;
  let ids: BIds;
  let adminToken: string;
  let scimTokenA: string;

  /** Everything of company B that a row could read or change. */
  const fingerprintB = async (): Promise<string> => {
    const store = t.ctx.store;
    const users = await store.listUsers(b.id);
    const departments = await store.listDepartments(b.id);
    const plan = await store.getPlan(b.id, ids.planB);
    const tokens = await new ScimTokenStore(store.db).list(b.id);
    const company = await store.getCompany(b.id);
    return JSON.stringify({ users, departments, status: plan.status, tokens, company, runs: await store.listRuns(b.id, 50) });
  };

  before(async () => {
    tenant = await startDemoTenant();
    sso = await startDemoSso();
    t = await startTestServer(tenant.graphBaseUrl, (ctx) => [
      (server) =>
        registerTabRoutes(server, {
          store: ctx.store,
          sync: ctx.sync,
          log: ctx.log,
          graphBaseUrl: tenant.graphBaseUrl,
          sso: async () => ({ settings: sso.settings, silentToken: (oid) => sso.signUserToken(oid) }),
          demoAdminObjectId: DEMO_ADMIN_OBJECT_ID,
        }),
    ]);
    a = (await seedDemoCompany(t.ctx.store)).company;
    adminToken = await sso.signUserToken(DEMO_ADMIN_OBJECT_ID);
    scimTokenA = (await new ScimTokenStore(t.ctx.store.db).issue(a.id, 'entra-a', 'test')).token;

    // Company B: its own tenant (its own Graph), a user, a department, a pending plan, a SCIM token.
    graphB = await startGraphEmulator({
      tenant: {
        tenantId: TENANT_B,
        displayName: 'Company B',
        directoryRoles: {},
        users: [{ id: 'bbbbbbbb-1111-4000-8000-000000000001', userPrincipalName: 'new@b.example', displayName: 'New B', mail: 'new@b.example', department: 'B部' }],
      },
    });
    b = await t.ctx.store.createCompany({ name: 'Company B', plan: 'premier', maxUsers: 100, entraTenantId: TENANT_B });
    await t.ctx.store.updateSettings(b.id, { initialPassword: 'Welcome#B-2026' });
    const userB = await t.ctx.store.createUser(b.id, { loginName: 'keep@b.example', password: 'Secret#B-2026', name: 'Keep B', email: 'keep@b.example', roles: ['systemAdmin'] }, 'test');
    const deptB = await t.ctx.store.createDepartment(b.id, { code: 'B-DEPT', name: 'B dept', parentId: b.rootDepartmentId }, 'test');
    const readerB = createGraphDirectoryReader({ graphBaseUrl: graphB.baseUrl, tokenProvider: staticTokenProvider('b') });
    const planB = await t.ctx.sync.createPlan(b.id, readerB, { requestedBy: 'keep@b.example', source: 'api' });
    const scimTokenB = (await new ScimTokenStore(t.ctx.store.db).issue(b.id, 'entra-b', 'test')).info.id;
    ids = { companyB: b.id, userB: userB.id, deptB: deptB.id, planB: planB.id, scimTokenB };
    assert.equal(planB.status, 'pending', 'company B has a pending plan to protect');
  });
  after(async () => {
    await t?.close();
    await sso?.close();
    await graphB?.close();
    await tenant?.close();
  });

  const A = () => `/api/v1/companies/${a?.id ?? ':cidA'}`;
  const rows: Row[] = [
    // Admin API: B's ids under A's path.
    { edge: 'admin', method: 'GET', path: (x) => `${A()}/users/${x.userB}` },
    { edge: 'admin', method: 'PATCH', path: (x) => `${A()}/users/${x.userB}`, body: () => ({ name: 'Taken over' }) },
    { edge: 'admin', method: 'DELETE', path: (x) => `${A()}/users/${x.userB}` },
    { edge: 'admin', method: 'POST', path: () => `${A()}/users`, body: (x) => ({ loginName: 'x@a.example', password: 'Secret#2026', name: 'X', departmentIds: [x.deptB] }) },
    { edge: 'admin', method: 'POST', path: () => `${A()}/departments`, body: (x) => ({ code: 'UNDER-B', name: 'Under B', parentId: x.deptB }) },
    { edge: 'admin', method: 'GET', path: (x) => `${A()}/sync/plans/${x.planB}` },
    { edge: 'admin', method: 'POST', path: (x) => `${A()}/sync/plans/${x.planB}/apply`, body: () => ({}) },
    { edge: 'admin', method: 'POST', path: (x) => `${A()}/sync/plans/${x.planB}/cancel`, body: () => ({}) },
    { edge: 'admin', method: 'DELETE', path: (x) => `${A()}/scim-tokens/${x.scimTokenB}` },
    // Tab API: A's administrator names B's objects.
    { edge: 'tab', method: 'GET', path: (x) => `/api/tab/plans/${x.planB}` },
    { edge: 'tab', method: 'POST', path: (x) => `/api/tab/plans/${x.planB}/apply`, body: () => ({}) },
    { edge: 'tab', method: 'POST', path: (x) => `/api/tab/plans/${x.planB}/cancel`, body: () => ({}) },
    { edge: 'tab', method: 'DELETE', path: (x) => `/api/tab/scim-tokens/${x.scimTokenB}` },
    // SCIM: A's token names B's user.
    { edge: 'scim', method: 'GET', path: (x) => `/scim/v2/Users/${x.userB}` },
    { edge: 'scim', method: 'PUT', path: (x) => `/scim/v2/Users/${x.userB}`, body: () => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'keep@b.example', displayName: 'Taken', active: true }) },
    {
      edge: 'scim',
      method: 'PATCH',
      path: (x) => `/scim/v2/Users/${x.userB}`,
      body: () => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] }),
    },
    { edge: 'scim', method: 'DELETE', path: (x) => `/scim/v2/Users/${x.userB}` },
  ];

  for (const row of rows) {
    it(`${row.edge} ${row.method} ${row.path({ companyB: ':cidB', userB: ':uidB', deptB: ':didB', planB: ':pidB', scimTokenB: ':tokenB' })}: not found for company A, company B unchanged`, async () => {
      const before = await fingerprintB();
      const auth: Record<string, string> = row.edge === 'admin' ? {} : { authorization: `Bearer ${row.edge === 'tab' ? adminToken : scimTokenA}` };
      const res = await t.call<{ error?: { code?: string }; status?: string }>(row.method, row.path(ids), row.body?.(ids), auth);
      assert.ok(res.status === 404 || (row.edge === 'admin' && row.method === 'POST' && res.status === 400), `answered ${res.status}: ${JSON.stringify(res.body)}`);
      assert.equal(await fingerprintB(), before, 'company B is unchanged');
    });
  }

  it('SCIM filters and lists of company A never return a user of company B', async () => {
    const auth = { authorization: `Bearer ${scimTokenA}` };
    const byName = await t.call<{ totalResults: number }>('GET', `/scim/v2/Users?filter=${encodeURIComponent('userName eq "keep@b.example"')}`, undefined, auth);
    assert.equal(byName.status, 200);
    assert.equal(byName.body.totalResults, 0);
    const all = await t.call<{ Resources: Array<{ id: string }> }>('GET', '/scim/v2/Users?count=1000', undefined, auth);
    assert.ok(!all.body.Resources.some((r) => r.id === ids.userB));
  });

  it("the tab of company A lists only A's runs, history and tokens", async () => {
    const auth = { authorization: `Bearer ${adminToken}` };
    const tokens = await t.call<Array<{ id: string }>>('GET', '/api/tab/scim-tokens', undefined, auth);
    assert.equal(tokens.status, 200);
    assert.ok(!JSON.stringify(tokens.body).includes(ids.scimTokenB));
    const history = await t.call('GET', '/api/tab/history', undefined, auth);
    assert.equal(history.status, 200);
    assert.ok(!JSON.stringify(history.body).includes(ids.planB));
    assert.ok(!JSON.stringify(history.body).includes('keep@b.example'));
  });
});
