/**
 * The transactional import applier: one plan, one transaction (R5), one
 * import per company at a time across every instance (B4), never on top of
 * changes the plan did not see (B3).
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import { assessPlan, planRefusal } from '../domain/plan-status.ts';
import { foldKey, foldKeyOrNull } from '../domain/fold.ts';
import { ENTRA_CONTAINER_DEPARTMENT, type PlanStatus, type Run, type RunCounts } from '../domain/types.ts';
import { BULK_WRITE_ROWS, refreshStatistics, rowsPerStatement, slices, type Db, type Sql } from './database.ts';
import { dataVersionOf, lockCompanyForImport } from './company-lock.ts';
import { toUser, translateDbError, USER_SELECT, type UserRow } from './rows.ts';
import type { SafetyUser } from '../domain/types.ts';
import {
  restoreData,
  toRun,
  userDoc,
  type StoredPlan,
} from './safety-store.ts';

export interface ApplyOptions {
  confirmedBy: string;
  /** B2: needed when the plan's deletions exceed the company's threshold. */
  confirmDeletions?: boolean;
  now?: Date;
}

export type ApplyResult = { run: Run; alreadyApplied: boolean };

/** B4: one import (or undo) per company at a time, across every instance; released at commit or rollback. */
export async function acquireImportLock(tx: Sql, companyId: string): Promise<void> {
  const [lock] = await tx.query<{ ok: boolean }>(
    `select pg_try_advisory_xact_lock(hashtextextended('safety-sync:import:' || $1::text, 0)) as ok`,
    [companyId],
  );
  if (!lock?.ok) {
    throw new AppError('IMPORT_IN_PROGRESS', 'Another import for this company is running; try again when it has finished.');
  }
}

/** Opens the run row inside the transaction; its counts are filled in at the end. */
export async function startRun(
  tx: Sql,
  kind: 'import' | 'undo',
  plan: { id: string; companyId: string; requestedBy: string },
  confirmedBy: string,
): Promise<string> {
  const runId = randomUUID();
  await tx.query(
    `insert into runs (id, company_id, plan_id, kind, status, started_at, finished_at, counts, requested_by, confirmed_by)
     values ($1, $2, $3, $4, 'succeeded', $5, $5, '{}'::jsonb, $6, $7)`,
    [runId, plan.companyId, plan.id, kind, new Date(), plan.requestedBy, confirmedBy],
  );
  return runId;
}

/** Thrown inside the transaction; the caller records the plan's new status after the rollback. */
class PlanSettled extends AppError {
  constructor(readonly settledAs: 'expired' | 'stale') {
    const refusal = planRefusal(settledAs)!;
    super(refusal.code, refusal.message);
  }
}

/**
 * What the gate found: the plan applied already (its first run, to answer every later caller with),
 * or a pending plan whose company row is now locked for the rest of the transaction.
 */
export type PlanGate = { appliedRun: Run } | { appliedRun: null; company: CompanyLockRow };

interface CompanyLockRow {
  data_version: string;
  entra_tenant_id: string | null;
  root_department_id: string;
  initial_password_hash: string | null;
}

/**
 * The one gate every apply (import or undo) passes inside its transaction, in this order:
 * 1. the plan's row is locked, so concurrent applies of one plan queue here (defect 7): the first
 *    applies, every later one finds it applied and answers with the first run; a plan settled
 *    already (cancelled, expired, stale) is refused by its own code;
 * 2. the company's import lock (B4) refuses a different import running meanwhile;
 * 3. the company row is locked and the plan assessed (assessPlan) against its data version now.
 * A plan that became expired or stale throws PlanSettled: the caller records it after the rollback.
 */
