/**
 * S14: SCIM and the Teams import used together. A user Entra provisioned over
 * SCIM (externalId = Entra object id) is the same person the directory import
 * then meets: linked (R17), never created twice; and the other way round.
 */
import assert from 'node:assert/strict';
import type { Company, Plan, SafetyUser } from '../../src/domain/types.ts';
import { startGraphEmulator, type GraphUser } from '../../src/devtools/graph-emulator.ts';
import { startTestServer, type TestServer } from '../helpers/api.ts';

const TENANT = '22222222-3333-4444-5555-666666666666';
const OID = '0c0c0c0c-1111-4222-8333-444444444444';

const entra = (over: Partial<GraphUser> = {}): GraphUser => ({
  id: OID,
  userPrincipalName: 'hanako.yamada@contoso.co.jp',
  displayName: '山田 花子',
  mail: 'hanako.yamada@contoso.co.jp',
  otherMails: [],
  businessPhones: ['03-1234-5678'],
  mobilePhone: null,
  department: '総務部',
  jobTitle: null,
  accountEnabled: true,
  userType: 'Member',
  identities: [],
  ...over,
});

describe('SCIM and the directory import together (S14)', function () {
  this.timeout(60_000);
  let emu: Awaited<ReturnType<typeof startGraphEmulator>>;
  let t: TestServer;
  let company: Company;
  let scimToken: string;
  const scim = (method: string, path: string, body?: unknown) =>
    t.call<Record<string, unknown>>(method, `/scim/v2${path}`, body, { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' });

  before(async () => {
    emu = await startGraphEmulator({ tenant: { tenantId: TENANT, displayName: 'S14', users: [entra()], directoryRoles: {} } });
    t = await startTestServer(emu.baseUrl);
    company = (await t.call<Company>('POST', '/api/v1/companies', { name: 'S14 Co', plan: 'premier', maxUsers: 10, entraTenantId: TENANT })).body;
    await t.call('PATCH', `/api/v1/companies/${company.id}/settings`, { initialPassword: 'Welcome#2026' });
    scimToken = (await t.call<{ token: string }>('POST', `/api/v1/companies/${company.id}/scim-tokens`, { label: 'Entra' })).body.token;
  });
  after(async () => {
    await t?.close();
    await emu?.close();
  });

  it('a user provisioned over SCIM is linked by the import, not duplicated', async () => {
    const created = await scim('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      userName: 'Hanako.Yamada@contoso.co.jp',
      externalId: OID,
      active: true,
      displayName: '山田 花子',
      emails: [{ primary: true, type: 'work', value: 'hanako.yamada@contoso.co.jp' }],
      phoneNumbers: [{ type: 'work', value: '03-1234-5678' }],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: '総務部' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const plan = (await t.call<Plan>('POST', `/api/v1/companies/${company.id}/sync/plans`, {})).body;
    assert.deepEqual(plan.errors, []);
    assert.equal(plan.summary.usersToCreate, 0, 'not created a second time');
    assert.equal(plan.summary.usersUnchanged, 1, 'SCIM already wrote what the import would');
    assert.equal(plan.summary.departmentsToCreate, 0, 'the department SCIM created (R8–R11) is reused');
    const users = (await t.call<SafetyUser[]>('GET', `/api/v1/companies/${company.id}/users`)).body;
    assert.equal(users.length, 1);
    assert.equal(users[0]!.entraObjectId, OID);
  });

  it('a change the import then makes is seen by SCIM on the same user', async () => {
    emu.updateUser(OID, { displayName: '山田 花子 (総務)' });
    const plan = (await t.call<Plan>('POST', `/api/v1/companies/${company.id}/sync/plans`, {})).body;
    assert.equal(plan.changes.updateUsers.length, 1);
    assert.equal(plan.changes.updateUsers[0]!.linkedBy, 'R17');
    assert.equal((await t.call('POST', `/api/v1/companies/${company.id}/sync/plans/${plan.id}/apply`, {})).status, 200);
    const found = await scim('GET', `/Users?filter=${encodeURIComponent(`externalId eq "${OID}"`)}`);
    assert.equal(found.status, 200);
    const resources = found.body['Resources'] as { displayName: string; userName: string }[];
    assert.equal(resources.length, 1);
    assert.equal(resources[0]!.displayName, '山田 花子 (総務)');
    const history = (await t.call<{ origin: string }[]>('GET', `/api/v1/companies/${company.id}/history`)).body;
    assert.deepEqual([...new Set(history.map((h) => h.origin))].sort(), ['import', 'scim'], 'one history for both (S13)');
  });
});
