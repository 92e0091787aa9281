/**
 * Issue 9 item 3: a full directory round written into the mirror while Graph's pages arrive.
 *
 * The users of a full round are staged in batches (one set-based statement per batch: the batch is
 * one JSON array, unpacked by the database, so there is no per-row round trip and no per-row array
 * escaping on the client) into `directory_mirror_staging` under a round id of their own, one batch
 * in flight at a time, while the reader goes on reading. When the read is done, `commit` switches
 * the round in with one short transaction: under the mirror's lock and compare-and-set
 * (`claimMirror`), the company's old rows are replaced by the staged ones inside the database and
 * the delta link moves on. So:
 *   - a reader of the mirror sees the old round or the new one, never half of one;
 *   - a failed or aborted read never reaches `commit`: the old mirror and delta link stay; `discard`
 *     removes the staged rows (and any round abandoned by a crashed process is removed by the next
 *     commit of the company after a day);
 *   - two instances stage under different round ids and only one commit wins the compare-and-set.
 */
import { randomUUID } from 'node:crypto';
import { foldKey } from '../domain/fold.ts';
import { directoryKeys } from '../domain/replan.ts';
import type { DirectoryUser } from '../domain/types.ts';
import { BULK_WRITE_ROWS, refreshStatistics, type Db } from './database.ts';
import { claimMirror, clearForFullRound, finishFullRound, type MirrorPosition } from './directory-mirror.ts';

/** Users per staging statement. Small enough for PGlite's memory, large enough to amortise a round trip. */
export const DEFAULT_STAGE_BATCH = 1000;
/** A staged round older than this belongs to a process that died mid-read: the next commit removes it. */
export const ABANDONED_ROUND_AFTER_IN_MS = 24 * 60 * 60 * 1000;

export interface FullRoundWriter {
  /** Stages one user (the reader's `onUser`): a batch is written once full, while the read goes on. */
  add(user: DirectoryUser): void;
  /**
   * Writes what is left, then switches the round in atomically unless another instance moved the
   * mirror on since `expectedLink` (null: nothing switched, the staged rows are removed); the
   * mirror's new position (a new generation, item 5) when it switched.
   * A failed staging write is thrown here, and nothing is switched.
   */
  commit(switchTo: { expectedLink: string | null; tenantId: string; deltaLink: string; now: Date }): Promise<MirrorPosition | null>;
  /** Forgets the round (the read failed or was aborted): the mirror and its delta link stay as they were. */
  discard(): Promise<void>;
  /** Users staged so far (written or queued). */
  readonly staged: number;
  /** Waits until every full batch handed to the database so far is written (or failed). */
  settled(): Promise<void>;
}

export interface FullRoundOptions {
  batchSize?: number;
  /** When the round started (the injected clock): recorded with its rows, for the clean-up of abandoned rounds. */
  now: Date;
}

/** One staged user: its lower-cased id, the user, and the keys the re-plan looks it up by. */
function stagedRow(u: DirectoryUser): [string, DirectoryUser, string, string | null, string | null] {
  const k = directoryKeys(u);
  return [u.id.toLowerCase(), u, k.id ?? foldKey(u.id), k.login, k.mail];
}

export function startFullRound(db: Db, companyId: string, options: FullRoundOptions): FullRoundWriter {
  const batchSize = options.batchSize ?? DEFAULT_STAGE_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a positive integer');
  const roundId = randomUUID();
  const stagedAt = options.now;
  let batch: DirectoryUser[] = [];
  let staged = 0;
  let writing: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  let closed = false;

  function flush(): void {
    if (batch.length === 0 || failure) return;
    const users = batch;
    batch = [];
    writing = writing.then(async () => {
      if (failure) return;
      try {
        await db.query(
          `insert into directory_mirror_staging (round_id, company_id, entra_id, data, staged_at, entra_key, upn_key, mail_key)
           select $1, $2, e->>0, e->1, $4, e->>2, e->>3, e->>4 from jsonb_array_elements($3::jsonb) as e`,
          // [id, user, keys…]: the id is lower-cased and the keys folded here, as every other mirror write
          // does (JavaScript's rules, not the database locale's; the re-plan's lookups use the keys, item 5).
          [roundId, companyId, JSON.stringify(users.map(stagedRow)), stagedAt],
          { name: 'mirror-stage-batch' },
        );
      } catch (e) {
        failure = { error: e };
      }
    });
  }

  async function removeStaged(): Promise<void> {
    await db.query('delete from directory_mirror_staging where round_id = $1', [roundId], { name: 'mirror-stage-discard' });
  }

  return {
    get staged() {
      return staged;
    },
    add(user) {
      if (closed) throw new Error('the round is already committed or discarded');
      batch.push(user);
      staged++;
      if (batch.length >= batchSize) flush();
    },
    async commit({ expectedLink, tenantId, deltaLink, now }) {
      if (closed) throw new Error('the round is already committed or discarded');
      closed = true;
      flush();
      await writing;
      if (failure) {
        await removeStaged().catch(() => undefined);
        throw failure.error;
      }
      const switched = await db.transaction(async (tx) => {
        const claim = await claimMirror(tx, companyId, expectedLink);
        if (!claim) return null;
        await clearForFullRound(tx, companyId);
        // The staged rows move in one statement (one scan of the round): inside the database, nothing crosses the wire.
        const [moved] = await tx.query<{ n: string | number }>(
          `with moved as (delete from directory_mirror_staging where round_id = $3 returning entra_id, data, entra_key, upn_key, mail_key),
                kept as (
                  insert into directory_mirror (company_id, tenant_key, entra_id, data, entra_key, upn_key, mail_key)
                  select $1, lower($2), entra_id, data, entra_key, upn_key, mail_key from moved
                  on conflict (company_id, tenant_key, entra_id) do update
                    set data = excluded.data, entra_key = excluded.entra_key, upn_key = excluded.upn_key, mail_key = excluded.mail_key
                  returning 1)
           select count(*) as n from kept`,
          [companyId, tenantId, roundId],
        );
        return finishFullRound(tx, companyId, claim, { deltaLink, tenantId, now, count: Number(moved?.n ?? 0) });
      });
      if (!switched) await removeStaged();
      // A bulk load leaves the planner's statistics behind: the re-plan's indexed lookups need fresh ones (item 5).
      else if (staged >= BULK_WRITE_ROWS) await refreshStatistics(db, ['directory_mirror']);
      // Rounds of this company abandoned by a process that died mid-read.
      await db.query('delete from directory_mirror_staging where company_id = $1 and staged_at < $2', [
        companyId,
        new Date(now.getTime() - ABANDONED_ROUND_AFTER_IN_MS),
      ]);
      return switched;
    },
    async settled() {
      await writing;
    },
    async discard() {
      closed = true;
      batch = [];
      await writing;
      await removeStaged();
    },
  };
}
