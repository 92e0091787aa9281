/**
 * Storage side of undo (B6): what the last import recorded, and the
 * transaction that reverses it (same lock, same staleness rule as imports).
 */
import { AppError } from '../domain/errors.ts';
import { foldKey } from '../domain/fold.ts';
import type { RecordedChange, UndoPlan } from '../domain/undo.ts';
import type { Run } from '../domain/types.ts';
import { enterApply, settleAfterRollback, startRun } from './applier.ts';
import { dataVersionOf } from './company-lock.ts';
import type { Db, Sql } from './database.ts';
import { toUser, translateDbError, USER_SELECT, type UserRow } from './rows.ts';
import { logChange, restoreData, toRun, userDoc, type StoredUndoPlan } from './safety-store.ts';

export interface UndoInputs {
  runId: string;
  changes: (RecordedChange & { restore: Record<string, unknown> | null })[];
  changedSince: Set<string>;
  dataVersion: number;
}

export type { StoredUndoPlan } from './safety-store.ts';

/** The newest import run, if it succeeded and was not undone yet. */
export async function loadUndoInputs(db: Db, companyId: string): Promise<UndoInputs> {
  return db.transaction(async (tx) => {
    const [run] = await tx.query<{ id: string; status: string; undone_by_run_id: string | null }>(
      `select id, status, undone_by_run_id from runs where company_id = $1 and kind = 'import'
        order by started_at desc, id desc limit 1`,
      [companyId],
    );
    if (!run || run.status !== 'succeeded') throw new AppError('NOT_FOUND', 'There is no successful import to undo.');
    if (run.undone_by_run_id) throw new AppError('CONFLICT', 'The last import was already undone.');
    const rows = await tx.query<{
      id: string;
      entity: RecordedChange['entity'];
      entity_id: string;
      action: RecordedChange['action'];
      before: Record<string, unknown> | null;
      after: Record<string, unknown> | null;
      restore: Record<string, unknown> | null;
    }>('select id, entity, entity_id, action, before, after, restore from change_log where run_id = $1 order by id', [run.id]);
    const lastId = rows.length ? rows[rows.length - 1]!.id : '0';
    const later = await tx.query<{ entity_id: string }>(
      'select distinct entity_id from change_log where company_id = $1 and id > $2',
      [companyId, lastId],
    );
    const [company] = await tx.query<{ data_version: string }>(`select ${dataVersionOf('$1::uuid')} as data_version`, [companyId]);
    return {
      runId: run.id,
      changes: rows.map((r) => ({
        entity: r.entity,
        entityId: r.entity_id,
        action: r.action,
        before: r.before,
        after: r.after,
        restore: r.restore,
      })),
      changedSince: new Set(later.map((r) => r.entity_id)),
      dataVersion: Number(company!.data_version),
    };
  });
}

export async function saveUndoPlan(db: Db, plan: UndoPlan): Promise<void> {
  const { id, companyId, status, createdAt, expiresAt, requestedBy, baseDataVersion, ...body } = plan;
  await db.query(
    `insert into plans (id, company_id, status, created_at, expires_at, requested_by, source, base_data_version, body)
     values ($1, $2, $3, $4, $5, $6, 'tab', $7, $8)`,
    [id, companyId, status, createdAt, expiresAt, requestedBy, baseDataVersion, JSON.stringify(body)],
  );
}

/** Applies an undo plan in one transaction; the undone import run is marked. */
export async function applyUndoPlan(
  db: Db,
  plan: StoredUndoPlan,
  options: { confirmedBy: string; now: Date },
): Promise<{ run: Run; alreadyApplied: boolean }> {
  try {
    return await db.transaction(async (tx) => {
      const gate = await enterApply(tx, plan, options.now);
      if (gate.appliedRun !== null) return { run: gate.appliedRun, alreadyApplied: true };
      if (plan.errors.length > 0) throw new AppError('PLAN_HAS_ERRORS', 'This undo plan has blocking errors and cannot be applied.');
      const runId = await startRun(tx, 'undo', plan, options.confirmedBy);
      const counts = await reverse(tx, plan, runId, options.confirmedBy);
      const [run] = await tx.query<Parameters<typeof toRun>[0]>('update runs set finished_at = $2, counts = $3 where id = $1 returning *', [
        runId,
        new Date(),
        JSON.stringify(counts),
      ]);
      await tx.query('update runs set undone_by_run_id = $2 where id = $1', [plan.undoOfRunId, runId]);
      await tx.query(`update plans set status = 'applied', run_id = $2, status_changed_at = now() where id = $1`, [plan.id, runId]);
      return { run: toRun(run!), alreadyApplied: false };
    });
  } catch (e) {
    await settleAfterRollback(db, plan.id, e);
    if (e instanceof AppError) throw e;
    return translateDbError(e);
  }
}

