/**
 * Defect 4: one lock order for every transaction that writes a company's users or departments.
 *
 * Each such write bumps `companies.data_version` from a statement trigger (B3), so it ends up
 * locking the company row anyway, but only after it has locked user rows. An import locks the
 * company row first and then the users, so a SCIM or admin write that had locked a user and then
 * reached the trigger waited on the import while the import waited on it: `deadlock detected`, a
 * 500 on one side. Every writer therefore takes the company row first (the import with
 * `for update`, the others with this function), and only then touches users.
 *
 * While an import runs (it holds the row for the whole transaction) a write waits for it, up to
 * `waitMs`; past that it fails with DATABASE_BUSY (503 with Retry-After on SCIM). That is what
 * Microsoft Entra's provisioning service handles best: it treats 5xx as a transient failure and
 * retries the object later, whereas a 409 would read as a uniqueness conflict and a long silent
 * wait would run into its request timeout.
 */
import { AppError } from '../domain/errors.ts';
import type { Sql } from './database.ts';

/** How long a write waits for a running import before answering DATABASE_BUSY. */
export const COMPANY_LOCK_WAIT_MS = 15_000;

/** Locks the company row for a write of its users or departments; NOT_FOUND when there is no such company. */
export async function lockCompanyForWrite<T extends Record<string, unknown>>(
  tx: Sql,
  companyId: string,
  columns = 'id',
  options: { waitMs?: number } = {},
): Promise<T> {
  const waitMs = Math.max(1, Math.floor(options.waitMs ?? COMPANY_LOCK_WAIT_MS));
  // Only this wait is bounded: the transaction's own lock_timeout is put back right after.
  const [setting] = await tx.query<{ previous: string }>(
    `select current_setting('lock_timeout') as previous, set_config('lock_timeout', $1, true) as bounded`,
    [`${waitMs}ms`],
  );
  const [row] = await tx.query<T>(`select ${columns} from companies where id = $1 for no key update`, [companyId]);
  await tx.query(`select set_config('lock_timeout', $1, true)`, [setting?.previous ?? '0']);
  if (!row) throw new AppError('NOT_FOUND', 'Company not found.');
  return row;
}

/**
 * The same lock in one statement, for hot paths (SCIM at 500 requests/s): lock_timeout is bounded by
 * a subquery the locked row is joined to, so it is set before the row lock is taken (the lock is
 * taken above the join). The caller puts lock_timeout back with `set_config('lock_timeout',
 * previousLockTimeout, true)` in its next statement, before it waits on any other lock.
 */
export async function lockCompanyForWriteInOne<T extends Record<string, unknown>>(
  tx: Sql,
  companyId: string,
  columns: string[],
  options: { waitMs?: number } = {},
): Promise<{ row: T; previousLockTimeout: string }> {
  const waitMs = Math.max(1, Math.floor(options.waitMs ?? COMPANY_LOCK_WAIT_MS));
  const [row] = await tx.query<T & { previous_lock_timeout: string }>(
    `select s.previous_lock_timeout, ${columns.map((c) => `c.${c}`).join(', ')}
       from (select current_setting('lock_timeout') as previous_lock_timeout, set_config('lock_timeout', $2, true) as bounded) s,
            companies c
      where c.id = $1
        for no key update of c`,
    [companyId, `${waitMs}ms`],
  );
  if (!row) throw new AppError('NOT_FOUND', 'Company not found.');
  const { previous_lock_timeout, ...rest } = row;
  return { row: rest as unknown as T, previousLockTimeout: previous_lock_timeout };
}
