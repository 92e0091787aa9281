/**
 * The users SCIM provisions (DESIGN S3–S6, S11, S13, S14). Every write runs in
 * one transaction, serialised per company, and is recorded in change_log with
 * origin 'scim'. Departments follow R8–R11; only the SCIM-managed roles
 * (systemAdmin, guest) are ever replaced.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import { foldKey, foldKeyOrNull } from '../domain/fold.ts';
import { ENTRA_CONTAINER_DEPARTMENT, type Role, type SafetyUser } from '../domain/types.ts';
import type { Db, Sql } from './database.ts';
import { guard, toUser, USER_SELECT, type UserRow } from './rows.ts';
import { diffDocs, logChange, userDoc } from './safety-store.ts';
import { lockCompanyForWrite } from './company-lock.ts';

/** Entra app role values (S4). USER means "no SCIM-managed role". */
export type ScimRole = 'ADMIN' | 'USER' | 'GUEST';

export interface ScimUser extends SafetyUser {
  preferredLanguage: string | null;
  timezone: string | null;
  employeeNumber: string | null;
}

/** What one SCIM request changes; an absent field is left as it is. */
export interface ScimUserWrite {
  loginName?: string;
  name?: string;
  email?: string;
  phone?: string;
  /** An Entra department name (R8–R11); never blank (blank leaves memberships unchanged). */
  department?: string;
  role?: ScimRole;
  active?: boolean;
  entraObjectId?: string;
  preferredLanguage?: string;
  timezone?: string;
  employeeNumber?: string | null;
}

export interface ScimUserCreate extends ScimUserWrite {
  loginName: string;
  name: string;
}

/** A filter compiled to SQL over `users u`; its parameters are numbered from $2 ($1 is the company). */
export interface SqlFilter {
  sql: string;
  params: unknown[];
}

/** Roles SCIM manages; every other role the service set stays (S4). */
const SCIM_ROLES: Record<ScimRole, Role[]> = { ADMIN: ['systemAdmin'], USER: [], GUEST: ['guest'] };
const MANAGED: Role[] = ['systemAdmin', 'guest'];