async function reverse(tx: Sql, plan: StoredUndoPlan, runId: string, actor: string) {
  const cid = plan.companyId;
  const recorded = new Map(
    (
      await tx.query<{ entity_id: string; action: string; before: Record<string, unknown> | null; restore: Record<string, unknown> | null }>(
        `select entity_id, action, before, restore from change_log where run_id = $1 and entity = 'user'`,
        [plan.undoOfRunId],
      )
    ).map((r) => [`${r.action}:${r.entity_id}`, r]),
  );
  const log = (id: string, action: 'create' | 'update' | 'delete', before: Record<string, unknown> | null, after: Record<string, unknown> | null, restore?: Record<string, unknown>) =>
    logChange(tx, cid, runId, 'undo', 'user', id, action, before, after, actor, restore);

  // Users the import created are removed.
  if (plan.changes.removeUsers.length) {
    const ids = plan.changes.removeUsers.map((u) => u.userId);
    const docs = await tx.query<UserRow>(`${USER_SELECT} where u.company_id = $1 and u.id = any($2::uuid[])`, [cid, ids]);
    const restore = await restoreData(tx, ids);
    await tx.query('delete from users where company_id = $1 and id = any($2::uuid[])', [cid, ids]);
    for (const d of docs) await log(d.id, 'delete', userDoc(toUser(d)), null, restore.get(d.id));
  }
  // Fields the import changed are restored.
  for (const r of plan.changes.revertUsers) {
    const before = recorded.get(`update:${r.userId}`)?.before ?? {};
    const [row] = await tx.query<UserRow>(`${USER_SELECT} where u.company_id = $1 and u.id = $2`, [cid, r.userId]);
    if (!row) continue;
    const was = userDoc(toUser(row));
    const col: Record<string, string> = { name: 'name', email: 'email', phone: 'phone', entraObjectId: 'entra_object_id', status: 'status' };
    for (const [k, c] of Object.entries(col)) {
      if (!(k in before)) continue;
      // Defect 8: an email is restored with its foldKey, the key the unique index uses.
      const key = k === 'email' ? ', email_key = $3' : '';
      const value = before[k] ?? null;
      await tx.query(`update users set ${c} = $2${key}, updated_at = now() where id = $1`, [
        r.userId,
        value,
        ...(key ? [typeof value === 'string' ? foldKey(value) : null] : []),
      ]);
    }
    if (Array.isArray(before['departments'])) await setExactMemberships(tx, cid, r.userId, before['departments'] as { id: string; source: string }[]);
    const [after] = await tx.query<UserRow>(`${USER_SELECT} where u.company_id = $1 and u.id = $2`, [cid, r.userId]);
    await log(r.userId, 'update', was, userDoc(toUser(after!)));
  }
  // Users the import deleted come back with their id, password and roles.
  for (const r of plan.changes.restoreUsers) {
    const rec = recorded.get(`delete:${r.userId}`);
    const b = rec?.before ?? {};
    const x = rec?.restore ?? {};
    if (typeof x['passwordHash'] !== 'string') throw new AppError('CONFLICT', `${r.loginName} cannot be restored: its stored state is incomplete.`);
    await tx.query(
      `insert into users (id, company_id, login_name, password_hash, must_change_password, name, yomi, email, phone, memo, sort_order,
                          private_contacts, preferred_language, timezone, employee_number, entra_object_id, status, created_at,
                          login_key, email_key)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
      [
        r.userId, cid, b['loginName'], x['passwordHash'], x['mustChangePassword'] ?? false, b['name'], b['yomi'] ?? '', b['email'] ?? null,
        b['phone'] ?? null, b['memo'] ?? '', b['sortOrder'] ?? null, JSON.stringify(x['privateContacts'] ?? {}), x['preferredLanguage'] ?? null,
        x['timezone'] ?? null, x['employeeNumber'] ?? null, b['entraObjectId'] ?? null, b['status'] ?? 'active', x['createdAt'] ?? new Date(),
        foldKey(String(b['loginName'])), typeof b['email'] === 'string' ? foldKey(b['email']) : null,
      ],
    );
    await setExactMemberships(tx, cid, r.userId, (b['departments'] as { id: string; source: string }[]) ?? []);
    await tx.query(
      `insert into user_roles (user_id, company_id, role) select $1, $2, r from unnest($3::text[]) r on conflict do nothing`,
      [r.userId, cid, (b['roles'] as string[]) ?? []],
    );
    const [after] = await tx.query<UserRow>(`${USER_SELECT} where u.company_id = $1 and u.id = $2`, [cid, r.userId]);
    await log(r.userId, 'create', null, userDoc(toUser(after!)));
  }
  // Departments the import created go when nobody belongs to them and nothing hangs under them.
  const gone: { id: string; code: string; name: string; level: number }[] = [];
  for (;;) {
    // Leaves first: the container goes once the departments under it are gone.
    const batch = await tx.query<{ id: string; code: string; name: string; level: number }>(
      `delete from departments d where d.company_id = $1 and d.id = any($2::uuid[])
          and not exists (select 1 from memberships m where m.department_id = d.id)
          and not exists (select 1 from departments c where c.parent_id = d.id)
        returning id, code, name, level`,
      [cid, plan.changes.departmentIds],
    );
    if (batch.length === 0) break;
    gone.push(...batch);
  }
  for (const d of gone) await logChange(tx, cid, runId, 'undo', 'department', d.id, 'delete', { code: d.code, name: d.name, level: d.level }, null, actor);
  return {
    created: plan.changes.restoreUsers.length,
    updated: plan.changes.revertUsers.length,
    deleted: plan.changes.removeUsers.length,
    departmentsCreated: 0,
    departmentsDeleted: gone.length,
  };
}

async function setExactMemberships(tx: Sql, cid: string, userId: string, deps: { id: string; source: string }[]) {
  await tx.query('delete from memberships where user_id = $1', [userId]);
  if (deps.length === 0) return;
  await tx.query(
    `insert into memberships (user_id, department_id, company_id, source)
     select $1, v.d, $2, v.s from unnest($3::uuid[], $4::text[]) as v(d, s)
      where exists (select 1 from departments where id = v.d and company_id = $2)`,
    [userId, cid, deps.map((d) => d.id), deps.map((d) => d.source)],
  );
}

