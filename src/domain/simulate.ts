/**
 * The pure reference model of applying a plan (DESIGN.md §3 R5–R27): what the
 * store's transactional applier must produce. Tests of the store compare
 * against it. No I/O; ids come from `newId`, timestamps from `now`.
 */
import { AppError } from './errors.ts';
import {
  ENTRA_CONTAINER_DEPARTMENT,
  type CompanySnapshot,
  type Department,
  type Membership,
  type PlanBody,
  type SafetyUser,
} from './types.ts';

/**
 * Returns a new snapshot (the input is not modified):
 * - departments: the container (level 1) under the root, Entra departments
 *   under the container, level = parent level + 1, source 'entra';
 * - users deleted, then updated (name, email, phone, entraObjectId; the
 *   department change replaces every entra-sourced membership and keeps
 *   the others), then created (memberships source 'entra');
 * - company.entraTenantId set when it was null;
 * - dataVersion + 1 when anything was written.
 * Throws AppError PLAN_HAS_ERRORS for a plan with errors (nothing is applied, R5).
 */
export function applyPlanToSnapshot(
  service: CompanySnapshot,
  plan: PlanBody,
  newId: () => string,
  now = '1970-01-01T00:00:00.000Z',
): CompanySnapshot {
  if (plan.errors.length > 0) {
    throw new AppError('PLAN_HAS_ERRORS', 'The plan has errors and cannot be applied.', {
      errors: plan.errors.map((e) => e.code),
    });
  }
  const { changes } = plan;
  let written = false;

  const company = { ...service.company };
  if (company.entraTenantId === null || company.entraTenantId.trim() === '') {
    company.entraTenantId = plan.tenantId;
    written = true;
  }

  const departments: Department[] = service.departments.map((d) => ({ ...d }));
  const deptByCode = new Map<string, Department>();
  for (const d of departments) if (!deptByCode.has(d.code)) deptByCode.set(d.code, d);
  const deptById = new Map<string, Department>(departments.map((d) => [d.id, d]));

  for (const c of changes.createDepartments) {
    if (deptByCode.has(c.code)) {
      throw new AppError('DUPLICATE_DEPARTMENT_CODE', `The department code ${c.code} already exists.`, { code: c.code });
    }
    const parentId =
      c.level === 1 ? company.rootDepartmentId : (deptByCode.get(ENTRA_CONTAINER_DEPARTMENT)?.id ?? company.rootDepartmentId);
    const parent = deptById.get(parentId);
    const d: Department = {
      id: newId(),
      code: c.code,
      name: c.name,
      parentId,
      level: (parent?.level ?? 0) + 1,
      source: 'entra',
    };
    departments.push(d);
    deptByCode.set(d.code, d);
    deptById.set(d.id, d);
    written = true;
  }

  const membershipTo = (code: string): Membership => {
    const d = deptByCode.get(code);
    if (!d) throw new AppError('NOT_FOUND', `The department ${code} does not exist.`, { code });
    return { id: d.id, code: d.code, source: 'entra' };
  };

  const deleted = new Set(changes.deleteUsers.map((d) => d.userId));
  const updates = new Map(changes.updateUsers.map((u) => [u.userId, u]));
  const users: SafetyUser[] = [];
  for (const s of service.users) {
    if (deleted.has(s.id)) {
      written = true;
      continue;
    }
    const u = updates.get(s.id);
    if (!u) {
      users.push({ ...s, departments: s.departments.map((m) => ({ ...m })), roles: [...s.roles] });
      continue;
    }
    const f = u.fields;
    const next: SafetyUser = {
      ...s,
      departments: s.departments.map((m) => ({ ...m })),
      roles: [...s.roles],
      updatedAt: now,
    };
    if (f.name) next.name = f.name.to ?? next.name;
    if (f.email) next.email = f.email.to;
    if (f.phone) next.phone = f.phone.to;
    if (f.entraObjectId) next.entraObjectId = f.entraObjectId.to;
    if (f.department) {
      const to = f.department.to;
      next.departments = next.departments.filter((m) => m.source !== 'entra');
      if (to !== null && !next.departments.some((m) => m.code === to)) next.departments.push(membershipTo(to));
    }
    users.push(next);
    written = true;
  }

  for (const c of changes.createUsers) {
    users.push({
      id: newId(),
      loginName: c.loginName,
      name: c.name,
      yomi: '',
      email: c.email,
      phone: c.phone,
      memo: '',
      sortOrder: null,
      departments: c.departmentCode === null ? [] : [membershipTo(c.departmentCode)],
      roles: [],
      entraObjectId: c.entraObjectId,
      status: 'active',
      createdAt: now,
      updatedAt: now,
    });
    written = true;
  }

  return {
    company,
    settings: { ...service.settings },
    departments,
    users,
    dataVersion: written ? service.dataVersion + 1 : service.dataVersion,
  };
}
