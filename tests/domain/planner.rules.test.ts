/**
 * One table-driven describe per import rule (DESIGN.md §3).
 */
import assert from 'node:assert/strict';
import { planImport } from '../../src/domain/planner.ts';
import { applyPlanToSnapshot } from '../../src/domain/simulate.ts';
import {
  ENTRA_CONTAINER_DEPARTMENT,
  type CompanySnapshot,
  type DirectorySnapshot,
  type PlanBody,
  type Role,
} from '../../src/domain/types.ts';
import {
  detailOf,
  TENANT,
  containerDept,
  dept,
  directory,
  dirUser,
  entraDept,
  idGen,
  linkedUser,
  member,
  snapshot,
  svcUser,
} from './builders.ts';

const errorCodes = (p: PlanBody): string[] => p.errors.map((e) => e.code);
const warningCodes = (p: PlanBody): string[] => p.warnings.map((e) => e.code);
const createdLogins = (p: PlanBody): string[] => p.changes.createUsers.map((u) => u.loginName);
const updatedIds = (p: PlanBody): string[] => p.changes.updateUsers.map((u) => u.userId);
const deletedIds = (p: PlanBody): string[] => p.changes.deleteUsers.map((u) => u.userId);

interface Case {
  name: string;
  dir: DirectorySnapshot;
  svc: CompanySnapshot;
  check: (plan: PlanBody, svc: CompanySnapshot) => void;
}

function table(cases: Case[]): void {
  for (const c of cases) {
    it(c.name, () => c.check(planImport(c.dir, c.svc), c.svc));
  }
}

describe('R1 only premier and above can import', () => {
  const dir = directory([dirUser({ id: 'e1' })]);
  table(
    (['lite', 'premier', 'enterprise'] as const).map((plan) => ({
      name: `${plan} ${plan === 'lite' ? 'gets PLAN_NOT_ELIGIBLE' : 'is eligible'}`,
      dir,
      svc: snapshot({ plan }),
      check: (p) => {
        assert.deepEqual(errorCodes(p), plan === 'lite' ? ['PLAN_NOT_ELIGIBLE'] : []);
        // B1: the changes are computed anyway
        assert.deepEqual(createdLogins(p), ['e1@contoso.com']);
      },
    })),
  );
});

describe('R3 one company, one tenant', () => {
  const dir = directory([dirUser({ id: 'e1' })], 'Tenant-A');
  table([
    {
      name: 'same tenant: no error, no warning',
      dir,
      svc: snapshot({ entraTenantId: 'Tenant-A' }),
      check: (p) => {
        assert.deepEqual(errorCodes(p), []);
        assert.deepEqual(warningCodes(p), []);
        assert.equal(p.tenantId, 'Tenant-A');
      },
    },
    {
      name: 'tenant ids compare case-insensitively',
      dir,
      svc: snapshot({ entraTenantId: 'tenant-a' }),
      check: (p) => assert.deepEqual(errorCodes(p), []),
    },
    {
      name: 'another tenant gets TENANT_MISMATCH naming both',
      dir,
      svc: snapshot({ entraTenantId: 'Tenant-B' }),
      check: (p) => {
        assert.deepEqual(errorCodes(p), ['TENANT_MISMATCH']);
        assert.equal(detailOf(p.errors[0])['companyTenantId'], 'Tenant-B');
        assert.equal(detailOf(p.errors[0])['directoryTenantId'], 'Tenant-A');
      },
    },
    {
      name: 'an unlinked company is linked by the import (warning)',
      dir,
      svc: snapshot({ entraTenantId: null }),
      check: (p) => {
        assert.deepEqual(errorCodes(p), []);
        assert.deepEqual(warningCodes(p), ['TENANT_WILL_BE_LINKED']);
        assert.equal(detailOf(p.warnings[0])['tenantId'], 'Tenant-A');
      },
    },
  ]);
});

describe('R8 Entra departments go under the container at level 2', () => {
  table([
    {
      name: 'the container is created first, then the department',
      dir: directory([dirUser({ department: '営業部' })]),
      svc: snapshot(),
      check: (p) => {
        assert.deepEqual(p.changes.createDepartments, [
          { code: ENTRA_CONTAINER_DEPARTMENT, name: ENTRA_CONTAINER_DEPARTMENT, level: 1 },
          { code: '営業部', name: '営業部', level: 2 },
        ]);
        assert.equal(p.summary.departmentsToCreate, 2);
      },
    },
    {
      name: 'an existing container is not created again',
      dir: directory([dirUser({ department: '営業部' })]),
      svc: snapshot({ departments: [containerDept()] }),
      check: (p) => assert.deepEqual(p.changes.createDepartments, [{ code: '営業部', name: '営業部', level: 2 }]),
    },
    {
      name: 'no department needed: no container either',
      dir: directory([dirUser({ department: null }), dirUser({ department: '  ' })]),
      svc: snapshot(),
      check: (p) => assert.deepEqual(p.changes.createDepartments, []),
    },
    {
      name: 'each department once, sorted by code after the container',
      dir: directory([
        dirUser({ department: 'Sales' }),
        dirUser({ department: 'Accounting' }),
        dirUser({ department: 'Sales' }),
      ]),
      svc: snapshot(),
      check: (p) =>
        assert.deepEqual(
          p.changes.createDepartments.map((d) => d.code),
          [ENTRA_CONTAINER_DEPARTMENT, 'Accounting', 'Sales'],
        ),
    },
    {
      name: 'departments of updated users are created too',
      dir: directory([dirUser({ id: 'e1', department: 'Sales' })]),
      svc: snapshot({ departments: [containerDept()], users: [linkedUser(dirUser({ id: 'e1' }))] }),
      check: (p) => {
        assert.deepEqual(p.changes.createDepartments, [{ code: 'Sales', name: 'Sales', level: 2 }]);
        assert.deepEqual(p.changes.updateUsers[0]?.fields.department, { from: null, to: 'Sales' });
      },
    },
    {
      name: 'departments of skipped users are not created',
      dir: directory([dirUser({ department: 'Guests', userType: 'Guest' }), dirUser({ department: 'Off', accountEnabled: false })]),
      svc: snapshot(),
      check: (p) => assert.deepEqual(p.changes.createDepartments, []),
    },
    {
      name: 'applying puts the container under the root and departments under it',
      dir: directory([dirUser({ department: '営業部' })]),
      svc: snapshot(),
      check: (p, svc) => {
        const after = applyPlanToSnapshot(svc, p, idGen());
        const container = after.departments.find((d) => d.code === ENTRA_CONTAINER_DEPARTMENT);
        const sales = after.departments.find((d) => d.code === '営業部');
        assert.equal(container?.parentId, svc.company.rootDepartmentId);
        assert.equal(container?.level, 1);
        assert.equal(sales?.parentId, container?.id);
        assert.equal(sales?.level, 2);
        assert.equal(sales?.source, 'entra');
      },
    },
  ]);
});

