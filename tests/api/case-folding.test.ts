/**
 * Issue 7 defect 8 over REST, on every engine: the plan and the database fold login names and
 * email addresses the same way (foldKey), so a collision is a DUPLICATE_EMAIL in the plan (B1),
 * never a 409 from the apply; SCIM userName uniqueness uses the same key.
 */
import assert from 'node:assert/strict';
import type { Company, Plan, Run } from '../../src/domain/types.ts';
import { startGraphEmulator, type GraphUserInput } from '../../src/devtools/graph-emulator.ts';
import { postgresSchemaUrl } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/api.ts';

const TENANT = '91919191-2222-4333-8444-555555555555';
const user = (n: number, mail: string): GraphUserInput => ({
  id: `00000000-0000-4000-a000-${String(n).padStart(12, '0')}`,
  userPrincipalName: `admin${n}@fold.example`,
  displayName: `User ${n}`,
  mail,
  accountEnabled: true,
  userType: 'Member',
});

const engines = [{ name: 'PGlite', url: async () => undefined as string | undefined }];
if (process.env.TEST_DATABASE_URL) engines.push({ name: 'PostgreSQL', url: () => postgresSchemaUrl(process.env.TEST_DATABASE_URL!) });

for (const engine of engines) {
  describe(`one case folding for the plan and the database (${engine.name})`, function () {
    let emu: Awaited<ReturnType<typeof startGraphEmulator>>;
    let t: TestServer;
    let company: Company;
    const P = () => `/api/v1/companies/${company.id}`;

    before(async () => {
      emu = await startGraphEmulator({
        tenant: { tenantId: TENANT, displayName: 'Fold', directoryRoles: {}, users: [user(1, 'info@fold.example'), user(2, 'support@fold.example')] },
      });
      t = await startTestServer(emu.baseUrl, () => [], { databaseUrl: await engine.url() });
      company = (await t.call<Company>('POST', '/api/v1/companies', { name: 'Fold Co', plan: 'premier', maxUsers: 100, entraTenantId: TENANT })).body;
      await t.call('PATCH', `${P()}/settings`, { initialPassword: 'Welcome#2026' });
      const first = await t.call<Plan>('POST', `${P()}/sync/plans`, {});
      assert.deepEqual(first.body.errors, []);
      assert.equal((await t.call('POST', `${P()}/sync/plans/${first.body.id}/apply`, {})).status, 200);
    });
    after(async () => {
      await t?.close();
      await emu?.close();
    });

    for (const [label, mail] of [
      ['İnfo@… (capital I with dot above)', '\u0130nfo@fold.example'],
      ['ｉｎｆｏ@… (full-width letters)', 'ｉｎｆｏ@fold.example'],
    ] as const) {
      it(`defect 8: an Entra mail ${label} against the service's info@… is DUPLICATE_EMAIL in the plan, never a 409 from the apply`, async () => {
        emu.updateUser(user(2, '').id, { mail });
        const plan = await t.call<Plan>('POST', `${P()}/sync/plans`, {});
        assert.equal(plan.status, 201, JSON.stringify(plan.body));
        assert.deepEqual(plan.body.errors.map((e) => e.code), ['DUPLICATE_EMAIL']);
        const applied = await t.call<{ error?: { code: string } }>('POST', `${P()}/sync/plans/${plan.body.id}/apply`, {});
        assert.equal(applied.status, 422);
        assert.equal(applied.body.error?.code, 'PLAN_HAS_ERRORS');
      });
    }

    it('defect 8: a mail that folds to a free key imports, and the next plan sees nothing to change', async () => {
      emu.updateUser(user(2, '').id, { mail: 'ＳＵＰＰＯＲＴ２@fold.example' });
      const plan = await t.call<Plan>('POST', `${P()}/sync/plans`, {});
      assert.deepEqual(plan.body.errors, []);
      const applied = await t.call<Run>('POST', `${P()}/sync/plans/${plan.body.id}/apply`, {});
      assert.equal(applied.status, 200, JSON.stringify(applied.body));
      const again = await t.call<Plan>('POST', `${P()}/sync/plans`, {});
      assert.equal(again.body.summary.usersToUpdate, 0);
    });

    it('defect 8: SCIM userName uniqueness uses the same key (full-width and dotted-I spellings of a provisioned userName are 409)', async () => {
      const token = (await t.call<{ token: string }>('POST', `${P()}/scim-tokens`, { label: 'Entra' })).body.token;
      const scim = (method: string, path: string, body?: unknown) =>
        t.call<Record<string, unknown>>(method, `/scim/v2${path}`, body, { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' });
      for (const userName of ['ＡＤＭＩＮ1@fold.example', 'ADM\u0130N1@fold.example']) {
        const created = await scim('POST', '/Users', {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          userName,
          displayName: 'Someone else',
        });
        assert.equal(created.status, 409, `${userName}: ${JSON.stringify(created.body)}`);
        assert.equal(created.body['scimType'], 'uniqueness');
      }
      const found = await scim('GET', `/Users?filter=${encodeURIComponent('userName eq "ＡＤＭＩＮ1@FOLD.EXAMPLE"')}`);
      assert.equal(found.status, 200);
      assert.equal(found.body['totalResults'], 1);
    });
  });
}
