/**
 * B6: undoing the last successful import, computed purely from what that
 * import recorded in the change log and what the service holds now. Users it
 * created are removed, fields it changed restored, users it deleted restored.
 * Anything changed since by someone else is a conflict: undo is all or nothing.
 */
import { foldKey } from './fold.ts';
import { issue, UNDELETABLE_ROLES, type HeldPlanFields, type IssueOf, type Role, type SafetyUser } from './types.ts';

export interface RecordedChange {
  entity: 'user' | 'department' | 'company';
  entityId: string;
  action: 'create' | 'update' | 'delete';
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** Undo's blocking errors, one shape of details per code (like PlanError). */
export type UndoError =
  | { code: 'UNDO_CONFLICT'; message: string; loginName: string }
  | { code: 'UNDELETABLE_USER'; message: string; loginName: string; roles: Role[] }
  | { code: 'NOTHING_TO_UNDO'; message: string };
export type UndoErrorCode = UndoError['code'];
export type UndoWarning = { code: 'USER_GONE'; message: string; loginName: string };
export type UndoWarningCode = UndoWarning['code'];
export const UNDO_ERROR_CODES = ['UNDO_CONFLICT', 'UNDELETABLE_USER', 'NOTHING_TO_UNDO'] as const satisfies readonly UndoErrorCode[];
export const UNDO_WARNING_CODES = ['USER_GONE'] as const satisfies readonly UndoWarningCode[];

/** The typed constructors undo builds its issues with. */
export const undoError = <C extends UndoErrorCode>(code: C, details: Omit<IssueOf<UndoError, C>, 'code'>): IssueOf<UndoError, C> =>
  issue<UndoError, C>(code, details);
export const undoWarning = <C extends UndoWarningCode>(code: C, details: Omit<IssueOf<UndoWarning, C>, 'code'>): IssueOf<UndoWarning, C> =>
  issue<UndoWarning, C>(code, details);

export interface UndoPlanBody {
  kind: 'undo';
  undoOfRunId: string;
  summary: { usersToRemove: number; usersToRestore: number; usersToRevert: number; departmentsCreatedByImport: number };
  changes: {
    removeUsers: { userId: string; loginName: string; name: string }[];
    restoreUsers: { userId: string; loginName: string; name: string }[];
    revertUsers: { userId: string; loginName: string; fields: Record<string, { from: unknown; to: unknown }> }[];
    /** Removed when nobody belongs to them any more after the undo. */
    departmentIds: string[];
  };
  errors: UndoError[];
  warnings: UndoWarning[];
}

/** An undo plan as held for confirmation: its own kind of plan, assessed like an import plan (assessPlan). */
export interface UndoPlan extends UndoPlanBody, HeldPlanFields {
  baseDataVersion: number;
}

/** The store's unique keys (defect 8): the same fold decides whether undo would collide. */
const key = (v: unknown) => (typeof v === 'string' ? foldKey(v) : null);

/**
 * @param changes       what the run recorded
 * @param current       the company's users now
 * @param changedSince  ids of entities written by anything after the run
 */
export function planUndo(
  runId: string,
  changes: RecordedChange[],
  current: SafetyUser[],
  changedSince: ReadonlySet<string>,
): UndoPlanBody {
  const byId = new Map(current.map((u) => [u.id, u]));
  const body: UndoPlanBody = {
    kind: 'undo',
    undoOfRunId: runId,
    summary: { usersToRemove: 0, usersToRestore: 0, usersToRevert: 0, departmentsCreatedByImport: 0 },
    changes: { removeUsers: [], restoreUsers: [], revertUsers: [], departmentIds: [] },
    errors: [],
    warnings: [],
  };
  const conflict = (loginName: unknown, what: string) =>
    body.errors.push(
      undoError('UNDO_CONFLICT', {
        message: `${String(loginName)} was ${what} after the import; undo would overwrite that change. Plan a new import instead.`,
        loginName: String(loginName ?? ''),
      }),
    );
  const removed = new Set<string>();
  for (const c of changes) {
    if (c.entity === 'department' && c.action === 'create') {
      body.changes.departmentIds.push(c.entityId);
      continue;
    }
    if (c.entity !== 'user') continue;
    const now = byId.get(c.entityId);
    const loginName = (c.after ?? c.before)?.['loginName'];
    if (c.action === 'create' || c.action === 'update') {
      if (!now) {
        body.warnings.push(
          undoWarning('USER_GONE', { message: `${String(loginName)} no longer exists; nothing to undo for this user.`, loginName: String(loginName ?? '') }),
        );
        continue;
      }
      if (changedSince.has(c.entityId)) {
        conflict(loginName, 'changed');
        continue;
      }
    }
    if (c.action === 'create') {
      const blocking = now!.roles.filter((r) => UNDELETABLE_ROLES.includes(r));
      if (blocking.length > 0) {
        body.errors.push(
          undoError('UNDELETABLE_USER', {
            message: `${now!.loginName} holds the role ${blocking.join(', ')} and cannot be removed; remove the role first.`,
            loginName: now!.loginName,
            roles: blocking,
          }),
        );
        continue;
      }
      body.changes.removeUsers.push({ userId: now!.id, loginName: now!.loginName, name: now!.name });
      removed.add(foldKey(now!.loginName));
    } else if (c.action === 'update') {
      const fields: Record<string, { from: unknown; to: unknown }> = {};
      for (const k of Object.keys(c.before ?? {})) fields[k] = { from: c.after?.[k] ?? null, to: c.before?.[k] ?? null };
      body.changes.revertUsers.push({ userId: now!.id, loginName: now!.loginName, fields });
    } else if (c.action === 'delete') {
      const before = c.before ?? {};
      if (now || changedSince.has(c.entityId)) {
        conflict(loginName, 're-created');
        continue;
      }
      const taken = current.find(
        (u) =>
          !removed.has(foldKey(u.loginName)) &&
          (key(u.loginName) === key(before['loginName']) || (u.email !== null && key(u.email) === key(before['email']))),
      );
      if (taken) {
        conflict(taken.loginName, 'given the login name or email of a deleted user');
        continue;
      }
      body.changes.restoreUsers.push({ userId: c.entityId, loginName: String(before['loginName']), name: String(before['name']) });
    }
  }
  body.summary = {
    usersToRemove: body.changes.removeUsers.length,
    usersToRestore: body.changes.restoreUsers.length,
    usersToRevert: body.changes.revertUsers.length,
    departmentsCreatedByImport: body.changes.departmentIds.length,
  };
  if (changes.length === 0) body.errors.push(undoError('NOTHING_TO_UNDO', { message: 'The import changed nothing; there is nothing to undo.' }));
  return body;
}
