/**
 * The users SCIM provisions (DESIGN S3–S6, S11, S13, S14). Every write runs in
 * one transaction, under the company's shared SCIM lock (company-lock.ts), and is recorded in change_log with
 * origin 'scim'. Departments follow R8–R11; only the SCIM-managed roles
 * (systemAdmin, guest) are ever replaced.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import { foldKey, foldKeyOrNull } from '../domain/fold.ts';
import { ENTRA_CONTAINER_DEPARTMENT, type Role, type SafetyUser } from '../domain/types.ts';
import type { Db, Sql } from './database.ts';
import { guard, toUser, type UserRow } from './rows.ts';
import { diffDocs, logChange, userDoc } from './safety-store.ts';
import { companyCreateLock, lockCompanyForScimWrite } from './company-lock.ts';
import { compileUserQuery, type UserQuery } from './scim-query.ts';

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

/**
 * The user as SCIM shows it (rows.ts USER_SELECT plus the SCIM-only columns), over any relation
 * aliased `u` that has the users columns (a table or a CTE's `returning *`).
 */
const SCIM_COLUMNS = `u.id, u.login_name, u.name, u.yomi, u.email, u.phone, u.memo, u.sort_order, u.entra_object_id,
       u.status, u.created_at, u.updated_at, u.preferred_language, u.timezone, u.employee_number,
       coalesce((select json_agg(json_build_object('id', d.id, 'code', d.code, 'source', m.source) order by d.code)
                   from memberships m join departments d on d.id = m.department_id
                  where m.user_id = u.id), '[]'::json) as departments,
       coalesce((select json_agg(r.role order by r.role) from user_roles r where r.user_id = u.id), '[]'::json) as roles`;

const READ_USER = `select ${SCIM_COLUMNS} from users u where u.company_id = $1 and u.id = $2`;
/** After the company lock locked the row (company-lock.ts): reads it with a fresh snapshot and puts lock_timeout back. */
const READ_LOCKED_USER = `select ${SCIM_COLUMNS}, set_config('lock_timeout', $3, true) as lock_timeout_restored
  from users u where u.company_id = $1 and u.id = $2`;

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

  /**
   * One page of the users a query picks, in a stable order (creation time, then id), and how many
   * match in all: one statement.
   */
  async page(companyId: string, query: UserQuery, offset: number, limit: number): Promise<{ total: number; users: ScimUser[] }> {
    const where = compileUserQuery(query, 4);
    const rows = await this.db.query<ScimUserRow & { total: number; id: string | null }>(
      `with matched as (select u.id, u.created_at from users u where u.company_id = $1 and ${where.sql}),
            picked as (select id from matched order by created_at, id limit $2 offset $3)
       select t.total, s.* from (select count(*)::int as total from matched) t
         left join (select ${SCIM_COLUMNS} from users u where u.company_id = $1 and u.id in (select id from picked)) s on true
        order by s.created_at, s.id`,
      [companyId, limit, offset, ...where.params],
      // The text depends only on the query's shape; Entra's lookups (userName eq / externalId eq) reuse one plan.
      where.params.length <= 2 ? { name: `scim-page-${createHash('sha1').update(where.sql).digest('hex').slice(0, 20)}` } : {},
    );
    const total = Number(rows[0]?.total ?? 0);
    return { total, users: rows.filter((r) => r.id !== null).map(toScimUser) };
  }

  /** Every user of the company (the in-memory filter path only: filters the store cannot compile). */
  async all(companyId: string): Promise<ScimUser[]> {
    const rows = await this.db.query<ScimUserRow>(`select ${SCIM_COLUMNS} from users u where u.company_id = $1 order by u.created_at, u.id`, [companyId]);
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
        // POSTs naming the same userName, email or externalId queue on those keys (S6 sees every earlier one).
        const keys = [`login:${foldKey(input.loginName)}`];
        if (input.email) keys.push(`email:${foldKey(input.email)}`);
        if (input.entraObjectId) keys.push(`oid:${input.entraObjectId}`);
        const { company, previousLockTimeout } = await lockCompany(tx, companyId, { keys });
        const targetId = await findLinkTarget(tx, companyId, input, previousLockTimeout);
        if (targetId) {
          const existing = await readScimUser(tx, companyId, targetId, true);
          const user = await applyWrite(tx, companyId, company, existing, input, actor);
          return { user, linked: true };
        }
        const id = randomUUID();
        const code = input.department?.trim() ?? '';
        const roles = SCIM_ROLES[input.role ?? 'USER'];
        // The user, its department (when it exists) and its roles in one statement, which also takes the
        // company's create lock: creates queue only from here to their commit, and the read below (a
        // fresh snapshot) counts every user committed before (R29).
        const [inserted] = await tx.query<{ dep: string | null }>(
          `with ins as (insert into users (id, company_id, login_name, password_hash, must_change_password, name, email, phone, status,
                                           entra_object_id, preferred_language, timezone, employee_number, login_key, email_key)
                        values ($1, $2, $3, $4, true, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) returning id),
                dep as (select id from departments where company_id = $2 and code = $15 and $15 <> ''),
                added as (insert into memberships (user_id, department_id, company_id, source)
                          select i.id, d.id, $2, 'entra' from ins i, dep d returning 1),
                roles_added as (insert into user_roles (user_id, company_id, role)
                                select i.id, $2, r from ins i, unnest($16::text[]) r returning 1)
           select (select id from dep) as dep, ${companyCreateLock('$2')} is null as create_locked`,
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
            code,
            roles,
          ],
          { name: 'scim-user-insert-with-links' },
        );
        // A department met for the first time (R8–R11): created, then linked (the roles are in already).
        if (code !== '' && inserted!.dep === null) await syncLinks(tx, companyId, company, id, [], [], code, undefined, actor);
        const [row] = await tx.query<ScimUserRow & { company_users: number }>(
          `select ${SCIM_COLUMNS}, (select count(*)::int from users where company_id = $1) as company_users
             from users u where u.company_id = $1 and u.id = $2`,
          [companyId, id],
          { name: 'scim-user-read-created' },
        );
        refuseOverLimit(row!.company_users, company.max_users);
        const user = toScimUser(row!);
        await logChange(tx, companyId, null, 'scim', 'user', id, 'create', null, historyDoc(user), actor);
        return { user, linked: false };
      }),
    );
  }

  async update(companyId: string, userId: string, write: ScimUserWrite, actor: string): Promise<ScimUser> {
    return this.patch(companyId, userId, () => write, actor);
  }

  /**
   * PATCH and PUT: `change` turns the user as it is (read under the row lock, in the same
   * transaction as the write, so two PATCHes never lose one another) into what to write. It may
   * throw (an invalid patch); nothing is written then.
   */
  async patch(companyId: string, userId: string, change: (before: ScimUser) => ScimUserWrite, actor: string): Promise<ScimUser> {
    if (!UUID_RE.test(userId)) throw new AppError('NOT_FOUND', 'User not found.');
    return guard(
      this.db.transaction(async (tx) => {
        const { company, previousLockTimeout } = await lockCompany(tx, companyId, { userId });
        const before = await readScimUser(tx, companyId, userId, true, previousLockTimeout);
        return applyWrite(tx, companyId, company, before, change(before), actor);
      }),
    );
  }
}

