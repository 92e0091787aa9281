/**
 * Defect 4 and issue 9 item 7: one lock order for every transaction that writes a company's users or
 * departments, and which of those writes may run side by side.
 *
 * The order: (1) the company's gate, an advisory lock keyed by the company id (and, for a SCIM
 * POST, the keys it links by); (2) the company row or, for SCIM, the transaction's data-version
 * slot (migration 14); (3) user rows; (4) departments and memberships; (5) for a SCIM POST, the
 * company's create lock, held from its insert to its commit. Nothing waits on an earlier lock while holding a later one, so these writers cannot
 * deadlock one another (before defect 4 a SCIM write locked a user and then, through the data-version
 * trigger, the company row, while an import held them the other way round).
 *
 * The gate is a reader-writer lock:
 * - exclusive: an import or undo (the whole transaction, R5), an admin API write of users or
 *   departments, a change of the company row — they run one at a time and never beside a SCIM write;
 * - shared: SCIM writes. They run side by side, each on its own user row. POSTs of the same user
 *   (same userName, email or externalId) queue on those keys, so the link-or-create decision (S6)
 *   sees every earlier one; creates commit one at a time under the company's create lock, taken
 *   last, so the user limit (R29) counts every earlier create. The data version (B3) no longer serialises them: each transaction bumps one of 64
 *   slot rows (company_data_version sums them), and locks that slot first.
 * PostgreSQL queues advisory locks fairly: once an import waits for the gate, later SCIM writes queue
 * behind it instead of starving it (a row locked `for share` by a stream of writers would: new share
 * lockers skip a waiting `for update`).
 *
 * While an import runs (it holds the gate for its whole transaction) a SCIM or admin write waits for
 * it, up to `waitMs`; past that it fails with DATABASE_BUSY (503 with Retry-After on SCIM). That is
 * what Microsoft Entra's provisioning service handles best: it treats 5xx as a transient failure and
 * retries the object later, whereas a 409 would read as a uniqueness conflict and a long silent wait
 * would run into its request timeout.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import type { Sql } from './database.ts';

/** How long a write waits for a running import before answering DATABASE_BUSY. */
export const COMPANY_LOCK_WAIT_MS = 15_000;

/** The company's gate (advisory lock key) for the company id in parameter `$n`. */
const gate = (n: number) => `hashtextextended('safety-sync:company-gate:' || $${n}::uuid::text, 0)`;
/**
 * The company's create lock, taken by a SCIM POST's insert and held to its commit: creates of one
 * company commit one at a time, each counting the users committed before it (R29). SQL over a
 * company id parameter; the last lock a SCIM POST takes (only the departments of a department met
 * for the first time are inserted after it, and a POST that holds one of those has this lock already).
 */
export const companyCreateLock = (param: string) => `pg_advisory_xact_lock(hashtextextended('safety-sync:company-create:' || ${param}::uuid::text, 0))`;

const boundedWait = (waitMs: number | undefined) => `${Math.max(1, Math.floor(waitMs ?? COMPANY_LOCK_WAIT_MS))}ms`;

/**
 * The exclusive company lock for an admin write of users or departments, or of the company row:
 * the gate, then the company row. Waits for running SCIM writes and imports, up to `waitMs`
 * (DATABASE_BUSY); the transaction's own lock_timeout is put back right after. NOT_FOUND when there
 * is no such company.
 */
export async function lockCompanyForWrite<T extends Record<string, unknown>>(
  tx: Sql,
  companyId: string,
  columns = 'id',
  options: { waitMs?: number } = {},
): Promise<T> {
  // Only this wait is bounded: the transaction's own lock_timeout is put back right after.
  const [setting] = await tx.query<{ previous: string }>(
    `select current_setting('lock_timeout') as previous, set_config('lock_timeout', $1, true) as bounded,
            pg_advisory_xact_lock(${gate(2)}) as gated`,
    [boundedWait(options.waitMs), companyId],
  );
  const [row] = await tx.query<T>(`select ${columns} from companies where id = $1 for no key update`, [companyId]);
  await tx.query(`select set_config('lock_timeout', $1, true)`, [setting?.previous ?? '0']);
  if (!row) throw new AppError('NOT_FOUND', 'Company not found.');
  return row;
}

/**
 * The exclusive company lock of an import or undo (B4 is checked before it): the gate, then the company
 * row `for update`, held for the whole transaction. It waits as long as the SCIM writes in flight take
 * (they are short and bounded); later SCIM writes queue behind it.
 */
export async function lockCompanyForImport<T extends Record<string, unknown>>(tx: Sql, companyId: string, columns: string): Promise<T | undefined> {
  await tx.query(`select pg_advisory_xact_lock(${gate(1)}) as gated`, [companyId]);
  const [row] = await tx.query<T>(`select ${columns} from companies where id = $1 for update`, [companyId]);
  return row;
}

/**
 * The shared company lock of a SCIM write, in one statement (SCIM at 500 requests/s): the gate shared,
 * then the user keys (`keys`: what a POST links by; advisory locks taken in one global order), then
 * the transaction's data-version slot row, then
 * (with `userId`) the user's row, and the company's columns read. lock_timeout is bounded by a subquery
 * evaluated before any of these waits; the caller puts it back with `set_config('lock_timeout',
 * previousLockTimeout, true)` in its next statement, before it waits on any other lock.
 *
 * The user is locked here and read by the caller's next statement, never in the statement that waited
 * for its row: that statement's snapshot predates the wait, so it would miss the memberships and roles
 * a concurrent write of the same user committed meanwhile (two SCIM roles, a lost department).
 * NOT_FOUND when there is no such company (or user).
 */
export async function lockCompanyForScimWrite<T extends Record<string, unknown>>(
  tx: Sql,
  companyId: string,
  columns: string[],
  options: { waitMs?: number; keys?: string[]; userId?: string } = {},
): Promise<{ row: T; previousLockTimeout: string }> {
  const user = options.userId !== undefined;
  const [row] = await tx.query<T & { previous_lock_timeout: string }>(
    `select s.previous_lock_timeout, ${columns.map((c) => `c.${c}`).join(', ')}
       from (select current_setting('lock_timeout') as previous_lock_timeout, set_config('lock_timeout', $2, true) as bounded,
                    pg_advisory_xact_lock_shared(${gate(1)}) is null as gated,
                    (select count(*) from (select pg_advisory_xact_lock(k) is null from
                       (select distinct hashtextextended('safety-sync:user-key:' || $1::uuid::text || ':' || x, 0) as k
                          from unnest($3::text[]) x) keys order by k) locked) as keyed) s,
            companies c, company_version_slots v${user ? ', users u' : ''}
      where c.id = $1 and v.company_id = c.id and v.slot = company_version_slot()${user ? ' and u.company_id = c.id and u.id = $4' : ''}
        for no key update of v${user ? ' for update of u' : ''}`,
    [companyId, boundedWait(options.waitMs), options.keys ?? [], ...(user ? [options.userId] : [])],
    // Named per shape (prepared once per connection); a name is at most 63 bytes.
    { name: `scim-company-lock-${createHash('sha1').update(`${columns.join(',')}:${user}`).digest('hex').slice(0, 16)}` },
  );
  if (!row) throw new AppError('NOT_FOUND', user ? 'User not found.' : 'Company not found.');
  const { previous_lock_timeout, ...rest } = row;
  return { row: rest as unknown as T, previousLockTimeout: previous_lock_timeout };
}

/** The company's data version (B3) as SQL over a company id expression: the one way to read it (migration 14). */
export const dataVersionOf = (companyIdSql: string) => `company_data_version(${companyIdSql})`;
