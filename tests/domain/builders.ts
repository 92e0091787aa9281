/**
 * Small fixture builders for domain tests. Every builder fills sensible
 * defaults so that a test names only what it is about.
 */
import {
  ENTRA_CONTAINER_DEPARTMENT,
  type CompanySnapshot,
  type Department,
  type DirectorySnapshot,
  type DirectoryUser,
  type Membership,
  type SafetyUser,
} from '../../src/domain/types.ts';

export const TENANT = 'tenant-1';
export const ROOT_ID = 'd-root';

let seq = 0;
function next(prefix: string): string {
  seq += 1;
  return `${prefix}${seq}`;
}

/** An enabled member Entra user; the UPN defaults to `<id>@contoso.com`. */
export function dirUser(p: Partial<DirectoryUser> & { id?: string } = {}): DirectoryUser {
  const id = p.id ?? next('auto-e');
  return {
    id,
    userPrincipalName: `${id}@contoso.com`,
    displayName: `User ${id}`,
    mail: null,
    businessPhones: [],
    department: null,
    accountEnabled: true,
    userType: 'Member',
    identityIssuers: [],
    ...p,
  };
}

/** A service user; unlinked (entraObjectId null) unless told. */
export function svcUser(p: Partial<SafetyUser> & { id?: string } = {}): SafetyUser {
  const id = p.id ?? next('auto-u');
  return {
    id,
    loginName: `${id}@service.example`,
    name: `Service ${id}`,
    yomi: '',
    email: null,
    phone: null,
    memo: '',
    sortOrder: null,
    departments: [],
    roles: [],
    entraObjectId: null,
    status: 'active',
    createdAt: '2024-01-01T00:00:00.000Z',
    updatedAt: '2024-01-01T00:00:00.000Z',
    ...p,
  };
}

/** A service user linked (R17) to the given Entra user and already equal to it. */
export function linkedUser(e: DirectoryUser, p: Partial<SafetyUser> = {}): SafetyUser {
  return svcUser({
    loginName: e.userPrincipalName ?? e.id,
    name: e.displayName ?? e.userPrincipalName ?? e.id,
    email: e.mail,
    phone: e.businessPhones.find((x) => x.trim() !== '') ?? null,
    entraObjectId: e.id,
    ...p,
  });
}

export function dept(p: Partial<Department> & { code: string }): Department {
  return {
    id: `d-${p.code}`,
    name: p.code,
    parentId: ROOT_ID,
    level: 1,
    source: 'manual',
    ...p,
  };
}

export const rootDept = (): Department => ({
  id: ROOT_ID,
  code: 'ROOT',
  name: 'Contoso',
  parentId: null,
  level: 0,
  source: 'manual',
});

export const containerDept = (): Department =>
  dept({ code: ENTRA_CONTAINER_DEPARTMENT, id: 'd-container', level: 1, parentId: ROOT_ID, source: 'entra' });

/** An Entra department (level 2 under the container). */
export const entraDept = (code: string): Department =>
  dept({ code, level: 2, parentId: 'd-container', source: 'entra' });

export function member(d: Department, source: Membership['source'] = d.source): Membership {
  return { id: d.id, code: d.code, source };
}

export interface SnapshotOptions {
  plan?: CompanySnapshot['company']['plan'];
  maxUsers?: number;
  entraTenantId?: string | null;
  initialPasswordSet?: boolean;
  deletionThreshold?: number;
  departments?: Department[];
  users?: SafetyUser[];
  dataVersion?: number;
}

/** A premier company linked to TENANT with room for 1000 users, an initial password and only the root department. */
export function snapshot(o: SnapshotOptions = {}): CompanySnapshot {
  const departments = o.departments ?? [];
  return {
    company: {
      id: 'c1',
      name: 'Contoso',
      plan: o.plan ?? 'premier',
      maxUsers: o.maxUsers ?? 1000,
      entraTenantId: o.entraTenantId === undefined ? TENANT : o.entraTenantId,
      rootDepartmentId: ROOT_ID,
    },
    settings: {
      initialPasswordSet: o.initialPasswordSet ?? true,
      deletionThreshold: o.deletionThreshold ?? 50,
      schedule: null,
    },
    departments: departments.some((d) => d.id === ROOT_ID) ? departments : [rootDept(), ...departments],
    users: o.users ?? [],
    dataVersion: o.dataVersion ?? 7,
  };
}

export function directory(users: DirectoryUser[], tenantId = TENANT): DirectorySnapshot {
  return { tenantId, users };
}

/** A deterministic id generator for applyPlanToSnapshot. */
export function idGen(prefix = 'new'): () => string {
  let n = 0;
  return () => `${prefix}-${++n}`;
}

/** An issue's details as plain data, for assertions on any code (the union narrows by code in src). */
export const detailOf = (issue: object | undefined): Record<string, unknown> => (issue ?? {}) as Record<string, unknown>;
