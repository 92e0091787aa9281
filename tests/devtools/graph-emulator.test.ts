import assert from 'node:assert/strict';
import { startGraphEmulator, USER_PROPERTIES, type GraphEmulator } from '../../src/devtools/graph-emulator.ts';

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
    // In change order: the removal came first.
    assert.deepEqual(body.value, [
      { '@odata.type': '#microsoft.graph.user', id: id(5), '@removed': { reason: 'changed' } },
      { displayName: 'Renamed', id: id(2) },
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
  // ------------------------------------------------------------ faithful to Graph (issue 9 item 11)

  const fetchJson = async (link: string, headers: Record<string, string> = {}) => {
    const res = await fetch(link, { headers: { authorization: 'Bearer t', ...headers } });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
  };
  /** Follows a delta round to its end: every item, and the delta link. */
  const deltaRound = async (link: string, headers: Record<string, string> = {}) => {
    const items: Record<string, any>[] = [];
    for (let next: string | undefined = link; ; ) {
      const r = await fetchJson(next, headers);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      items.push(...r.body.value);
      next = r.body['@odata.nextLink'];
      if (!next) return { items, deltaLink: r.body['@odata.deltaLink'] as string };
    }
  };
  const small = (o: Partial<Parameters<typeof startGraphEmulator>[0]> = {}) =>
    startGraphEmulator({
      tenant: {
        tenantId: TENANT,
        displayName: 'Small',
        directoryRoles: {},
        users: [
          { id: id(1), userPrincipalName: 'a@contoso.com', displayName: 'A', mail: 'a@contoso.com', department: 'Sales' },
          { id: id(2), userPrincipalName: 'b@contoso.com', displayName: 'B' },
          { id: id(3), userPrincipalName: 'c@contoso.com', displayName: 'C' },
        ],
      },
      ...o,
    });

  it('defect: a property never set was sent as null in delta answers; delta leaves it out, GET /users sends null', async () => {
    const e = await small();
    try {
      const sel = '$select=id,displayName,mail,department,businessPhones,jobTitle';
      const first = await deltaRound(`${e.baseUrl}/users/delta?${sel}`);
      const b = first.items.find((u) => u.id === id(2))!;
      assert.deepEqual(b, { id: id(2), displayName: 'B' }, 'never-set mail, department, businessPhones, jobTitle are absent');
      assert.deepEqual(first.items.find((u) => u.id === id(1)), { id: id(1), displayName: 'A', mail: 'a@contoso.com', department: 'Sales' });
      const list = await fetchJson(`${e.baseUrl}/users?${sel}`);
      assert.deepEqual(list.body.value.find((u: { id: string }) => u.id === id(2)), {
        id: id(2),
        displayName: 'B',
        mail: null,
        department: null,
        businessPhones: [],
        jobTitle: null,
      });
      // Set, then cleared: a later round sends the cleared property as null, and the unchanged ones too.
      e.updateUser(id(1), { department: null });
      e.updateUser(id(2), { jobTitle: 'Lead' });
      const second = await deltaRound(first.deltaLink);
      assert.deepEqual(second.items, [
        { id: id(1), displayName: 'A', mail: 'a@contoso.com', department: null },
        { id: id(2), displayName: 'B', jobTitle: 'Lead' },
      ]);
    } finally {
      await e.close();
    }
  });

  it("deltaProperties 'changed': a later round carries only the properties changed in it", async () => {
    const e = await small({ deltaProperties: 'changed' });
    try {
      const first = await deltaRound(`${e.baseUrl}/users/delta?$select=displayName,mail,department`);
      assert.deepEqual(first.items[0], { id: id(1), displayName: 'A', mail: 'a@contoso.com', department: 'Sales' });
      e.updateUser(id(1), { department: 'Support' });
      assert.deepEqual((await deltaRound(first.deltaLink)).items, [{ id: id(1), department: 'Support' }]);
    } finally {
      await e.close();
    }
  });

  it('defect: 65 of the v1.0 user properties answered 400 in $select; every one is accepted, unmodelled ones null or []', async () => {
    assert.ok(USER_PROPERTIES.length >= 77, `${USER_PROPERTIES.length} properties`);
    for (const p of ['aboutMe', 'ageGroup', 'city', 'employeeId', 'onPremisesImmutableId', 'proxyAddresses', 'signInActivity', 'usageLocation', 'deletedDateTime']) {
      assert.ok((USER_PROPERTIES as readonly string[]).includes(p), p);
    }
    const all = await get(`/users?$select=${USER_PROPERTIES.join(',')}`);
    assert.equal(all.status, 200, JSON.stringify(all.body));
    const u = all.body.value[0];
    assert.deepEqual(Object.keys(u).sort(), [...USER_PROPERTIES].sort());
    assert.equal(u.city, null);
    assert.equal(u.employeeId, null);
    assert.deepEqual(u.proxyAddresses, []);
    assert.deepEqual(u.assignedLicenses, []);
    assert.equal(u.department, 'Sales');
    const delta = await get(`/users/delta?$select=${USER_PROPERTIES.join(',')}`);
    assert.equal(delta.status, 200);
    assert.ok(!('city' in delta.body.value[0]), 'unset in a delta answer: left out');
    assert.equal((await get('/users?$select=CITY,displayname')).status, 200, 'names are case-insensitive');
  });

  it("defect: @removed only ever said 'changed'; soft delete -> changed, permanent delete -> deleted, a restore brings the user back", async () => {
    const e = await small();
    try {
      const first = await deltaRound(`${e.baseUrl}/users/delta?$select=displayName`);
      e.removeUser(id(1));
      e.removeUser(id(2));
      e.permanentlyDeleteUser(id(2)); // purged from deleted items
      e.permanentlyDeleteUser(id(3)); // deleted for good at once
      const second = await deltaRound(first.deltaLink);
      assert.deepEqual(second.items, [
        { '@odata.type': '#microsoft.graph.user', id: id(1), '@removed': { reason: 'changed' } },
        { '@odata.type': '#microsoft.graph.user', id: id(2), '@removed': { reason: 'deleted' } },
        { '@odata.type': '#microsoft.graph.user', id: id(3), '@removed': { reason: 'deleted' } },
      ]);
      assert.equal((await fetchJson(`${e.baseUrl}/users/${id(1)}`)).status, 404);
      assert.throws(() => e.restoreUser(id(3)), /no soft-deleted user/);
      e.restoreUser(id(1));
      assert.deepEqual((await deltaRound(second.deltaLink)).items, [{ id: id(1), displayName: 'A' }]);
      assert.equal((await fetchJson(`${e.baseUrl}/users/${id(1)}`)).status, 200);
      // Users removed before the initial round are not in it.
      assert.deepEqual((await deltaRound(`${e.baseUrl}/users/delta?$select=id`)).items, [{ id: id(1) }]);
    } finally {
      await e.close();
    }
  });

  it('a soft-deleted user is purged after 30 days: the next delta round says reason deleted', async () => {
    let now = new Date('2026-12-01T00:00:00Z');
    const e = await small({ clock: () => now, deltaTokenMaxAgeInMs: 90 * 24 * 3600_000 });
    try {
      const first = await deltaRound(`${e.baseUrl}/users/delta?$select=id`);
      e.removeUser(id(2));
      const second = await deltaRound(first.deltaLink);
      assert.deepEqual(second.items, [{ '@odata.type': '#microsoft.graph.user', id: id(2), '@removed': { reason: 'changed' } }]);
      now = new Date(now.getTime() + 29 * 24 * 3600_000);
      const third = await deltaRound(second.deltaLink);
      assert.deepEqual(third.items, []);
      now = new Date(now.getTime() + 2 * 24 * 3600_000);
      assert.deepEqual((await deltaRound(third.deltaLink)).items, [{ '@odata.type': '#microsoft.graph.user', id: id(2), '@removed': { reason: 'deleted' } }]);
      assert.throws(() => e.restoreUser(id(2)), /no soft-deleted user/);
    } finally {
      await e.close();
    }
  });

  it('defect: delta tokens never expired; an old token (or after expireDeltaTokens) answers 410 syncStateNotFound', async () => {
    let now = new Date('2026-12-01T00:00:00Z');
    const e = await small({ clock: () => now, deltaPageSize: 2 });
    try {
      const first = await deltaRound(`${e.baseUrl}/users/delta?$select=displayName`);
      now = new Date(now.getTime() + 6 * 24 * 3600_000);
      const within = await deltaRound(first.deltaLink);
      now = new Date(now.getTime() + 7 * 24 * 3600_000 + 1000);
      const old = await fetchJson(within.deltaLink, { 'client-request-id': 'c-410' });
      assert.equal(old.status, 410);
      assert.equal(old.body.error.code, 'syncStateNotFound');
      assert.match(old.body.error.message, /expired/);
      assert.equal(old.body.error.innerError['request-id'], old.headers.get('request-id'));
      assert.equal(old.body.error.innerError.date, '2026-12-14T00:00:01');
      // A fresh full round works; expireDeltaTokens() retires its link and an unfinished round's nextLink.
      const fresh = await fetchJson(`${e.baseUrl}/users/delta?$select=displayName`);
      assert.ok(fresh.body['@odata.nextLink']);
      const done = await deltaRound(`${e.baseUrl}/users/delta?$select=displayName`);
      e.expireDeltaTokens();
      assert.equal((await fetchJson(done.deltaLink)).status, 410);
      assert.equal((await fetchJson(fresh.body['@odata.nextLink'])).status, 410);
    } finally {
      await e.close();
    }
    const other = await small({ expiredDeltaTokenStatus: 400 });
    try {
      const { deltaLink } = await deltaRound(`${other.baseUrl}/users/delta?$select=id`);
      other.expireDeltaTokens();
      const r = await fetchJson(deltaLink);
      assert.deepEqual([r.status, r.body.error.code], [400, 'syncStateNotFound']);
      // A token another emulator instance issued is unknown here too.
      const foreign = deltaLink.replace(other.baseUrl, emu.baseUrl);
      assert.equal((await fetchJson(foreign)).status, 410);
    } finally {
      await other.close();
    }
  });

  it("defect: $filter=id eq … on delta answered 400; it tracks only those users, up to 50 ids", async () => {
    const e = await small({ deltaPageSize: 1 });
    try {
      const filter = encodeURIComponent(`id eq '${id(3)}' or id eq '${id(1)}' or id eq '${id(99)}'`);
      const first = await deltaRound(`${e.baseUrl}/users/delta?$select=displayName&$filter=${filter}`, { prefer: 'odata.maxpagesize=1' });
      assert.deepEqual(first.items.map((u) => u.id).sort(), [id(1), id(3)]);
      e.updateUser(id(2), { displayName: 'B2' });
      e.updateUser(id(3), { displayName: 'C2' });
      e.removeUser(id(1));
      const second = await deltaRound(first.deltaLink);
      assert.deepEqual(second.items, [
        { id: id(3), displayName: 'C2' },
        { '@odata.type': '#microsoft.graph.user', id: id(1), '@removed': { reason: 'changed' } },
      ]);
      const fifty = Array.from({ length: 50 }, (_, i) => `id eq '${id(i + 1)}'`);
      assert.equal((await fetchJson(`${e.baseUrl}/users/delta?$filter=${encodeURIComponent(fifty.join(' or '))}`)).status, 200);
      const tooMany = await fetchJson(`${e.baseUrl}/users/delta?$filter=${encodeURIComponent([...fifty, `id eq '${id(51)}'`].join(' or '))}`);
      assert.equal(tooMany.status, 400);
      assert.match(tooMany.body.error.message, /50/);
      assert.equal((await fetchJson(`${e.baseUrl}/users/delta?$filter=${encodeURIComponent("displayName eq 'A'")}`)).status, 400);
      assert.equal((await fetchJson(`${e.baseUrl}/users?$filter=${filter}`)).status, 400, 'the emulator filters delta only');
    } finally {
      await e.close();
    }
  });

  it('defect: the request-id header differed from the error body; every error answer carries one request-id, and echoes client-request-id', async () => {
    const check = async (path: string, expected: number, headers: Record<string, string>) => {
      const res = await fetch(`${emu.baseUrl}${path}`, { headers });
      const body = (await res.json()) as { error: { innerError: Record<string, string> } };
      assert.equal(res.status, expected, path);
      assert.match(res.headers.get('request-id') ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(body.error.innerError['request-id'], res.headers.get('request-id'), path);
      const sent = headers['client-request-id'];
      assert.equal(res.headers.get('client-request-id'), sent ?? res.headers.get('request-id'), path);
      assert.equal(body.error.innerError['client-request-id'], sent ?? res.headers.get('request-id'), path);
    };
    const auth = { authorization: 'Bearer t' };
    await check('/users?$top=0', 400, { ...auth, 'client-request-id': 'c-1' });
    await check('/users/nobody', 404, auth);
    await check('/users', 401, { 'client-request-id': 'c-2' });
    emu.throttleNext(1, 1);
    await check('/users', 429, { ...auth, 'client-request-id': 'c-3' });
    emu.failNext(1, 503);
    await check('/users', 503, auth);
    await check('/users/delta?$deltatoken=forged', 400, auth);
    const ok = await fetch(`${emu.baseUrl}/users`, { headers: { ...auth, 'client-request-id': 'c-4' } });
    assert.equal(ok.headers.get('client-request-id'), 'c-4');
  });

  it('pages stay exact while users come and go: /users by id, delta by change, none skipped, none repeated', async () => {
    const e = await startGraphEmulator({
      tenant: { tenantId: TENANT, displayName: 'Moving', directoryRoles: {}, users: Array.from({ length: 30 }, (_, i) => ({ id: id(100 + 2 * i), userPrincipalName: `m${i}@contoso.com` })) },
    });
    try {
      const seen: string[] = [];
      let link: string | undefined = `${e.baseUrl}/users?$select=id&$top=7`;
      let turn = 0;
      while (link) {
        const r = await fetchJson(link);
        seen.push(...r.body.value.map((u: { id: string }) => u.id));
        link = r.body['@odata.nextLink'];
        turn++;
        if (turn === 2) {
          e.addUser({ id: id(101), userPrincipalName: 'early@contoso.com' }); // before the cursor: not in this read
          e.addUser({ id: id(199), userPrincipalName: 'late@contoso.com' }); // after it: in this read
          e.removeUser(id(150)); // not yet served: gone
        }
      }
      assert.equal(new Set(seen).size, seen.length, 'none repeated');
      assert.ok(seen.includes(id(199)) && !seen.includes(id(101)) && !seen.includes(id(150)));
      assert.equal(seen.length, 30);
      assert.deepEqual(seen, [...seen].sort());

      const d1 = await fetchJson(`${e.baseUrl}/users/delta?$select=id`, { prefer: 'odata.maxpagesize=10' });
      e.updateUser(id(100), { displayName: 'changed while paging' }); // served already: comes again next round
      e.updateUser(id(158), { displayName: 'changed while paging' }); // not served yet: next round only
      const rest = await deltaRound(d1.body['@odata.nextLink'], { prefer: 'odata.maxpagesize=10' });
      const round1 = [...d1.body.value, ...rest.items].map((u) => u.id);
      assert.equal(new Set(round1).size, round1.length);
      assert.ok(!round1.includes(id(158)));
      const round2 = (await deltaRound(rest.deltaLink)).items.map((u) => u.id).sort();
      assert.deepEqual(round2, [id(100), id(158)]);
    } finally {
      await e.close();
    }
  });

  describe('$filter on GET /users (the parallel reader\'s partitions)', () => {
    let f: GraphEmulator;
    const upns = ['alice@contoso.com', 'Alan@contoso.com', 'bob@contoso.com', "o'brien@contoso.com", 'Émile@contoso.com', '山田@contoso.com', null];
    before(async () => {
      f = await startGraphEmulator({
        tenant: { tenantId: TENANT, displayName: 'F', users: upns.map((u, i) => ({ id: id(i + 1), userPrincipalName: u })), directoryRoles: {} },
      });
    });
    after(() => f.close());
    const list = async (filter: string, opts: { advanced?: boolean; top?: number } = {}) => {
      const q = `$select=userPrincipalName&$top=${opts.top ?? 999}&$filter=${encodeURIComponent(filter)}${opts.advanced ? '&$count=true' : ''}`;
      const res = await fetch(`${f.baseUrl}/users?${q}`, {
        headers: { authorization: 'Bearer t', ...(opts.advanced ? { consistencylevel: 'eventual' } : {}) },
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const upnsOf = (body: Record<string, any>) => body.value.map((u: { userPrincipalName: string | null }) => u.userPrincipalName).sort();

    it("startswith(userPrincipalName,'…') ignores case, takes quotes doubled and Unicode; a default query", async () => {
      assert.deepEqual(upnsOf((await list("startswith(userPrincipalName,'al')")).body), ['Alan@contoso.com', 'alice@contoso.com']);
      assert.deepEqual(upnsOf((await list("startswith(userPrincipalName,'O''B')")).body), ["o'brien@contoso.com"]);
      assert.deepEqual(upnsOf((await list("startswith(userPrincipalName,'é')")).body), ['Émile@contoso.com']);
      assert.deepEqual(upnsOf((await list("startswith(userPrincipalName,'山')")).body), ['山田@contoso.com']);
      assert.deepEqual(upnsOf((await list("userPrincipalName eq 'BOB@contoso.com'")).body), ['bob@contoso.com']);
    });

    it('not(…) and eq null are advanced queries: 400 without ConsistencyLevel: eventual and $count=true, which add @odata.count', async () => {
      const filter = "not(startswith(userPrincipalName,'a') or startswith(userPrincipalName,'b'))";
      assert.equal((await list(filter)).status, 400);
      assert.equal((await list('userPrincipalName eq null')).status, 400);
      const r = await list(filter, { advanced: true });
      assert.equal(r.status, 200);
      // A user without a UPN is unknown to not(startswith(…)) (three-valued logic): only eq null selects it.
      assert.deepEqual(upnsOf(r.body), ["o'brien@contoso.com", '山田@contoso.com', 'Émile@contoso.com'].sort());
      assert.equal(r.body['@odata.count'], 3);
      const rest = await list(`(${filter}) or userPrincipalName eq null`, { advanced: true });
      assert.equal(rest.body.value.length, 4);
      assert.equal(rest.body['@odata.count'], 4);
      const count = await fetch(`${f.baseUrl}/users?$count=true`, { headers: { authorization: 'Bearer t' } });
      assert.equal(count.status, 400, '$count without ConsistencyLevel');
    });

    it('pages a filtered list along its own nextLink (the filter kept), each user once', async () => {
      let r = await list("not(startswith(userPrincipalName,'zz'))", { advanced: true, top: 2 });
      const seen: string[] = r.body.value.map((u: { id: string }) => u.id);
      while (r.body['@odata.nextLink']) {
        const res = await fetch(r.body['@odata.nextLink'], { headers: { authorization: 'Bearer t', consistencylevel: 'eventual' } });
        r = { status: res.status, body: (await res.json()) as Record<string, any> };
        assert.equal(r.status, 200);
        seen.push(...r.body.value.map((u: { id: string }) => u.id));
      }
      assert.equal(seen.length, 6, 'every user with a UPN, once');
      assert.equal(new Set(seen).size, 6);
    });

    it('anything else in $filter on /users is 400 Request_UnsupportedQuery', async () => {
      for (const bad of ["displayName eq 'A'", "startswith(mail,'a')", "startswith(userPrincipalName,'a'", "userPrincipalName ne 'a'", 'true']) {
        const r = await list(bad, { advanced: true });
        assert.equal(r.status, 400, bad);
        assert.equal(r.body.error.code, 'Request_UnsupportedQuery', bad);
      }
    });
  });
});
