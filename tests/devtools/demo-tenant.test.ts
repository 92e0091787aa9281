import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  DEMO_ADMIN_OBJECT_ID,
  DEMO_DEPARTMENTS,
  DEMO_FIRST_PLAN_SUMMARY,
  DEMO_TENANT_ID,
  DEMO_USERS,
  demoServiceSeed,
  loadDemoTenant,
  tokenUsersFromTenant,
} from '../../src/devtools/demo-tenant.ts';
import { hasSyncAdminRole } from '../../src/directory/admin-roles.ts';
import { normaliseGraphUser } from '../../src/directory/graph-reader.ts';
import { planImport } from '../../src/domain/planner.ts';
import { ENTRA_CONTAINER_DEPARTMENT, type CompanySnapshot, type Department, type SafetyUser } from '../../src/domain/types.ts';

describe('demo tenant fixture', function () {
  this.timeout(20_000);
  const tenant = loadDemoTenant();
  const byId = new Map(tenant.users.map((u) => [u.id, u]));

  it('is the generator’s output (deterministic: re-running changes nothing)', () => {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/generate-demo-tenant.ts', '--check'], { stdio: 'pipe', cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  });

  it('has the exact tenant, about 200 users and 12 departments in Japanese and English', () => {
    assert.equal(tenant.tenantId, '00000000-0000-0000-0000-0000000000001');
    assert.equal(tenant.tenantId, DEMO_TENANT_ID);
    assert.equal(tenant.displayName, 'Contoso Demo (emulated)');
    assert.equal(tenant.users.length, 200);
    assert.equal(new Set(tenant.users.map((u) => u.id)).size, 200);
    const departments = new Set(tenant.users.map((u) => u.department).filter(Boolean));
    assert.deepEqual([...departments].sort(), [...DEMO_DEPARTMENTS].sort());
    assert.equal(DEMO_DEPARTMENTS.length, 12);
    assert.ok(tenant.users.some((u) => /[ぁ-んァ-ン一-龯]/.test(u.displayName ?? '')));
    assert.ok(tenant.users.some((u) => /^[A-Za-z]+ [A-Za-z]+$/.test(u.displayName ?? '')));
  });

  it('has Alex Wilber, Cloud Application Administrator in 総務部', () => {
    const alex = byId.get('00000000-0000-0000-0000-0000000000020')!;
    assert.equal(DEMO_ADMIN_OBJECT_ID, alex.id);
    assert.equal(alex.userPrincipalName, 'AlexW@contoso.onmicrosoft.com');
    assert.equal(alex.displayName, 'Alex Wilber');
    assert.equal(alex.department, '総務部');
    assert.deepEqual(tenant.directoryRoles[alex.id], ['158c047a-c907-4556-b7ef-446551a6b5f7']);
    const token = tokenUsersFromTenant(tenant).find((u) => u.objectId === alex.id)!;
    assert.ok(hasSyncAdminRole(token.wids));
    assert.ok(!hasSyncAdminRole(tenant.directoryRoles[DEMO_USERS.meganBowen]!));
  });

  it('has guests, an ExternalAzureAD member, disabled users, blank phones and departments, an otherMails-only user', () => {
    const guests = tenant.users.filter((u) => u.userType === 'Guest');
    assert.equal(guests.length, 3);
    assert.ok(guests.every((g) => g.userPrincipalName!.includes('#EXT#')));
    const external = tenant.users.filter((u) => u.userType === 'Member' && u.identities.some((i) => i.issuer === 'ExternalAzureAD'));
    assert.deepEqual(external.map((u) => u.id), [DEMO_USERS.externalMember]);
    assert.equal(tenant.users.filter((u) => !u.accountEnabled).length, 4);
    assert.ok(tenant.users.filter((u) => u.businessPhones.length === 0).length >= 5);
    assert.ok(tenant.users.filter((u) => u.department === null && u.userType === 'Member').length >= 3);
    const lee = byId.get(DEMO_USERS.leeGu)!;
    assert.equal(lee.mail, null);
    assert.ok(lee.otherMails.length > 0);
    const mails = tenant.users.map((u) => u.mail?.toLowerCase()).filter(Boolean);
    assert.equal(new Set(mails).size, mails.length, 'no duplicate mail in Entra');
  });

  it('the service seed matches the story: links by R17/R18/R19, a departed user, a service-only user, サポートT', () => {
    const seed = demoServiceSeed;
    assert.deepEqual(seed.company, { name: 'Contoso Demo', plan: 'enterprise', maxUsers: 500 });
    const dep = (code: string) => seed.departments.find((d) => d.code === code);
    assert.equal(dep('安全対策本部')?.source, 'manual');
    assert.equal(dep(ENTRA_CONTAINER_DEPARTMENT)?.parentCode, null);
    assert.equal(dep('サポートT')?.parentCode, ENTRA_CONTAINER_DEPARTMENT);
    assert.equal(dep('サポートT')?.source, 'entra');
    assert.ok(!tenant.users.some((u) => u.department === 'サポートT'));
    const alex = seed.users.find((u) => u.entraObjectId === DEMO_ADMIN_OBJECT_ID)!;
    assert.deepEqual(alex.roles, ['systemAdmin']);
    const serviceOnly = seed.users.filter((u) => u.entraObjectId === null && !byId.has(u.entraObjectId ?? ''));
    const upns = new Set(tenant.users.map((u) => u.userPrincipalName?.toLowerCase()));
    const entraMails = new Set(tenant.users.map((u) => u.mail?.toLowerCase()));
    const untouched = serviceOnly.filter((u) => !upns.has(u.loginName.toLowerCase()) && !entraMails.has(u.email?.toLowerCase()));
    assert.deepEqual(untouched.map((u) => u.loginName), ['bousai.tantou']);
    assert.ok(seed.users.some((u) => u.entraObjectId === null && upns.has(u.loginName.toLowerCase())), 'an R18 link');
    assert.ok(seed.users.some((u) => u.entraObjectId === null && !upns.has(u.loginName.toLowerCase()) && entraMails.has(u.email?.toLowerCase())), 'an R19 link');
    const departed = seed.users.filter((u) => u.entraObjectId && !byId.has(u.entraObjectId));
    assert.deepEqual(departed.map((u) => u.entraObjectId), [DEMO_USERS.departed]);
  });

  it('the first plan is what the comment in demo-tenant.ts says', () => {
    const departments: Department[] = [{ id: 'root', code: 'Contoso Demo', name: 'Contoso Demo', parentId: null, level: 0, source: 'manual' }];
    for (const d of demoServiceSeed.departments) {
      const parent = d.parentCode ? departments.find((x) => x.code === d.parentCode)! : departments[0]!;
      departments.push({ id: `d-${d.code}`, code: d.code, name: d.name, parentId: parent.id, level: parent.level + 1, source: d.source });
    }
    const users: SafetyUser[] = demoServiceSeed.users.map((u, i) => ({
      id: `u${i}`,
      loginName: u.loginName,
      name: u.name,
      yomi: '',
      email: u.email,
      phone: u.phone,
      memo: '',
      sortOrder: null,
      departments: u.departmentCodes.map((c) => {
        const d = departments.find((x) => x.code === c)!;
        return { id: d.id, code: d.code, source: d.source };
      }),
      roles: u.roles,
      entraObjectId: u.entraObjectId,
      status: 'active',
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    }));
    const snapshot: CompanySnapshot = {
      company: { id: 'c', name: 'Contoso Demo', plan: 'enterprise', maxUsers: 500, entraTenantId: DEMO_TENANT_ID, rootDepartmentId: 'root' },
      settings: { initialPasswordSet: true, deletionThreshold: 50, schedule: null },
      departments,
      users,
      dataVersion: 1,
    };
    const plan = planImport({ tenantId: tenant.tenantId, users: tenant.users.map(normaliseGraphUser) }, snapshot);
    assert.deepEqual(plan.errors, []);
    const { directoryUsers, changesRead, ...designSummary } = plan.summary;
    assert.deepEqual(designSummary, DEMO_FIRST_PLAN_SUMMARY);
    assert.equal(directoryUsers, tenant.users.length);
    assert.equal(changesRead, null);
    assert.ok(plan.changes.createDepartments.some((d) => d.code === 'サポートチーム'));
    assert.ok(!plan.changes.createDepartments.some((d) => d.code === '総務部'));
    assert.deepEqual(plan.changes.deleteUsers.map((d) => d.entraObjectId), [DEMO_USERS.departed]);
    assert.deepEqual(
      plan.changes.updateUsers.map((u) => u.linkedBy).sort(),
      ['R17', 'R17', 'R18', 'R19'],
    );
    assert.ok(plan.warnings.some((w) => w.code === 'DISABLED_USER_UPDATED'));
  });
});