describe('R9 an Entra department code is its name', () => {
  table([
    {
      name: 'name trimmed becomes the code',
      dir: directory([dirUser({ department: '  開発部 ' })]),
      svc: snapshot({ departments: [containerDept()] }),
      check: (p) => {
        assert.deepEqual(p.changes.createDepartments, [{ code: '開発部', name: '開発部', level: 2 }]);
        assert.equal(p.changes.createUsers[0]?.departmentCode, '開発部');
      },
    },
  ]);
});

describe('R10 an existing department with that code is reused, never duplicated or moved', () => {
  const moved = dept({ code: 'Sales', id: 'd-sales', parentId: 'd-hq', level: 3, source: 'manual' });
  const hq = dept({ code: 'HQ', id: 'd-hq', level: 2 });
  table([
    {
      name: 'a manual department anywhere in the tree is reused, with one warning',
      dir: directory([dirUser({ department: 'Sales' }), dirUser({ department: 'Sales' })]),
      svc: snapshot({ departments: [hq, moved] }),
      check: (p, svc) => {
        assert.deepEqual(p.changes.createDepartments, []);
        assert.deepEqual(warningCodes(p), ['DEPARTMENT_REUSED']);
        assert.equal(detailOf(p.warnings[0])['departmentCode'], 'Sales');
        assert.equal(detailOf(p.warnings[0])['departmentId'], 'd-sales');
        const after = applyPlanToSnapshot(svc, p, idGen());
        assert.deepEqual(after.departments.find((d) => d.code === 'Sales'), moved);
        assert.ok(after.users.every((u) => u.departments.every((m) => m.id === 'd-sales')));
      },
    },
    {
      name: 'an existing Entra department is reused silently',
      dir: directory([dirUser({ department: 'Sales' })]),
      svc: snapshot({ departments: [containerDept(), entraDept('Sales')] }),
      check: (p) => {
        assert.deepEqual(p.changes.createDepartments, []);
        assert.deepEqual(warningCodes(p), []);
      },
    },
    {
      name: 'codes compare exactly: another case is another department',
      dir: directory([dirUser({ department: 'sales' })]),
      svc: snapshot({ departments: [containerDept(), entraDept('Sales')] }),
      check: (p) => assert.deepEqual(p.changes.createDepartments, [{ code: 'sales', name: 'sales', level: 2 }]),
    },
    {
      name: 'a membership that already exists is not reported as reused',
      dir: directory([dirUser({ id: 'e1', department: 'Sales' })]),
      svc: snapshot({
        departments: [moved, hq],
        users: [linkedUser(dirUser({ id: 'e1' }), { departments: [member(moved)] })],
      }),
      check: (p) => {
        assert.deepEqual(warningCodes(p), []);
        assert.equal(p.summary.usersUnchanged, 1);
      },
    },
  ]);
});

describe('R11 departments are never deleted; a renamed department is a new one', () => {
  const oldDept = entraDept('Support');
  const e1 = dirUser({ id: 'e1', department: 'Support' });
  table([
    {
      name: 'a department nobody belongs to any more stays',
      dir: directory([dirUser({ id: 'e1', department: null })]),
      svc: snapshot({ departments: [containerDept(), oldDept], users: [linkedUser(e1, { departments: [member(oldDept)] })] }),
      check: (p, svc) => {
        const after = applyPlanToSnapshot(svc, p, idGen());
        assert.ok(after.departments.some((d) => d.id === oldDept.id));
        assert.deepEqual(after.departments, svc.departments);
      },
    },
    {
      name: 'a rename creates the new department, moves the membership, keeps the old',
      dir: directory([dirUser({ id: 'e1', department: 'Customer Support' })]),
      svc: snapshot({ departments: [containerDept(), oldDept], users: [linkedUser(e1, { departments: [member(oldDept)] })] }),
      check: (p, svc) => {
        assert.deepEqual(p.changes.createDepartments, [{ code: 'Customer Support', name: 'Customer Support', level: 2 }]);
        assert.deepEqual(p.changes.updateUsers[0]?.fields.department, { from: 'Support', to: 'Customer Support' });
        const after = applyPlanToSnapshot(svc, p, idGen());
        assert.ok(after.departments.some((d) => d.id === oldDept.id && d.code === 'Support'));
        assert.deepEqual(
          after.users[0]?.departments.map((m) => m.code),
          ['Customer Support'],
        );
      },
    },
  ]);
});

describe('R12 departments only in the service are untouched', () => {
  const safety = dept({ code: '安全対策本部', id: 'd-safety', level: 1 });
  table([
    {
      name: 'a manual department and its members stay as they are',
      dir: directory([dirUser({ id: 'e1', department: 'Sales' })]),
      svc: snapshot({
        departments: [safety],
        users: [linkedUser(dirUser({ id: 'e1' }), { departments: [member(safety)] })],
      }),
      check: (p, svc) => {
        const after = applyPlanToSnapshot(svc, p, idGen());
        assert.deepEqual(after.departments.find((d) => d.id === 'd-safety'), safety);
        assert.deepEqual(
          after.users[0]?.departments.map((m) => [m.code, m.source]),
          [
            ['安全対策本部', 'manual'],
            ['Sales', 'entra'],
          ],
        );
      },
    },
  ]);
});

