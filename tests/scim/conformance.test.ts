/**
 * SCIM 2.0 conformance over HTTP: the real restify server from
 * createHttpServer, a SafetyStore on in-memory PGlite, the SCIM routes, on
 * 127.0.0.1 port 0 — the requests Entra's provisioning service sends.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ENTRA_CONTAINER_DEPARTMENT } from '../../src/domain/types.ts';
import { verifyPassword } from '../../src/store/passwords.ts';
import { engines } from '../helpers/databases.ts';
import { API_KEY, call, companyWithToken, ENTERPRISE, ERROR, fixture, PATCH, startHarness, USER, type Harness, type Reply } from './harness.ts';

const users = '/scim/v2/Users';
const q = (filter: string, extra = '') => `${users}?filter=${encodeURIComponent(filter)}${extra}`;

export function assertScimError(r: Reply, status: number, scimType?: string): void {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers.get('content-type') ?? '', /json/);
  assert.deepEqual(r.body.schemas, [ERROR]);
  assert.equal(r.body.status, String(status));
  assert.equal(r.body.scimType, scimType);
  assert.equal(typeof r.body.detail, 'string');
  assert.doesNotMatch(r.text, /\bat .*\.(ts|js):\d+|"stack"/, 'no stack trace');
}

// The whole conformance suite runs on every engine: PGlite always, PostgreSQL when TEST_DATABASE_URL is set.
for (const engine of engines()) {
  describe(`SCIM conformance over HTTP (restify + ${engine.name})`, () => {
    let h: Harness;
    let token: string;
    let companyId: string;
    let seq = 0;
    const next = () => ++seq;

    /** POSTs the Entra-shaped fixture with fresh identifiers; returns the reply. */
    const createUser = async (overrides: Record<string, unknown> = {}, t = token): Promise<Reply> => {
      const n = next();
      const body = {
        ...fixture('create-user', { userName: `User${n}@Contoso.co.jp`, externalId: randomUUID(), email: `user${n}@contoso.co.jp` }),
        ...overrides,
      };
      return call(h, 'POST', users, { token: t, body });
    };
    const created = async (overrides: Record<string, unknown> = {}) => {
      const r = await createUser(overrides);
      assert.equal(r.status, 201, r.text);
      return r.body;
    };
    const get = async (id: string) => (await call(h, 'GET', `${users}/${id}`, { token })).body;
    const patch = (id: string, Operations: unknown[], suffix = '') =>
      call(h, 'PATCH', `${users}/${id}${suffix}`, { token, body: { schemas: [PATCH], Operations } });

    before(async () => {
      h = await startHarness(engine.open);
      const a = await companyWithToken(h, 'Contoso', { initialPassword: 'Initial-Pass-1', label: 'Contoso provisioning' });
      token = a.token;
      companyId = a.company.id;
    });
    after(() => h.close());

    // ------------------------------------------------------------ connection and discovery

    it("Entra's Test Connection: a filter on a random userName answers 200 with an empty list", async () => {
      for (const suffix of ['', '&aadOptscim062020']) {
        const r = await call(h, 'GET', q(`userName eq "${randomUUID()}"`, suffix), { token });
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') ?? '', /^application\/scim\+json/);
        assert.deepEqual(r.body, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
          totalResults: 0,
          startIndex: 1,
          itemsPerPage: 0,
          Resources: [],
        });
      }
    });

    it('ServiceProviderConfig, Schemas and ResourceTypes describe Users with the enterprise extension', async () => {
      const spc = await call(h, 'GET', '/scim/v2/ServiceProviderConfig');
      assert.equal(spc.status, 200);
      assert.equal(spc.body.patch.supported, true);
      assert.equal(spc.body.filter.supported, true);
      assert.equal(spc.body.bulk.supported, false);
      assert.equal(spc.body.authenticationSchemes[0].type, 'oauthbearertoken');
      const schemas = await call(h, 'GET', '/scim/v2/Schemas');
      assert.deepEqual(schemas.body.Resources.map((s: { id: string }) => s.id), [USER, ENTERPRISE]);
      const userSchema = await call(h, 'GET', `/scim/v2/Schemas/${USER}`);
      assert.ok(userSchema.body.attributes.some((a: { name: string; required: boolean }) => a.name === 'userName' && a.required));
      const types = await call(h, 'GET', '/scim/v2/ResourceTypes');
      assert.equal(types.body.Resources[0].endpoint, '/Users');
      assert.equal(types.body.Resources[0].schemaExtensions[0].schema, ENTERPRISE);
      assertScimError(await call(h, 'GET', '/scim/v2/Schemas/urn:nope'), 404);
    });

    // ------------------------------------------------------------ create

    it('creates a user with every mapped attribute (S3, S4, S11, S14) and the initial password (R22)', async () => {
      const externalId = randomUUID();
      const r = await call(h, 'POST', `${users}?aadOptscim062020`, {
        token,
        body: fixture('create-user', { userName: 'Taro.Yamada@Contoso.co.jp', externalId, email: 'taro.yamada@contoso.co.jp' }),
      });
      assert.equal(r.status, 201, r.text);
      assert.match(r.headers.get('content-type') ?? '', /^application\/scim\+json/);
      assert.equal(r.headers.get('location'), `${h.base}${users}/${r.body.id}`);
      const u = r.body;
      assert.equal(u.userName, 'Taro.Yamada@Contoso.co.jp');
      assert.equal(u.externalId, externalId);
      assert.equal(u.displayName, '山田 太郎');
      assert.equal(u.active, true);
      assert.deepEqual(u.emails, [{ value: 'taro.yamada@contoso.co.jp', type: 'work', primary: true }]);
      assert.deepEqual(u.phoneNumbers, [{ value: '+81 3-1234-5678', type: 'work' }], 'the work phone, not the mobile');
      assert.deepEqual(u.roles.map((x: { value: string; primary: boolean }) => [x.value, x.primary]), [['ADMIN', true]]);
      assert.equal(u.preferredLanguage, 'ja-JP');
      assert.equal(u.timezone, 'Asia/Tokyo');
      assert.deepEqual(u[ENTERPRISE], { department: '営業部', employeeNumber: 'E1001' });
      assert.equal(u.meta.resourceType, 'User');

      const su = await h.store.getUser(companyId, u.id);
      assert.equal(su.loginName, 'Taro.Yamada@Contoso.co.jp');
      assert.equal(su.name, '山田 太郎');
      assert.equal(su.email, 'taro.yamada@contoso.co.jp');
      assert.equal(su.phone, '+81 3-1234-5678');
      assert.equal(su.entraObjectId, externalId, 'S14: externalId is the Entra object id link');
      assert.deepEqual(su.roles, ['systemAdmin']);
      assert.equal(su.status, 'active');
      const [row] = await h.store.db.query<{ password_hash: string; must_change_password: boolean; employee_number: string }>(
        'select password_hash, must_change_password, employee_number from users where id = $1',
        [u.id],
      );
      assert.equal(await verifyPassword('Initial-Pass-1', row!.password_hash), true);
      assert.equal(row!.must_change_password, true);
      assert.equal(row!.employee_number, 'E1001');
      // manager and title are accepted and ignored, with a log line.
      const ignored = h.logLines.find((l) => l['event'] === 'scim.attributes_ignored' && l['userId'] === u.id);
      assert.ok(ignored);
      assert.ok((ignored['attributes'] as string[]).includes(`${ENTERPRISE}:manager`));
      assert.ok((ignored['attributes'] as string[]).includes('title'));
    });

    it('R8–R10: the container is created once at level 1, Entra departments at level 2 under it, existing codes reused', async () => {
      const manual = await h.store.createDepartment(companyId, { code: '総務部', name: '総務部 (manual)' }, 'admin');
      await created({ [ENTERPRISE]: { department: '品質保証部' } });
      await created({ [ENTERPRISE]: { department: '品質保証部' } });
      const reuse = await created({ [ENTERPRISE]: { department: '総務部' } });
      const deps = await h.store.listDepartments(companyId);
      const company = await h.store.getCompany(companyId);
      const container = deps.filter((d) => d.code === ENTRA_CONTAINER_DEPARTMENT);
      assert.equal(container.length, 1);
      assert.equal(container[0]!.level, 1);
      assert.equal(container[0]!.parentId, company.rootDepartmentId);
      const qa = deps.filter((d) => d.code === '品質保証部');
      assert.equal(qa.length, 1, 'never duplicated');
      assert.deepEqual([qa[0]!.level, qa[0]!.parentId, qa[0]!.source, qa[0]!.name], [2, container[0]!.id, 'entra', '品質保証部']);
      assert.equal(deps.filter((d) => d.code === '総務部').length, 1, 'R10: the manual department is reused');
      const su = await h.store.getUser(companyId, reuse.id);
      assert.deepEqual(su.departments, [{ id: manual.id, code: '総務部', source: 'entra' }]);
    });

    it('a company without an initial password still provisions: an unusable hash the user must reset', async () => {
      const b = await companyWithToken(h, 'NoPassword Co');
      const r = await call(h, 'POST', users, { token: b.token, body: { schemas: [USER], userName: 'np@contoso.jp', displayName: 'NP' } });
      assert.equal(r.status, 201, r.text);
      const [row] = await h.store.db.query<{ password_hash: string; must_change_password: boolean }>(
        'select password_hash, must_change_password from users where id = $1',
        [r.body.id],
      );
      assert.equal(row!.must_change_password, true);
      for (const guess of ['', 'Initial-Pass-1', row!.password_hash]) assert.equal(await verifyPassword(guess, row!.password_hash), false);
      assert.deepEqual(r.body.roles.map((x: { value: string }) => x.value), ['USER'], 'no role sent means USER');
    });

    it('the user limit (maxUsers) holds: one user too many is refused with a SCIM error', async () => {
      const small = await companyWithToken(h, 'Small Co', { maxUsers: 1 });
      const first = await call(h, 'POST', users, { token: small.token, body: { schemas: [USER], userName: 's1@x.jp', displayName: 'S1' } });
      assert.equal(first.status, 201);
      const second = await call(h, 'POST', users, { token: small.token, body: { schemas: [USER], userName: 's2@x.jp', displayName: 'S2' } });
      assertScimError(second, 403);
      assert.match(second.body.detail, /limit/);
    });

    // ------------------------------------------------------------ read and filter

    it('filters by userName in another letter case and by externalId; GET by id returns the same resource', async () => {
      const u = await created();
      for (const filter of [
        `userName eq "${u.userName.toUpperCase()}"`,
        `userName eq "${u.userName.toLowerCase()}"`,
        `externalId eq "${u.externalId}"`,
        `USERNAME eq "${u.userName}" and active eq "True"`,
        `emails[type eq "work"].value eq "${u.emails[0].value}"`,
      ]) {
        const r = await call(h, 'GET', q(filter), { token });
        assert.equal(r.status, 200, filter);
        assert.equal(r.body.totalResults, 1, filter);
        assert.equal(r.body.Resources[0].id, u.id, filter);
      }
      const byId = await call(h, 'GET', `${users}/${u.id}`, { token });
      assert.equal(byId.status, 200);
      assert.deepEqual(byId.body, u);
    });

    it('attributes and excludedAttributes shape the answer; id and schemas always come', async () => {
      const u = await created();
      const only = await call(h, 'GET', `${users}/${u.id}?attributes=userName,emails.value`, { token });
      assert.deepEqual(Object.keys(only.body).sort(), ['emails', 'id', 'schemas', 'userName']);
      assert.deepEqual(only.body.emails, [{ value: u.emails[0].value }]);
      const list = await call(h, 'GET', q(`userName eq "${u.userName}"`, `&attributes=${encodeURIComponent(`${ENTERPRISE}:department`)}`), { token });
      assert.deepEqual(list.body.Resources[0][ENTERPRISE], { department: '営業部' });
      assert.equal(list.body.Resources[0].userName, undefined);
      const without = await call(h, 'GET', `${users}/${u.id}?excludedAttributes=emails,phoneNumbers,id`, { token });
      assert.equal(without.body.emails, undefined);
      assert.equal(without.body.phoneNumbers, undefined);
      assert.equal(without.body.id, u.id);
      assert.equal(without.body.userName, u.userName);
    });

    it('pages with startIndex and count: stable, complete, no duplicates; count capped, count=0 counts only', async () => {
      const c = await companyWithToken(h, 'Paging Co');
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const r = await call(h, 'POST', users, { token: c.token, body: { schemas: [USER], userName: `p${i}@x.jp`, displayName: `P${i}` } });
        ids.push(r.body.id);
      }
      const seen: string[] = [];
      for (const start of [1, 4, 7]) {
        const r = await call(h, 'GET', `${users}?startIndex=${start}&count=3`, { token: c.token });
        assert.equal(r.body.totalResults, 7);
        assert.equal(r.body.startIndex, start);
        assert.equal(r.body.itemsPerPage, r.body.Resources.length);
        seen.push(...r.body.Resources.map((x: { id: string }) => x.id));
      }
      assert.deepEqual(seen, ids, 'pages in creation order, each user once');
      const past = await call(h, 'GET', `${users}?startIndex=8&count=3`, { token: c.token });
      assert.deepEqual([past.body.totalResults, past.body.Resources.length], [7, 0]);
      const zero = await call(h, 'GET', `${users}?count=0`, { token: c.token });
      assert.deepEqual([zero.body.totalResults, zero.body.itemsPerPage, zero.body.Resources.length], [7, 0, 0]);
      const capped = await call(h, 'GET', `${users}?count=100000&startIndex=0`, { token: c.token });
      assert.deepEqual([capped.body.startIndex, capped.body.itemsPerPage], [1, 7]);
      const filtered = await call(h, 'GET', q('userName sw "p"', '&startIndex=2&count=2'), { token: c.token });
      assert.deepEqual(filtered.body.Resources.map((x: { id: string }) => x.id), ids.slice(1, 3));
      assertScimError(await call(h, 'GET', `${users}?count=ten`, { token: c.token }), 400, 'invalidValue');
    });

    it('POST /Users/.search answers like GET with a filter', async () => {
      const u = await created();
      const r = await call(h, 'POST', `${users}/.search`, {
        token,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: `userName eq "${u.userName}"`, attributes: ['userName'] },
      });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.totalResults, 1);
      assert.deepEqual(Object.keys(r.body.Resources[0]).sort(), ['id', 'schemas', 'userName']);
    });

    it('concurrent requests (Entra sends several at once): one department per name, one user per userName', async () => {
      const c = await companyWithToken(h, 'Parallel Co');
      const bodies = Array.from({ length: 8 }, (_, i) => ({
        schemas: [USER, ENTERPRISE],
        userName: `par${i}@x.jp`,
        externalId: randomUUID(),
        displayName: `Par ${i}`,
        [ENTERPRISE]: { department: '並行部' },
      }));
      const replies = await Promise.all(bodies.map((body) => call(h, 'POST', users, { token: c.token, body })));
      assert.deepEqual(replies.map((r) => r.status), bodies.map(() => 201));
      const deps = await h.store.listDepartments(c.company.id);
      assert.equal(deps.filter((d) => d.code === '並行部').length, 1);
      assert.equal(deps.filter((d) => d.code === ENTRA_CONTAINER_DEPARTMENT).length, 1);
      const same = { ...bodies[0]!, userName: 'same@x.jp' };
      const dup = await Promise.all([1, 2, 3].map(() => call(h, 'POST', users, { token: c.token, body: { ...same, externalId: randomUUID() } })));
      assert.deepEqual(dup.map((r) => r.status).sort(), [201, 409, 409]);
      assert.equal((await call(h, 'GET', q('userName eq "SAME@x.jp"'), { token: c.token })).body.totalResults, 1);
    });

    // ------------------------------------------------------------ PATCH: both dialects, every path

    type PathCase = {
      name: string;
      path: string;
      /** The value Entra sends without the flag (legacy) and with ?aadOptscim062020. */
      legacy: (n: number) => unknown;
      aad: (n: number) => unknown;
      check: (u: Record<string, any>, n: number) => void;
    };
    const same = (f: (n: number) => unknown) => ({ legacy: f, aad: f });
    const PATHS: PathCase[] = [
      { name: 'displayName', path: 'displayName', ...same((n) => `表示名 ${n}`), check: (u, n) => assert.equal(u.displayName, `表示名 ${n}`) },
      { name: 'userName', path: 'userName', ...same((n) => `Renamed${n}@Contoso.co.jp`), check: (u, n) => assert.equal(u.userName, `Renamed${n}@Contoso.co.jp`) },
      { name: 'externalId', path: 'externalId', ...same((n) => `oid-patched-${n}`), check: (u, n) => assert.equal(u.externalId, `oid-patched-${n}`) },
      {
        name: 'emails[type eq "work"].value',
        path: 'emails[type eq "work"].value',
        ...same((n) => `patched${n}@contoso.co.jp`),
        check: (u, n) => assert.deepEqual(u.emails.map((e: { value: string }) => e.value), [`patched${n}@contoso.co.jp`]),
      },
      {
        name: 'phoneNumbers[type eq "work"].value',
        path: 'phoneNumbers[type eq "work"].value',
        ...same((n) => `03-0000-${String(n).padStart(4, '0')}`),
        check: (u, n) => assert.deepEqual(u.phoneNumbers.map((e: { value: string }) => e.value), [`03-0000-${String(n).padStart(4, '0')}`]),
      },
      {
        name: 'enterprise department',
        path: `${ENTERPRISE}:department`,
        ...same((n) => `部署${n}`),
        check: (u, n) => assert.equal(u[ENTERPRISE].department, `部署${n}`),
      },
      {
        name: 'enterprise employeeNumber',
        path: `${ENTERPRISE}:employeeNumber`,
        ...same((n) => `E-${n}`),
        check: (u, n) => assert.equal(u[ENTERPRISE].employeeNumber, `E-${n}`),
      },
      { name: 'preferredLanguage', path: 'preferredLanguage', ...same(() => 'en-US'), check: (u) => assert.equal(u.preferredLanguage, 'en-US') },
      { name: 'timezone', path: 'timezone', ...same(() => 'America/New_York'), check: (u) => assert.equal(u.timezone, 'America/New_York') },
      { name: 'active', path: 'active', legacy: () => 'False', aad: () => false, check: (u) => assert.equal(u.active, false) },
      {
        name: 'roles[primary eq "True"].value',
        path: 'roles[primary eq "True"].value',
        ...same(() => 'GUEST'),
        check: (u) => assert.deepEqual(u.roles.map((r: { value: string; primary: boolean }) => [r.value, r.primary]), [['GUEST', true]]),
      },
      {
        name: 'roles (JSON-string value)',
        path: 'roles',
        legacy: () => [{ value: '{"id":"1b2c","value":"USER","displayName":"User"}' }],
        aad: () => [{ value: 'USER', primary: true }],
        check: (u) => assert.deepEqual(u.roles.map((r: { value: string }) => r.value), ['USER']),
      },
      {
        name: 'enterprise manager (accepted, ignored)',
        path: `${ENTERPRISE}:manager`,
        legacy: () => 'manager-object-id',
        aad: () => ({ value: 'manager-object-id' }),
        check: (u) => assert.equal(u[ENTERPRISE].manager, undefined),
      },
    ];

    for (const dialect of ['legacy', 'aadOptscim062020'] as const) {
      for (const c of PATHS) {
        it(`PATCH ${c.name} in the ${dialect} dialect`, async () => {
          const u = await created();
          const n = next();
          const value = dialect === 'legacy' ? c.legacy(n) : c.aad(n);
          const op =
            dialect === 'legacy'
              ? { op: 'Replace', path: c.path, value }
              : { op: 'replace', value: { [c.path]: value } };
          const r = await patch(u.id, [op], dialect === 'legacy' ? '' : '?aadOptscim062020');
          assert.equal(r.status, 200, r.text);
          c.check(r.body, n);
          c.check(await get(u.id), n);
        });
      }
    }

    it('PATCH stores what it shows: department, phone, email, roles and status in the safety service', async () => {
      const u = await created();
      const r = await call(h, 'PATCH', `${users}/${u.id}`, { token, body: fixture('patch-legacy-update', { email: 'moved@contoso.co.jp' }) });
      assert.equal(r.status, 200, r.text);
      await patch(u.id, [{ op: 'Replace', path: 'active', value: 'False' }]);
      const su = await h.store.getUser(companyId, u.id);
      assert.equal(su.name, '山田 太郎 (更新)');
      assert.equal(su.email, 'moved@contoso.co.jp');
      assert.equal(su.phone, '+81 3-9999-0000');
      assert.deepEqual(su.departments.map((d) => [d.code, d.source]), [['開発部', 'entra']]);
      assert.equal(su.status, 'suspended');
    });

    // ------------------------------------------------------------ roles (S4)

    it('role changes replace the SCIM-managed role only; other roles the service set stay; never two primary roles', async () => {
      const u = await created(); // ADMIN
      await h.store.updateUser(companyId, u.id, { roles: ['systemAdmin', 'crisisManager'] }, 'admin');
      const steps: Array<[unknown, string, string[]]> = [
        [fixture('patch-legacy-role-json-string', { role: 'GUEST' }).Operations, 'GUEST', ['crisisManager', 'guest']],
        [fixture('patch-aadopt-role-primary-path', { role: 'USER' }).Operations, 'USER', ['crisisManager']],
        [fixture('patch-role-object', { role: 'ADMIN' }).Operations, 'ADMIN', ['crisisManager', 'systemAdmin']],
        [[{ op: 'Add', path: 'roles', value: [{ value: 'GUEST', primary: 'True' }] }], 'GUEST', ['crisisManager', 'guest']],
        [[{ op: 'Remove', path: 'roles' }], 'USER', ['crisisManager']],
      ];
      for (const [ops, scimRole, roles] of steps) {
        const r = await patch(u.id, ops as unknown[]);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.roles.length, 1, 'one role');
        assert.equal(r.body.roles.filter((x: { primary: boolean }) => x.primary).length, 1, 'one primary role');
        assert.equal(r.body.roles[0].value, scimRole);
        assert.deepEqual((await h.store.getUser(companyId, u.id)).roles, roles);
      }
    });

    it('an unknown role value reads as USER with a warning, never a 400', async () => {
      const u = await created({ roles: [{ value: 'msiam_access', primary: true }] });
      assert.deepEqual(u.roles.map((r: { value: string }) => r.value), ['USER']);
      assert.ok(h.logLines.some((l) => l['event'] === 'scim.role_unknown' && l['role'] === 'MSIAM_ACCESS'));
    });

    // ------------------------------------------------------------ active (S5)

    it('deactivate and reactivate: a suspended user is kept and still returned by GET and filters', async () => {
      const u = await created();
      let r = await call(h, 'PATCH', `${users}/${u.id}`, { token, body: fixture('patch-legacy-disable') });
      assert.equal(r.body.active, false);
      assert.equal((await h.store.getUser(companyId, u.id)).status, 'suspended');
      const found = await call(h, 'GET', q(`userName eq "${u.userName}"`), { token });
      assert.equal(found.body.totalResults, 1);
      assert.equal(found.body.Resources[0].active, false);
      const inactive = await call(h, 'GET', q(`active eq "False" and externalId eq "${u.externalId}"`), { token });
      assert.equal(inactive.body.totalResults, 1);
      r = await call(h, 'PATCH', `${users}/${u.id}?aadOptscim062020`, { token, body: fixture('patch-aadopt-enable') });
      assert.equal(r.body.active, true);
      assert.equal((await h.store.getUser(companyId, u.id)).status, 'active');
      r = await call(h, 'PATCH', `${users}/${u.id}?aadOptscim062020`, { token, body: fixture('patch-aadopt-disable') });
      assert.equal(r.body.active, false);
      r = await call(h, 'PATCH', `${users}/${u.id}`, { token, body: fixture('patch-legacy-enable') });
      assert.equal(r.body.active, true);
    });

    // ------------------------------------------------------------ departments (R8–R11, R23–R25)

    it('a department change replaces the Entra membership, keeps manual ones, deletes no department; blank changes nothing', async () => {
      const u = await created({ [ENTERPRISE]: { department: '旧部署' } });
      const manual = await h.store.createDepartment(companyId, { code: 'M-1', name: 'Manual team' }, 'admin');
      const entra = (await h.store.getUser(companyId, u.id)).departments.map((d) => d.id);
      await h.store.updateUser(companyId, u.id, { departmentIds: [...entra, manual.id] }, 'admin');
      let r = await patch(u.id, [{ op: 'Replace', path: `${ENTERPRISE}:department`, value: '新部署' }]);
      assert.equal(r.status, 200);
      const codes = async () => (await h.store.getUser(companyId, u.id)).departments.map((d) => `${d.code}/${d.source}`).sort();
      assert.deepEqual(await codes(), ['M-1/manual', '新部署/entra']);
      assert.ok((await h.store.listDepartments(companyId)).some((d) => d.code === '旧部署'), 'R11: never deleted');
      r = await patch(u.id, [{ op: 'replace', value: { [`${ENTERPRISE}:department`]: '' } }]);
      assert.equal(r.status, 200);
      r = await patch(u.id, [{ op: 'Remove', path: `${ENTERPRISE}:department` }]);
      assert.equal(r.status, 200);
      assert.deepEqual(await codes(), ['M-1/manual', '新部署/entra'], 'blank department: memberships unchanged');
    });

    it('R25: removing the work email or phone never erases a contact channel', async () => {
      const u = await created();
      const r = await patch(u.id, [
        { op: 'Remove', path: 'emails[type eq "work"]' },
        { op: 'remove', path: 'phoneNumbers[type eq "work"].value' },
      ]);
      assert.equal(r.status, 200, r.text);
      const su = await h.store.getUser(companyId, u.id);
      assert.equal(su.email, u.emails[0].value);
      assert.equal(su.phone, u.phoneNumbers[0].value);
    });

    // ------------------------------------------------------------ PUT

    it('PUT replaces the resource: fields set, no role sent means USER, a different id is mutability', async () => {
      const u = await created();
      const body = {
        schemas: [USER, ENTERPRISE],
        id: u.id,
        userName: u.userName,
        displayName: 'PUT 名前',
        emails: [{ type: 'work', value: 'put@contoso.co.jp', primary: true }],
        active: 'False',
        [ENTERPRISE]: { department: 'PUT部' },
      };
      const r = await call(h, 'PUT', `${users}/${u.id}`, { token, body });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.displayName, 'PUT 名前');
      assert.equal(r.body.active, false);
      assert.equal(r.body.emails[0].value, 'put@contoso.co.jp');
      assert.equal(r.body[ENTERPRISE].department, 'PUT部');
      assert.deepEqual(r.body.roles.map((x: { value: string }) => x.value), ['USER']);
      assert.deepEqual((await h.store.getUser(companyId, u.id)).roles, []);
      assertScimError(await call(h, 'PUT', `${users}/${u.id}`, { token, body: { ...body, id: randomUUID() } }), 400, 'mutability');
      assertScimError(await call(h, 'PUT', `${users}/${randomUUID()}`, { token, body }), 404);
    });

    // ------------------------------------------------------------ S6: linking existing service users

    it('S6: a POST whose userName matches an unlinked service user (any case) links and syncs it: 201, same id', async () => {
      const manual = await h.store.createDepartment(companyId, { code: 'S6-manual', name: 'S6 manual' }, 'admin');
      const existing = await h.store.createUser(
        companyId,
        { loginName: 'hanako@contoso.co.jp', password: 'Password-123', name: '花子', email: 'hanako@contoso.co.jp', departmentIds: [manual.id] },
        'admin',
      );
      const oid = randomUUID();
      const r = await createUser({ userName: 'Hanako@CONTOSO.co.jp', externalId: oid, displayName: '花子 (Entra)', emails: [{ type: 'work', value: 'hanako@contoso.co.jp' }] });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.id, existing.id);
      const su = await h.store.getUser(companyId, existing.id);
      assert.equal(su.entraObjectId, oid);
      assert.equal(su.name, '花子 (Entra)');
      assert.equal(su.loginName, 'Hanako@CONTOSO.co.jp');
      assert.deepEqual(su.departments.map((d) => `${d.code}/${d.source}`).sort(), ['S6-manual/manual', '営業部/entra']);
      assert.equal((await h.store.listUsers(companyId)).filter((x) => x.loginName.toLowerCase() === 'hanako@contoso.co.jp').length, 1);
      const [row] = await h.store.db.query<{ password_hash: string }>('select password_hash from users where id = $1', [existing.id]);
      assert.equal(await verifyPassword('Password-123', row!.password_hash), true, 'the password is never changed by linking');
    });

    it('S6: a POST whose work email matches an unlinked service user links it and takes the userName', async () => {
      const existing = await h.store.createUser(
        companyId,
        { loginName: 'jiro-local', password: 'Password-123', name: '次郎', email: 'jiro@contoso.co.jp' },
        'admin',
      );
      const r = await createUser({ userName: 'jiro@contoso.co.jp', emails: [{ type: 'work', value: 'JIRO@contoso.co.jp', primary: true }] });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.id, existing.id);
      assert.equal((await h.store.getUser(companyId, existing.id)).loginName, 'jiro@contoso.co.jp');
    });

    it('S14: a user the Teams import linked (same Entra object id) is linked again, not duplicated', async () => {
      const oid = randomUUID();
      const imported = await h.store.createUser(
        companyId,
        { loginName: 'old.upn@contoso.co.jp', password: 'Password-123', name: 'Imported', entraObjectId: oid },
        'import',
      );
      const r = await createUser({ userName: 'new.upn@contoso.co.jp', externalId: oid });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.id, imported.id);
      assert.equal((await h.store.getUser(companyId, imported.id)).loginName, 'new.upn@contoso.co.jp');
    });

    it('duplicate create -> 409 uniqueness; a userName an already-linked user holds -> 409 uniqueness', async () => {
      const body = fixture('create-user', { userName: 'dup@contoso.co.jp', externalId: randomUUID(), email: 'dup@contoso.co.jp' });
      assert.equal((await call(h, 'POST', users, { token, body })).status, 201);
      assertScimError(await call(h, 'POST', users, { token, body }), 409, 'uniqueness');
      const other = { ...body, userName: 'DUP@contoso.co.jp', externalId: randomUUID(), emails: [] };
      assertScimError(await call(h, 'POST', users, { token, body: other }), 409, 'uniqueness');
      const sameMail = { ...body, userName: 'another@contoso.co.jp', externalId: randomUUID() };
      assertScimError(await call(h, 'POST', users, { token, body: sameMail }), 409, 'uniqueness');
    });

    it('PATCH to a userName or email another user holds -> 409 uniqueness, nothing changed', async () => {
      const a = await created();
      const b = await created();
      assertScimError(await patch(b.id, [{ op: 'replace', path: 'userName', value: a.userName.toUpperCase() }]), 409, 'uniqueness');
      assertScimError(await patch(b.id, [{ op: 'replace', path: 'emails[type eq "work"].value', value: a.emails[0].value }]), 409, 'uniqueness');
      assert.equal((await get(b.id)).userName, b.userName);
    });

    // ------------------------------------------------------------ not found, delete

    it('an unknown id is 404 in the SCIM error schema for GET, PATCH, PUT and DELETE', async () => {
      for (const id of [randomUUID(), 'not-a-uuid']) {
        assertScimError(await call(h, 'GET', `${users}/${id}`, { token }), 404);
        assertScimError(await patch(id, [{ op: 'replace', path: 'displayName', value: 'x' }]), 404);
        assertScimError(await call(h, 'DELETE', `${users}/${id}`, { token }), 404);
      }
    });

    it('DELETE removes the user: 204, then 404; recorded in the change log', async () => {
      const u = await created({ roles: [{ value: 'USER', primary: true }] });
      const r = await call(h, 'DELETE', `${users}/${u.id}`, { token });
      assert.equal(r.status, 204);
      assert.equal(r.text, '');
      assertScimError(await call(h, 'GET', `${users}/${u.id}`, { token }), 404);
      const log = await h.store.listChanges(companyId);
      const entry = log.find((c) => c.entityId === u.id && c.action === 'delete');
      assert.ok(entry);
      assert.equal(entry.origin, 'scim');
      assert.equal(entry.actor, 'scim:Contoso provisioning');
    });

    it('R27: an undeletable user gets a SCIM error naming the reason and stays', async () => {
      const admin = await created(); // ADMIN -> systemAdmin
      let r = await call(h, 'DELETE', `${users}/${admin.id}`, { token });
      assertScimError(r, 409);
      assert.match(r.body.detail, /systemAdmin/);
      assert.equal((await call(h, 'GET', `${users}/${admin.id}`, { token })).status, 200);
      const sender = await created({ roles: [] });
      await h.store.updateUser(companyId, sender.id, { roles: ['autoSendResponsible'] }, 'admin');
      r = await call(h, 'DELETE', `${users}/${sender.id}`, { token });
      assertScimError(r, 409);
      assert.match(r.body.detail, /autoSendResponsible/);
      assert.equal((await h.store.getUser(companyId, sender.id)).id, sender.id);
    });

    // ------------------------------------------------------------ security (S1, S12)

    it('no token, a wrong token or another scheme -> 401 in the SCIM error schema', async () => {
      const none = await call(h, 'GET', q('userName eq "x"'));
      assertScimError(none, 401);
      assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
      assertScimError(await call(h, 'GET', q('userName eq "x"'), { token: 'scim_wrong' }), 401);
      assertScimError(await call(h, 'GET', q('userName eq "x"'), { token: API_KEY }), 401, undefined);
      const basic = await fetch(`${h.base}${users}`, { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
      assert.equal(basic.status, 401);
      assertScimError(await call(h, 'POST', users, { body: { schemas: [USER], userName: 'x', displayName: 'x' } }), 401);
    });

    it("another company's token sees nothing of this company", async () => {
      const mine = await created();
      const other = await companyWithToken(h, 'Fabrikam');
      const all = await call(h, 'GET', users, { token: other.token });
      assert.equal(all.body.totalResults, 0);
      const byName = await call(h, 'GET', q(`userName eq "${mine.userName}"`), { token: other.token });
      assert.equal(byName.body.totalResults, 0);
      assertScimError(await call(h, 'GET', `${users}/${mine.id}`, { token: other.token }), 404);
      assertScimError(await call(h, 'PATCH', `${users}/${mine.id}`, { token: other.token, body: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'hijacked' }] } }), 404);
      assertScimError(await call(h, 'PUT', `${users}/${mine.id}`, { token: other.token, body: { schemas: [USER], userName: 'x', displayName: 'hijacked' } }), 404);
      assertScimError(await call(h, 'DELETE', `${users}/${mine.id}`, { token: other.token }), 404);
      assert.equal((await get(mine.id)).displayName, mine.displayName);
      // The same userName may exist in both companies: it is a different user.
      const twin = await call(h, 'POST', users, { token: other.token, body: { schemas: [USER], userName: mine.userName, displayName: 'Twin' } });
      assert.equal(twin.status, 201);
      assert.notEqual(twin.body.id, mine.id);
    });

    it('bad requests get SCIM errors with the right scimType, never a 500 or a stack trace', async () => {
      const u = await created();
      assertScimError(await call(h, 'POST', users, { token, raw: '{"schemas": [' }), 400, 'invalidSyntax');
      assertScimError(await call(h, 'POST', users, { token, raw: '' }), 400, 'invalidSyntax');
      assertScimError(await call(h, 'POST', users, { token, body: [1, 2] }), 400, 'invalidSyntax');
      assertScimError(await call(h, 'POST', users, { token, body: { schemas: ['urn:example:unknown'], userName: 'x' } }), 400, 'invalidSyntax');
      assertScimError(await call(h, 'POST', users, { token, body: { schemas: [USER], displayName: 'no user name' } }), 400, 'invalidValue');
      assertScimError(await call(h, 'POST', users, { token, body: { schemas: [USER], userName: 42, displayName: 'x' } }), 400, 'invalidValue');
      assertScimError(await call(h, 'POST', users, { token, body: { schemas: [USER], userName: 'x@y.jp', displayName: 'x', emails: [{ type: 'work', value: 'not an email' }] } }), 400, 'invalidValue');
      assertScimError(await call(h, 'POST', users, { token, body: { schemas: [USER], userName: 'x@y.jp', displayName: 'x', active: 'maybe' } }), 400, 'invalidValue');
      assertScimError(await call(h, 'GET', q('userName eq'), { token }), 400, 'invalidFilter');
      assertScimError(await call(h, 'GET', q('nonsense eq "x"'), { token }), 400, 'invalidFilter');
      assertScimError(await call(h, 'GET', `${users}?filter=a&filter=b`, { token }), 400, 'invalidFilter');
      assertScimError(await patch(u.id, [{ op: 'replace', path: 'id', value: randomUUID() }]), 400, 'mutability');
      assertScimError(await patch(u.id, [{ op: 'remove', path: 'displayName' }]), 400, 'invalidValue');
      assertScimError(await patch(u.id, [{ op: 'jump', path: 'displayName', value: 'x' }]), 400, 'invalidSyntax');
      assertScimError(await patch(u.id, []), 400, 'invalidSyntax');
      assertScimError(await call(h, 'PATCH', `${users}/${u.id}`, { token, body: { Operations: [{ op: 'add', path: 'title', value: 'x' }] } }), 400, 'invalidSyntax');
      assertScimError(await patch(u.id, [{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }]), 400, 'invalidPath');
      const big = { schemas: [USER], userName: 'big@x.jp', displayName: 'x'.repeat(200 * 1024) };
      assertScimError(await call(h, 'POST', users, { token, body: big }), 413);
      const huge = await call(h, 'POST', users, { token, raw: JSON.stringify({ ...big, displayName: 'x'.repeat(2 * 1024 * 1024) }) });
      assert.equal(huge.status, 413);
      assert.deepEqual(huge.body.schemas, [ERROR]);
      assert.equal((await get(u.id)).displayName, u.displayName, 'nothing changed');
    });

    // ------------------------------------------------------------ history (S13)

    it('S13: every SCIM change is in the change log with origin scim and the token label as actor', async () => {
      const u = await created();
      await patch(u.id, [{ op: 'replace', path: 'displayName', value: '履歴テスト' }]);
      await patch(u.id, [{ op: 'replace', path: 'displayName', value: '履歴テスト' }]); // no change, no entry
      const entries = (await h.store.listChanges(companyId)).filter((c) => c.entityId === u.id);
      assert.deepEqual(entries.map((e) => e.action), ['update', 'create']);
      for (const e of entries) {
        assert.equal(e.origin, 'scim');
        assert.equal(e.actor, 'scim:Contoso provisioning');
      }
      assert.deepEqual(entries[0]!.before, { name: '山田 太郎' });
      assert.deepEqual(entries[0]!.after, { name: '履歴テスト' });
      const deps = (await h.store.listChanges(companyId)).filter((c) => c.entity === 'department' && c.origin === 'scim');
      assert.ok(deps.some((d) => d.after?.['code'] === ENTRA_CONTAINER_DEPARTMENT));
    });
  });
}

describe('SCIM over HTTP when the database fails', () => {
  it('an unknown server error is 500 in the SCIM error schema (never a 404 or 401), and logged', async () => {
    const h = await startHarness();
    try {
      const { token } = await companyWithToken(h, 'Outage Co');
      const original = h.store.db.query.bind(h.store.db);
      h.store.db.query = (async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.5:5432'), { code: 'ECONNREFUSED' });
      }) as typeof h.store.db.query;
      const r = await call(h, 'GET', `${users}/${randomUUID()}`, { token });
      assertScimError(r, 500);
      assert.doesNotMatch(r.text, /ECONNREFUSED|10\.0\.0\.5/);
      assert.ok(h.logLines.some((l) => l['event'] === 'scim.unexpected'));
      h.store.db.query = original;
      assert.equal((await call(h, 'GET', `${users}/${randomUUID()}`, { token })).status, 404);
    } finally {
      await h.close();
    }
  });
});
