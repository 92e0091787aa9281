/**
 * Isolation between companies, route by route (issue 7, "Must show"): a caller of company A
 * neither reads nor changes company B. Table-driven over the admin API (B's ids under A's path),
 * the tab API (A's administrator naming B's plan or SCIM token), SCIM (A's token naming B's
 * users) and the bot's card actions (A's administrator clicking Confirm / Cancel with the planId
 * of B's pending plan: Action.Execute invokes, signed like the Bot Framework's, to POST
 * /api/messages). After every row, B is exactly as it was.
 *
 * The schedule row lives with the scheduler: tests/store/scheduler.test.ts "a company reads only
 * its own tenant: a scheduled plan of company B (linked to tenant B) on a server whose Graph
 * credential belongs to tenant A reads no user, is refused with TENANT_MISMATCH, mirrors and posts
 * nothing" (on every engine), so no read of tenant A ever lands in company B.
 */
import assert from 'node:assert/strict';
import { seedDemoCompany, startDemoSso, startDemoTenant, type DemoSso, type DemoTenant } from '../../src/devtools/demo.ts';
import { DEMO_ADMIN_OBJECT_ID } from '../../src/devtools/demo-tenant.ts';
import { startGraphEmulator, type GraphEmulator } from '../../src/devtools/graph-emulator.ts';
import { createGraphDirectoryReader } from '../../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import type { Company } from '../../src/domain/types.ts';
import { ScimTokenStore } from '../../src/store/scim-tokens.ts';
import type { TestServer } from '../helpers/api.ts';
import { startTabTestServer } from '../helpers/tab.ts';
import { actionInvoke, startHarness, type Harness } from '../teams/helpers/harness.ts';
import type { SafetyStore } from '../../src/store/safety-store.ts';

const TENANT_B = 'bbbbbbbb-0000-4000-8000-00000000000b';

/** Company B's own tenant (its own Graph): one user, whom nothing of company A may ever read. */
const startCompanyBGraph = (): Promise<GraphEmulator> =>
  startGraphEmulator({
    tenant: {
      tenantId: TENANT_B,
      displayName: 'Company B',
      directoryRoles: {},
      users: [{ id: 'bbbbbbbb-1111-4000-8000-000000000001', userPrincipalName: 'new@b.example', displayName: 'New B', mail: 'new@b.example', department: 'B部' }],
    },
  });

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
    t = await startTabTestServer(tenant, sso);
    a = (await seedDemoCompany(t.ctx.store)).company;
    adminToken = await sso.signUserToken(DEMO_ADMIN_OBJECT_ID);
    scimTokenA = (await new ScimTokenStore(t.ctx.store.db).issue(a.id, 'entra-a', 'test')).token;

    // Company B: its own tenant (its own Graph), a user, a department, a pending plan, a SCIM token.
    graphB = await startCompanyBGraph();
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
    { edge: 'admin', method: 'GET', path: (x) => `${A()}/sync/plans/${x.planB}/skipped-users` },
    { edge: 'admin', method: 'POST', path: (x) => `${A()}/sync/plans/${x.planB}/apply`, body: () => ({}) },
    { edge: 'admin', method: 'POST', path: (x) => `${A()}/sync/plans/${x.planB}/cancel`, body: () => ({}) },
    { edge: 'admin', method: 'DELETE', path: (x) => `${A()}/scim-tokens/${x.scimTokenB}` },
    // Tab API: A's administrator names B's objects.
    { edge: 'tab', method: 'GET', path: (x) => `/api/tab/plans/${x.planB}` },
    { edge: 'tab', method: 'GET', path: (x) => `/api/tab/plans/${x.planB}/skipped-users` },
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

/** Company B beside the demo company A of a store: its own tenant, a user, a department, a pending plan. */
async function seedCompanyB(store: SafetyStore) {
  const b = await store.createCompany({ name: 'Company B', plan: 'premier', maxUsers: 100, entraTenantId: TENANT_B });
  await store.updateSettings(b.id, { initialPassword: 'Welcome#B-2026' });
  await store.createUser(b.id, { loginName: 'keep@b.example', password: 'Secret#B-2026', name: 'Keep B', email: 'keep@b.example', roles: ['systemAdmin'] }, 'test');
  await store.createDepartment(b.id, { code: 'B-DEPT', name: 'B dept', parentId: b.rootDepartmentId }, 'test');
  return b;
}

/** What a card action of company A may do to company B's pending plan: nothing. */
interface CardRow {
  verb: 'confirmImport' | 'cancelImport';
  /** How B's plan is known to the bot, and where the click claims to come from. */
  scenario: 'no card (B planned over the API)' | "B's card, clicked from A's conversation" | "B's card, click sent into B's conversation" | "B's card, click claiming B's tenant and B's conversation";
}