describe('R13 guests are never imported', () => {
  const guests = ['Guest', 'guest', 'GUEST'].map((userType, i) => dirUser({ id: `g${i}`, userType }));
  table([
    {
      name: 'guests in any case are skipped and counted',
      dir: directory([...guests, dirUser({ id: 'm1' })]),
      svc: snapshot(),
      check: (p) => {
        assert.deepEqual(createdLogins(p), ['m1@contoso.com']);
        assert.equal(p.summary.skipped.guest, 3);
        assert.deepEqual(
          p.skippedUsers.map((s) => [s.entraObjectId, s.reason]),
          [
            ['g0', 'guest'],
            ['g1', 'guest'],
            ['g2', 'guest'],
          ],
        );
      },
    },
    {
      name: 'a guest whose UPN is a login name is not linked',
      dir: directory([dirUser({ id: 'g1', userType: 'Guest', userPrincipalName: 'taro@contoso.com' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'taro@contoso.com' })] }),
      check: (p) => {
        assert.deepEqual(updatedIds(p), []);
        assert.deepEqual(deletedIds(p), []);
        assert.equal(p.summary.usersUnchanged, 0);
      },
    },
    {
      name: 'a linked user who became a guest is neither updated nor deleted',
      dir: directory([dirUser({ id: 'e1', userType: 'Guest', displayName: 'New name' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', entraObjectId: 'e1', name: 'Old' })] }),
      check: (p) => {
        assert.deepEqual(updatedIds(p), []);
        assert.deepEqual(deletedIds(p), []);
      },
    },
  ]);
});

describe('R14 ExternalAzureAD users are never imported', () => {
  table(
    [['ExternalAzureAD'], ['contoso.com', 'externalAzureAd']].map((issuers) => ({
      name: `issuers ${issuers.join(', ')}`,
      dir: directory([dirUser({ id: 'x1', identityIssuers: issuers }), dirUser({ id: 'm1', identityIssuers: ['contoso.com'] })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'x1@contoso.com' })] }),
      check: (p: PlanBody) => {
        assert.deepEqual(createdLogins(p), ['m1@contoso.com']);
        assert.deepEqual(updatedIds(p), []);
        assert.equal(p.summary.skipped.external, 1);
        assert.equal(p.skippedUsers[0]?.reason, 'external');
      },
    })),
  );
});

