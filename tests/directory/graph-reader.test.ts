import assert from 'node:assert/strict';
import { startGraphEmulator, type GraphEmulator, type GraphUserInput } from '../../src/devtools/graph-emulator.ts';
import { createGraphDirectoryReader, GraphUserSchema, normaliseGraphUser, USER_SELECT } from '../../src/directory/graph-reader.ts';
import { userShape } from '../../src/directory/graph-user.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import { AppError, isAppError } from '../../src/domain/errors.ts';

const TENANT = 'aaaaaaaa-1111-2222-3333-444444444444';
const TOKEN = 'static-dev-token-Zx9';
const id = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`;
const user = (n: number, extra: Partial<GraphUserInput> = {}): GraphUserInput => ({
  id: id(n),
  userPrincipalName: `user${n}@contoso.com`,
  displayName: `User ${n}`,
  mail: `user${n}@contoso.com`,
  otherMails: [`private${n}@example.com`],
  businessPhones: [`03-0000-${String(n).padStart(4, '0')}`],
  department: n % 2 ? '営業部' : 'Engineering',
  jobTitle: 'Staff',
  ...extra,
});
const tenant = (users: GraphUserInput[]) => ({ tenantId: TENANT, displayName: 'Test tenant', users, directoryRoles: {} });

async function rejectsWith(p: Promise<unknown>, code: string): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isAppError(e), `expected AppError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(!JSON.stringify({ m: e.message, d: e.details }).includes(TOKEN), 'the token leaked into the error');
    return e;
  }
  assert.fail(`expected AppError ${code}`);
}

