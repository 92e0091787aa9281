/**
 * Property tests over random tenants: random Entra users (guests, external,
 * disabled, blank fields) and random service users (linked, unlinked,
 * orphaned, service-only, with roles and memberships).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planImport } from '../../src/domain/planner.ts';
import { applyPlanToSnapshot } from '../../src/domain/simulate.ts';
import {
  ENTRA_CONTAINER_DEPARTMENT,
  ROLES,
  UNDELETABLE_ROLES,
  type CompanySnapshot,
  type Department,
  type DirectorySnapshot,
  type DirectoryUser,
  type PlanBody,
  type Role,
  type SafetyUser,
} from '../../src/domain/types.ts';
import { ROOT_ID, TENANT, idGen, rootDept } from './builders.ts';

const KEYS = 16; // UPN pool: user0..user15; service login names also use local16..local23
const DEPT_POOL = ['営業部', '総務部', 'サポートT', 'サポートチーム', '安全対策本部', ENTRA_CONTAINER_DEPARTMENT];

const blankish = fc.constantFrom<string | null>(null, '', '  ');

const entraSpec = fc.record({
  key: fc.nat(KEYS - 1),
  upperCaseUpn: fc.boolean(),
  kind: fc.oneof(
    { weight: 8, arbitrary: fc.constant('member' as const) },
    { weight: 1, arbitrary: fc.constantFrom('guest' as const, 'external' as const, 'noUpn' as const, 'disabled' as const) },
  ),
  displayName: fc.oneof({ weight: 1, arbitrary: blankish }, { weight: 3, arbitrary: fc.constantFrom('Taro', ' Hanako ', '山田 太郎', 'Jiro') }),
  mail: fc.oneof(
    { weight: 2, arbitrary: blankish.map((b) => (): string | null => b) },
    { weight: 6, arbitrary: fc.boolean().map((up) => (k: number) => (up ? `M${k}@Contoso.com` : `m${k}@contoso.com`)) },
    { weight: 1, arbitrary: fc.nat(KEYS - 1).map((j) => (): string => `m${j}@contoso.com`) },
  ),
  phones: fc.constantFrom<string[]>([], ['', ' 03-1111 '], ['03-2222'], ['090-3333', '03-4444']),
  department: fc.oneof({ weight: 1, arbitrary: blankish }, { weight: 3, arbitrary: fc.constantFrom(...DEPT_POOL, ' 営業部 ') }),
});

const serviceSpec = fc.record({
  key: fc.nat(KEYS + 7),
  link: fc.oneof(
    { weight: 3, arbitrary: fc.constant<null | { present: number } | { gone: number }>(null) },
    { weight: 4, arbitrary: fc.nat(KEYS - 1).map((k) => ({ present: k })) },
    { weight: 1, arbitrary: fc.nat(5).map((k) => ({ gone: k })) },
  ),
  sameKey: fc.boolean(), // linked to its own Entra key (the usual case)
  name: fc.constantFrom('Taro', 'Hanako', '山田 太郎', 'Old Name'),
  email: fc.oneof(
    { weight: 2, arbitrary: fc.constant<'none' | 'own' | 'other'>('none') },
    { weight: 3, arbitrary: fc.constant<'none' | 'own' | 'other'>('own') },
    { weight: 1, arbitrary: fc.constant<'none' | 'own' | 'other'>('other') },
  ),
  otherEmail: fc.nat(KEYS - 1),
  phone: fc.constantFrom<string | null>(null, '03-1111', '03-9999'),
  roles: fc.oneof({ weight: 6, arbitrary: fc.constant([] as Role[]) }, { weight: 1, arbitrary: fc.subarray([...ROLES]) }),
  memberships: fc.array(fc.record({ idx: fc.nat(20), entra: fc.boolean() }), { maxLength: 2 }),
});

const deptSpec = fc.record({
  container: fc.boolean(),
  entra: fc.subarray(['営業部', 'サポートT']),
  manual: fc.subarray(['安全対策本部', '総務部']),
});

const companySpec = fc.record({
  plan: fc.oneof({ weight: 12, arbitrary: fc.constant('premier' as const) }, { weight: 1, arbitrary: fc.constantFrom('lite' as const, 'enterprise' as const) }),
  tenant: fc.oneof({ weight: 12, arbitrary: fc.constantFrom<string | null>(TENANT, null, TENANT.toUpperCase()) }, { weight: 1, arbitrary: fc.constant('other-tenant') }),
  maxUsers: fc.oneof({ weight: 12, arbitrary: fc.constant(1000) }, { weight: 1, arbitrary: fc.nat(6) }),
  initialPasswordSet: fc.oneof({ weight: 12, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  deletionThreshold: fc.constantFrom(0, 1, 50),
  dataVersion: fc.nat(100),
});

function buildDepartments(spec: { container: boolean; entra: string[]; manual: string[] }): Department[] {
  const depts: Department[] = [rootDept()];
  if (spec.container) {
    depts.push({ id: 'd-container', code: ENTRA_CONTAINER_DEPARTMENT, name: ENTRA_CONTAINER_DEPARTMENT, parentId: ROOT_ID, level: 1, source: 'entra' });
  }
  for (const code of spec.entra) {
    const parentId = spec.container ? 'd-container' : ROOT_ID;
    depts.push({ id: `d-${code}`, code, name: code, parentId, level: spec.container ? 2 : 1, source: 'entra' });
  }
  for (const code of spec.manual) depts.push({ id: `d-${code}`, code, name: code, parentId: ROOT_ID, level: 1, source: 'manual' });
  return depts;
}

const tenantArb = fc
  .record({
    entra: fc.array(entraSpec, { maxLength: 12 }),
    service: fc.array(serviceSpec, { maxLength: 12 }),
    depts: deptSpec,
    company: companySpec,
  })
  .map(({ entra, service, depts, company }): { dir: DirectorySnapshot; svc: CompanySnapshot } => {
    const seenKeys = new Set<number>();
    const users: DirectoryUser[] = [];
    for (const e of entra) {
      if (seenKeys.has(e.key)) continue; // UPNs are unique in Entra
      seenKeys.add(e.key);
      users.push({
        id: `e${e.key}`,
        userPrincipalName: e.kind === 'noUpn' ? null : e.upperCaseUpn ? `User${e.key}@Contoso.com` : `user${e.key}@contoso.com`,
        displayName: e.displayName,
        mail: e.mail(e.key),
        businessPhones: e.phones,
        department: e.department,
        accountEnabled: e.kind !== 'disabled',
        userType: e.kind === 'guest' ? 'Guest' : 'Member',
        identityIssuers: e.kind === 'external' ? ['ExternalAzureAD'] : ['contoso.com'],
      });
    }

    const departments = buildDepartments(depts);
    const nonRoot = departments.filter((d) => d.id !== ROOT_ID);
    const seenLogins = new Set<number>();
    const seenLinks = new Set<string>();
    const seenEmails = new Set<string>();
    const svcUsers: SafetyUser[] = [];
    for (const s of service) {
      if (seenLogins.has(s.key)) continue; // login names are unique in the service
      seenLogins.add(s.key);
      let link: string | null = null;
      if (s.link && 'present' in s.link) link = `e${s.sameKey ? s.key % KEYS : s.link.present}`;
      else if (s.link && 'gone' in s.link) link = `gone${s.link.gone}`;
      if (link !== null && seenLinks.has(link)) link = null; // one service user per Entra id
      if (link !== null) seenLinks.add(link);
      let email: string | null = s.email === 'own' ? `m${s.key}@contoso.com` : s.email === 'other' ? `m${s.otherEmail}@contoso.com` : null;
      if (email !== null && seenEmails.has(email)) email = null; // emails are unique in the service
      if (email !== null) seenEmails.add(email);
      const memberships = new Map<string, SafetyUser['departments'][number]>();
      if (nonRoot.length > 0) {
        for (const m of s.memberships) {
          const d = nonRoot[m.idx % nonRoot.length] as Department;
          memberships.set(d.code, { id: d.id, code: d.code, source: m.entra ? 'entra' : 'manual' });
        }
      }
      svcUsers.push({
        id: `u${s.key}`,
        loginName: s.key < KEYS ? `user${s.key}@contoso.com` : `local${s.key}`,
        name: s.name,
        yomi: 'よみ',
        email,
        phone: s.phone,
        memo: 'memo',
        sortOrder: s.key,
        departments: [...memberships.values()],
        roles: s.roles,
        entraObjectId: link,
        status: 'active',
        createdAt: '2024-01-01T00:00:00.000Z',
        updatedAt: '2024-01-01T00:00:00.000Z',
      });
    }
    return {
      dir: { tenantId: TENANT, users },
      svc: {
        company: { id: 'c1', name: 'Contoso', plan: company.plan, maxUsers: company.maxUsers, entraTenantId: company.tenant, rootDepartmentId: ROOT_ID },
        settings: { initialPasswordSet: company.initialPasswordSet, deletionThreshold: company.deletionThreshold, schedule: null },
        departments,
        users: svcUsers,
        dataVersion: company.dataVersion,
      },
    };
  });

const NUM_RUNS = 400;
const noChanges = { createDepartments: [], createUsers: [], updateUsers: [], deleteUsers: [] };

/** Apply the plan's changes even when it has errors, to check what they would do. */
const applyAnyway = (svc: CompanySnapshot, plan: PlanBody): CompanySnapshot => applyPlanToSnapshot(svc, { ...plan, errors: [] }, idGen());