describe('R15 disabled users are not created, but linked ones are updated', () => {
  table([
    {
      name: 'a disabled unlinked user is skipped as disabledNew',
      dir: directory([dirUser({ id: 'e1', accountEnabled: false, department: 'Sales' })]),
      svc: snapshot(),
      check: (p) => {
        assert.deepEqual(createdLogins(p), []);
        assert.deepEqual(p.changes.createDepartments, []);
        assert.equal(p.summary.skipped.disabledNew, 1);
      },
    },
    {
      name: 'a disabled user linked by object id is updated, with a warning',
      dir: directory([dirUser({ id: 'e1', accountEnabled: false, displayName: 'New' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', entraObjectId: 'e1', name: 'Old' })] }),
      check: (p) => {
        assert.deepEqual(p.changes.updateUsers[0]?.fields, { name: { from: 'Old', to: 'New' } });
        assert.deepEqual(warningCodes(p), ['DISABLED_USER_UPDATED']);
        assert.equal(detailOf(p.warnings[0])['userId'], 'u1');
        assert.equal(p.summary.skipped.disabledNew, 0);
      },
    },
    {
      name: 'a disabled linked user without changes is unchanged and not warned about',
      dir: directory([dirUser({ id: 'e1', accountEnabled: false })]),
      svc: snapshot({ users: [linkedUser(dirUser({ id: 'e1' }))] }),
      check: (p) => {
        assert.equal(p.summary.usersUnchanged, 1);
        assert.deepEqual(warningCodes(p), []);
      },
    },
    {
      name: 'a disabled user matching a login name (R18) is linked, not skipped',
      dir: directory([dirUser({ id: 'e1', accountEnabled: false, userPrincipalName: 'taro@contoso.com' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'taro@contoso.com' })] }),
      check: (p) => {
        assert.equal(p.changes.updateUsers[0]?.linkedBy, 'R18');
        assert.equal(p.summary.skipped.disabledNew, 0);
        assert.deepEqual(p.skippedUsers, []);
      },
    },
  ]);
});

describe('R16 users only in the service are never changed or deleted', () => {
  const only = svcUser({ id: 'u1', loginName: 'local-admin', email: 'admin@contoso.com', roles: ['systemAdmin'] });
  table([
    {
      name: 'with an empty directory',
      dir: directory([]),
      svc: snapshot({ users: [only] }),
      check: (p, svc) => {
        assert.deepEqual(updatedIds(p), []);
        assert.deepEqual(deletedIds(p), []);
        assert.deepEqual(applyPlanToSnapshot(svc, p, idGen()).users, [only]);
      },
    },
    {
      name: 'next to imported users',
      dir: directory([dirUser({ id: 'e1' }), dirUser({ id: 'e2', mail: 'e2@contoso.com' })]),
      svc: snapshot({ users: [only] }),
      check: (p, svc) => {
        assert.deepEqual(createdLogins(p), ['e1@contoso.com', 'e2@contoso.com']);
        assert.deepEqual(applyPlanToSnapshot(svc, p, idGen()).users[0], only);
      },
    },
  ]);
});

describe('R17 a stored Entra object id links first', () => {
  table([
    {
      name: 'linked by object id even when UPN and mail changed',
      dir: directory([dirUser({ id: 'e1', userPrincipalName: 'new@contoso.com', mail: 'new@contoso.com' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', entraObjectId: 'e1', loginName: 'old@contoso.com', email: 'old@contoso.com' })] }),
      check: (p) => {
        assert.deepEqual(createdLogins(p), []);
        const u = p.changes.updateUsers[0];
        assert.equal(u?.linkedBy, 'R17');
        assert.equal(u?.loginName, 'old@contoso.com');
        assert.deepEqual(u?.fields.email, { from: 'old@contoso.com', to: 'new@contoso.com' });
        assert.equal(u?.fields.entraObjectId, undefined);
      },
    },
    {
      name: 'R17 wins over R18 pointing at another user',
      dir: directory([dirUser({ id: 'e1', userPrincipalName: 'hanako@contoso.com', displayName: 'Hanako' })]),
      svc: snapshot({
        users: [
          svcUser({ id: 'u1', entraObjectId: 'e1', loginName: 'h.old@contoso.com', name: 'Hanako' }),
          svcUser({ id: 'u2', loginName: 'hanako@contoso.com', name: 'Other' }),
        ],
      }),
      check: (p) => {
        assert.deepEqual(updatedIds(p), []);
        assert.equal(p.summary.usersUnchanged, 1);
        assert.deepEqual(createdLogins(p), []);
      },
    },
  ]);
});

describe('R18 login name = UPN links (case-insensitive)', () => {
  table([
    {
      name: 'an unlinked user with that login name is linked and updated',
      dir: directory([dirUser({ id: 'e1', userPrincipalName: 'Taro@Contoso.com', displayName: 'Taro' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'taro@contoso.com', name: 'Taro' })] }),
      check: (p) => {
        assert.deepEqual(p.changes.updateUsers, [
          { userId: 'u1', entraObjectId: 'e1', loginName: 'taro@contoso.com', linkedBy: 'R18', fields: { entraObjectId: { from: null, to: 'e1' } } },
        ]);
        assert.deepEqual(createdLogins(p), []);
      },
    },
    {
      name: 'an orphan (Entra account recreated) is re-linked instead of deleted',
      dir: directory([dirUser({ id: 'e-new', userPrincipalName: 'taro@contoso.com', displayName: 'Taro' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'taro@contoso.com', name: 'Taro', entraObjectId: 'e-old' })] }),
      check: (p) => {
        assert.deepEqual(deletedIds(p), []);
        assert.deepEqual(p.changes.updateUsers[0]?.fields, { entraObjectId: { from: 'e-old', to: 'e-new' } });
        assert.equal(p.changes.updateUsers[0]?.linkedBy, 'R18');
      },
    },
    {
      name: 'a user linked to another present Entra user is not claimed',
      dir: directory([
        dirUser({ id: 'e1', userPrincipalName: 'renamed@contoso.com' }),
        dirUser({ id: 'e2', userPrincipalName: 'taro@contoso.com' }),
      ]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'taro@contoso.com', entraObjectId: 'e1', name: 'User e1' })] }),
      check: (p) => {
        assert.deepEqual(
          p.changes.updateUsers.map((u) => [u.userId, u.entraObjectId]),
          [],
        );
        assert.equal(p.summary.usersUnchanged, 1);
        assert.deepEqual(createdLogins(p), ['taro@contoso.com']);
      },
    },
  ]);
});

describe('R19 email = mail links when both are set', () => {
  table([
    {
      name: 'an unlinked user with that email is linked (case-insensitive)',
      dir: directory([dirUser({ id: 'e1', userPrincipalName: 'taro.y@contoso.com', mail: 'Taro@Contoso.com' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'taro', email: 'taro@contoso.com' })] }),
      check: (p) => {
        const u = p.changes.updateUsers[0];
        assert.equal(u?.linkedBy, 'R19');
        assert.equal(u?.loginName, 'taro');
        assert.deepEqual(u?.fields.entraObjectId, { from: null, to: 'e1' });
        assert.deepEqual(u?.fields.email, { from: 'taro@contoso.com', to: 'Taro@Contoso.com' });
        assert.deepEqual(createdLogins(p), []);
      },
    },
    {
      name: 'R18 wins over R19',
      dir: directory([dirUser({ id: 'e1', userPrincipalName: 'taro@contoso.com', mail: 'mail@contoso.com' })]),
      svc: snapshot({
        users: [
          svcUser({ id: 'u-mail', loginName: 'x', email: 'mail@contoso.com' }),
          svcUser({ id: 'u-login', loginName: 'taro@contoso.com' }),
        ],
      }),
      check: (p) => {
        assert.deepEqual(updatedIds(p), ['u-login']);
        assert.equal(p.changes.updateUsers[0]?.linkedBy, 'R18');
        // the email then collides with u-mail: R28
        assert.deepEqual(errorCodes(p), ['DUPLICATE_EMAIL']);
      },
    },
    {
      name: 'R18 of a later Entra user wins over R19 of an earlier one',
      dir: directory([
        dirUser({ id: 'e1', userPrincipalName: 'a@contoso.com', mail: 'b@contoso.com' }),
        dirUser({ id: 'e2', userPrincipalName: 'b@contoso.com', mail: null }),
      ]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'b@contoso.com', email: 'b@contoso.com' })] }),
      check: (p) => {
        assert.deepEqual(
          p.changes.updateUsers.map((u) => [u.userId, u.entraObjectId, u.linkedBy]),
          [['u1', 'e2', 'R18']],
        );
        assert.deepEqual(createdLogins(p), ['a@contoso.com']);
      },
    },
    {
      name: 'a service user is claimed by one Entra user only',
      dir: directory([
        dirUser({ id: 'e1', userPrincipalName: 'a@contoso.com', mail: 'same@contoso.com' }),
        dirUser({ id: 'e2', userPrincipalName: 'b@contoso.com', mail: 'same@contoso.com' }),
      ]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'x', email: 'same@contoso.com' })] }),
      check: (p) => {
        assert.deepEqual(updatedIds(p), ['u1']);
        assert.equal(createdLogins(p).length, 1);
      },
    },
    {
      name: 'blank emails never link',
      dir: directory([dirUser({ id: 'e1', mail: '  ' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', email: '  ' })] }),
      check: (p) => {
        assert.deepEqual(updatedIds(p), []);
        assert.deepEqual(createdLogins(p), ['e1@contoso.com']);
      },
    },
  ]);
});

describe('R20 a link lasts until the user is deleted', () => {
  table([
    {
      name: 'a user linked by an earlier import keeps its link after UPN and mail change',
      dir: directory([dirUser({ id: 'e1', userPrincipalName: 'x@contoso.com', mail: null, displayName: 'X' })]),
      svc: snapshot({
        users: [
          svcUser({ id: 'u1', loginName: 'old@contoso.com', entraObjectId: 'e1', name: 'X', email: 'old@contoso.com' }),
          svcUser({ id: 'u2', loginName: 'x@contoso.com' }),
        ],
      }),
      check: (p, svc) => {
        assert.deepEqual(updatedIds(p), []);
        assert.deepEqual(deletedIds(p), []);
        const after = applyPlanToSnapshot(svc, p, idGen());
        assert.equal(after.users.find((u) => u.id === 'u1')?.entraObjectId, 'e1');
      },
    },
  ]);
});