describe('isolation between companies over card actions (issue 7)', function () {
  this.timeout(60_000);
  const ALEX = { aadObjectId: DEMO_ADMIN_OBJECT_ID, name: 'Alex Wilber' };
  const B_CONVERSATION = 'a:company-b-conversation';
  let h: Harness;
  let graphB: GraphEmulator;
  let b: Company;
  let planWithoutCard = '';
  let planWithCard = '';
  /** Alex's valid Teams SSO token for tenant A, sent with every click (Universal Actions `authentication`). */
  let alexToken = '';

  const fingerprintB = async (): Promise<string> => {
    const store = h.ctx.store;
    const plans = await Promise.all([planWithoutCard, planWithCard].map(async (id) => (await store.getPlan(b.id, id)).status));
    const cards = await Promise.all([planWithoutCard, planWithCard].map((id) => h.bot.teamsStore.getPlanCard(id)));
    return JSON.stringify({
      users: await store.listUsers(b.id),
      departments: await store.listDepartments(b.id),
      plans,
      cards,
      company: await store.getCompany(b.id),
      runs: await store.listRuns(b.id, 50),
    });
  };

  before(async () => {
    h = await startHarness();
    graphB = await startCompanyBGraph();
    b = await seedCompanyB(h.ctx.store);
    const readerB = createGraphDirectoryReader({ graphBaseUrl: graphB.baseUrl, tokenProvider: staticTokenProvider('b') });
    planWithoutCard = (await h.ctx.sync.createPlan(b.id, readerB, { requestedBy: 'keep@b.example', source: 'api' })).id;
    // A second pending plan of B, shown as a plan card in B's own Teams conversation. (A newer plan
    // does not settle the older one: both stay pending.)
    planWithCard = (await h.ctx.sync.createPlan(b.id, readerB, { requestedBy: 'keep@b.example', source: 'teams' })).id;
    await h.bot.teamsStore.savePlanCard({
      planId: planWithCard,
      companyId: b.id,
      conversationId: B_CONVERSATION,
      reference: { conversation: { id: B_CONVERSATION, isGroup: false, conversationType: 'personal', tenantId: TENANT_B, name: '' } },
      locale: 'en-US',
    });
    await h.bot.teamsStore.setPlanCardActivity(planWithCard, 'b-card-activity');
    for (const id of [planWithoutCard, planWithCard]) assert.equal((await h.ctx.store.getPlan(b.id, id)).status, 'pending', 'company B has pending plans to protect');
    alexToken = await h.tokens.signUserToken(DEMO_ADMIN_OBJECT_ID);
  });
  after(async () => {
    await h?.close();
    await graphB?.close();
  });

  /** What each scenario is answered, by the check that stops it (src/teams/bot/card-flow.ts, src/sync/authorize.ts). */
  const REFUSAL: Record<CardRow['scenario'], RegExp> = {
    // No card record for the plan: the bot knows no card of it.
    'no card (B planned over the API)': /This card is no longer valid/,
    // The card record's conversation is not the click's.
    "B's card, clicked from A's conversation": /does not belong to this conversation or company; nothing was changed/,
    // authorizeAdmin finds Alex as A's administrator; the card is company B's.
    "B's card, click sent into B's conversation": /does not belong to this conversation or company; nothing was changed/,
    // authorizeAdmin for tenant B: Alex is no administrator of B.
    "B's card, click claiming B's tenant and B's conversation": /only system administrators of the safety service may confirm or cancel an import; nothing was changed/,
  };

  const rows: CardRow[] = (['confirmImport', 'cancelImport'] as const).flatMap((verb) =>
    (
      [
        'no card (B planned over the API)',
        "B's card, clicked from A's conversation",
        "B's card, click sent into B's conversation",
        "B's card, click claiming B's tenant and B's conversation",
      ] as const
    ).map((scenario) => ({ verb, scenario })),
  );

  for (const row of rows) {
    it(`card ${row.verb}, ${row.scenario}: refused, no import, B's plan still pending, nothing of B in the answer`, async () => {
      const before = await fingerprintB();
      const callsBefore = h.connector.calls.length;
      const graphBReads = graphB.requestLog.length;
      const planId = row.scenario.startsWith('no card') ? planWithoutCard : planWithCard;
      const click = actionInvoke(row.verb, { planId, confirmDeletions: 'true' }, row.scenario.startsWith('no card') ? undefined : 'b-card-activity', {
        authentication: { id: 'isolation', connectionName: '', token: alexToken },
      });
      const where =
        row.scenario === "B's card, click sent into B's conversation"
          ? { conversation: { id: B_CONVERSATION, conversationType: 'personal', tenantId: h.ctx.config.aad.tenantId } }
          : row.scenario === "B's card, click claiming B's tenant and B's conversation"
            ? { conversation: { id: B_CONVERSATION, conversationType: 'personal', tenantId: TENANT_B }, channelData: { tenant: { id: TENANT_B } } }
            : {};
      const res = await h.post(h.activity(ALEX, { ...click, ...where }));
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const answer = res.body as { statusCode: number; type: string; value: unknown };
      assert.equal(answer.statusCode, 200);
      assert.equal(answer.type, 'application/vnd.microsoft.activity.message', `a message, not a card: ${JSON.stringify(answer)}`);
      // The first line of defence answers (the second, SyncService.getPlan scoped by A's company id, would say "no longer valid" too).
      assert.match(String(answer.value), REFUSAL[row.scenario]);
      const text = JSON.stringify(answer);
      for (const secret of ['Company B', 'Keep B', 'keep@b.example', 'New B', 'new@b.example', 'B部', b.id]) {
        assert.ok(!text.includes(secret), `the answer reveals ${secret}: ${text}`);
      }
      await h.bot.idle();
      assert.equal(await fingerprintB(), before, 'company B is unchanged (plans pending, no run, no user)');
      assert.equal(h.connector.calls.length, callsBefore, "no message or card update was sent (B's card is untouched)");
      assert.equal(graphB.requestLog.length, graphBReads, "tenant B's directory was not read");
    });
  }
});
