import assert from 'node:assert/strict';
import { startGraphEmulator, type GraphEmulator } from '../../src/devtools/graph-emulator.ts';

const TENANT = 'eeeeeeee-1111-2222-3333-444444444444';
const id = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'none' })}.${b64(claims)}.x`;

describe('Graph emulator', function () {
  this.timeout(10_000);
  let emu: GraphEmulator;
  before(async () => {
    emu = await startGraphEmulator({
      tenant: {
        tenantId: TENANT,
        displayName: 'Emulated',
        users: Array.from({ length: 5 }, (_, i) => ({
          id: id(i + 1),
          userPrincipalName: `u${i + 1}@contoso.com`,
          displayName: `U${i + 1}`,
          mail: `u${i + 1}@contoso.com`,
          department: 'Sales',
          otherMails: ['x@example.com'],
        })),
        directoryRoles: { [id(1)]: ['62e90394-69f5-4237-9190-012177145e10'] },
      },
    });
  });
  after(() => emu.close());
  const get = async (path: string, token: string | null = 'any-token') => {
    const res = await fetch(`${emu.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  };

  it('serves the organization', async () => {
    const r = await get('/organization');
    assert.equal(r.status, 200);
    assert.equal(r.body.value[0].id, TENANT);
    assert.equal(r.body.value[0].displayName, 'Emulated');
  });

  it('$top must be 1–999: 0, 1000 and junk get 400 in Graph error shape', async () => {
    for (const top of ['0', '1000', 'abc', '-1']) {
      const r = await get(`/users?$top=${top}`);
      assert.equal(r.status, 400, top);
      assert.equal(typeof r.body.error.code, 'string');
      assert.match(r.body.error.message, /page size/i);
    }
    assert.equal((await get('/users?$top=1')).status, 200);
    assert.equal((await get('/users?$top=999')).status, 200);
  });

  it('$select returns only the selected properties plus id; no $select gives Graph defaults', async () => {
    const r = await get('/users?$select=displayName,accountEnabled,identities');
    assert.equal(r.status, 200);
    for (const u of r.body.value) assert.deepEqual(Object.keys(u).sort(), ['accountEnabled', 'displayName', 'id', 'identities']);
    const d = await get('/users');
    assert.ok(!('department' in d.body.value[0]) && !('accountEnabled' in d.body.value[0]));
    assert.ok('userPrincipalName' in d.body.value[0] && 'businessPhones' in d.body.value[0]);
    const bad = await get('/users?$select=displayName,shoeSize');
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /shoeSize/);
  });

  it('pages with an absolute nextLink carrying an opaque $skiptoken', async () => {
    const seen: string[] = [];
    let link: string | undefined = `${emu.baseUrl}/users?$select=id&$top=2`;
    while (link) {
      assert.ok(link.startsWith(emu.baseUrl));
      const res = await fetch(link, { headers: { authorization: 'Bearer t' } });
      const body = (await res.json()) as { value: { id: string }[]; '@odata.nextLink'?: string };
      seen.push(...body.value.map((u) => u.id));
      link = body['@odata.nextLink'];
      if (link) assert.match(link, /\$skiptoken=[^&]+/);
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5].map(id));
    assert.equal((await get('/users?$skiptoken=forged')).status, 400);
  });

  it('401 InvalidAuthenticationToken without a bearer token', async () => {
    for (const path of ['/me', '/me/memberOf', '/users']) {
      const r = await get(path, null);
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'InvalidAuthenticationToken');
    }
  });

  it('/me and /me/memberOf answer for the token oid; app tokens are refused', async () => {
    const me = await get('/me', jwt({ oid: id(1), tid: TENANT }));
    assert.equal(me.body.id, id(1));
    assert.equal(me.body.userPrincipalName, 'u1@contoso.com');
    const roles = await get('/me/memberOf', jwt({ oid: id(1), tid: TENANT }));
    assert.equal(roles.body.value[0]['@odata.type'], '#microsoft.graph.directoryRole');
    assert.equal(roles.body.value[0].roleTemplateId, '62e90394-69f5-4237-9190-012177145e10');
    assert.notEqual(roles.body.value[0].id, roles.body.value[0].roleTemplateId);
    assert.deepEqual((await get('/me/memberOf', jwt({ oid: id(2) }))).body.value, []);
    assert.equal((await get('/me', jwt({ idtyp: 'app', roles: ['User.Read.All'] }))).status, 400);
    assert.equal((await get('/me', jwt({ oid: 'nobody' }))).status, 404);
    assert.equal((await get('/users', jwt({ idtyp: 'app', tid: TENANT }))).status, 403);
    assert.equal((await get('/users', jwt({ idtyp: 'app', tid: TENANT, roles: ['User.Read.All'] }))).status, 200);
  });

  it('/users/{id} and /users/{upn}; 404 otherwise', async () => {
    assert.equal((await get(`/users/${id(3)}?$select=department`)).body.department, 'Sales');
    assert.equal((await get('/users/U4@contoso.com')).body.id, id(4));
    const nf = await get('/users/nobody');
    assert.equal(nf.status, 404);
    assert.equal(nf.body.error.code, 'Request_ResourceNotFound');
  });

  it('delta marks removed users {id, @removed: {reason: changed}}', async () => {
    const first = await get('/users/delta?$select=displayName');
    const deltaLink: string = first.body['@odata.deltaLink'];
    emu.removeUser(id(5));
    emu.updateUser(id(2), { displayName: 'Renamed' });
    const res = await fetch(deltaLink, { headers: { authorization: 'Bearer t' } });
    const body = (await res.json()) as { value: Record<string, unknown>[] };
    assert.deepEqual(body.value, [
      { displayName: 'Renamed', id: id(2) },
      { '@odata.type': '#microsoft.graph.user', id: id(5), '@removed': { reason: 'changed' } },
    ]);
    emu.addUser({ id: id(5), userPrincipalName: 'u5@contoso.com', displayName: 'U5' });
  });

  it('delta pages: about 200 by default, up to 999 with Prefer: odata.maxpagesize (Preference-Applied)', async () => {
    const big = await startGraphEmulator({
      tenant: { tenantId: TENANT, displayName: 'Big', directoryRoles: {}, users: Array.from({ length: 450 }, (_, i) => ({ id: id(1000 + i), userPrincipalName: `b${i}@contoso.com` })) },
    });
    try {
      const plain = await fetch(`${big.baseUrl}/users/delta?$select=id`, { headers: { authorization: 'Bearer t' } });
      const plainBody = (await plain.json()) as { value: unknown[]; '@odata.nextLink'?: string };
      assert.equal(plainBody.value.length, 200);
      assert.ok(plainBody['@odata.nextLink']);
      assert.equal(plain.headers.get('preference-applied'), null);
      const asked = await fetch(`${big.baseUrl}/users/delta?$select=id`, { headers: { authorization: 'Bearer t', prefer: 'odata.maxpagesize=999' } });
      const askedBody = (await asked.json()) as { value: unknown[]; '@odata.deltaLink'?: string };
      assert.equal(askedBody.value.length, 450);
      assert.ok(askedBody['@odata.deltaLink']);
      assert.equal(asked.headers.get('preference-applied'), 'odata.maxpagesize=999');
      // $deltatoken=latest: no users, a link that starts now.
      const latest = (await (await fetch(`${big.baseUrl}/users/delta?$select=id&$deltatoken=latest`, { headers: { authorization: 'Bearer t' } })).json()) as {
        value: unknown[];
        '@odata.deltaLink': string;
      };
      assert.deepEqual(latest.value, []);
      big.addUser({ id: id(5000), userPrincipalName: 'late@contoso.com' });
      const after = (await (await fetch(latest['@odata.deltaLink'], { headers: { authorization: 'Bearer t' } })).json()) as { value: { id: string }[] };
      assert.deepEqual(after.value.map((u) => u.id), [id(5000)]);
    } finally {
      await big.close();
    }
  });

  it('throttleNext answers 429 with Retry-After; the log holds method and url only', async () => {
    emu.throttleNext(1, 7);
    const r = await get('/users');
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '7');
    assert.equal(r.body.error.code, 'TooManyRequests');
    assert.equal((await get('/users')).status, 200);
    assert.ok(emu.requestLog.every((e) => Object.keys(e).sort().join() === 'method,url'));
    assert.ok(!JSON.stringify(emu.requestLog).includes('any-token'));
  });
});