describe('R21 created users take UPN, display name, mail, first phone, department', () => {
  table([
    {
      name: 'all fields',
      dir: directory([
        dirUser({
          id: 'e1',
          userPrincipalName: ' taro@contoso.com ',
          displayName: ' 山田 太郎 ',
          mail: ' taro.yamada@contoso.com ',
          businessPhones: ['', ' 03-1234-5678 ', '03-0000-0000'],
          department: ' 営業部 ',
        }),
      ]),
      svc: snapshot({ departments: [containerDept()] }),
      check: (p, svc) => {
        assert.deepEqual(p.changes.createUsers, [
          {
            entraObjectId: 'e1',
            loginName: 'taro@contoso.com',
            name: '山田 太郎',
            email: 'taro.yamada@contoso.com',
            phone: '03-1234-5678',
            departmentCode: '営業部',
          },
        ]);
        const after = applyPlanToSnapshot(svc, p, idGen());
        const u = after.users[0];
        assert.equal(u?.yomi, '');
        assert.equal(u?.memo, '');
        assert.equal(u?.sortOrder, null);
        assert.deepEqual(u?.roles, []);
        assert.deepEqual(u?.departments.map((m) => [m.code, m.source]), [['営業部', 'entra']]);
      },
    },
    {
      name: 'blank display name falls back to the UPN; blank mail and phones are null',
      dir: directory([dirUser({ id: 'e1', displayName: '  ', mail: '', businessPhones: [' '] })]),
      svc: snapshot(),
      check: (p) => {
        assert.deepEqual(p.changes.createUsers[0], {
          entraObjectId: 'e1',
          loginName: 'e1@contoso.com',
          name: 'e1@contoso.com',
          email: null,
          phone: null,
          departmentCode: null,
        });
      },
    },
    {
      name: 'created users are sorted by login name',
      dir: directory([dirUser({ id: 'e1', userPrincipalName: 'c@x' }), dirUser({ id: 'e2', userPrincipalName: 'a@x' }), dirUser({ id: 'e3', userPrincipalName: 'b@x' })]),
      svc: snapshot(),
      check: (p) => assert.deepEqual(createdLogins(p), ['a@x', 'b@x', 'c@x']),
    },
  ]);
});

describe('R22 new users need the initial password', () => {
  table([
    {
      name: 'users to create without it: INITIAL_PASSWORD_MISSING',
      dir: directory([dirUser()]),
      svc: snapshot({ initialPasswordSet: false }),
      check: (p) => assert.deepEqual(errorCodes(p), ['INITIAL_PASSWORD_MISSING']),
    },
    {
      name: 'nothing to create: no error',
      dir: directory([dirUser({ id: 'e1' })]),
      svc: snapshot({ initialPasswordSet: false, users: [linkedUser(dirUser({ id: 'e1' }))] }),
      check: (p) => assert.deepEqual(errorCodes(p), []),
    },
    {
      name: 'with it: no error',
      dir: directory([dirUser()]),
      svc: snapshot({ initialPasswordSet: true }),
      check: (p) => assert.deepEqual(errorCodes(p), []),
    },
  ]);
});

describe('R23 blank department: no department', () => {
  table(
    [null, '', '   '].map((department) => ({
      name: `department ${JSON.stringify(department)}`,
      dir: directory([dirUser({ id: 'e1', department })]),
      svc: snapshot(),
      check: (p: PlanBody, svc: CompanySnapshot) => {
        assert.equal(p.changes.createUsers[0]?.departmentCode, null);
        assert.deepEqual(applyPlanToSnapshot(svc, p, idGen()).users[0]?.departments, []);
      },
    })),
  );
});

describe('R24 linked users: name, email, phone and the Entra department are overwritten', () => {
  const sales = entraDept('Sales');
  const support = entraDept('Support');
  const committee = dept({ code: 'Committee', id: 'd-committee', level: 1, source: 'manual' });
  const e1 = dirUser({
    id: 'e1',
    userPrincipalName: 'taro@contoso.com',
    displayName: 'Taro Yamada',
    mail: 'taro@contoso.com',
    businessPhones: ['03-1111-1111'],
    department: 'Support',
  });
  const before = svcUser({
    id: 'u1',
    loginName: 'TARO',
    entraObjectId: 'e1',
    name: 'Taro',
    yomi: 'たろう',
    memo: 'memo',
    email: 'old@contoso.com',
    phone: '03-0000-0000',
    departments: [member(sales, 'entra'), member(committee, 'manual')],
  });
  table([
    {
      name: 'changed fields only, as {from, to}; yomi, memo, login name and manual memberships kept',
      dir: directory([e1]),
      svc: snapshot({ departments: [containerDept(), sales, support, committee], users: [before] }),
      check: (p, svc) => {
        assert.deepEqual(p.changes.updateUsers, [
          {
            userId: 'u1',
            entraObjectId: 'e1',
            loginName: 'TARO',
            linkedBy: 'R17',
            fields: {
              name: { from: 'Taro', to: 'Taro Yamada' },
              email: { from: 'old@contoso.com', to: 'taro@contoso.com' },
              phone: { from: '03-0000-0000', to: '03-1111-1111' },
              department: { from: 'Sales', to: 'Support' },
            },
          },
        ]);
        assert.equal(p.summary.usersToUpdate, 1);
        const u = applyPlanToSnapshot(svc, p, idGen()).users[0];
        assert.equal(u?.loginName, 'TARO');
        assert.equal(u?.yomi, 'たろう');
        assert.equal(u?.memo, 'memo');
        assert.deepEqual(u?.departments, [member(committee, 'manual'), member(support, 'entra')]);
      },
    },
    {
      name: 'a manual membership in the Entra department counts as already there',
      dir: directory([dirUser({ id: 'e1', department: 'Committee' })]),
      svc: snapshot({ departments: [committee], users: [linkedUser(dirUser({ id: 'e1' }), { departments: [member(committee, 'manual')] })] }),
      check: (p) => {
        assert.deepEqual(updatedIds(p), []);
        assert.equal(p.summary.usersUnchanged, 1);
      },
    },
    {
      name: 'an Entra membership elsewhere is replaced even when a manual one matches',
      dir: directory([dirUser({ id: 'e1', department: 'Committee' })]),
      svc: snapshot({
        departments: [committee, containerDept(), sales],
        users: [linkedUser(dirUser({ id: 'e1' }), { departments: [member(committee, 'manual'), member(sales, 'entra')] })],
      }),
      check: (p, svc) => {
        assert.deepEqual(p.changes.updateUsers[0]?.fields, { department: { from: 'Sales', to: 'Committee' } });
        const after = applyPlanToSnapshot(svc, p, idGen());
        assert.deepEqual(after.users[0]?.departments, [member(committee, 'manual')]);
        assert.deepEqual(planImport(directory([dirUser({ id: 'e1', department: 'Committee' })]), after).changes.updateUsers, []);
      },
    },
    {
      name: 'nothing changed: unchanged, no update',
      dir: directory([e1]),
      svc: snapshot({ departments: [containerDept(), support], users: [linkedUser(e1, { departments: [member(support)] })] }),
      check: (p) => {
        assert.deepEqual(p.changes.updateUsers, []);
        assert.equal(p.summary.usersUnchanged, 1);
        assert.equal(p.summary.usersToUpdate, 0);
      },
    },
    {
      name: 'updates are sorted by login name',
      dir: directory([dirUser({ id: 'e1', displayName: 'n1' }), dirUser({ id: 'e2', displayName: 'n2' })]),
      svc: snapshot({
        users: [svcUser({ id: 'u1', entraObjectId: 'e1', loginName: 'zeta' }), svcUser({ id: 'u2', entraObjectId: 'e2', loginName: 'alpha' })],
      }),
      check: (p) => assert.deepEqual(p.changes.updateUsers.map((u) => u.loginName), ['alpha', 'zeta']),
    },
  ]);
});