export async function enterApply(
  tx: Sql,
  plan: { id: string; companyId: string; expiresAt: string; baseDataVersion: number },
  now: Date,
): Promise<PlanGate> {
  const [current] = await tx.query<{ status: PlanStatus; run_id: string | null }>(
    'select status, run_id from plans where id = $1 and company_id = $2 for update',
    [plan.id, plan.companyId],
  );
  if (!current) throw new AppError('NOT_FOUND', 'Plan not found.');
  if (current.status === 'applied' && current.run_id) {
    const [row] = await tx.query<Parameters<typeof toRun>[0]>('select * from runs where id = $1', [current.run_id]);
    if (row) return { appliedRun: toRun(row) };
  }
  // A plan settled already (cancelled, expired, stale) is refused by its own code, even while another import runs.
  if (current.status !== 'pending') throw refusalOf(current.status);
  await acquireImportLock(tx, plan.companyId);
  // The gate, then the company row, for the whole transaction: SCIM and admin writes wait (company-lock.ts).
  const company = await lockCompanyForImport<CompanyLockRow & Record<string, unknown>>(
    tx,
    plan.companyId,
    `${dataVersionOf('id')} as data_version, entra_tenant_id, root_department_id, initial_password_hash`,
  );
  if (!company) throw new AppError('NOT_FOUND', 'Company not found.');
  const status = assessPlan(
    { status: current.status, expiresAt: plan.expiresAt, baseDataVersion: plan.baseDataVersion },
    { now, dataVersion: Number(company.data_version) },
  );
  if (status === 'expired' || status === 'stale') throw new PlanSettled(status);
  if (status !== 'pending') throw refusalOf(status);
  return { company, appliedRun: null };
}

function refusalOf(status: PlanStatus): AppError {
  const refusal = planRefusal(status);
  return refusal ? new AppError(refusal.code, refusal.message) : new AppError('CONFLICT', `This plan is ${status}; it cannot be applied.`);
}

/** Records a plan that the gate found expired or stale, after its transaction rolled back. */
export async function settleAfterRollback(db: Db, planId: string, e: unknown): Promise<void> {
  if (!(e instanceof PlanSettled)) return;
  await db.query(`update plans set status = $2, status_changed_at = now() where id = $1 and status = 'pending'`, [
    planId,
    e.settledAs,
  ]);
}

export async function applyImportPlan(db: Db, plan: StoredPlan, options: ApplyOptions): Promise<ApplyResult> {
  const result = await applyImportPlanOnce(db, plan, options);
  const written = plan.changes.createUsers.length + plan.changes.deleteUsers.length;
  if (!result.alreadyApplied && written >= BULK_WRITE_ROWS) await refreshStatistics(db, ['users', 'memberships', 'user_roles']);
  return result;
}

async function applyImportPlanOnce(db: Db, plan: StoredPlan, options: ApplyOptions): Promise<ApplyResult> {
  const now = options.now ?? new Date();
  try {
    return await db.transaction(async (tx) => {
      const gate = await enterApply(tx, plan, now);
      if (gate.appliedRun !== null) return { run: gate.appliedRun, alreadyApplied: true };
      const { company } = gate;
      if (plan.errors.length > 0) {
        throw new AppError('PLAN_HAS_ERRORS', 'This plan has blocking errors and cannot be applied.', {
          errors: plan.errors.map((e) => e.code),
        });
      }
      if (plan.requiresDeletionConfirmation && !options.confirmDeletions) {
        throw new AppError(
          'DELETIONS_NOT_CONFIRMED',
          `This plan deletes ${plan.changes.deleteUsers.length} users, more than the deletion guard allows; confirm the deletions explicitly.`,
          { deletions: plan.changes.deleteUsers.length },
        );
      }
      const runId = await startRun(tx, 'import', plan, options.confirmedBy);
      const counts = await writeChanges(tx, plan, company, runId, options.confirmedBy, rowsPerStatement(db.kind));
      if (company.entra_tenant_id === null) {
        // The first import links the tenant it read (R3); the planner refused a tenant another company holds.
        await tx.query('update companies set entra_tenant_id = $2 where id = $1', [plan.companyId, plan.tenantId]);
      }
      const [run] = await tx.query<Parameters<typeof toRun>[0]>(
        `update runs set finished_at = $2, counts = $3 where id = $1 returning *`,
        [runId, new Date(), JSON.stringify(counts)],
      );
      // Item 5: the data version this apply leaves, so that the next plan can start from this one.
      await tx.query(
        `update plans set status = 'applied', run_id = $2, status_changed_at = now(),
                applied_data_version = ${dataVersionOf('$3::uuid')}
          where id = $1`,
        [plan.id, runId, plan.companyId],
      );
      return { run: toRun(run!), alreadyApplied: false };
    });
  } catch (e) {
    await settleAfterRollback(db, plan.id, e);
    if (e instanceof AppError) throw e;
    return translateDbError(e);
  }
}

