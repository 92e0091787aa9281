/**
 * Input at the edges (issue 7 defects 2 and 9), through the admin REST API
 * against a real server, a real store and the Graph emulator on loopback:
 * what cannot be stored is refused with a code, what comes from Entra is
 * cleaned or cut and named in the plan, never a 500.
 */
import assert from 'node:assert/strict';
import { startGraphEmulator, type GraphUser } from '../../src/devtools/graph-emulator.ts';
import { TEXT_LIMITS } from '../../src/domain/text.ts';
import type { Company, Plan, Run, SafetyUser } from '../../src/domain/types.ts';
import { startTestServer, type TestServer } from '../helpers/api.ts';

const TENANT = '22222222-3333-4444-5555-666666666666';
const oid = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;
const gu = (n: number, extra: Partial<GraphUser> = {}): GraphUser => ({
  id: oid(n),
  userPrincipalName: `user${n}@contoso.com`,
  displayName: `User ${n}`,
  mail: `user${n}@contoso.com`,
  otherMails: [],
  businessPhones: ['03-0000-0000'],
  department: '営業部',
  mobilePhone: null,
  jobTitle: null,
  accountEnabled: true,
  userType: 'Member',
  identities: [{ signInType: 'userPrincipalName', issuer: 'contoso.onmicrosoft.com', issuerAssignedId: `user${n}@contoso.com` }],
  ...extra,
});

type ErrorBody = { error: { code: string; message: string } };