describe('R25 blank Entra values never erase service values', () => {
  const sales = entraDept('Sales');
  const before = svcUser({
    id: 'u1',
    entraObjectId: 'e1',
    name: 'Taro',
    email: 'taro@contoso.com',
    phone: '03-0000-0000',
    departments: [member(sales)],
  });
  const svc = snapshot({ departments: [containerDept(), sales], users: [before] });
  table([
    {
      name: 'blank phone, department and display name: unchanged',
      dir: directory([dirUser({ id: 'e1', displayName: ' ', mail: 'taro@contoso.com', businessPhones: ['', ' '], department: '' })]),
      svc,
      check: (p) => {
        assert.deepEqual(p.changes.updateUsers, []);
        assert.equal(p.summary.usersUnchanged, 1);
        assert.deepEqual(warningCodes(p), []);
      },
    },
    {
      name: 'blank mail: email kept, with a warning naming the user',
      dir: directory([dirUser({ id: 'e1', displayName: 'Taro', mail: null, department: 'Sales' })]),
      svc,
      check: (p) => {
        assert.deepEqual(p.changes.updateUsers, []);
        assert.deepEqual(warningCodes(p), ['EMAIL_KEPT']);
        assert.equal(detailOf(p.warnings[0])['userId'], 'u1');
        assert.equal(detailOf(p.warnings[0])['loginName'], before.loginName);
        assert.equal(detailOf(p.warnings[0])['email'], 'taro@contoso.com');
      },
    },
    {
      name: 'blank mail and no service email: no warning',
      dir: directory([dirUser({ id: 'e1', displayName: 'Taro', mail: '' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', entraObjectId: 'e1', name: 'Taro', email: null })] }),
      check: (p) => assert.deepEqual(warningCodes(p), []),
    },
  ]);
});

describe('R26 a linked user no longer in Entra is deleted', () => {
  table([
    {
      name: 'absent from the directory: deleted',
      dir: directory([dirUser({ id: 'e2' })]),
      svc: snapshot({
        users: [
          svcUser({ id: 'u1', entraObjectId: 'e1', loginName: 'b', name: 'Gone' }),
          svcUser({ id: 'u0', entraObjectId: 'e0', loginName: 'a', name: 'Gone too' }),
          linkedUser(dirUser({ id: 'e2' })),
        ],
      }),
      check: (p, svc) => {
        assert.deepEqual(p.changes.deleteUsers, [
          { userId: 'u0', loginName: 'a', name: 'Gone too', entraObjectId: 'e0' },
          { userId: 'u1', loginName: 'b', name: 'Gone', entraObjectId: 'e1' },
        ]);
        assert.equal(p.summary.usersToDelete, 2);
        const after = applyPlanToSnapshot(svc, p, idGen());
        assert.deepEqual(after.users.map((u) => u.entraObjectId), ['e2']);
      },
    },
    {
      name: 'present but skipped (disabled, guest, no UPN): kept',
      dir: directory([dirUser({ id: 'e1', userType: 'Guest' }), dirUser({ id: 'e2', userPrincipalName: null })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', entraObjectId: 'e1' }), svcUser({ id: 'u2', entraObjectId: 'e2' })] }),
      check: (p) => assert.deepEqual(deletedIds(p), []),
    },
  ]);
});

describe('R27 system administrators and send responsibles cannot be deleted', () => {
  const cases: { roles: Role[]; undeletable: Role[] }[] = [
    { roles: ['systemAdmin'], undeletable: ['systemAdmin'] },
    { roles: ['autoSendResponsible'], undeletable: ['autoSendResponsible'] },
    { roles: ['scheduledSendResponsible', 'manager'], undeletable: ['scheduledSendResponsible'] },
    { roles: ['scheduledSendResponsible', 'systemAdmin', 'autoSendResponsible'], undeletable: ['systemAdmin', 'autoSendResponsible', 'scheduledSendResponsible'] },
    { roles: ['crisisManager', 'manager', 'departmentManager', 'guest'], undeletable: [] },
  ];
  table(
    cases.map(({ roles, undeletable }) => ({
      name: `roles ${roles.join(', ')}`,
      dir: directory([]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'boss', name: 'Boss', entraObjectId: 'e1', roles })] }),
      check: (p: PlanBody) => {
        assert.deepEqual(deletedIds(p), ['u1']);
        if (undeletable.length === 0) {
          assert.deepEqual(p.errors, []);
          return;
        }
        assert.deepEqual(errorCodes(p), ['UNDELETABLE_USER']);
        const e = detailOf(p.errors[0]);
        assert.equal(e['userId'], 'u1');
        assert.equal(e['loginName'], 'boss');
        assert.deepEqual(e['roles'], undeletable);
        assert.match(String(e['message'] ?? ''), /Boss/);
        assert.match(String(e['message'] ?? ''), /remove the role/);
      },
    })),
  );
  it('one error per user, in login-name order', () => {
    const p = planImport(
      directory([]),
      snapshot({
        users: [
          svcUser({ id: 'u2', loginName: 'b', entraObjectId: 'e2', roles: ['systemAdmin'] }),
          svcUser({ id: 'u1', loginName: 'a', entraObjectId: 'e1', roles: ['systemAdmin', 'autoSendResponsible'] }),
        ],
      }),
    );
    assert.deepEqual(p.errors.map((e) => detailOf(e)['loginName']), ['a', 'b']);
  });
});

describe('R28 two users may not share an email', () => {
  table([
    {
      name: 'an unlinked service user with that email is linked (R19), not duplicated',
      dir: directory([dirUser({ id: 'e1', userPrincipalName: 'new@contoso.com', mail: 'Shared@contoso.com' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'old', email: 'shared@contoso.com' })] }),
      check: (p) => {
        assert.deepEqual(errorCodes(p), []);
        assert.deepEqual(updatedIds(p), ['u1']);
      },
    },
    {
      name: 'an updated email colliding with a service-only user',
      dir: directory([dirUser({ id: 'e1', mail: 'b@contoso.com' })]),
      svc: snapshot({
        users: [
          svcUser({ id: 'u1', loginName: 'a', entraObjectId: 'e1', email: 'a@contoso.com' }),
          svcUser({ id: 'u2', loginName: 'b', email: 'B@contoso.com' }),
        ],
      }),
      check: (p) => {
        assert.deepEqual(p.changes.updateUsers[0]?.fields.email, { from: 'a@contoso.com', to: 'b@contoso.com' });
        assert.deepEqual(errorCodes(p), ['DUPLICATE_EMAIL']);
        assert.deepEqual(detailOf(p.errors[0])['users'], [
          { loginName: 'a', source: 'entra', userId: 'u1', entraObjectId: 'e1' },
          { loginName: 'b', source: 'service', userId: 'u2' },
        ]);
      },
    },
    {
      name: 'new user vs linked service user: one error naming both sides',
      dir: directory([
        dirUser({ id: 'e1', userPrincipalName: 'new@contoso.com', mail: 'Shared@contoso.com' }),
        dirUser({ id: 'e2', userType: 'Guest' }),
      ]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'old', email: 'shared@contoso.com', entraObjectId: 'e2' })] }),
      check: (p) => {
        assert.deepEqual(errorCodes(p), ['DUPLICATE_EMAIL']);
        const e = detailOf(p.errors[0]);
        assert.equal(String(e['email']).toLowerCase(), 'shared@contoso.com');
        assert.deepEqual(e['users'], [
          { loginName: 'new@contoso.com', source: 'entra', entraObjectId: 'e1' },
          { loginName: 'old', source: 'service', userId: 'u1', entraObjectId: 'e2' },
        ]);
        assert.match(String(e['message'] ?? ''), /safety service or in Entra/);
      },
    },
    {
      name: 'no error when the other holder is deleted',
      dir: directory([dirUser({ id: 'e1', mail: 'b@contoso.com' })]),
      svc: snapshot({
        users: [
          svcUser({ id: 'u1', loginName: 'a', entraObjectId: 'e1', email: 'a@contoso.com' }),
          svcUser({ id: 'u2', loginName: 'b', entraObjectId: 'e-guest', email: 'B@contoso.com' }),
        ],
      }),
      check: (p) => {
        // e-guest is absent -> u2 is deleted, so its email is freed
        assert.deepEqual(deletedIds(p), ['u2']);
        assert.deepEqual(errorCodes(p), []);
      },
    },
    {
      name: 'two new users with one mail',
      dir: directory([dirUser({ id: 'e1', mail: 'same@contoso.com' }), dirUser({ id: 'e2', mail: 'SAME@contoso.com' })]),
      svc: snapshot(),
      check: (p) => {
        assert.deepEqual(errorCodes(p), ['DUPLICATE_EMAIL']);
        assert.deepEqual((detailOf(p.errors[0])['users'] as { entraObjectId: string }[]).map((u) => u.entraObjectId), ['e1', 'e2']);
      },
    },
    {
      name: 'one error per address',
      dir: directory([
        dirUser({ id: 'e1', mail: 'x@contoso.com' }),
        dirUser({ id: 'e2', mail: 'x@contoso.com' }),
        dirUser({ id: 'e3', mail: 'y@contoso.com' }),
        dirUser({ id: 'e4', mail: 'y@contoso.com' }),
        dirUser({ id: 'e5', mail: 'y@contoso.com' }),
      ]),
      svc: snapshot(),
      check: (p) => {
        assert.deepEqual(p.errors.map((e) => [e.code, detailOf(e)['email'], (detailOf(e)['users'] as unknown[]).length]), [
          ['DUPLICATE_EMAIL', 'x@contoso.com', 2],
          ['DUPLICATE_EMAIL', 'y@contoso.com', 3],
        ]);
      },
    },
    {
      name: 'a kept email (blank mail in Entra) still counts',
      dir: directory([dirUser({ id: 'e1', mail: null }), dirUser({ id: 'e2', mail: 'kept@contoso.com' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'a', entraObjectId: 'e1', email: 'kept@contoso.com' })] }),
      check: (p) => {
        // e2 would claim u1 by R19 if u1 were free; it is linked to e1 (present), so e2 is created
        assert.deepEqual(createdLogins(p), ['e2@contoso.com']);
        assert.deepEqual(errorCodes(p), ['DUPLICATE_EMAIL']);
        assert.deepEqual((detailOf(p.errors[0])['users'] as { source: string }[]).map((u) => u.source), ['service', 'entra']);
      },
    },
  ]);
});

