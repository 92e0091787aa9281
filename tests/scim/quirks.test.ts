/**
 * Entra's quirks over HTTP (DESIGN S8), one regression test per quirk, each
 * with Entra-shaped JSON fixtures, on a tenant URL with and without
 * ?aadOptscim062020 (Entra sends the same payload shapes to both).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call, companyWithToken, ENTERPRISE, fixture, startHarness, USER, type Harness } from './harness.ts';

for (const flag of ['', '?aadOptscim062020']) {
  describe(`SCIM quirks over HTTP, tenant URL ${flag ? 'with' : 'without'} ?aadOptscim062020`, () => {
    let h: Harness;
    let token: string;
    let companyId: string;
    let n = 0;
    const users = '/scim/v2/Users';
    const url = (path = '', query = '') => {
      const q = [flag.slice(1), query].filter(Boolean).join('&');
      return `${users}${path}${q ? `?${q}` : ''}`;
    };
    const create = async (extra: Record<string, unknown> = {}) => {
      n++;
      const body = { ...fixture('create-user', { userName: `q${n}@contoso.jp`, externalId: randomUUID(), email: `q${n}@contoso.jp` }), ...extra };
      const r = await call(h, 'POST', url(), { token, body });
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    const patchFixture = async (id: string, name: string, vars: Record<string, string> = {}) => {
      const r = await call(h, 'PATCH', url(`/${id}`), { token, body: fixture(name, vars) });
      assert.equal(r.status, 200, r.text);
      return r.body;
    };

    before(async () => {
      h = await startHarness();
      const c = await companyWithToken(h, 'Quirks Co', { initialPassword: 'Initial-Pass-1' });
      token = c.token;
      companyId = c.company.id;
    });
    after(() => h.close());

    it('quirk: capitalised ops ("Replace", "Add") with filtered and URN paths', async () => {
      const u = await create();
      const body = await patchFixture(u.id, 'patch-legacy-update', { email: `moved${n}@contoso.jp` });
      assert.equal(body.displayName, '山田 太郎 (更新)');
      assert.deepEqual(body.emails.map((e: { value: string }) => e.value), [`moved${n}@contoso.jp`]);
      assert.deepEqual(body.phoneNumbers.map((e: { value: string }) => e.value), ['+81 3-9999-0000']);
      assert.deepEqual(body[ENTERPRISE], { department: '開発部', employeeNumber: 'E2002' });
    });

    it('quirk: path-less replace with dotted and URN keys', async () => {
      const u = await create();
      const body = await patchFixture(u.id, 'patch-aadopt-update', { email: `pathless${n}@contoso.jp` });
      assert.equal(body.displayName, '山田 太郎 (更新)');
      assert.deepEqual(body.emails.map((e: { value: string }) => e.value), [`pathless${n}@contoso.jp`]);
      assert.deepEqual(body[ENTERPRISE], { department: '開発部', employeeNumber: 'E2002' });
      const su = await h.store.getUser(companyId, u.id);
      assert.deepEqual(su.departments.map((d) => d.code), ['開発部']);
    });

    it('quirk: "False"/"True" strings for active', async () => {
      const u = await create();
      assert.equal((await patchFixture(u.id, 'patch-legacy-disable')).active, false);
      assert.equal((await h.store.getUser(companyId, u.id)).status, 'suspended');
      assert.equal((await patchFixture(u.id, 'patch-legacy-enable')).active, true);
      assert.equal((await patchFixture(u.id, 'patch-aadopt-disable')).active, false);
      assert.equal((await patchFixture(u.id, 'patch-aadopt-enable')).active, true);
    });

    it('quirk: "True"/"False" strings in filter comparisons', async () => {
      const u = await create();
      await patchFixture(u.id, 'patch-legacy-disable');
      const f = (filter: string) => call(h, 'GET', url('', `filter=${encodeURIComponent(filter)}`), { token });
      assert.equal((await f(`externalId eq "${u.externalId}" and active eq "False"`)).body.totalResults, 1);
      assert.equal((await f(`externalId eq "${u.externalId}" and active eq "True"`)).body.totalResults, 0);
      assert.equal((await f(`externalId eq "${u.externalId}" and roles[primary eq "True"]`)).body.totalResults, 1);
    });

    it('quirk: "True"/"False" strings, a JSON-string role and a blank department in a POST body', async () => {
      n++;
      const r = await call(h, 'POST', url(), {
        token,
        body: fixture('create-user-legacy-strings', { userName: `legacy${n}@contoso.jp`, externalId: randomUUID(), email: `legacy${n}@contoso.jp` }),
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.active, false);
      assert.deepEqual(r.body.emails, [{ value: `legacy${n}@contoso.jp`, type: 'work', primary: true }]);
      assert.deepEqual(r.body.roles.map((x: { value: string }) => x.value), ['GUEST']);
      const su = await h.store.getUser(companyId, r.body.id);
      assert.deepEqual([su.status, su.roles, su.departments], ['suspended', ['guest'], []]);
    });

    it('quirk: emails[type eq "work"].value path on a user without an email adds it', async () => {
      const u = await create({ emails: [] });
      assert.equal(u.emails, undefined);
      const r = await call(h, 'PATCH', url(`/${u.id}`), {
        token,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Add', path: 'emails[type eq "work"].value', value: `added${n}@contoso.jp` }] },
      });
      assert.deepEqual(r.body.emails, [{ value: `added${n}@contoso.jp`, type: 'work', primary: true }]);
    });

    it('quirk: phoneNumbers[type eq "work"].value path on a user without a phone adds it; mobile is not the work phone', async () => {
      const u = await create({ phoneNumbers: [{ type: 'mobile', value: '090-1' }] });
      assert.equal(u.phoneNumbers, undefined);
      const r = await call(h, 'PATCH', url(`/${u.id}`), {
        token,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'phoneNumbers[type eq "work"].value', value: '03-5555' }] },
      });
      assert.deepEqual(r.body.phoneNumbers, [{ value: '03-5555', type: 'work' }]);
    });

    it('quirk: role values as JSON strings', async () => {
      const u = await create();
      const body = await patchFixture(u.id, 'patch-legacy-role-json-string', { role: 'GUEST' });
      assert.deepEqual(body.roles.map((x: { value: string }) => x.value), ['GUEST']);
      assert.deepEqual((await h.store.getUser(companyId, u.id)).roles, ['guest']);
    });

    it('quirk: role values as objects', async () => {
      const u = await create();
      const body = await patchFixture(u.id, 'patch-role-object', { role: 'USER' });
      assert.deepEqual(body.roles.map((x: { value: string }) => x.value), ['USER']);
      assert.deepEqual((await h.store.getUser(companyId, u.id)).roles, []);
    });

    it('quirk: roles[primary eq "True"].value as a path and as a path-less key', async () => {
      const u = await create();
      assert.deepEqual((await patchFixture(u.id, 'patch-aadopt-role-primary-path', { role: 'GUEST' })).roles.map((x: { value: string }) => x.value), ['GUEST']);
      assert.deepEqual((await patchFixture(u.id, 'patch-aadopt-pathless-role', { role: 'ADMIN' })).roles.map((x: { value: string }) => x.value), ['ADMIN']);
      assert.deepEqual((await h.store.getUser(companyId, u.id)).roles, ['systemAdmin']);
    });

    it('quirk: a changed role replaces the old one, never a second primary role', async () => {
      const u = await create(); // ADMIN
      for (const role of ['GUEST', 'ADMIN', 'USER', 'GUEST']) {
        const body = await patchFixture(u.id, 'patch-legacy-role-json-string', { role });
        assert.deepEqual(body.roles.map((x: { value: string; primary: boolean }) => [x.value, x.primary]), [[role, true]]);
      }
      assert.deepEqual((await h.store.getUser(companyId, u.id)).roles, ['guest']);
    });

    it('quirk: manager as a string and as {value} is accepted (200) and ignored with a log line', async () => {
      const u = await create();
      const before = h.logLines.length;
      await patchFixture(u.id, 'patch-legacy-update', { email: `mgr${n}@contoso.jp` });
      const body = await patchFixture(u.id, 'patch-manager-object');
      assert.equal(body[ENTERPRISE].manager, undefined);
      const lines = h.logLines.slice(before).filter((l) => l['event'] === 'scim.attributes_ignored');
      assert.equal(lines.length, 2);
      assert.ok(lines.every((l) => (l['attributes'] as string[]).includes(`${ENTERPRISE}:manager`)));
    });

    it('defect 10: emails "a@b" (not a list) is 400 invalidValue, not a user created without an email', async () => {
      for (const extra of [{ emails: `notalist${n}@contoso.jp` }, { phoneNumbers: '03-1234-5678' }, { roles: 'ADMIN' }, { emails: [`x${n}@contoso.jp`] }]) {
        n++;
        const body = { ...fixture('create-user', { userName: `shape${n}@contoso.jp`, externalId: randomUUID(), email: `shape${n}@contoso.jp` }), ...extra };
        const r = await call(h, 'POST', url(), { token, body });
        assert.equal(r.status, 400, `${JSON.stringify(extra)}: ${r.text}`);
        assert.equal(r.body.scimType, 'invalidValue');
        assert.equal(r.body.schemas[0], 'urn:ietf:params:scim:api:messages:2.0:Error');
        const found = await call(h, 'GET', url('', `filter=${encodeURIComponent(`userName eq "shape${n}@contoso.jp"`)}`), { token });
        assert.equal(found.body.totalResults, 0, 'nothing was created');
      }
      const u = await create();
      const r = await call(h, 'PATCH', url(`/${u.id}`), {
        token,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'emails', value: 'other@contoso.jp' }] },
      });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.scimType, 'invalidValue');
      assert.deepEqual((await call(h, 'GET', url(`/${u.id}`), { token })).body.emails, u.emails, 'the email is unchanged');
    });

    it('defect 2: a NUL character in a SCIM body, filter or path is 400 invalidValue, never a 500', async () => {
      const u = await create();
      const replies = [
        await call(h, 'POST', url(), { token, body: { ...fixture('create-user', { userName: `nul${n}@contoso.jp`, externalId: randomUUID(), email: `nul${n}@contoso.jp` }), displayName: 'A\u0000B' } }),
        await call(h, 'PUT', url(`/${u.id}`), { token, body: { schemas: [USER], userName: u.userName, displayName: 'A\u0000B' } }),
        await call(h, 'PATCH', url(`/${u.id}`), {
          token,
          body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'displayName', value: 'A\u0000B' }] },
        }),
        await call(h, 'GET', url('', `filter=${encodeURIComponent('userName eq "a\u0000b"')}`), { token }),
        await call(h, 'GET', url('/abc%00def'), { token }),
        await call(h, 'POST', '/scim/v2/Users/.search', { token, body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'externalId eq "\u0000"' } }),
      ];
      for (const r of replies) {
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.scimType, 'invalidValue', r.text);
        assert.equal(r.body.schemas[0], 'urn:ietf:params:scim:api:messages:2.0:Error');
      }
      assert.equal((await call(h, 'GET', url(`/${u.id}`), { token })).body.displayName, u.displayName);
    });

    it('defect 9: SCIM refuses values longer than the limits of domain/text.ts (invalidValue)', async () => {
      for (const extra of [
        { displayName: 'n'.repeat(201) },
        { phoneNumbers: [{ type: 'work', value: '0'.repeat(65) }] },
        { emails: [{ type: 'work', value: `${'e'.repeat(250)}@x.jp` }] },
        { [ENTERPRISE]: { department: 'd'.repeat(201) } },
      ]) {
        n++;
        const body = { ...fixture('create-user', { userName: `long${n}@contoso.jp`, externalId: randomUUID(), email: `long${n}@contoso.jp` }), ...extra };
        const r = await call(h, 'POST', url(), { token, body });
        assert.equal(r.status, 400, r.text);
        assert.equal(r.body.scimType, 'invalidValue');
      }
      const ok = await create({ displayName: 'n'.repeat(200), phoneNumbers: [{ type: 'work', value: '0'.repeat(64) }] });
      assert.equal(ok.displayName.length, 200);
    });

    it('quirk: attribute names in another letter case in a POST body', async () => {
      n++;
      const r = await call(h, 'POST', url(), {
        token,
        body: { schemas: [USER], USERNAME: `case${n}@contoso.jp`, DisplayName: 'Case', Active: 'True', Emails: [{ Type: 'work', Value: `case${n}@contoso.jp` }] },
      });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.userName, `case${n}@contoso.jp`);
      assert.equal(r.body.emails[0].value, `case${n}@contoso.jp`);
    });
  });
}
