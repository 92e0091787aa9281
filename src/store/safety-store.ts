/**
 * The safety-service backend's data: companies, the department tree, users,
 * plans, runs and the field-level change log. Every write that changes a
 * user or a department is recorded in change_log (B5).
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import { foldKey, foldKeyOrNull } from '../domain/fold.ts';
import {
  UNDELETABLE_ROLES,
  type Company,
  type CompanyPlan,
  type CompanySettings,
  type CompanySnapshot,
  type Department,
  type Membership,
  type Plan,
  type PlanStatus,
  type Role,
  type Run,
  type SafetyUser,
  type SkippedUser,
  type UserStatus,
} from '../domain/types.ts';
import type { UndoPlan, UndoPlanBody } from '../domain/undo.ts';
import { dataVersionOf, lockCompanyForScimWrite, lockCompanyForWrite } from './company-lock.ts';
import type { Db, Sql } from './database.ts';
import { migrate } from './migrations.ts';
import { hashPassword } from './passwords.ts';
import {
  guard,
  iso,
  toCompany,
  toDepartment,
  toSettings,
  toUser,
  USER_COLUMNS,
  USER_SELECT,
  type CompanyRow,
  type DepartmentRow,
  type UserRow,
} from './rows.ts';

export interface CompanyInput {
  name: string;
  plan: CompanyPlan;
  maxUsers: number;
  entraTenantId?: string | null;
}

export interface SettingsInput {
  initialPassword?: string;
  deletionThreshold?: number;
  schedule?: string | null;
}

export interface UserInput {
  loginName: string;
  password: string;
  name: string;
  yomi?: string;
  email?: string | null;
  phone?: string | null;
  memo?: string;
  sortOrder?: number | null;
  departmentIds?: string[];
  roles?: Role[];
  status?: UserStatus;
  entraObjectId?: string | null;
}

export type UserPatch = Partial<Omit<UserInput, 'password'>> & { password?: string };

export type ChangeOrigin = 'import' | 'undo' | 'scim' | 'api';

export interface ChangeEntry {
  id: number;
  runId: string | null;
  origin: ChangeOrigin;
  entity: 'user' | 'department' | 'company';
  entityId: string;
  action: 'create' | 'update' | 'delete';
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  actor: string;
  at: string;
}

interface RunRow {
  id: string;
  plan_id: string | null;
  kind: string;
  status: Run['status'];
  started_at: Date | string;
  finished_at: Date | string;
  counts: Run['counts'];
  confirmed_by: string;
  requested_by: string | null;
  error: Run['error'] | null;
}

export const toRun = (r: RunRow): Run & { kind: string; requestedBy: string | null } => ({
  id: r.id,
  planId: r.plan_id ?? '',
  kind: r.kind,
  status: r.status,
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
  counts: r.counts,
  confirmedBy: r.confirmed_by,
  requestedBy: r.requested_by,
  ...(r.error ? { error: r.error } : {}),
});

interface PlanRow {
  id: string;
  company_id: string;
  status: PlanStatus;
  created_at: Date | string;
  expires_at: Date | string;
  requested_by: string;
  source: Plan['source'];
  base_data_version: string | number;
  body: Omit<Plan, 'id' | 'companyId' | 'status' | 'createdAt' | 'expiresAt' | 'requestedBy' | 'source'> | UndoPlanBody;
  run_id: string | null;
  cancelled_by: string | null;
}

export type StoredPlan = Plan & { runId: string | null; cancelledBy: string | null };
/** B6: an undo preview, stored in the same table as import plans and told apart by `kind`. */
export type StoredUndoPlan = UndoPlan & { runId: string | null; cancelledBy: string | null };
/** Either kind of stored plan: narrow on `kind === 'undo'`. */
export type AnyStoredPlan = StoredPlan | StoredUndoPlan;

const toPlan = (r: PlanRow): AnyStoredPlan => {
  const head = {
    id: r.id,
    companyId: r.company_id,
    status: r.status,
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
    requestedBy: r.requested_by,
    baseDataVersion: Number(r.base_data_version),
    runId: r.run_id,
    cancelledBy: r.cancelled_by,
  };
  if (r.body.kind === 'undo') return { ...r.body, ...head };
  return { ...r.body, kind: 'import', ...head, source: r.source };
};

/** How many skipped users a plan's body keeps inline (issue 9 item 5). */
export const SKIPPED_USERS_INLINE = 100;