describe('R29 the user limit may not be exceeded', () => {
  const existing = [svcUser({ id: 'u1' }), svcUser({ id: 'u2', entraObjectId: 'gone' })];
  table([
    {
      name: 'at the limit: fine (deletions count)',
      dir: directory([dirUser(), dirUser()]),
      svc: snapshot({ maxUsers: 3, users: existing }),
      check: (p) => assert.deepEqual(errorCodes(p), []),
    },
    {
      name: 'over the limit: USER_LIMIT_EXCEEDED with the numbers',
      dir: directory([dirUser(), dirUser(), dirUser()]),
      svc: snapshot({ maxUsers: 3, users: existing }),
      check: (p) => {
        assert.deepEqual(errorCodes(p), ['USER_LIMIT_EXCEEDED']);
        assert.equal(detailOf(p.errors[0])['maxUsers'], 3);
        assert.equal(detailOf(p.errors[0])['resultingUsers'], 4);
      },
    },
    {
      name: 'skipped users do not count',
      dir: directory([dirUser(), dirUser({ userType: 'Guest' }), dirUser({ accountEnabled: false })]),
      svc: snapshot({ maxUsers: 1 }),
      check: (p) => assert.deepEqual(errorCodes(p), []),
    },
  ]);
});

describe('R30 login names are unique', () => {
  table([
    {
      name: 'a UPN equal to a login name links, never creates a second user',
      dir: directory([dirUser({ id: 'e1', userPrincipalName: 'TARO@contoso.com' })]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'taro@contoso.com' })] }),
      check: (p) => {
        assert.deepEqual(createdLogins(p), []);
        assert.deepEqual(updatedIds(p), ['u1']);
      },
    },
    {
      name: 'a UPN reused while its old holder is linked to another Entra user: DUPLICATE_LOGIN_NAME',
      dir: directory([
        dirUser({ id: 'e1', userPrincipalName: 'taro2@contoso.com', displayName: 'User e1' }),
        dirUser({ id: 'e2', userPrincipalName: 'taro@contoso.com' }),
      ]),
      svc: snapshot({ users: [svcUser({ id: 'u1', loginName: 'taro@contoso.com', entraObjectId: 'e1', name: 'User e1' })] }),
      check: (p) => {
        assert.deepEqual(errorCodes(p), ['DUPLICATE_LOGIN_NAME']);
        assert.equal(detailOf(p.errors[0])['loginName'], 'taro@contoso.com');
        assert.equal(detailOf(p.errors[0])['userId'], 'u1');
        assert.deepEqual(detailOf(p.errors[0])['entraObjectIds'], ['e2']);
      },
    },
  ]);
});