/**
 * The user; `forUpdate`: locked for the rest of the transaction. With `restoreLockTimeout` the row is
 * already locked (lockCompanyForScimWrite with its userId) and this read puts lock_timeout back;
 * without, the row is locked by one statement and read by the next, so the read's snapshot is taken
 * after any wait for the row (a statement that waits reads the memberships and roles as they were
 * before the wait).
 */
export async function readScimUser(
  sql: Sql,
  companyId: string,
  userId: string,
  forUpdate = false,
  restoreLockTimeout?: string,
): Promise<ScimUser> {
  if (!UUID_RE.test(userId)) throw new AppError('NOT_FOUND', 'User not found.');
  if (forUpdate && restoreLockTimeout === undefined) {
    await sql.query('select id from users where company_id = $1 and id = $2 for update', [companyId, userId], { name: 'scim-user-lock' });
  }
  const [row] = forUpdate && restoreLockTimeout !== undefined
    ? await sql.query<ScimUserRow>(READ_LOCKED_USER, [companyId, userId, restoreLockTimeout], { name: 'scim-user-read-locked' })
    : await sql.query<ScimUserRow>(READ_USER, [companyId, userId], { name: 'scim-user-read' });
  if (!row) throw new AppError('NOT_FOUND', 'User not found.');
  return toScimUser(row);
}

/**
 * SCIM writes of one company run side by side, each under its user's row lock, and never across an
 * import or an admin write: they share the company lock (company-lock.ts) and take it before any user
 * row (defect 4); with `userId` the same statement then locks that user's row. A POST also takes
 * locks on the keys it links by (`keys`), so linking (S6) sees every earlier POST of the same user;
 * its insert takes the company's create lock (R29). The caller's next statement puts lock_timeout back.
 */
async function lockCompany(
  tx: Sql,
  companyId: string,
  options: { keys?: string[]; userId?: string },
): Promise<{ company: CompanyFacts; previousLockTimeout: string }> {
  if (!UUID_RE.test(companyId)) throw new AppError('NOT_FOUND', 'Company not found.');
  const { row, previousLockTimeout } = await lockCompanyForScimWrite<CompanyFacts & Record<string, unknown>>(
    tx,
    companyId,
    ['root_department_id', 'initial_password_hash', 'max_users'],
    options,
  );
  return { company: row, previousLockTimeout };
}

/**
 * The user a POST links to (S6, R17–R19), or null when it creates one; refuses a conflict. One
 * statement, which also puts lock_timeout back.
 */