/** The skipped users a plan's stored body keeps (the first SKIPPED_USERS_INLINE); the rest are read by page. */
export function inlineSkippedUsers(users: SkippedUser[]): SkippedUser[] {
  return users.length > SKIPPED_USERS_INLINE ? users.slice(0, SKIPPED_USERS_INLINE) : users;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids come from URLs: anything that is not a uuid cannot exist. */
function requireUuid(id: string, what: string): void {
  if (!UUID_RE.test(id)) throw new AppError('NOT_FOUND', `${what} not found.`);
}

export class SafetyStore {
  private constructor(readonly db: Db) {}

  static async open(db: Db): Promise<SafetyStore> {
    await migrate(db);
    return new SafetyStore(db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  // ------------------------------------------------------------ companies

  async createCompany(input: CompanyInput): Promise<Company> {
    return guard(
      this.db.transaction(async (tx) => {
        const [row] = await tx.query<CompanyRow>(
          `insert into companies (name, plan, max_users, entra_tenant_id) values ($1, $2, $3, $4) returning *`,
          [input.name, input.plan, input.maxUsers, input.entraTenantId ?? null],
        );
        const rootId = randomUUID();
        await tx.query(
          `insert into departments (id, company_id, code, name, parent_id, level, source)
           values ($1, $2, 'ROOT', $3, null, 0, 'manual')`,
          [rootId, row!.id, input.name],
        );
        await tx.query('update companies set root_department_id = $1 where id = $2', [rootId, row!.id]);
        return toCompany({ ...row!, root_department_id: rootId });
      }),
    );
  }

  async listCompanies(): Promise<Company[]> {
    const rows = await this.db.query<CompanyRow>('select * from companies order by created_at, id');
    return rows.map(toCompany);
  }

  /** The company row; a writer of the row takes lockCompanyForWrite first (the gate, then the row). */
  private async companyRow(sql: Sql, id: string): Promise<CompanyRow> {
    requireUuid(id, 'Company');
    const [row] = await sql.query<CompanyRow>(
      `select *, ${dataVersionOf('id')} as data_version from companies where id = $1`,
      [id],
    );
    if (!row) throw new AppError('NOT_FOUND', 'Company not found.');
    return row;
  }

  async getCompany(id: string): Promise<Company> {
    return toCompany(await this.companyRow(this.db, id));
  }

  async findCompanyByTenant(tenantId: string): Promise<Company | null> {
    const [row] = await this.db.query<CompanyRow>('select * from companies where entra_tenant_key = lower($1)', [
      tenantId,
    ]);
    return row ? toCompany(row) : null;
  }

  async updateCompany(id: string, patch: Partial<CompanyInput>): Promise<Company> {
    return guard(
      this.db.transaction(async (tx) => {
        requireUuid(id, 'Company');
        await lockCompanyForWrite(tx, id); // the gate, then the row: never beside a SCIM write or an import
        const cur = await this.companyRow(tx, id);
        const [row] = await tx.query<CompanyRow>(
          `update companies set name = $2, plan = $3, max_users = $4, entra_tenant_id = $5, updated_at = now()
            where id = $1 returning *`,
          [
            id,
            patch.name ?? cur.name,
            patch.plan ?? cur.plan,
            patch.maxUsers ?? cur.max_users,
            patch.entraTenantId === undefined ? cur.entra_tenant_id : patch.entraTenantId,
          ],
        );
        if (patch.name !== undefined) {
          await tx.query('update departments set name = $2 where id = $1 and name <> $2', [cur.root_department_id, patch.name]);
        }
        return toCompany(row!);
      }),
    );
  }

  async getSettings(companyId: string): Promise<CompanySettings> {
    return toSettings(await this.companyRow(this.db, companyId));
  }

  /**
   * The initial password and the deletion threshold feed the planner, so changing them makes pending
   * plans stale (B3): the companies trigger of migration 5 bumps the data version.
   */
  async updateSettings(companyId: string, input: SettingsInput): Promise<CompanySettings> {
    const hash = input.initialPassword === undefined ? undefined : await hashPassword(input.initialPassword);
    return this.db.transaction(async (tx) => {
      requireUuid(companyId, 'Company');
      await lockCompanyForWrite(tx, companyId); // the gate, then the row: never beside a SCIM write or an import
      const cur = await this.companyRow(tx, companyId);
      const [row] = await tx.query<CompanyRow>(
        `update companies set initial_password_hash = $2, deletion_threshold = $3, schedule = $4, updated_at = now()
          where id = $1 returning *`,
        [
          companyId,
          hash ?? cur.initial_password_hash,
          input.deletionThreshold ?? cur.deletion_threshold,
          input.schedule === undefined ? cur.schedule : input.schedule,
        ],
      );
      return toSettings(row!);
    });
  }

  /** The company's time zone (IANA name, default Asia/Tokyo): the schedule and the tab read times in it. */
  async getTimeZone(companyId: string): Promise<string> {
    const [row] = await this.db.query<{ time_zone: string }>('select time_zone from companies where id = $1', [companyId]);
    if (!row) throw new AppError('NOT_FOUND', 'Company not found.');
    return row.time_zone;
  }

  /** Sets the company's time zone; the caller has validated the IANA name. */
  async setTimeZone(companyId: string, timeZone: string): Promise<string> {
    const [row] = await this.db.query<{ time_zone: string }>(
      'update companies set time_zone = $2, updated_at = now() where id = $1 returning time_zone',
      [companyId, timeZone],
    );
    if (!row) throw new AppError('NOT_FOUND', 'Company not found.');
    return row.time_zone;
  }

  // ------------------------------------------------------------ departments

  async listDepartments(companyId: string): Promise<Department[]> {
    await this.companyRow(this.db, companyId);
    const rows = await this.db.query<DepartmentRow>(
      'select * from departments where company_id = $1 order by level, code',
      [companyId],
    );
    return rows.map(toDepartment);
  }

  async createDepartment(
    companyId: string,
    input: { code: string; name: string; parentId?: string | null },
    actor: string,
  ): Promise<Department> {
    return guard(
      this.db.transaction(async (tx) => {
        const company = await this.companyRow(tx, companyId);
        await lockCompanyForWrite(tx, companyId); // defect 4: the company row before any other
        const parentId = input.parentId ?? company.root_department_id;
        requireUuid(parentId, 'Parent department');
        const [parent] = await tx.query<DepartmentRow>(
          'select * from departments where id = $1 and company_id = $2',
          [parentId, companyId],
        );
        if (!parent) throw new AppError('VALIDATION_FAILED', 'The parent department does not exist in this company.');
        const [row] = await tx.query<DepartmentRow>(
          `insert into departments (company_id, code, name, parent_id, level, source)
           values ($1, $2, $3, $4, $5, 'manual') returning *`,
          [companyId, input.code, input.name, parentId, parent.level + 1],
        );
        const dep = toDepartment(row!);
        await logChange(tx, companyId, null, 'api', 'department', dep.id, 'create', null, { ...dep }, actor);
        return dep;
      }),
    );
  }

  // ------------------------------------------------------------ users

  async listUsers(companyId: string): Promise<SafetyUser[]> {
    await this.companyRow(this.db, companyId);
    return listUsers(this.db, companyId);
  }

  /**
   * The users who may be the sender (R17/R18): linked by Entra object id, or whose login name is the
   * UPN — at most two rows, on indexed columns (users_entra_key, users_login_unique), never the
   * roster. The pure decision (src/domain/access.ts) picks among them.
   */
  async findLinkCandidates(companyId: string, who: { aadObjectId: string | null; upn: string | null }): Promise<SafetyUser[]> {
    const oid = who.aadObjectId?.trim() ?? '';
    const upn = who.upn?.trim() ?? '';
    if (!oid && !upn) return [];
    // One index lookup per way of linking (a union, so neither becomes a filter over the company).
    const params: string[] = [companyId];
    const arms: string[] = [];
    if (oid) arms.push(`select id from users where company_id = $1 and lower(entra_object_id) = lower($${params.push(oid)})`);
    if (upn) arms.push(`select id from users where company_id = $1 and login_key = $${params.push(foldKey(upn))}`);
    const rows = await this.db.query<UserRow>(`${USER_SELECT} where u.company_id = $1 and u.id in (${arms.join(' union ')})`, params);
    return rows.map(toUser);
  }

  /** One user by login name (case-insensitive, indexed); null when none. */
  async findUserByLoginName(companyId: string, loginName: string): Promise<SafetyUser | null> {
    if (!loginName.trim()) return null;
    const [row] = await this.db.query<UserRow>(`${USER_SELECT} where u.company_id = $1 and u.login_key = $2`, [companyId, foldKey(loginName)]);
    return row ? toUser(row) : null;
  }

  async getUser(companyId: string, userId: string): Promise<SafetyUser> {
    requireUuid(userId, 'User');
    const [row] = await this.db.query<UserRow>(`${USER_SELECT} where u.company_id = $1 and u.id = $2`, [
      companyId,
      userId,
    ]);
    if (!row) throw new AppError('NOT_FOUND', 'User not found.');
    return toUser(row);
  }

  async createUser(companyId: string, input: UserInput, actor: string, origin: ChangeOrigin = 'api'): Promise<SafetyUser> {
    const hash = await hashPassword(input.password);
    const id = await guard(
      this.db.transaction(async (tx) => {
        await this.companyRow(tx, companyId);
        await lockCompanyForWrite(tx, companyId); // defect 4: the company row before any user row
        const id = randomUUID();
        await tx.query(
          `insert into users (id, company_id, login_name, password_hash, name, yomi, email, phone, memo, sort_order,
                              status, entra_object_id, login_key, email_key)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
          [
            id,
            companyId,
            input.loginName,
            hash,
            input.name,
            input.yomi ?? '',
            input.email ?? null,
            input.phone ?? null,
            input.memo ?? '',
            input.sortOrder ?? null,
            input.status ?? 'active',
            input.entraObjectId ?? null,
            foldKey(input.loginName),
            foldKeyOrNull(input.email),
          ],
        );
        await setMemberships(tx, companyId, id, input.departmentIds ?? []);
        await setRoles(tx, companyId, id, input.roles ?? []);
        const after = await readUser(tx, companyId, id);
        await logChange(tx, companyId, null, origin, 'user', id, 'create', null, userDoc(after), actor);
        return id;
      }),
    );
    return this.getUser(companyId, id);
  }

  async updateUser(
    companyId: string,
    userId: string,
    patch: UserPatch,
    actor: string,
    origin: ChangeOrigin = 'api',
  ): Promise<SafetyUser> {
    requireUuid(userId, 'User');
    const hash = patch.password === undefined ? undefined : await hashPassword(patch.password);
    await guard(
      this.db.transaction(async (tx) => {
        await lockCompanyForWrite(tx, companyId); // defect 4: the company row before any user row
        const before = await readUser(tx, companyId, userId, true);
        const set = (v: unknown, cur: unknown) => (v === undefined ? cur : v);
        await tx.query(
          `update users set login_name = $3, name = $4, yomi = $5, email = $6, phone = $7, memo = $8, sort_order = $9,
                  status = $10, entra_object_id = $11, password_hash = coalesce($12, password_hash),
                  must_change_password = case when $12::text is null then must_change_password else false end,
                  login_key = $13, email_key = $14, updated_at = now()
            where company_id = $1 and id = $2`,
          [
            companyId,
            userId,
            set(patch.loginName, before.loginName),
            set(patch.name, before.name),
            set(patch.yomi, before.yomi),
            set(patch.email, before.email),
            set(patch.phone, before.phone),
            set(patch.memo, before.memo),
            set(patch.sortOrder, before.sortOrder),
            set(patch.status, before.status),
            set(patch.entraObjectId, before.entraObjectId),
            hash ?? null,
            foldKey(set(patch.loginName, before.loginName) as string),
            foldKeyOrNull(set(patch.email, before.email) as string | null),
          ],
        );
        if (patch.departmentIds !== undefined) await setMemberships(tx, companyId, userId, patch.departmentIds);
        if (patch.roles !== undefined) await setRoles(tx, companyId, userId, patch.roles);
        const after = await readUser(tx, companyId, userId);
        const diff = diffDocs(userDoc(before), userDoc(after));
        if (diff) await logChange(tx, companyId, null, origin, 'user', userId, 'update', diff.before, diff.after, actor);
      }),
    );
    return this.getUser(companyId, userId);
  }

  /** R27: holders of an undeletable role are refused with 409. */
  async deleteUser(companyId: string, userId: string, actor: string, origin: ChangeOrigin = 'api'): Promise<void> {
    requireUuid(userId, 'User');
    await guard(this.db.transaction(async (tx) => {
      // Defect 4: the company lock before any user row. A SCIM DELETE shares it with other SCIM writes
      // (company-lock.ts); the user row lock below puts the transaction's lock_timeout back.
      const before =
        origin === 'scim'
          ? await readUser(tx, companyId, userId, true, (await lockCompanyForScimWrite(tx, companyId, ['id'], { userId })).previousLockTimeout)
          : (await lockCompanyForWrite(tx, companyId), await readUser(tx, companyId, userId, true));
      const blocking = before.roles.filter((r) => UNDELETABLE_ROLES.includes(r));
      if (blocking.length > 0) {
        throw new AppError(
          'UNDELETABLE_USER',
          `${before.loginName} holds the role ${blocking.join(', ')} and cannot be deleted; remove the role first.`,
          { userId, loginName: before.loginName, roles: blocking },
        );
      }
      // What undo needs comes back from the delete itself (restoreData's shape).
      const [gone] = await tx.query<RestoreRow>(`delete from users where company_id = $1 and id = $2 returning ${RESTORE_COLUMNS}`, [
        companyId,
        userId,
      ]);
      await logChange(tx, companyId, null, origin, 'user', userId, 'delete', userDoc(before), null, actor, toRestore(gone!));
    }));
  }

  // ------------------------------------------------------------ snapshot

  /** A consistent read of everything the planner needs (one repeatable-read transaction). */
  async snapshot(companyId: string): Promise<CompanySnapshot> {
    return this.db.transaction(async (tx) => {
      if (this.db.kind === 'postgres') await tx.query('set transaction isolation level repeatable read');
      const row = await this.companyRow(tx, companyId);
      const departments = (
        await tx.query<DepartmentRow>('select * from departments where company_id = $1 order by level, code', [companyId])
      ).map(toDepartment);
      const users = await snapshotUsers(tx, companyId);
      return {
        company: toCompany(row),
        settings: toSettings(row),
        departments,
        users,
        dataVersion: Number(row.data_version),
      };
    });
  }

  async dataVersion(companyId: string): Promise<number> {
    return Number((await this.companyRow(this.db, companyId)).data_version);
  }

  // ------------------------------------------------------------ plans and runs

  /**
   * Item 5: the body keeps the first SKIPPED_USERS_INLINE skipped users (the summary counts them
   * all by reason); a longer list is stored row by row and read with listSkippedUsers.
   */
  async savePlan(plan: Plan, made: { mirror?: { generation: number; seq: number } | null; serviceUsers?: number } = {}): Promise<void> {
    const { id, companyId, status, createdAt, expiresAt, requestedBy, source, baseDataVersion, ...body } = plan;
    const skipped = body.skippedUsers;
    const inline = { ...body, skippedUsers: inlineSkippedUsers(skipped) };
    await this.db.transaction(async (tx) => {
      // Item 5: the mirror position it was planned at, so that the next plan can start from it.
      await tx.query(
        `insert into plans (id, company_id, status, created_at, expires_at, requested_by, source, base_data_version, body,
                            mirror_generation, mirror_seq, service_users)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          id,
          companyId,
          status,
          createdAt,
          expiresAt,
          requestedBy,
          source,
          baseDataVersion,
          JSON.stringify(inline),
          made.mirror?.generation ?? null,
          made.mirror?.seq ?? null,
          made.serviceUsers ?? null,
        ],
      );
      if (skipped.length > SKIPPED_USERS_INLINE) {
        await tx.query(
          `insert into plan_skipped_users (plan_id, n, doc)
           select $1, e.n, e.doc from jsonb_array_elements($2::jsonb) with ordinality as e(doc, n)`,
          [id, JSON.stringify(skipped)],
        );
      }
    });
  }

  /** Every skipped user of an import plan, in the planner's order (a page of them with offset and limit). */
  async listSkippedUsers(companyId: string, planId: string, page: { offset?: number; limit?: number } = {}): Promise<SkippedUser[]> {
    return (await this.skippedUsersPage(companyId, planId, page)).users;
  }

  /**
   * A page of an import plan's skipped users and how many there are in all. A long list (stored by
   * row) is counted and paged by its primary key alone, never by reading the plan's body (a first
   * import's body lists every user to create: reading it would make each page cost the whole plan);
   * a short one is read from the body, where it is whole, with the summary's counts by reason.
   */
  async skippedUsersPage(
    companyId: string,
    planId: string,
    page: { offset?: number; limit?: number } = {},
  ): Promise<{ total: number; users: SkippedUser[] }> {
    requireUuid(planId, 'Plan');
    const offset = Math.max(0, Math.trunc(page.offset ?? 0));
    const limit = Math.max(0, Math.trunc(page.limit ?? 1_000_000));
    const [head] = await this.db.query<{ stored: string | number }>(
      `select (select count(*) from plan_skipped_users s where s.plan_id = p.id) as stored
         from plans p where p.company_id = $1 and p.id = $2`,
      [companyId, planId],
    );
    if (!head) throw new AppError('NOT_FOUND', 'Plan not found.');
    const json = <T>(v: T | string | null): T | null => (typeof v === 'string' ? (JSON.parse(v) as T) : v);
    const stored = Number(head.stored);
    // Rows are written for import plans only (savePlan), so a plan with rows is one.
    if (stored > 0) {
      const rows = await this.db.query<{ doc: SkippedUser | string }>(
        'select doc from plan_skipped_users where plan_id = $1 order by n offset $2 limit $3',
        [planId, offset, limit],
      );
      return { total: stored, users: rows.map((r) => json(r.doc)!) };
    }
    // A list of at most SKIPPED_USERS_INLINE users is whole in the body and has no rows.
    type Body = { kind: string | null; skipped: Record<string, number> | string | null; inline: SkippedUser[] | string | null };
    const [body] = await this.db.query<Body>(
      `select body->>'kind' as kind, body->'summary'->'skipped' as skipped, body->'skippedUsers' as inline
         from plans where company_id = $1 and id = $2`,
      [companyId, planId],
    );
    if (!body || body.kind === 'undo') throw new AppError('NOT_FOUND', 'Plan not found.');
    const inline = json(body.inline) ?? [];
    const counts = Object.values(json(body.skipped) ?? {}).reduce((a, b) => a + (Number(b) || 0), 0);
    return { total: Math.max(counts, inline.length), users: inline.slice(offset, offset + limit) };
  }

  /** A plan of either kind (import or undo) of this company. */
  async getAnyPlan(companyId: string, planId: string): Promise<AnyStoredPlan> {
    requireUuid(planId, 'Plan');
    const [row] = await this.db.query<PlanRow>('select * from plans where company_id = $1 and id = $2', [
      companyId,
      planId,
    ]);
    if (!row) throw new AppError('NOT_FOUND', 'Plan not found.');
    return toPlan(row);
  }

  /** An import plan of this company (an undo plan's id is not found here). */
  async getPlan(companyId: string, planId: string): Promise<StoredPlan> {
    const plan = await this.getAnyPlan(companyId, planId);
    if (plan.kind === 'undo') throw new AppError('NOT_FOUND', 'Plan not found.');
    return plan;
  }

  /** An import plan by id alone (the card actions know only the plan id); null for undo plans. */
  async findPlan(planId: string): Promise<StoredPlan | null> {
    if (!UUID_RE.test(planId)) return null;
    const [row] = await this.db.query<PlanRow>('select * from plans where id = $1', [planId]);
    const plan = row ? toPlan(row) : null;
    return plan && plan.kind !== 'undo' ? plan : null;
  }

  async listPlans(companyId: string, limit = 50): Promise<AnyStoredPlan[]> {
    const rows = await this.db.query<PlanRow>(
      'select * from plans where company_id = $1 order by created_at desc, id limit $2',
      [companyId, limit],
    );
    return rows.map(toPlan);
  }

  /** Moves a pending plan to a final status; returns false when it was no longer pending. */
  async settlePlan(planId: string, status: Exclude<PlanStatus, 'pending' | 'applied'>, by?: string): Promise<boolean> {
    const rows = await this.db.query(
      `update plans set status = $2, cancelled_by = $3, status_changed_at = now()
        where id = $1 and status = 'pending' returning id`,
      [planId, status, by ?? null],
    );
    return rows.length === 1;
  }

  /** A run that failed is recorded after its transaction rolled back (B5): nothing else was written. */
  async recordFailedRun(plan: Plan, confirmedBy: string, error: { code: string; message: string }): Promise<Run> {
    const now = new Date();
    const [row] = await this.db.query<RunRow>(
      `insert into runs (company_id, plan_id, kind, status, started_at, finished_at, counts, requested_by, confirmed_by, error)
       values ($1, $2, 'import', 'failed', $3, $3, $4, $5, $6, $7) returning *`,
      [
        plan.companyId,
        plan.id,
        now,
        JSON.stringify({ created: 0, updated: 0, deleted: 0, departmentsCreated: 0 }),
        plan.requestedBy,
        confirmedBy,
        JSON.stringify(error),
      ],
    );
    return toRun(row!);
  }

  async listRuns(companyId: string, limit = 100): Promise<ReturnType<typeof toRun>[]> {
    await this.companyRow(this.db, companyId);
    const rows = await this.db.query<RunRow>(
      'select * from runs where company_id = $1 order by started_at desc, id desc limit $2',
      [companyId, limit],
    );
    return rows.map(toRun);
  }

  /** A run by id; with `companyId`, only that company's run. */
  async getRun(runId: string, companyId?: string): Promise<ReturnType<typeof toRun> | null> {
    if (!UUID_RE.test(runId)) return null;
    const [row] = await this.db.query<RunRow>('select * from runs where id = $1 and ($2::uuid is null or company_id = $2::uuid)', [runId, companyId ?? null]);
    return row ? toRun(row) : null;
  }

  async listChanges(companyId: string, options: { runId?: string; limit?: number } = {}): Promise<ChangeEntry[]> {
    const rows = await this.db.query<{
      id: string;
      run_id: string | null;
      origin: ChangeOrigin;
      entity: ChangeEntry['entity'];
      entity_id: string;
      action: ChangeEntry['action'];
      before: Record<string, unknown> | null;
      after: Record<string, unknown> | null;
      actor: string;
      at: Date | string;
    }>(
      `select id, run_id, origin, entity, entity_id, action, before, after, actor, at from change_log
        where company_id = $1 and ($2::uuid is null or run_id = $2::uuid) order by id desc limit $3`,
      [companyId, options.runId ?? null, options.limit ?? 1000],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      runId: r.run_id,
      origin: r.origin,
      entity: r.entity,
      entityId: r.entity_id,
      action: r.action,
      before: r.before,
      after: r.after,
      actor: r.actor,
      at: iso(r.at),
    }));
  }
}

// ---------------------------------------------------------------- helpers shared with the applier

export async function listUsers(sql: Sql, companyId: string): Promise<SafetyUser[]> {
  const rows = await sql.query<UserRow>(`${USER_SELECT} where u.company_id = $1 order by u.login_key`, [companyId]);
  return rows.map(toUser);
}

/**
 * The same users as listUsers, read flat (users, memberships, roles: three scans of the company's
 * rows) instead of two correlated json_agg subqueries per user (issue 9 item 5: the snapshot of a
 * 100,000-user company).
 */
export async function snapshotUsers(sql: Sql, companyId: string, only?: string[]): Promise<SafetyUser[]> {
  // Item 5: `only` reads just these users (a re-plan's closure), in the same order.
  const some = only !== undefined;
  const params = some ? [companyId, only] : [companyId];
  const rows = await sql.query<Omit<UserRow, 'departments' | 'roles'>>(
    `select id, login_name, name, yomi, email, phone, memo, sort_order, entra_object_id, status, created_at, updated_at
       from users where company_id = $1${some ? ' and id = any($2::uuid[])' : ''} order by login_key`,
    params,
  );
  const departments = new Map<string, Membership[]>();
  for (const m of await sql.query<{ user_id: string; id: string; code: string; source: Membership['source'] }>(
    // With `only`, by the users' keys (memberships' primary key); the users are the company's already.
    some
      ? `select m.user_id, d.id, d.code, m.source from memberships m join departments d on d.id = m.department_id
          where m.user_id = any($1::uuid[]) order by d.code`
      : `select m.user_id, d.id, d.code, m.source from memberships m join departments d on d.id = m.department_id
          where d.company_id = $1 order by d.code`,
    some ? [only] : params,
  )) {
    const list = departments.get(m.user_id);
    const item: Membership = { id: m.id, code: m.code, source: m.source };
    if (list) list.push(item);
    else departments.set(m.user_id, [item]);
  }
  const roles = new Map<string, Role[]>();
  for (const r of await sql.query<{ user_id: string; role: Role }>(
    `select user_id, role from user_roles where company_id = $1${some ? ' and user_id = any($2::uuid[])' : ''} order by role`,
    params,
  )) {
    const list = roles.get(r.user_id);
    if (list) list.push(r.role);
    else roles.set(r.user_id, [r.role]);
  }
  return rows.map((r) => toUser({ ...r, departments: departments.get(r.id) ?? [], roles: roles.get(r.id) ?? [] }));
}

/**
 * The user; `forUpdate`: locked for the rest of the transaction. With `restoreLockTimeout` the row is
 * locked already (lockCompanyForScimWrite with its userId) and this read puts lock_timeout back.
 */
export async function readUser(
  sql: Sql,
  companyId: string,
  userId: string,
  forUpdate = false,
  restoreLockTimeout?: string,
): Promise<SafetyUser> {
  // Locked by one statement, read by the next: a statement that waited for the row would read the
  // memberships and roles as they were before the wait.
  if (forUpdate && restoreLockTimeout === undefined) await sql.query('select id from users where company_id = $1 and id = $2 for update', [companyId, userId]);
  const [row] =
    restoreLockTimeout === undefined
      ? await sql.query<UserRow>(`${USER_SELECT} where u.company_id = $1 and u.id = $2`, [companyId, userId])
      : await sql.query<UserRow>(
          `select ${USER_COLUMNS}, set_config('lock_timeout', $3, true) as lock_timeout_restored from users u where u.company_id = $1 and u.id = $2`,
          [companyId, userId, restoreLockTimeout],
          { name: 'user-read-locked' },
        );
  if (!row) throw new AppError('NOT_FOUND', 'User not found.');
  return toUser(row);
}

/** The user as history shows it: every public field, never a password. */
export function userDoc(u: SafetyUser): Record<string, unknown> {
  const { createdAt: _c, updatedAt: _u, id: _i, ...rest } = u;
  return { ...rest, departments: u.departments.map((d) => ({ id: d.id, code: d.code, source: d.source })) };
}

export function diffDocs(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { before: Record<string, unknown>; after: Record<string, unknown> } | null {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[k]) !== JSON.stringify(after[k])) {
      b[k] = before[k] ?? null;
      a[k] = after[k] ?? null;
    }
  }
  return Object.keys(a).length === 0 ? null : { before: b, after: a };
}

