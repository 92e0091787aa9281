/** Row -> domain mapping and database error translation, shared by the repositories. */
import { AppError } from '../domain/errors.ts';
import type { Company, CompanySettings, Department, Membership, Role, SafetyUser } from '../domain/types.ts';
import { isConnectionLost } from './database.ts';

export const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());

export interface CompanyRow {
  id: string;
  name: string;
  plan: Company['plan'];
  max_users: number;
  entra_tenant_id: string | null;
  root_department_id: string;
  data_version: string | number;
  initial_password_hash: string | null;
  deletion_threshold: number;
  schedule: string | null;
}

export const toCompany = (r: CompanyRow): Company => ({
  id: r.id,
  name: r.name,
  plan: r.plan,
  maxUsers: r.max_users,
  entraTenantId: r.entra_tenant_id,
  rootDepartmentId: r.root_department_id,
});

export const toSettings = (r: CompanyRow): CompanySettings => ({
  initialPasswordSet: r.initial_password_hash !== null,
  deletionThreshold: r.deletion_threshold,
  schedule: r.schedule,
});

export interface DepartmentRow {
  id: string;
  code: string;
  name: string;
  parent_id: string | null;
  level: number;
  source: Department['source'];
}

export const toDepartment = (r: DepartmentRow): Department => ({
  id: r.id,
  code: r.code,
  name: r.name,
  parentId: r.parent_id,
  level: r.level,
  source: r.source,
});

export interface UserRow {
  id: string;
  login_name: string;
  name: string;
  yomi: string;
  email: string | null;
  phone: string | null;
  memo: string;
  sort_order: number | null;
  entra_object_id: string | null;
  status: SafetyUser['status'];
  created_at: Date | string;
  updated_at: Date | string;
  departments: Membership[] | string;
  roles: Role[] | string;
}

const parseJson = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export const toUser = (r: UserRow): SafetyUser => ({
  id: r.id,
  loginName: r.login_name,
  name: r.name,
  yomi: r.yomi,
  email: r.email,
  phone: r.phone,
  memo: r.memo,
  sortOrder: r.sort_order,
  departments: parseJson(r.departments),
  roles: parseJson(r.roles),
  entraObjectId: r.entra_object_id,
  status: r.status,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

/** A user's columns with its memberships and roles as the domain shape, over users aliased `u`. */
export const USER_COLUMNS = `u.id, u.login_name, u.name, u.yomi, u.email, u.phone, u.memo, u.sort_order, u.entra_object_id,
       u.status, u.created_at, u.updated_at,
       coalesce((select json_agg(json_build_object('id', d.id, 'code', d.code, 'source', m.source) order by d.code)
                   from memberships m join departments d on d.id = m.department_id
                  where m.user_id = u.id), '[]'::json) as departments,
       coalesce((select json_agg(r.role order by r.role) from user_roles r where r.user_id = u.id), '[]'::json) as roles`;

/** Selects users with their memberships and roles as the domain shape. */
export const USER_SELECT = `
select ${USER_COLUMNS}
  from users u`;

const CONSTRAINT_CODES: Record<string, [AppError['code'], string]> = {
  users_login_unique: ['DUPLICATE_LOGIN_NAME', 'Another user already has this login name.'],
  users_email_unique: ['DUPLICATE_EMAIL', 'Another user already has this email address.'],
  users_entra_unique: ['CONFLICT', 'Another user is already linked to this Entra object id.'],
  departments_code_unique: ['DUPLICATE_DEPARTMENT_CODE', 'A department with this code already exists.'],
  companies_tenant_unique: ['TENANT_ALREADY_LINKED', 'This Entra tenant is already linked to another company.'],
  departments_one_root: ['CONFLICT', 'The company already has a root department.'],
};

/** Turns a PostgreSQL constraint violation into an AppError; anything else is rethrown. */
export function translateDbError(e: unknown): never {
  const err = e as { code?: string; constraint?: string; message?: string };
  if (err && err.code === '23505') {
    const hit = Object.entries(CONSTRAINT_CODES).find(
      ([name]) => err.constraint === name || (err.message ?? '').includes(name),
    );
    if (hit) throw new AppError(hit[1][0], hit[1][1]);
    throw new AppError('CONFLICT', 'The change conflicts with existing data.');
  }
  if (err && err.code === '23503') throw new AppError('CONFLICT', 'The change refers to data that does not exist or is still in use.');
  if (err && (err.code === '22P02' || err.code === '23514')) throw new AppError('VALIDATION_FAILED', 'A value is not valid.');
  // Defect 1: the connection died under the transaction; it rolled back with it.
  if (isConnectionLost(e)) throw new AppError('DATABASE_UNAVAILABLE', 'The database connection was lost.', {}, { cause: e });
  // Defect 4: lock_timeout (55P03) while waiting for the company's write lock.
  if (err && err.code === '55P03') throw new AppError('DATABASE_BUSY', 'The company is busy with an import; try again shortly.', {}, { cause: e });
  throw e;
}

export async function guard<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    return translateDbError(e);
  }
}