async function findLinkTarget(
  tx: Sql,
  companyId: string,
  input: ScimUserCreate,
  restoreLockTimeout: string,
): Promise<string | null> {
  const [hit] = await tx.query<{
    login_id: string | null;
    login_entra: string | null;
    object_id: string | null;
    email_id: string | null;
    email_entra: string | null;
  }>(
    `select set_config('lock_timeout', $5, true) as lock_timeout_restored,
            bl.id as login_id, bl.entra_object_id as login_entra, bo.id as object_id,
            be.id as email_id, be.entra_object_id as email_entra
       from (select 1) one
       left join users bl on bl.company_id = $1 and bl.login_key = $2
       left join users bo on bo.company_id = $1 and bo.entra_object_id = $3
       left join users be on be.company_id = $1 and be.email_key = $4`,
    [companyId, foldKey(input.loginName), input.entraObjectId ?? null, input.email ? foldKey(input.email) : null, restoreLockTimeout],
    { name: 'scim-user-link-target' },
  );
  if (!hit) return null;
  if (hit.login_id !== null && hit.login_entra !== null) {
    throw new AppError('DUPLICATE_LOGIN_NAME', `A provisioned user with the userName ${input.loginName} already exists.`);
  }
  const target = hit.object_id ?? hit.login_id;
  if (target) return target;
  if (hit.email_id !== null) {
    if (hit.email_entra !== null) {
      throw new AppError('DUPLICATE_EMAIL', `A provisioned user with the email ${input.email} already exists.`);
    }
    return hit.email_id;
  }
  return null;
}

/** R29 for SCIM: `companyUsers` counts the new user too (read after its insert, under the create lock). */
function refuseOverLimit(companyUsers: number, maxUsers: number): void {
  if (Number(companyUsers) > maxUsers) {
    throw new AppError('FORBIDDEN', `The company's user limit (${maxUsers}) is reached; no user can be added.`);
  }
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

/**
 * Applies what changed, logs one 'update' entry when anything did, and returns the user after:
 * at most three statements (memberships and roles, the row read back with the update, the log).
 */
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
  const linksChanged = await syncLinks(tx, companyId, company, before.id, before.departments, before.roles, write.department, write.role, actor);
  if (sets.length === 0 && !linksChanged) return before;
  // The row comes back from the update itself; memberships and roles written above are visible to it.
  const [row] = await tx.query<ScimUserRow>(
    `with u as (update users set ${[...sets, 'updated_at = now()'].join(', ')} where company_id = $1 and id = $2 returning *)
     select ${SCIM_COLUMNS} from u`,
    params,
  );
  const after = toScimUser(row!);
  const diff = diffDocs(historyDoc(before), historyDoc(after));
  if (diff) await logChange(tx, companyId, null, 'scim', 'user', before.id, 'update', diff.before, diff.after, actor);
  return after;
}

/**
 * The user's Entra-sourced department (R8–R11) and SCIM-managed roles (S4) made what the write
 * says, in one statement when the department exists (the usual case); a department met for the
 * first time is created first (ensureDepartment). Returns whether anything changed.
 */
async function syncLinks(
  tx: Sql,
  companyId: string,
  company: CompanyFacts,
  userId: string,
  currentDepartments: ScimUser['departments'],
  currentRoles: Role[],
  department: string | undefined,
  role: ScimRole | undefined,
  actor: string,
): Promise<boolean> {
  const code = department?.trim() ?? '';
  const entra = currentDepartments.filter((d) => d.source === 'entra');
  const depWanted = code !== '' && !(entra.length === 1 && entra[0]!.code === code);
  const target = role === undefined ? undefined : SCIM_ROLES[role];
  const removeRoles = target === undefined ? [] : currentRoles.filter((r) => MANAGED.includes(r) && !target.includes(r));
  const addRoles = target === undefined ? [] : target.filter((r) => !currentRoles.includes(r));
  const rolesWanted = removeRoles.length > 0 || addRoles.length > 0;
  if (!depWanted && !rolesWanted) return false;
  const run = async () =>
    (
      await tx.query<{ dep: string | null; changed: number }>(
        `with dep as (select id from departments where company_id = $1 and code = $3 and $4::boolean),
              removed as (delete from memberships where user_id = $2 and source = 'entra'
                            and department_id <> (select id from dep) returning 1),
              added as (insert into memberships (user_id, department_id, company_id, source)
                        select $2, id, $1, 'entra' from dep on conflict do nothing returning 1),
              roles_removed as (delete from user_roles where user_id = $2 and role = any($5::text[]) returning 1),
              roles_added as (insert into user_roles (user_id, company_id, role)
                              select $2, $1, r from unnest($6::text[]) r on conflict do nothing returning 1)
         select (select id from dep) as dep,
                ((select count(*) from removed) + (select count(*) from added) +
                 (select count(*) from roles_removed) + (select count(*) from roles_added))::int as changed`,
        [companyId, userId, code, depWanted, removeRoles, addRoles],
        { name: 'scim-user-links' },
      )
    )[0]!;
  const first = await run();
  if (!depWanted || first.dep !== null) return first.changed > 0;
  // A department met for the first time: create it (logged), then link (roles are already done).
  await ensureDepartment(tx, companyId, company, code, actor);
  removeRoles.length = 0;
  addRoles.length = 0;
  const second = await run();
  return first.changed + second.changed > 0;
}

/** R8–R11: the department whose code is `code`, reused anywhere in the tree, else created at level 2 under the Entra container (created once under the root). */
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