describe('input at the edges: admin API and Graph data', function () {
  this.timeout(60_000);
  let emu: Awaited<ReturnType<typeof startGraphEmulator>>;
  let t: TestServer;
  let company: Company;
  const P = () => `/api/v1/companies/${company.id}`;
  const users = async () => (await t.call<SafetyUser[]>('GET', `${P()}/users`)).body;

  before(async () => {
    emu = await startGraphEmulator({
      tenant: {
        tenantId: TENANT,
        displayName: 'Edges',
        directoryRoles: {},
        users: [
          gu(1, { displayName: 'Nul\u0000Name', department: '営業\u0000部', businessPhones: ['03\u0000-1111'] }),
          gu(2, { displayName: 'x'.repeat(1000) }),
          gu(3, { displayName: 'y'.repeat(10_000), department: 'd'.repeat(10_000), businessPhones: ['9'.repeat(500)] }),
          gu(4, { mail: `${'m'.repeat(300)}@contoso.com` }),
          gu(5, { displayName: 'Control\u0007 \u001bChars\tand tab' }),
          gu(6),
        ],
      },
      port: 0,
    });
    t = await startTestServer(emu.baseUrl);
    company = (await t.call<Company>('POST', '/api/v1/companies', { name: 'Edges', plan: 'premier', maxUsers: 50, entraTenantId: TENANT })).body;
    assert.equal((await t.call('PATCH', `${P()}/settings`, { initialPassword: 'Welcome#2026' })).status, 200);
  });
  after(async () => {
    await t?.close();
    await emu?.close();
  });

  it('defect 2: a NUL character in an admin API body, path or query string is 400 INVALID_CHARACTERS, never a 500', async () => {
    const cases: [string, string, unknown][] = [
      ['POST', '/api/v1/companies', { name: 'Nul\u0000Co', plan: 'premier', maxUsers: 5 }],
      ['PATCH', P(), { name: 'Nul\u0000Co' }],
      ['POST', `${P()}/departments`, { code: 'd\u0000', name: 'D' }],
      ['POST', `${P()}/users`, { loginName: 'nul@contoso.com', password: 'Passw0rd!', name: 'N\u0000' }],
      ['POST', `${P()}/users`, { loginName: 'nul@contoso.com', password: 'Passw0rd!', name: 'N', 'memo\u0000': 'x' }],
      ['PATCH', `${P()}/settings`, { initialPassword: 'pass\u0000word' }],
      ['GET', '/api/v1/companies/%00', undefined],
      ['GET', `${P()}/users/abc%00def`, undefined],
      ['GET', `${P()}/users?sort=%00`, undefined],
    ];
    for (const [method, path, body] of cases) {
      const r = await t.call<ErrorBody>(method, path, body);
      assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'INVALID_CHARACTERS', `${method} ${path}`);
      assert.doesNotMatch(r.body.error.message, /\u0000/);
    }
    assert.equal((await users()).length, 0, 'nothing was written');
    assert.equal((await t.call<Company>('GET', P())).body.name, 'Edges');
  });

  it('defect 9: the admin API refuses values longer than the limits of domain/text.ts with 400 and a code', async () => {
    const base = { loginName: 'long@contoso.com', password: 'Passw0rd!', name: 'Long' };
    for (const over of [
      { name: 'n'.repeat(TEXT_LIMITS.name + 1) },
      { loginName: `${'l'.repeat(TEXT_LIMITS.loginName)}@x` },
      { email: `${'e'.repeat(TEXT_LIMITS.email)}@x.jp` },
      { phone: '0'.repeat(TEXT_LIMITS.phone + 1) },
    ]) {
      const r = await t.call<ErrorBody>('POST', `${P()}/users`, { ...base, ...over });
      assert.equal(r.status, 400, JSON.stringify(over).slice(0, 80));
      assert.equal(r.body.error.code, 'VALIDATION_FAILED');
    }
    const dept = await t.call<ErrorBody>('POST', `${P()}/departments`, { code: 'c'.repeat(TEXT_LIMITS.departmentCode + 1), name: 'D' });
    assert.equal(dept.status, 400);
    const ok = await t.call<SafetyUser>('POST', `${P()}/users`, { ...base, name: 'n'.repeat(TEXT_LIMITS.name), phone: '0'.repeat(TEXT_LIMITS.phone) });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal((await t.call('DELETE', `${P()}/users/${ok.body.id}`)).status, 204);
  });

  it('defect 2 and 9: NUL characters and 1,000- and 10,000-character values from Entra are cleaned and cut, the plan names each user, the import succeeds', async () => {
    const created = await t.call<Plan>('POST', `${P()}/sync/plans`, {});
    assert.equal(created.status, 201, JSON.stringify(created.body).slice(0, 500));
    const plan = created.body;
    assert.deepEqual(plan.errors, []);
    const adjusted = plan.warnings.filter((w) => w.code === 'DIRECTORY_VALUE_ADJUSTED');
    assert.deepEqual(adjusted.map((w) => w['entraObjectId']), [oid(1), oid(2), oid(3), oid(4), oid(5)], 'one warning per user, naming them');
    const fieldsOf = (n: number) => (adjusted.find((w) => w['entraObjectId'] === oid(n))!['fields'] as { field: string; adjustments: string[] }[]).map((f) => `${f.field}:${f.adjustments.join('+')}`);
    assert.deepEqual(fieldsOf(1), ['businessPhones:controlCharactersRemoved', 'department:controlCharactersRemoved', 'displayName:controlCharactersRemoved']);
    assert.deepEqual(fieldsOf(2), ['displayName:truncated']);
    assert.deepEqual(fieldsOf(3), ['businessPhones:truncated', 'department:truncated', 'displayName:truncated']);
    assert.deepEqual(fieldsOf(4), ['mail:droppedTooLong']);
    assert.match(adjusted[0]!.message, /user1@contoso\.com/);
    assert.ok(!JSON.stringify(plan).includes('\\u0000'), 'no NUL anywhere in the plan');

    const run = await t.call<Run>('POST', `${P()}/sync/plans/${plan.id}/apply`, {});
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(run.body.status, 'succeeded');
    const byLogin = new Map((await users()).map((u) => [u.loginName, u]));
    const u1 = byLogin.get('user1@contoso.com')!;
    assert.deepEqual([u1.name, u1.phone, u1.departments.map((d) => d.code)], ['NulName', '03-1111', ['営業部']]);
    assert.equal(byLogin.get('user2@contoso.com')!.name, 'x'.repeat(TEXT_LIMITS.name), 'a 1,000-character name follows the limit');
    const u3 = byLogin.get('user3@contoso.com')!;
    assert.deepEqual([u3.name.length, u3.phone!.length, u3.departments[0]!.code.length], [TEXT_LIMITS.name, TEXT_LIMITS.phone, TEXT_LIMITS.department]);
    assert.equal(byLogin.get('user4@contoso.com')!.email, null, 'a mail too long to deliver to is left out, never cut');
    assert.equal(byLogin.get('user5@contoso.com')!.name, 'Control Chars\tand tab');
    for (const u of byLogin.values()) {
      assert.ok(u.name.length <= TEXT_LIMITS.name && (u.email ?? '').length <= TEXT_LIMITS.email && (u.phone ?? '').length <= TEXT_LIMITS.phone);
    }
  });
});
