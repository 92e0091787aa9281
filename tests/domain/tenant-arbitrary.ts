/**
 * fast-check generators of random tenants shared by the planner's property tests: random Entra
 * users (guests, external, disabled, blank fields, shared and case-differing UPN and mail keys) and
 * random service users (linked, unlinked, orphaned, service-only, with roles and memberships).
 */
import fc from 'fast-check';
import {
  ENTRA_CONTAINER_DEPARTMENT,
  ROLES,
  type CompanySnapshot,
  type Department,
  type DirectorySnapshot,
  type DirectoryUser,
  type Role,
  type SafetyUser,
} from '../../src/domain/types.ts';
import { ROOT_ID, TENANT, rootDept } from './builders.ts';

export const KEYS = 16; // UPN pool: user0..user15; service login names also use local16..local23
const DEPT_POOL = ['営業部', '総務部', 'サポートT', 'サポートチーム', '安全対策本部', ENTRA_CONTAINER_DEPARTMENT];

const blankish = fc.constantFrom<string | null>(null, '', '  ');

export const entraSpec = fc.record({
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

export const tenantArb = fc
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
      users.push(entraUser(`e${e.key}`, e));
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


export type EntraSpec = typeof entraSpec extends fc.Arbitrary<infer T> ? T : never;

/** The Entra user of a spec, with this object id. */
export function entraUser(id: string, e: EntraSpec): DirectoryUser {
  return {
    id,
    userPrincipalName: e.kind === 'noUpn' ? null : e.upperCaseUpn ? `User${e.key}@Contoso.com` : `user${e.key}@contoso.com`,
    displayName: e.displayName,
    mail: e.mail(e.key),
    businessPhones: e.phones,
    department: e.department,
    accountEnabled: e.kind !== 'disabled',
    userType: e.kind === 'guest' ? 'Guest' : 'Member',
    identityIssuers: e.kind === 'external' ? ['ExternalAzureAD'] : ['contoso.com'],
  };
}