export function scimRoleOf(roles: Role[]): ScimRole {
  if (roles.includes('systemAdmin')) return 'ADMIN';
  if (roles.includes('guest')) return 'GUEST';
  return 'USER';
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface ScimUserRow extends UserRow {
  preferred_language: string | null;
  timezone: string | null;
  employee_number: string | null;
}

const toScimUser = (r: ScimUserRow): ScimUser => ({
  ...toUser(r),
  preferredLanguage: r.preferred_language,
  timezone: r.timezone,
  employeeNumber: r.employee_number,
});

/** USER_SELECT plus the columns only SCIM shows, for the users `where` picks. */
const select = (where: string, tail = '') => `
select s.*, e.preferred_language, e.timezone, e.employee_number
  from (${USER_SELECT} where ${where}) s join users e on e.id = s.id
 ${tail}`;

/** The user as history shows it: the public fields plus the SCIM-only ones. */
const historyDoc = (u: ScimUser): Record<string, unknown> => ({
  ...userDoc(u),
  preferredLanguage: u.preferredLanguage,
  timezone: u.timezone,
  employeeNumber: u.employeeNumber,
});

/** A hash no password can match (not the scrypt format): the user must reset the password. */
const unusableHash = () => `!unusable$${randomBytes(24).toString('base64url')}`;

interface CompanyFacts {
  root_department_id: string;
  initial_password_hash: string | null;
  max_users: number;
}

export class ScimUserStore {
  constructor(private readonly db: Db) {}

  async get(companyId: string, userId: string): Promise<ScimUser> {
    return readScimUser(this.db, companyId, userId);
  }

  /** One page in a stable order (creation time, then id), and how many match in all. */
  async page(companyId: string, filter: SqlFilter | null, offset: number, limit: number): Promise<{ total: number; users: ScimUser[] }> {
    const where = `u.company_id = $1 and (${filter?.sql ?? 'true'})`;
    const params = [companyId, ...(filter?.params ?? [])];
    const [count] = await this.db.query<{ n: number }>(`select count(*)::int as n from users u where ${where}`, params);
    const total = Number(count?.n ?? 0);
    if (limit === 0 || offset >= total) return { total, users: [] };
    const rows = await this.db.query<ScimUserRow>(
      select(where, `order by s.created_at, s.id limit $${params.length + 1} offset $${params.length + 2}`),
      [...params, limit, offset],
    );
    return { total, users: rows.map(toScimUser) };
  }

  async all(companyId: string): Promise<ScimUser[]> {
    const rows = await this.db.query<ScimUserRow>(select('u.company_id = $1', 'order by s.created_at, s.id'), [companyId]);
    return rows.map(toScimUser);
  }

  /**
   * POST (S6): an existing user with this Entra object id (R17), else an
   * unlinked one with this login name (R18) or work email (R19), is linked
   * and synced instead of created; a login name that a linked user already
   * holds is a uniqueness conflict.
   */
  async create(companyId: string, input: ScimUserCreate, actor: string): Promise<{ user: ScimUser; linked: boolean }> {
    return guard(
      this.db.transaction(async (tx) => {
        const company = await lockCompany(tx, companyId);
        const existing = await findLinkTarget(tx, companyId, input);
        if (existing) {
          const user = await applyWrite(tx, companyId, company, existing, input, actor);
          return { user, linked: true };
        }
        const [{ n } = { n: 0 }] = await tx.query<{ n: number }>(
          'select count(*)::int as n from users where company_id = $1',
          [companyId],
        );
        if (Number(n) >= company.max_users) {
          throw new AppError('FORBIDDEN', `The company's user limit (${company.max_users}) is reached; no user can be added.`);
        }
        const id = randomUUID();
        await tx.query(
          `insert into users (id, company_id, login_name, password_hash, must_change_password, name, email, phone, status,
                              entra_object_id, preferred_language, timezone, employee_number, login_key, email_key)
           values ($1, $2, $3, $4, true, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
          [
            id,
            companyId,
            input.loginName,
            company.initial_password_hash ?? unusableHash(),
            input.name,
            input.email ?? null,
            input.phone ?? null,
            input.active === false ? 'suspended' : 'active',
            input.entraObjectId ?? null,
            input.preferredLanguage ?? null,
            input.timezone ?? null,
            input.employeeNumber ?? null,
            foldKey(input.loginName),
            foldKeyOrNull(input.email),
          ],
        );
        await syncDepartment(tx, companyId, company, id, input.department, actor);
        await syncRole(tx, companyId, id, [], input.role ?? 'USER');
        const user = await readScimUser(tx, companyId, id);
        await logChange(tx, companyId, null, 'scim', 'user', id, 'create', null, historyDoc(user), actor);
        return { user, linked: false };
      }),
    );
  }

  async update(companyId: string, userId: string, write: ScimUserWrite, actor: string): Promise<ScimUser> {
    if (!UUID_RE.test(userId)) throw new AppError('NOT_FOUND', 'User not found.');
    return guard(
      this.db.transaction(async (tx) => {
        const company = await lockCompany(tx, companyId);
        const before = await readScimUser(tx, companyId, userId, true);
        return applyWrite(tx, companyId, company, before, write, actor);
      }),
    );
  }
}

export async function readScimUser(sql: Sql, companyId: string, userId: string, forUpdate = false): Promise<ScimUser> {
  if (!UUID_RE.test(userId)) throw new AppError('NOT_FOUND', 'User not found.');
  if (forUpdate) await sql.query('select id from users where company_id = $1 and id = $2 for update', [companyId, userId]);
  const [row] = await sql.query<ScimUserRow>(select('u.company_id = $1 and u.id = $2'), [companyId, userId]);
  if (!row) throw new AppError('NOT_FOUND', 'User not found.');
  return toScimUser(row);
}

/**
 * SCIM writes of one company run one at a time (linking and department creation stay consistent),
 * and behind a running import, never across it: the company row is locked before any user row
 * (defect 4, see company-lock.ts).
 */
async function lockCompany(tx: Sql, companyId: string): Promise<CompanyFacts> {
  if (!UUID_RE.test(companyId)) throw new AppError('NOT_FOUND', 'Company not found.');
  return lockCompanyForWrite<CompanyFacts & Record<string, unknown>>(tx, companyId, 'root_department_id, initial_password_hash, max_users');
}

async function findLinkTarget(tx: Sql, companyId: string, input: ScimUserCreate): Promise<ScimUser | null> {
  type Hit = { id: string; entra_object_id: string | null; login_key: string };
  const one = async (where: string, value: string) =>
    (await tx.query<Hit>(`select id, entra_object_id, login_key from users where company_id = $1 and ${where}`, [companyId, value]))[0];
  const byLogin = await one('login_key = $2', foldKey(input.loginName));
  if (byLogin && byLogin.entra_object_id !== null) {
    throw new AppError('DUPLICATE_LOGIN_NAME', `A provisioned user with the userName ${input.loginName} already exists.`);
  }
  const byObjectId = input.entraObjectId ? await one('entra_object_id = $2', input.entraObjectId) : undefined;
  let target = byObjectId ?? byLogin;
  if (!target && input.email) {
    const byEmail = await one('email_key = $2', foldKey(input.email));
    if (byEmail && byEmail.entra_object_id !== null) {
      throw new AppError('DUPLICATE_EMAIL', `A provisioned user with the email ${input.email} already exists.`);
    }
    target = byEmail;
  }
  return target ? readScimUser(tx, companyId, target.id, true) : null;
}

const COLUMNS = {
  loginName: 'login_name',
  name: 'name',
  email: 'email',
  phone: 'phone',
  entraObjectId: 'entra_object_id',
  preferredLanguage: 'preferred_language',
  timezone: 'timezone',
  employeeNumber: 'employee_number',
} as const;

/** Applies what changed, logs one 'update' entry when anything did, and returns the user after. */
async function applyWrite(
  tx: Sql,
  companyId: string,
  company: CompanyFacts,
  before: ScimUser,
  write: ScimUserWrite,
  actor: string,
): Promise<ScimUser> {
  const sets: string[] = [];
  const params: unknown[] = [companyId, before.id];
  for (const [field, column] of Object.entries(COLUMNS) as [keyof typeof COLUMNS, string][]) {
    const value = write[field];
    if (value === undefined || value === before[field]) continue;
    params.push(value);
    sets.push(`${column} = $${params.length}`);
    // Defect 8: the unique keys are foldKey of the value, written with it.
    const key = field === 'loginName' ? 'login_key' : field === 'email' ? 'email_key' : null;
    if (key) {
      params.push(foldKeyOrNull(value));
      sets.push(`${key} = $${params.length}`);
    }
  }
  if (write.active !== undefined && (before.status === 'active') !== write.active) {
    params.push(write.active ? 'active' : 'suspended');
    sets.push(`status = $${params.length}`);
  }
  const depChanged = await syncDepartment(tx, companyId, company, before.id, write.department, actor);
  const roleChanged = write.role === undefined ? false : await syncRole(tx, companyId, before.id, before.roles, write.role);
  if (sets.length > 0 || depChanged || roleChanged) {
    await tx.query(`update users set ${[...sets, 'updated_at = now()'].join(', ')} where company_id = $1 and id = $2`, params);
  }
  const after = await readScimUser(tx, companyId, before.id);
  const diff = diffDocs(historyDoc(before), historyDoc(after));
  if (diff) await logChange(tx, companyId, null, 'scim', 'user', before.id, 'update', diff.before, diff.after, actor);
  return after;
}

/**
 * R8–R11: the department named `name` is reused wherever it is in the tree
 * (its code equals the name); otherwise it is created at level 2 under the
 * Entra container, which is created once under the root. The user's
 * Entra-sourced membership is replaced; manual memberships stay. Returns
 * whether the user's memberships changed.
 */
async function syncDepartment(
  tx: Sql,
  companyId: string,
  company: CompanyFacts,
  userId: string,
  name: string | undefined,
  actor: string,
): Promise<boolean> {
  if (name === undefined || name.trim() === '') return false;
  const dep = await ensureDepartment(tx, companyId, company, name.trim(), actor);
  const removed = await tx.query(
    `delete from memberships where user_id = $1 and source = 'entra' and department_id <> $2 returning department_id`,
    [userId, dep],
  );
  const added = await tx.query(
    `insert into memberships (user_id, department_id, company_id, source) values ($1, $2, $3, 'entra')
     on conflict do nothing returning department_id`,
    [userId, dep, companyId],
  );
  return removed.length > 0 || added.length > 0;
}

async function ensureDepartment(tx: Sql, companyId: string, company: CompanyFacts, code: string, actor: string): Promise<string> {
  const found = async (c: string) =>
    (await tx.query<{ id: string; level: number }>('select id, level from departments where company_id = $1 and code = $2', [
      companyId,
      c,
    ]))[0];
  const existing = await found(code);
  if (existing) return existing.id;
  const insert = async (c: string, parent: { id: string; level: number }) => {
    const [row] = await tx.query<{ id: string; level: number }>(
      `insert into departments (company_id, code, name, parent_id, level, source) values ($1, $2, $2, $3, $4, 'entra')
       on conflict on constraint departments_code_unique do nothing returning id, level`,
      [companyId, c, parent.id, parent.level + 1],
    );
    if (!row) return (await found(c))!;
    await logChange(tx, companyId, null, 'scim', 'department', row.id, 'create', null, {
      code: c,
      name: c,
      parentId: parent.id,
      level: row.level,
      source: 'entra',
    }, actor);
    return row;
  };
  const container =
    (await found(ENTRA_CONTAINER_DEPARTMENT)) ??
    (await insert(ENTRA_CONTAINER_DEPARTMENT, { id: company.root_department_id, level: 0 }));
  return (await insert(code, container)).id;
}

/** S4: the SCIM-managed roles become exactly the ones `role` maps to; other roles stay. Returns whether they changed. */
async function syncRole(tx: Sql, companyId: string, userId: string, current: Role[], role: ScimRole): Promise<boolean> {
  const target = SCIM_ROLES[role];
  const remove = current.filter((r) => MANAGED.includes(r) && !target.includes(r));
  const add = target.filter((r) => !current.includes(r));
  if (remove.length > 0) await tx.query('delete from user_roles where user_id = $1 and role = any($2::text[])', [userId, remove]);
  if (add.length > 0) {
    await tx.query(
      `insert into user_roles (user_id, company_id, role) select $1, $2, r from unnest($3::text[]) r on conflict do nothing`,
      [userId, companyId, add],
    );
  }
  return remove.length > 0 || add.length > 0;
}