describe('planner properties (fast-check)', () => {
  it('(a) plan, apply, plan again: nothing left to change', () => {
    let clean = 0;
    fc.assert(
      fc.property(tenantArb, ({ dir, svc }) => {
        const first = planImport(dir, svc);
        if (first.errors.length > 0) return;
        clean++;
        const after = applyPlanToSnapshot(svc, first, idGen());
        const second = planImport(dir, after);
        assert.deepEqual(second.changes, noChanges);
        assert.deepEqual(second.errors, []);
        assert.equal(second.summary.usersUnchanged, first.summary.usersToCreate + first.summary.usersToUpdate + first.summary.usersUnchanged);
        assert.deepEqual(second.summary.skipped, first.summary.skipped);
        assert.equal(after.users.length, svc.users.length + first.summary.usersToCreate - first.summary.usersToDelete);
      }),
      { numRuns: NUM_RUNS },
    );
    // the generators must make error-free tenants common, or (a) proves little
    assert.ok(clean > NUM_RUNS / 3, `only ${clean} of ${NUM_RUNS} tenants planned without errors`);
  });

  it('(b) never deletes a department, never touches a service-only user, never changes a login name', () => {
    fc.assert(
      fc.property(tenantArb, ({ dir, svc }) => {
        const plan = planImport(dir, svc);
        const directoryIds = new Set(dir.users.map((u) => u.id));
        const updates = new Map(plan.changes.updateUsers.map((u) => [u.userId, u]));
        for (const d of plan.changes.deleteUsers) {
          assert.ok(d.entraObjectId !== null && !directoryIds.has(d.entraObjectId), `deleted ${d.userId} is not an orphan`);
          assert.ok(!updates.has(d.userId));
        }
        const byId = new Map(svc.users.map((u) => [u.id, u]));
        for (const u of plan.changes.updateUsers) {
          const s = byId.get(u.userId) as SafetyUser;
          assert.equal(u.loginName, s.loginName);
          assert.ok(!('loginName' in u.fields));
          if (s.entraObjectId === null) {
            // a service-only user is changed only when R18/R19 links it
            assert.ok(u.linkedBy === 'R18' || u.linkedBy === 'R19');
            assert.deepEqual(u.fields.entraObjectId, { from: null, to: u.entraObjectId });
          }
        }
        const after = applyAnyway(svc, plan);
        const afterDepts = new Map(after.departments.map((d) => [d.id, d]));
        for (const d of svc.departments) assert.deepEqual(afterDepts.get(d.id), d);
        const afterUsers = new Map(after.users.map((u) => [u.id, u]));
        for (const s of svc.users) {
          const a = afterUsers.get(s.id);
          if (s.entraObjectId === null) assert.ok(a, `service-only ${s.id} was deleted`);
          if (a) assert.equal(a.loginName, s.loginName);
          if (a && !updates.has(s.id)) assert.deepEqual(a, s);
          if (a) {
            // manual memberships, yomi, memo, roles are never changed
            assert.deepEqual(a.departments.filter((m) => m.source === 'manual'), s.departments.filter((m) => m.source === 'manual'));
            assert.deepEqual([a.yomi, a.memo, a.roles], [s.yomi, s.memo, s.roles]);
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(c) every UNDELETABLE_USER is a deletion of a holder of such a role, and vice versa', () => {
    let seen = 0;
    fc.assert(
      fc.property(tenantArb, ({ dir, svc }) => {
        const plan = planImport(dir, svc);
        const byId = new Map(svc.users.map((u) => [u.id, u]));
        const deleted = new Set(plan.changes.deleteUsers.map((d) => d.userId));
        const undeletable = plan.errors.filter((e) => e.code === 'UNDELETABLE_USER');
        seen += undeletable.length;
        for (const e of undeletable) {
          const id = e['userId'] as string;
          assert.ok(deleted.has(id));
          const roles = e['roles'] as Role[];
          assert.ok(roles.length > 0);
          assert.deepEqual(roles, UNDELETABLE_ROLES.filter((r) => byId.get(id)?.roles.includes(r)));
        }
        const expected = plan.changes.deleteUsers.filter((d) => byId.get(d.userId)?.roles.some((r) => UNDELETABLE_ROLES.includes(r)));
        assert.deepEqual(
          undeletable.map((e) => e['userId']),
          expected.map((d) => d.userId),
        );
      }),
      { numRuns: NUM_RUNS },
    );
    assert.ok(seen > 0, 'the generators never produced an undeletable user');
  });

  it('(d) every directory user is accounted for once; counts match the lists', () => {
    fc.assert(
      fc.property(tenantArb, ({ dir, svc }) => {
        const p = planImport(dir, svc);
        const s = p.summary;
        const skipped = s.skipped.guest + s.skipped.external + s.skipped.disabledNew + s.skipped.noUserPrincipalName;
        assert.equal(skipped + s.usersToCreate + s.usersToUpdate + s.usersUnchanged, dir.users.length);
        assert.equal(skipped, p.skippedUsers.length);
        assert.equal(s.usersToCreate, p.changes.createUsers.length);
        assert.equal(s.usersToUpdate, p.changes.updateUsers.length);
        assert.equal(s.usersToDelete, p.changes.deleteUsers.length);
        assert.equal(s.departmentsToCreate, p.changes.createDepartments.length);
        const linked = [...p.changes.updateUsers.map((u) => u.entraObjectId), ...p.changes.createUsers.map((u) => u.entraObjectId)];
        assert.equal(new Set(linked).size, linked.length, 'an Entra user is linked or created once');
        assert.equal(new Set(p.changes.updateUsers.map((u) => u.userId)).size, p.changes.updateUsers.length);
        assert.equal(p.requiresDeletionConfirmation, s.usersToDelete > svc.settings.deletionThreshold);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('(e) the order users are read in does not change the plan', () => {
    fc.assert(
      fc.property(tenantArb, ({ dir, svc }) => {
        const a = planImport(dir, svc);
        const b = planImport({ ...dir, users: [...dir.users].reverse() }, { ...svc, users: [...svc.users].reverse() });
        assert.deepEqual(b.changes, a.changes);
        assert.deepEqual(b.errors, a.errors);
        assert.deepEqual(b.summary, a.summary);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