interface Ctx {
  companyId: string;
  runId: string;
  actor: string;
}

async function writeChanges(
  tx: Sql,
  plan: StoredPlan,
  company: { root_department_id: string; initial_password_hash: string | null },
  runId: string,
  actor: string,
  sliceSize: number,
): Promise<RunCounts> {
  const ctx: Ctx = { companyId: plan.companyId, runId, actor };
  const { createDepartments, createUsers, updateUsers, deleteUsers } = plan.changes;

  // Departments first (R8–R10): the container once, Entra departments under it.
  const deps = new Map(
    (await tx.query<{ id: string; code: string; level: number }>('select id, code, level from departments where company_id = $1', [
      plan.companyId,
    ])).map((d) => [d.code, d]),
  );
  // Item 4: the departments to create are decided here, then written with their history in one statement.
  const newDeps: { id: string; code: string; name: string; parentId: string; level: number }[] = [];
  const addDep = (code: string, name: string, parent: { id: string; level: number }) => {
    const d = { id: randomUUID(), code, name, parentId: parent.id, level: parent.level + 1 };
    newDeps.push(d);
    deps.set(code, { id: d.id, code, level: d.level });
  };
  const needsContainer = createDepartments.some((d) => d.level === 2);
  if (needsContainer && !deps.has(ENTRA_CONTAINER_DEPARTMENT)) {
    addDep(ENTRA_CONTAINER_DEPARTMENT, ENTRA_CONTAINER_DEPARTMENT, { id: company.root_department_id, level: 0 });
  }
  const container = deps.get(ENTRA_CONTAINER_DEPARTMENT);
  for (const d of createDepartments) {
    if (d.level === 1 || deps.has(d.code)) continue;
    addDep(d.code, d.name, container!);
  }
  const departmentsCreated = newDeps.length;
  if (newDeps.length > 0) {
    await tx.query(
      `with v as (
         select * from unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::int[]) with ordinality as v(id, code, name, parent_id, level, n)
       ), ins as (
         insert into departments (id, company_id, code, name, parent_id, level, source)
         select v.id, $1, v.code, v.name, v.parent_id, v.level, 'entra' from v order by v.n
         returning id
       )
       insert into change_log (company_id, run_id, origin, entity, entity_id, action, before, after, restore, actor)
       select $1, $7, 'import', 'department', v.id, 'create', null,
              jsonb_build_object('code', v.code, 'name', v.name, 'parentId', v.parent_id, 'level', v.level, 'source', 'entra'), null, $8
         from ins join v on v.id = ins.id order by v.n`,
      [
        plan.companyId,
        newDeps.map((d) => d.id),
        newDeps.map((d) => d.code),
        newDeps.map((d) => d.name),
        newDeps.map((d) => d.parentId),
        newDeps.map((d) => d.level),
        ctx.runId,
        ctx.actor,
      ],
    );
  }
  const depId = (code: string | null): string | null => {
    if (code === null) return null;
    const d = deps.get(code);
    if (!d) throw new AppError('INTERNAL', `Department ${code} is missing while applying the plan.`);
    return d.id;
  };

  // Deletes (R26) before creates, so freed login names and addresses can be reused.
  if (deleteUsers.length > 0) {
    const ids = deleteUsers.map((u) => u.userId);
    const byId = new Map((await listUsersByIds(tx, plan.companyId, ids)).map((u) => [u.id, u]));
    const restore = await restoreData(tx, ids);
    const deleted = await tx.query<{ id: string }>(
      'delete from users where company_id = $1 and id = any($2::uuid[]) returning id',
      [plan.companyId, ids],
    );
    if (deleted.length !== ids.length) throw new AppError('INTERNAL', 'A user to delete is missing.');
    await bulkLog(
      tx,
      ctx,
      'user',
      'delete',
      ids.map((id) => [id, JSON.stringify(userDoc(byId.get(id)!)), null, JSON.stringify(restore.get(id) ?? {})]),
    );
  }

  // Updates (R24–R25): one statement per field.
  if (updateUsers.length > 0) {
    const ids = updateUsers.map((u) => u.userId);
    const before = new Map((await listUsersByIds(tx, plan.companyId, ids)).map((u) => [u.id, u]));
    for (const field of ['name', 'email', 'phone', 'entraObjectId'] as const) {
      const rows = updateUsers.filter((u) => u.fields[field] !== undefined);
      if (rows.length === 0) continue;
      const column = { name: 'name', email: 'email', phone: 'phone', entraObjectId: 'entra_object_id' }[field];
      // Defect 8: an email is written with its foldKey, the key the unique index uses.
      const key = field === 'email' ? ', email_key = v.k' : '';
      await tx.query(
        `update users u set ${column} = v.val${key}, updated_at = now()
           from unnest($2::uuid[], $3::text[], $4::text[]) as v(id, val, k) where u.company_id = $1 and u.id = v.id`,
        [plan.companyId, rows.map((u) => u.userId), rows.map((u) => u.fields[field]!.to), rows.map((u) => foldKeyOrNull(u.fields[field]!.to))],
      );
    }
    const depRows = updateUsers.filter((u) => u.fields.department !== undefined && u.fields.department.to !== null);
    if (depRows.length > 0) {
      const uids = depRows.map((u) => u.userId);
      const targets = depRows.map((u) => depId(u.fields.department!.to));
      // The Entra-sourced membership is replaced; memberships added in the service stay (R24).
      await tx.query(
        `delete from memberships m using unnest($1::uuid[], $2::uuid[]) as v(uid, did)
          where m.user_id = v.uid and m.source = 'entra' and m.department_id <> v.did`,
        [uids, targets],
      );
      await tx.query(
        `insert into memberships (user_id, department_id, company_id, source)
         select v.uid, v.did, $3, 'entra' from unnest($1::uuid[], $2::uuid[]) as v(uid, did)
         on conflict do nothing`,
        [uids, targets, plan.companyId],
      );
      await tx.query('update users set updated_at = now() where id = any($1::uuid[])', [uids]);
    }
    const after = new Map((await listUsersByIds(tx, plan.companyId, ids)).map((u) => [u.id, u]));
    await bulkLog(
      tx,
      ctx,
      'user',
      'update',
      ids.map((id) => {
        const b = userDoc(before.get(id)!);
        const a = userDoc(after.get(id)!);
        const keys = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
        return [
          id,
          JSON.stringify(Object.fromEntries(keys.map((k) => [k, b[k] ?? null]))),
          JSON.stringify(Object.fromEntries(keys.map((k) => [k, a[k] ?? null]))),
          null,
        ];
      }),
    );
  }

  // Creates (R21–R23): the company's initial password, to be changed at first sign-in.
  if (createUsers.length > 0) {
    if (!company.initial_password_hash) {
      throw new AppError('VALIDATION_FAILED', 'No initial password is set; new users cannot be created.');
    }
    const allIds = createUsers.map(() => randomUUID());
    const allDepIds = createUsers.map((u) => depId(u.departmentCode));
    // Item 6: one statement on PostgreSQL; slices of rowsPerStatement on PGlite, in the same transaction.
    const idSlices = slices(allIds, sliceSize);
    const depSlices = slices(allDepIds, sliceSize);
    const userSlices = slices(createUsers, sliceSize);
    for (let s = 0; s < userSlices.length; s++) {
      const ids = idSlices[s]!;
      const depIds = depSlices[s]!;
      const batch = userSlices[s]!;
      // Item 4: one statement writes the users and their history. The history document (userDoc) is
      // built by the database from the arrays and the inserted rows' own defaults (returning), so
      // nothing is read back and no JSON is built per user on the client.
      await tx.query(
        `with v as (
           select * from unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                                $11::uuid[], $12::text[])
             as v(id, login, name, email, phone, oid, login_key, email_key, did, dcode)
         ), ins as (
           insert into users (id, company_id, login_name, login_key, password_hash, must_change_password, name, email, email_key, phone, entra_object_id)
           select v.id, $1, v.login, v.login_key, $2, true, v.name, v.email, v.email_key, v.phone, v.oid from v
           returning id, login_name, name, yomi, email, phone, memo, sort_order, entra_object_id, status
         )
         insert into change_log (company_id, run_id, origin, entity, entity_id, action, before, after, restore, actor)
         select $1, $13, 'import', 'user', ins.id, 'create', null,
                jsonb_build_object(
                  'loginName', ins.login_name, 'name', ins.name, 'yomi', ins.yomi, 'email', ins.email, 'phone', ins.phone,
                  'memo', ins.memo, 'sortOrder', ins.sort_order, 'entraObjectId', ins.entra_object_id, 'status', ins.status,
                  'roles', '[]'::jsonb,
                  'departments', case when v.did is null then '[]'::jsonb
                                      else jsonb_build_array(jsonb_build_object('id', v.did, 'code', v.dcode, 'source', 'entra')) end),
                null, $14
           from ins join v on v.id = ins.id`,
        [
          plan.companyId,
          company.initial_password_hash,
          ids,
          batch.map((u) => u.loginName),
          batch.map((u) => u.name),
          batch.map((u) => u.email),
          batch.map((u) => u.phone),
          batch.map((u) => u.entraObjectId),
          batch.map((u) => foldKey(u.loginName)),
          batch.map((u) => foldKeyOrNull(u.email)),
          depIds,
          batch.map((u, i) => (depIds[i] === null ? null : u.departmentCode)),
          ctx.runId,
          ctx.actor,
        ],
      );
      if (depIds.some((d) => d !== null)) {
        await tx.query(
          `insert into memberships (user_id, department_id, company_id, source)
           select v.uid, v.did, $3, 'entra' from unnest($1::uuid[], $2::uuid[]) as v(uid, did) where v.did is not null`,
          [ids, depIds, plan.companyId],
        );
      }
    }
  }

  return {
    created: createUsers.length,
    updated: updateUsers.length,
    deleted: deleteUsers.length,
    departmentsCreated,
  };
}

async function listUsersByIds(tx: Sql, companyId: string, ids: string[]): Promise<SafetyUser[]> {
  const rows = await tx.query<UserRow>(`${USER_SELECT} where u.company_id = $1 and u.id = any($2::uuid[])`, [companyId, ids]);
  return rows.map(toUser);
}

/** rows: [entityId, before JSON | null, after JSON | null, restore JSON | null] */
async function bulkLog(
  tx: Sql,
  ctx: Ctx,
  entity: 'user' | 'department',
  action: 'create' | 'update' | 'delete',
  rows: unknown[][],
): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `insert into change_log (company_id, run_id, origin, entity, entity_id, action, before, after, restore, actor)
     select $1, $2, 'import', $3, v.id, $4, v.b::jsonb, v.a::jsonb, v.r::jsonb, $5
       from unnest($6::uuid[], $7::text[], $8::text[], $9::text[]) as v(id, b, a, r)`,
    [ctx.companyId, ctx.runId, entity, action, ctx.actor, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3])],
  );
}