describe('B1 every blocking error is reported at once, with the changes', () => {
  table([
    {
      name: 'all errors together',
      dir: directory(
        [
          dirUser({ id: 'e1', mail: 'dup@contoso.com' }),
          dirUser({ id: 'e2', mail: 'dup@contoso.com' }),
        ],
        'other-tenant',
      ),
      svc: snapshot({
        plan: 'lite',
        maxUsers: 1,
        initialPasswordSet: false,
        users: [svcUser({ id: 'u1', entraObjectId: 'gone', roles: ['systemAdmin'] })],
      }),
      check: (p) => {
        assert.deepEqual(errorCodes(p), [
          'PLAN_NOT_ELIGIBLE',
          'TENANT_MISMATCH',
          'INITIAL_PASSWORD_MISSING',
          'UNDELETABLE_USER',
          'DUPLICATE_EMAIL',
          'USER_LIMIT_EXCEEDED',
        ]);
        assert.equal(p.summary.usersToCreate, 2);
        assert.equal(p.summary.usersToDelete, 1);
        assert.ok(p.errors.every((e) => typeof e.message === 'string' && e.message.length > 10));
      },
    },
    {
      name: 'a plan with errors cannot be applied',
      dir: directory([dirUser()]),
      svc: snapshot({ plan: 'lite' }),
      check: (p, svc) => assert.throws(() => applyPlanToSnapshot(svc, p, idGen()), { code: 'PLAN_HAS_ERRORS' }),
    },
  ]);
});

describe('B2 deletions above the threshold need confirmation', () => {
  const users = (n: number) => Array.from({ length: n }, (_, i) => svcUser({ id: `u${i}`, entraObjectId: `gone${i}` }));
  table(
    [
      { deletions: 3, threshold: 3, confirm: false },
      { deletions: 4, threshold: 3, confirm: true },
      { deletions: 0, threshold: 0, confirm: false },
      { deletions: 1, threshold: 0, confirm: true },
    ].map(({ deletions, threshold, confirm }) => ({
      name: `${deletions} deletions, threshold ${threshold}: ${confirm ? 'confirm' : 'no confirmation'}`,
      dir: directory([]),
      svc: snapshot({ deletionThreshold: threshold, users: users(deletions) }),
      check: (p: PlanBody) => {
        assert.equal(p.summary.usersToDelete, deletions);
        assert.equal(p.requiresDeletionConfirmation, confirm);
        const w = p.warnings.find((x) => x.code === 'DELETIONS_NEED_CONFIRMATION');
        if (confirm) assert.deepEqual([w?.['deletions'], w?.['threshold']], [deletions, threshold]);
        else assert.equal(w, undefined);
      },
    })),
  );
});

describe('summary and plan metadata', () => {
  it('counts every kind of change and every skipped reason', () => {
    const p = planImport(
      directory([
        dirUser({ id: 'c1', department: 'D' }),
        dirUser({ id: 'up1', displayName: 'changed' }),
        dirUser({ id: 'same1' }),
        dirUser({ id: 'g', userType: 'Guest' }),
        dirUser({ id: 'x', identityIssuers: ['ExternalAzureAD'] }),
        dirUser({ id: 'off', accountEnabled: false }),
        dirUser({ id: 'n', userPrincipalName: null }),
        dirUser({ id: 'n2', userPrincipalName: '' }),
      ]),
      snapshot({
        dataVersion: 42,
        users: [
          svcUser({ id: 'u-up', entraObjectId: 'up1', name: 'before' }),
          linkedUser(dirUser({ id: 'same1' })),
          svcUser({ id: 'u-del', entraObjectId: 'gone' }),
          svcUser({ id: 'u-only' }),
        ],
      }),
    );
    assert.deepEqual(p.summary, {
      usersToCreate: 1,
      usersToUpdate: 1,
      usersToDelete: 1,
      usersUnchanged: 1,
      departmentsToCreate: 2,
      skipped: { guest: 1, external: 1, disabledNew: 1, noUserPrincipalName: 2 },
      // Beyond DESIGN's fields: every user the directory holds, and no delta count after a full read.
      directoryUsers: 8,
      changesRead: null,
    });
    assert.equal(p.baseDataVersion, 42);
    assert.equal(p.tenantId, TENANT);
    assert.equal(p.skippedUsers.length, 5);
  });

  it('does not depend on the order the directory was read in', () => {
    const users = [
      dirUser({ id: 'e1', mail: 'm@contoso.com' }),
      dirUser({ id: 'e2', mail: 'm@contoso.com', department: 'B' }),
      dirUser({ id: 'e3', department: 'A' }),
    ];
    const svc = snapshot({ users: [svcUser({ id: 'u1', email: 'm@contoso.com' })] });
    const a = planImport(directory(users), svc);
    const b = planImport(directory([...users].reverse()), svc);
    assert.deepEqual(a.changes, b.changes);
    assert.deepEqual(a.errors, b.errors);
    assert.deepEqual(a.summary, b.summary);
  });
});
