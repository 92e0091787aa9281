/**
 * The seed manual's examples, driven through the admin REST API alone against
 * a real server, a real store and the Graph emulator on loopback.
 */
import assert from 'node:assert/strict';
import type { Company, Department, Plan, Run, SafetyUser } from '../../src/domain/types.ts';
import { startGraphEmulator, type GraphUser } from '../../src/devtools/graph-emulator.ts';
import { startTestServer, type TestServer } from '../helpers/api.ts';

const TENANT = '11111111-2222-3333-4444-555555555555';
const OTHER_TENANT = '99999999-2222-3333-4444-555555555555';

const gu = (id: string, upn: string, name: string, extra: Partial<GraphUser> = {}): GraphUser => ({
  id,
  userPrincipalName: upn,
  displayName: name,
  mail: upn,
  otherMails: [],
  businessPhones: ['03-0000-' + id.slice(-4)],
  department: '営業部',
  mobilePhone: null,
  jobTitle: null,
  accountEnabled: true,
  userType: 'Member',
  identities: [{ signInType: 'userPrincipalName', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: upn }],
  ...extra,
});
const oid = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;

describe('REST API scenario (seed examples)', function () {
  this.timeout(60_000);
  let emu: Awaited<ReturnType<typeof startGraphEmulator>>;
  let t: TestServer;
  let company: Company;
  const P = () => `/api/v1/companies/${company.id}`;

  const plan = async () => {
    const r = await t.call<Plan>('POST', `${P()}/sync/plans`, {});
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const apply = async (p: Plan, body: unknown = {}) => t.call<Run & { error?: { code: string } }>('POST', `${P()}/sync/plans/${p.id}/apply`, body);
  const users = async () => (await t.call<SafetyUser[]>('GET', `${P()}/users`)).body;
  const user = async (login: string) => (await users()).find((u) => u.loginName.toLowerCase() === login.toLowerCase());
  const departments = async () => (await t.call<Department[]>('GET', `${P()}/departments`)).body;

  before(async () => {
    emu = await startGraphEmulator({
      tenant: {
        tenantId: TENANT,
        displayName: 'Scenario',
        directoryRoles: {},
        users: [
          gu(oid(1), 'sato@contoso.com', '佐藤 一郎'),
          gu(oid(2), 'suzuki@contoso.com', '鈴木 花子', { businessPhones: [], department: null }),
          gu(oid(3), 'takahashi@contoso.com', '高橋 健', { department: 'サポートT' }),
          gu(oid(4), 'tanaka@contoso.com', '田中 実', { department: 'サポートT' }),
          gu(oid(5), 'guest_example.com#EXT#@contoso.com', 'Guest User', { userType: 'Guest' }),
          gu(oid(6), 'ext@contoso.com', 'External Member', {
            identities: [{ signInType: 'federated', issuer: 'ExternalAzureAD', issuerAssignedId: 'x' }],
          }),
          gu(oid(7), 'disabled@contoso.com', 'Disabled New', { accountEnabled: false }),
          gu(oid(8), 'Existing.Login@contoso.com', 'Login Match', { mail: 'login.match@contoso.com' }),
          gu(oid(9), 'mailmatch@contoso.com', 'Mail Match', { mail: 'mail.match@contoso.com', otherMails: ['other@x.com'] }),
        ],
      },
      port: 0,
    });
    t = await startTestServer(emu.baseUrl);
    company = (await t.call<Company>('POST', '/api/v1/companies', { name: 'Contoso', plan: 'premier', maxUsers: 50, entraTenantId: TENANT })).body;
    assert.equal((await t.call('PATCH', `${P()}/settings`, { initialPassword: 'Welcome#2026' })).status, 200);
    const hq = (await t.call<Department>('POST', `${P()}/departments`, { code: '安全対策本部', name: '安全対策本部' })).body;
    await t.call('POST', `${P()}/users`, { loginName: 'only.service@contoso.com', password: 'Passw0rd!', name: 'Service Only', email: 'svc@contoso.com', departmentIds: [hq.id] });
    await t.call('POST', `${P()}/users`, { loginName: 'existing.login@contoso.com', password: 'Passw0rd!', name: 'Old Name', yomi: 'よみ', memo: 'keep me' });
    await t.call('POST', `${P()}/users`, { loginName: 'mm', password: 'Passw0rd!', name: 'MM', email: 'Mail.Match@contoso.com', departmentIds: [hq.id] });
  });
  after(async () => {
    await t?.close();
    await emu?.close();
  });

  it('first import: Entra departments at level 2 under MicrosoftEntraID読み込み部署, skipped users counted, links by R18/R19', async () => {
    const p = await plan();
    assert.deepEqual(p.errors, []);
    assert.equal(p.status, 'pending');
    assert.deepEqual(p.summary.skipped, { guest: 1, external: 1, disabledNew: 1, noUserPrincipalName: 0 });
    assert.equal(p.summary.usersToCreate, 4);
    assert.equal(p.summary.usersToUpdate, 2);
    assert.equal(p.summary.usersToDelete, 0);
    assert.deepEqual(p.changes.createDepartments.map((d) => [d.code, d.level]), [['MicrosoftEntraID読み込み部署', 1], ['サポートT', 2], ['営業部', 2]]);
    const r = await apply(p);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'succeeded');
    assert.deepEqual(r.body.counts, { created: 4, updated: 2, deleted: 0, departmentsCreated: 3 });

    const deps = await departments();
    const container = deps.find((d) => d.code === 'MicrosoftEntraID読み込み部署')!;
    assert.equal(container.level, 1);
    assert.equal(container.parentId, company.rootDepartmentId);
    const sales = deps.find((d) => d.code === '営業部')!;
    assert.deepEqual([sales.name, sales.level, sales.parentId, sales.source], ['営業部', 2, container.id, 'entra']);

    const sato = (await user('sato@contoso.com'))!;
    assert.deepEqual([sato.name, sato.email, sato.phone, sato.yomi, sato.memo], ['佐藤 一郎', 'sato@contoso.com', '03-0000-0001', '', '']);
    assert.deepEqual(sato.departments.map((d) => d.code), ['営業部']);
    assert.equal((await user('suzuki@contoso.com'))!.departments.length, 0, 'R23: blank department -> no department');
    assert.equal(await user('guest_example.com#EXT#@contoso.com'), undefined, 'R13');
    assert.equal(await user('ext@contoso.com'), undefined, 'R14');
    assert.equal(await user('disabled@contoso.com'), undefined, 'R15');

    const linked = (await user('existing.login@contoso.com'))!;
    assert.equal(linked.entraObjectId, oid(8), 'R18 links by login name');
    assert.deepEqual([linked.name, linked.yomi, linked.memo, linked.loginName], ['Login Match', 'よみ', 'keep me', 'existing.login@contoso.com']);
    const mm = (await user('mm'))!;
    assert.equal(mm.entraObjectId, oid(9), 'R19 links by email');
    assert.equal(mm.email, 'mail.match@contoso.com', 'mail, never otherMails');
    assert.deepEqual(mm.departments.map((d) => [d.code, d.source]).sort(), [['営業部', 'entra'], ['安全対策本部', 'manual']]);
    assert.equal((await user('only.service@contoso.com'))!.name, 'Service Only', 'R16');
  });

  it('applying the same plan twice applies nothing more and answers the first run', async () => {
    await emu.updateUser(oid(1), { displayName: '佐藤 一郎 (営業)' });
    const p = await plan();
    const first = await apply(p);
    const again = await apply(p);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    const runs = (await t.call<Run[]>('GET', `${P()}/sync/runs`)).body;
    assert.equal(runs.filter((r) => r.planId === p.id).length, 1);
  });

  it('R11/R25/R15/R26: rename keeps the old department, blanks change nothing, disabled linked users update, removed users are deleted', async () => {
    await emu.updateUser(oid(3), { department: 'サポートチーム' });
    await emu.updateUser(oid(1), { businessPhones: [], department: null, mail: null });
    await emu.updateUser(oid(8), { accountEnabled: false, displayName: 'Login Match (leaving)' });
    await emu.removeUser(oid(2));
    const p = await plan();
    assert.deepEqual(p.errors, []);
    assert.deepEqual(p.changes.createDepartments.map((d) => d.code), ['サポートチーム']);
    assert.deepEqual(p.changes.deleteUsers.map((d) => d.loginName), ['suzuki@contoso.com']);
    assert.ok(p.warnings.some((w) => w.code === 'EMAIL_KEPT'));
    assert.equal((await apply(p)).status, 200);
    const codes = (await departments()).map((d) => d.code);
    assert.ok(codes.includes('サポートT') && codes.includes('サポートチーム'), 'the renamed department is new, the old one stays');
    const sato = (await user('sato@contoso.com'))!;
    assert.deepEqual([sato.phone, sato.email, sato.departments.map((d) => d.code)], ['03-0000-0001', 'sato@contoso.com', ['営業部']]);
    assert.equal((await user('existing.login@contoso.com'))!.name, 'Login Match (leaving)');
    assert.equal(await user('suzuki@contoso.com'), undefined);
    assert.deepEqual((await user('takahashi@contoso.com'))!.departments.map((d) => d.code), ['サポートチーム']);
  });

  it('R27: removing a scheduled-send responsible yields UNDELETABLE_USER and apply changes nothing', async () => {
    const tanaka = (await user('tanaka@contoso.com'))!;
    assert.equal((await t.call('PATCH', `${P()}/users/${tanaka.id}`, { roles: ['scheduledSendResponsible'] })).status, 200);
    await emu.removeUser(oid(4));
    await emu.updateUser(oid(1), { displayName: 'Changed again' });
    const before = await users();
    const p = await plan();
    const err = p.errors.find((e) => e.code === 'UNDELETABLE_USER');
    assert.ok(err, JSON.stringify(p.errors));
    assert.match(err.message, /tanaka@contoso.com/);
    const r = await apply(p);
    assert.equal(r.status, 422);
    assert.equal((r.body as unknown as { error: { code: string } }).error.code, 'PLAN_HAS_ERRORS');
    assert.deepEqual(await users(), before);
    await t.call('PATCH', `${P()}/users/${tanaka.id}`, { roles: [] });
  });

  it('R28: two users with one email yield DUPLICATE_EMAIL naming both sides', async () => {
    // sato is linked by object id (R17); his Entra mail now equals a service-only user's address.
    await emu.updateUser(oid(1), { mail: 'SVC@contoso.com' });
    const p = await plan();
    const dup = p.errors.find((e) => e.code === 'DUPLICATE_EMAIL');
    assert.ok(dup, JSON.stringify(p.errors));
    assert.equal(String(dup.email).toLowerCase(), 'svc@contoso.com');
    assert.equal((dup.users as unknown[]).length, 2);
    assert.match(dup.message, /service|Entra/);
    assert.equal((await apply(p)).status, 422);
    await emu.updateUser(oid(1), { mail: null });
  });

  it('B3: a plan is refused as stale when the company data changed after planning', async () => {
    await emu.updateUser(oid(1), { displayName: 'Stale test' });
    const p = await plan();
    const svc = (await user('only.service@contoso.com'))!;
    await t.call('PATCH', `${P()}/users/${svc.id}`, { memo: 'edited meanwhile' });
    const r = await apply(p);
    assert.equal(r.status, 409);
    assert.equal((r.body as unknown as { error: { code: string } }).error.code, 'PLAN_STALE');
    assert.equal((await t.call<Plan>('GET', `${P()}/sync/plans/${p.id}`)).body.status, 'stale');
  });

  it('B2: deletions above the threshold need confirmDeletions', async () => {
    await t.call('PATCH', `${P()}/settings`, { deletionThreshold: 0 });
    const p = await plan();
    assert.ok(p.requiresDeletionConfirmation);
    const refused = await apply(p);
    assert.equal(refused.status, 409);
    assert.equal((refused.body as unknown as { error: { code: string } }).error.code, 'DELETIONS_NOT_CONFIRMED');
    const ok = await apply(p, { confirmDeletions: true });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(await user('tanaka@contoso.com'), undefined);
  });

  it('R1, R3, R29: lite plan, another tenant and a small user limit are blocking errors', async () => {
    await t.call('PATCH', `/api/v1/companies/${company.id}`, { plan: 'lite', maxUsers: 2 });
    const p = await plan();
    const codes = p.errors.map((e) => e.code).sort();
    assert.deepEqual(codes, ['PLAN_NOT_ELIGIBLE', 'USER_LIMIT_EXCEEDED']);
    const other = (await t.call<Company>('POST', '/api/v1/companies', { name: 'Other', plan: 'enterprise', maxUsers: 10, entraTenantId: OTHER_TENANT })).body;
    // R3: the credential's tenant is proved before any user is read; the plan is refused, nothing is kept.
    const p2 = await t.call<{ error: { code: string; message: string } }>('POST', `/api/v1/companies/${other.id}/sync/plans`, {});
    assert.equal(p2.status, 409);
    assert.equal(p2.body.error.code, 'TENANT_MISMATCH');
    assert.ok(p2.body.error.message.length > 0);
    assert.deepEqual((await t.call<Plan[]>('GET', `/api/v1/companies/${other.id}/sync/plans`)).body, []);
    await t.call('PATCH', `/api/v1/companies/${company.id}`, { plan: 'premier', maxUsers: 50 });
  });

  it('the edge: API key required, bodies validated, errors as {error: {code, message}}', async () => {
    const noKey = await t.call('GET', '/api/v1/companies', undefined, { authorization: '' });
    assert.equal(noKey.status, 401);
    assert.deepEqual(Object.keys((noKey.body as { error: object }).error).sort(), ['code', 'message']);
    const wrongKey = await t.call('GET', '/api/v1/companies', undefined, { authorization: 'Bearer nope' });
    assert.equal(wrongKey.status, 401);
    const bad = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/companies', { name: 'x', plan: 'gold', maxUsers: 1 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    assert.match(bad.body.error.message, /plan/);
    const malformed = await t.call<{ error: { code: string } }>('POST', '/api/v1/companies', '{"name":');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'BAD_REQUEST');
    const unknown = await t.call<{ error: { code: string } }>('GET', `${P()}/users/00000000-0000-4000-8000-000000000000`);
    assert.equal(unknown.status, 404);
    const blankPassword = await t.call<{ error: { code: string; message: string } }>('POST', `${P()}/users`, { loginName: 'blank', password: '   ', name: 'Blank' });
    assert.equal(blankPassword.status, 400);
    assert.match(blankPassword.body.error.message, /password/);
    const extra = await t.call<{ error: { code: string } }>('PATCH', `${P()}/users/${(await users())[0]!.id}`, { password_hash: 'x' });
    assert.equal(extra.status, 400);
    const dupTenant = await t.call<{ error: { code: string } }>('POST', '/api/v1/companies', { name: 'Dup', plan: 'premier', maxUsers: 5, entraTenantId: TENANT });
    assert.equal(dupTenant.status, 409);
    assert.equal(dupTenant.body.error.code, 'TENANT_ALREADY_LINKED');
    const csv = await fetch(`${t.running.url}${P()}/history.csv`, { headers: { authorization: 'Bearer test-api-key-0123456789' } });
    const text = await csv.text();
    assert.match(text, /at,origin,runId,actor,entity,action,subject,field,before,after/);
    assert.match(text, /import/);
  });
});