/** The users columns undo needs to re-create a deleted user exactly (kept out of history). */
export const RESTORE_COLUMNS = 'id, password_hash, must_change_password, private_contacts, preferred_language, timezone, employee_number, created_at';

export interface RestoreRow {
  id: string;
  password_hash: string;
  must_change_password: boolean;
  private_contacts: unknown;
  preferred_language: string | null;
  timezone: string | null;
  employee_number: string | null;
  created_at: Date | string;
}

export const toRestore = (r: RestoreRow): Record<string, unknown> => ({
  passwordHash: r.password_hash,
  mustChangePassword: r.must_change_password,
  privateContacts: r.private_contacts,
  preferredLanguage: r.preferred_language,
  timezone: r.timezone,
  employeeNumber: r.employee_number,
  createdAt: iso(r.created_at),
});

/** What undo needs to re-create deleted users exactly (kept out of history). */
export async function restoreData(sql: Sql, userIds: string[]): Promise<Map<string, Record<string, unknown>>> {
  const rows = await sql.query<RestoreRow>(`select ${RESTORE_COLUMNS} from users where id = any($1::uuid[])`, [userIds]);
  return new Map(rows.map((r) => [r.id, toRestore(r)]));
}

export async function logChange(
  sql: Sql,
  companyId: string,
  runId: string | null,
  origin: ChangeOrigin,
  entity: ChangeEntry['entity'],
  entityId: string,
  action: ChangeEntry['action'],
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  actor: string,
  restore?: Record<string, unknown>,
): Promise<void> {
  await sql.query(
    `insert into change_log (company_id, run_id, origin, entity, entity_id, action, before, after, actor, restore)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      companyId,
      runId,
      origin,
      entity,
      entityId,
      action,
      before === null ? null : JSON.stringify(before),
      after === null ? null : JSON.stringify(after),
      actor,
      restore === undefined ? null : JSON.stringify(restore),
    ],
  );
}

/** Replaces a user's memberships with exactly these departments, keeping the source of those kept. */
async function setMemberships(sql: Sql, companyId: string, userId: string, departmentIds: string[]): Promise<void> {
  const ids = [...new Set(departmentIds)];
  ids.forEach((d) => requireUuidValid(d));
  const found = await sql.query<{ id: string }>(
    'select id from departments where company_id = $1 and id = any($2::uuid[])',
    [companyId, ids],
  );
  if (found.length !== ids.length) throw new AppError('VALIDATION_FAILED', 'A department does not exist in this company.');
  await sql.query('delete from memberships where user_id = $1 and not (department_id = any($2::uuid[]))', [userId, ids]);
  await sql.query(
    `insert into memberships (user_id, department_id, company_id, source)
     select $1, d, $2, 'manual' from unnest($3::uuid[]) d on conflict do nothing`,
    [userId, companyId, ids],
  );
}

function requireUuidValid(id: string): void {
  if (!UUID_RE.test(id)) throw new AppError('VALIDATION_FAILED', 'A department id is not valid.');
}

async function setRoles(sql: Sql, companyId: string, userId: string, roles: Role[]): Promise<void> {
  const list = [...new Set(roles)];
  await sql.query('delete from user_roles where user_id = $1 and not (role = any($2::text[]))', [userId, list]);
  await sql.query(
    `insert into user_roles (user_id, company_id, role) select $1, $2, r from unnest($3::text[]) r on conflict do nothing`,
    [userId, companyId, list],
  );
}