describe('Graph directory reader (against the Graph emulator on a real socket)', function () {
  this.timeout(20_000);
  let emu: GraphEmulator;
  afterEach(async () => {
    await emu?.close();
  });
  const reader = (o: Partial<Parameters<typeof createGraphDirectoryReader>[0]> = {}) =>
    createGraphDirectoryReader({ graphBaseUrl: emu.baseUrl, tokenProvider: staticTokenProvider(TOKEN), retryDelayInMs: 5, maxRetryDelayInMs: 2000, ...o });

  it('pages 2,500 users with pageSize 999 in sequence (concurrency 1): every user exactly once, three /users requests', async () => {
    const users = Array.from({ length: 2500 }, (_, i) => user(i + 1));
    emu = await startGraphEmulator({ tenant: tenant(users), acceptToken: (t) => t === TOKEN });
    const progress: number[] = [];
    const snapshot = await reader({ concurrency: 1 }).read({ onProgress: (n) => progress.push(n) });
    assert.equal(snapshot.tenantId, TENANT);
    assert.equal(snapshot.users.length, 2500);
    assert.equal(new Set(snapshot.users.map((u) => u.id)).size, 2500);
    assert.deepEqual(new Set(snapshot.users.map((u) => u.id)), new Set(users.map((u) => u.id)));
    assert.deepEqual(progress, [999, 1998, 2500]);
    const userRequests = emu.requestLog.filter((r) => r.url.startsWith('/v1.0/users'));
    assert.equal(userRequests.length, 3);
    assert.ok(userRequests[0]!.url.includes('$top=999'));
    assert.ok(decodeURIComponent(userRequests[0]!.url).includes(`$select=${USER_SELECT}`));
    assert.ok(userRequests[1]!.url.includes('$skiptoken='));
  });

  it('defect: each Graph user was validated twice on a read; once now', async () => {
    emu = await startGraphEmulator({ tenant: tenant(Array.from({ length: 1200 }, (_, i) => user(i + 1))) });
    // zod's parse goes through safeParse: counting safeParse counts every zod validation.
    const schema = GraphUserSchema as unknown as { safeParse: (...args: unknown[]) => unknown };
    const original = schema.safeParse;
    const check = userShape.isGraphUser;
    let validations = 0;
    schema.safeParse = function (this: unknown, ...args: unknown[]) {
      validations++;
      return original.apply(this, args);
    };
    userShape.isGraphUser = (raw: unknown): raw is never => {
      validations++;
      return check(raw);
    };
    try {
      const { users } = await reader({ concurrency: 1 }).read();
      assert.equal(users.length, 1200);
    } finally {
      schema.safeParse = original;
      userShape.isGraphUser = check;
    }
    assert.equal(validations, 1200);
  });

  it('defect: the directory read never had more than one request in flight (33 s at 300 ms a request); the partitions overlap', async () => {
    emu = await startGraphEmulator({ tenant: tenant(Array.from({ length: 1000 }, (_, i) => user(i + 1))), latencyInMs: 25 });
    const { users } = await reader({ pageSize: 50 }).read();
    assert.equal(users.length, 1000);
    assert.ok(emu.maxRequestsInFlight > 1, `${emu.maxRequestsInFlight} request(s) in flight at most`);
    assert.ok(emu.maxRequestsInFlight <= 8, 'never more than the default concurrency');
  });

  it('normalises users: only the selected properties, defaults for absent ones, otherMails never used', async () => {
    emu = await startGraphEmulator({
      tenant: tenant([
        user(1),
        user(2, { mail: null, businessPhones: [], department: '  ', displayName: null, otherMails: ['only-other@example.com'] }),
        user(3, { businessPhones: ['', '090-1111-2222'] }),
      ]),
    });
    const { users } = await reader({ pageSize: 2 }).read();
    const byId = new Map(users.map((u) => [u.id, u]));
    assert.deepEqual(byId.get(id(1)), {
      id: id(1),
      userPrincipalName: 'user1@contoso.com',
      displayName: 'User 1',
      mail: 'user1@contoso.com',
      businessPhones: ['03-0000-0001'],
      department: '営業部',
      accountEnabled: true,
      userType: 'Member',
      identityIssuers: ['contoso.com'],
    });
    assert.deepEqual(byId.get(id(2)), {
      id: id(2),
      userPrincipalName: 'user2@contoso.com',
      displayName: null,
      mail: null,
      businessPhones: [],
      department: null,
      accountEnabled: true,
      userType: 'Member',
      identityIssuers: ['contoso.com'],
    });
    assert.deepEqual(byId.get(id(3))!.businessPhones, ['090-1111-2222']);
    assert.ok(!JSON.stringify(users).includes('example.com'), 'otherMails must never reach a DirectoryUser');
  });

  it('keeps the classification fields: guests, ExternalAzureAD identities, disabled accounts', async () => {
    emu = await startGraphEmulator({
      tenant: tenant([
        user(1, {
          userType: 'Guest',
          userPrincipalName: 'g_fabrikam.com#EXT#@contoso.com',
          identities: [{ signInType: 'federated', issuer: 'ExternalAzureAD', issuerAssignedId: null }],
        }),
        user(2, {
          identities: [
            { signInType: 'userPrincipalName', issuer: 'contoso.com', issuerAssignedId: 'user2@contoso.com' },
            { signInType: 'federated', issuer: 'ExternalAzureAD', issuerAssignedId: null },
          ],
        }),
        user(3, { accountEnabled: false }),
        user(4, { userType: null }),
      ]),
    });
    const { users } = await reader().read();
    const byId = new Map(users.map((u) => [u.id, u]));
    assert.equal(byId.get(id(1))!.userType, 'Guest');
    assert.deepEqual(byId.get(id(1))!.identityIssuers, ['ExternalAzureAD']);
    assert.equal(byId.get(id(2))!.userType, 'Member');
    assert.deepEqual(byId.get(id(2))!.identityIssuers, ['contoso.com', 'ExternalAzureAD']);
    assert.equal(byId.get(id(3))!.accountEnabled, false);
    assert.equal(byId.get(id(4))!.userType, null);
  });

  it('honours 429 Retry-After, then succeeds', async () => {
    emu = await startGraphEmulator({ tenant: tenant([user(1), user(2)]) });
    emu.throttleNext(1, 1, '/users');
    const started = Date.now();
    const snapshot = await reader().read();
    const elapsed = Date.now() - started;
    assert.equal(snapshot.users.length, 2);
    assert.ok(elapsed >= 950, `waited only ${elapsed} ms for Retry-After: 1`);
    assert.equal(emu.requestLog.filter((r) => r.url.startsWith('/v1.0/users')).length, 2);
  });

  it('caps a long Retry-After at maxRetryDelayInMs', async () => {
    emu = await startGraphEmulator({ tenant: tenant([user(1)]) });
    emu.throttleNext(2, 3600);
    const started = Date.now();
    await reader({ maxRetryDelayInMs: 20 }).read();
    assert.ok(Date.now() - started < 2000);
  });

  it('503 until retries are exhausted -> DIRECTORY_UNAVAILABLE; 429 -> DIRECTORY_THROTTLED', async () => {
    emu = await startGraphEmulator({ tenant: tenant([user(1)]) });
    emu.failNext(50, 503, { path: '/users' });
    const e = await rejectsWith(reader({ maxRetries: 2 }).read(), 'DIRECTORY_UNAVAILABLE');
    assert.equal(e.details.status, 503);
    assert.equal(e.details.retries, 2);
    assert.equal(emu.requestLog.filter((r) => r.url.startsWith('/v1.0/users')).length, 3);
    await emu.close();

    emu = await startGraphEmulator({ tenant: tenant([user(1)]) });
    emu.throttleNext(50, 0);
    const t = await rejectsWith(reader({ maxRetries: 1 }).read(), 'DIRECTORY_THROTTLED');
    assert.equal(t.status, 503);
    assert.equal(t.details.retryAfterSeconds, 0);
  });

  it('504 then success; 500 is not retried', async () => {
    emu = await startGraphEmulator({ tenant: tenant([user(1)]) });
    emu.failNext(2, 504);
    assert.equal((await reader().read()).users.length, 1);
    emu.failNext(1, 500, { path: '/users' });
    const e = await rejectsWith(reader().read(), 'DIRECTORY_UNAVAILABLE');
    assert.equal(e.details.status, 500);
  });

  it('a page that is not the expected shape -> DIRECTORY_UNAVAILABLE', async () => {
    emu = await startGraphEmulator({ tenant: tenant([user(1), user(2), user(3)]) });
    const bad: unknown[] = [
      '<html>gateway</html>',
      { value: 'not-an-array' },
      { notValue: [] },
      { value: [{ id: id(1), accountEnabled: 'yes' }] },
      { value: [{ displayName: 'no id' }] },
      { value: [{ id: id(1), businessPhones: '03-1234' }] },
    ];
    for (const body of bad) {
      emu.injectNext(1, { status: 200, body, path: '/users' });
      const e = await rejectsWith(reader().read(), 'DIRECTORY_UNAVAILABLE');
      assert.ok(!e.message.includes('yes') || typeof body === 'string');
    }
    // the second page is the broken one
    emu.injectNext(1, { status: 200, body: { value: [user(9)], '@odata.nextLink': `${emu.baseUrl}/users?$skiptoken=x` }, path: '/users' });
    emu.injectNext(1, { status: 200, body: { value: null }, path: '/users' });
    await rejectsWith(reader().read(), 'DIRECTORY_UNAVAILABLE');
  });

  it('never follows a nextLink outside the configured base URL (the token stays home)', async () => {
    emu = await startGraphEmulator({ tenant: tenant([user(1)]) });
    const other = await startGraphEmulator({ tenant: tenant([user(2)]) });
    try {
      emu.injectNext(1, { status: 200, body: { value: [user(1)], '@odata.nextLink': `${other.baseUrl}/users?$skiptoken=steal` }, path: '/users' });
      await rejectsWith(reader().read(), 'DIRECTORY_UNAVAILABLE');
      assert.equal(other.requestLog.length, 0);
    } finally {
      await other.close();
    }
  });

  it('Graph rejecting the token -> TOKEN_UNAVAILABLE; Graph refusing the app -> CONSENT_REQUIRED', async () => {
    emu = await startGraphEmulator({ tenant: tenant([user(1)]), acceptToken: () => false });
    await rejectsWith(reader().read(), 'TOKEN_UNAVAILABLE');
    await emu.close();
    emu = await startGraphEmulator({ tenant: tenant([user(1)]) });
    emu.injectNext(1, {
      status: 403,
      body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } },
      path: '/users',
    });
    const e = await rejectsWith(reader().read(), 'CONSENT_REQUIRED');
    assert.equal(e.details.graphCode, 'Authorization_RequestDenied');
  });

  it('learns the tenant id from the token when /organization is refused', async () => {
    emu = await startGraphEmulator({ tenant: tenant([user(1)]) });
    emu.injectNext(1, { status: 403, body: { error: { code: 'Authorization_RequestDenied', message: 'no' } }, path: '/organization' });
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ tid: 'tid-from-token', exp: 9999999999 })}.sig`;
    const r = createGraphDirectoryReader({ graphBaseUrl: emu.baseUrl, tokenProvider: staticTokenProvider(jwt) });
    assert.equal((await r.read()).tenantId, 'tid-from-token');
  });

  it('an aborted read rejects with the abort reason', async () => {
    emu = await startGraphEmulator({ tenant: tenant([user(1)]), latencyMs: 300 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 50);
    await assert.rejects(reader().read({ signal: ac.signal }), /stop/);
  });

  it('delta: the initial round, then only what changed, with removed ids', async () => {
    emu = await startGraphEmulator({ tenant: tenant(Array.from({ length: 450 }, (_, i) => user(i + 1))), deltaPageSize: 200 });
    const r = reader();
    const first = await r.readDelta(null);
    assert.equal(first.full, true);
    assert.equal(first.tenantId, TENANT);
    assert.equal(first.users.length, 450);
    assert.deepEqual(first.removedIds, []);
    assert.match(first.deltaLink, /\/users\/delta\?\$deltatoken=/);
    assert.ok(decodeURIComponent(emu.requestLog.find((q) => q.url.startsWith('/v1.0/users/delta'))!.url).includes(`$select=${USER_SELECT}`));

    const none = await r.readDelta(first.deltaLink);
    assert.deepEqual([none.users, none.removedIds, none.full], [[], [], false]);

    emu.addUser(user(1000, { displayName: 'New Person', userType: 'Guest' }));
    emu.updateUser(id(7), { department: 'サポートチーム', accountEnabled: false });
    emu.removeUser(id(8));
    emu.removeUser(id(9));
    const changed = await r.readDelta(none.deltaLink);
    assert.equal(changed.full, false);
    assert.deepEqual(changed.users.map((u) => u.id).sort(), [id(7), id(1000)].sort());
    const seven = changed.users.find((u) => u.id === id(7))!;
    assert.equal(seven.department, 'サポートチーム');
    assert.equal(seven.accountEnabled, false);
    assert.equal(changed.users.find((u) => u.id === id(1000))!.userType, 'Guest');
    assert.deepEqual(changed.removedIds.sort(), [id(8), id(9)]);
    assert.notEqual(changed.deltaLink, none.deltaLink);

    const after = await r.readDelta(changed.deltaLink);
    assert.deepEqual([after.users, after.removedIds], [[], []]);
  });

  it('delta: a 410 Gone delta link starts a full round', async () => {
    emu = await startGraphEmulator({ tenant: tenant([user(1), user(2)]) });
    const r = reader();
    const first = await r.readDelta(null);
    emu.injectNext(1, { status: 410, body: { error: { code: 'syncStateNotFound', message: 'resync' } }, path: '/users/delta' });
    const again = await r.readDelta(first.deltaLink);
    assert.equal(again.full, true);
    assert.equal(again.users.length, 2);
  });

  it('delta: an expired delta link (the emulator answers 410 syncStateNotFound after 7 days) starts a full round', async () => {
    let now = new Date('2026-12-01T00:00:00Z');
    emu = await startGraphEmulator({ tenant: tenant([user(1), user(2), user(3)]), clock: () => now });
    const r = reader();
    const first = await r.readDelta(null);
    emu.updateUser(id(2), { department: 'Support' });
    emu.removeUser(id(3));
    now = new Date(now.getTime() + 8 * 24 * 3600_000);
    const seen = emu.requestLog.length;
    const again = await r.readDelta(first.deltaLink);
    assert.equal(again.full, true);
    assert.deepEqual(again.users.map((u) => u.id).sort(), [id(1), id(2)]);
    assert.equal(again.users.find((u) => u.id === id(2))!.department, 'Support');
    assert.deepEqual(again.removedIds, [], 'a full round names no removals: the absent are gone');
    const urls = emu.requestLog.slice(seen).map((q) => q.url).filter((u) => u.startsWith('/v1.0/users/delta'));
    assert.ok(urls[0]!.includes('$deltatoken='), 'the old link was tried first');
    assert.ok(!urls[1]!.includes('$deltatoken=') && !urls[1]!.includes('$skiptoken='), 'then a new initial round');
    // The new link works.
    assert.equal((await r.readDelta(again.deltaLink)).full, false);
  });

  it("defect: an expired delta token answered 400 syncStateNotFound (as Microsoft's note on directory tokens says) failed the read; it starts a full round", async () => {
    emu = await startGraphEmulator({ tenant: tenant([user(1), user(2)]), expiredDeltaTokenStatus: 400 });
    const r = reader();
    const first = await r.readDelta(null);
    emu.expireDeltaTokens();
    const again = await r.readDelta(first.deltaLink);
    assert.equal(again.full, true);
    assert.equal(again.users.length, 2);
  });

  it('delta: a property never set is absent from the answer and read as null; only what was sent counts as present; @removed deleted is a removal', async () => {
    emu = await startGraphEmulator({
      tenant: tenant([user(1), { id: id(2), userPrincipalName: 'bare@contoso.com' }, user(3), user(4)]),
    });
    const r = reader();
    const first = await r.readDelta(null);
    const bare = first.users.find((u) => u.id === id(2))!;
    assert.deepEqual([bare.displayName, bare.mail, bare.department, bare.businessPhones, bare.accountEnabled], [null, null, null, [], true]);
    assert.deepEqual(
      [...first.presentFields.get(id(2))!].sort(),
      ['accountEnabled', 'id', 'identityIssuers', 'userPrincipalName', 'userType'],
      'never-set displayName, mail, department, businessPhones were not sent',
    );
    emu.updateUser(id(2), { department: '総務部' });
    emu.removeUser(id(3));
    emu.permanentlyDeleteUser(id(4));
    const changed = await r.readDelta(first.deltaLink);
    assert.equal(changed.users.find((u) => u.id === id(2))!.department, '総務部');
    assert.ok(changed.presentFields.get(id(2))!.includes('department'));
    assert.ok(!changed.presentFields.get(id(2))!.includes('mail'));
    assert.deepEqual(changed.removedIds.sort(), [id(3), id(4)]);
  });

  it('normaliseGraphUser rejects what is not a user', () => {
    assert.throws(() => normaliseGraphUser({ id: '' }));
    assert.throws(() => normaliseGraphUser({ id: 'x', identities: 'ExternalAzureAD' }));
    assert.deepEqual(normaliseGraphUser({ id: 'x' }), {
      id: 'x',
      userPrincipalName: null,
      displayName: null,
      mail: null,
      businessPhones: [],
      department: null,
      accountEnabled: true,
      userType: null,
      identityIssuers: [],
    });
  });

  it('defect 2 and 9: normaliseGraphUser removes NUL and control characters, cuts long texts and says so in `adjusted`; an id with them is refused', () => {
    const u = normaliseGraphUser({ id: 'x', userPrincipalName: 'x@c.com', displayName: `A\u0000B${'n'.repeat(1000)}`, department: 'D\u0001', businessPhones: ['03\u0000'] });
    assert.equal(u.displayName, `AB${'n'.repeat(198)}`);
    assert.equal(u.department, 'D');
    assert.deepEqual(u.businessPhones, ['03']);
    assert.deepEqual(u.adjusted?.map((a) => [a.field, a.adjustments]), [
      ['displayName', ['controlCharactersRemoved', 'truncated']],
      ['department', ['controlCharactersRemoved']],
      ['businessPhones', ['controlCharactersRemoved']],
    ]);
    assert.equal(normaliseGraphUser({ id: 'y', displayName: 'Plain' }).adjusted, undefined);
    assert.throws(() => normaliseGraphUser({ id: 'x\u0000' }));
  });
});
