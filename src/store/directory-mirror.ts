/**
 * B7: the directory mirror. The company's Entra users as of the last Graph
 * delta round, and the delta link to continue from. A plan still sees the
 * whole directory (deletions need it); only the read from Graph shrinks.
 */
import type { DirectoryDelta } from '../directory/graph-reader.ts';
import type { DirectorySnapshot, DirectoryUser } from '../domain/types.ts';
import type { Db, Sql } from './database.ts';

export interface MirrorState {
  deltaLink: string | null;
  tenantId: string | null;
  fullAt: Date | null;
}

export class DirectoryMirror {
  constructor(private readonly db: Db) {}

  async state(companyId: string): Promise<MirrorState> {
    const [row] = await this.db.query<{ delta_link: string | null; mirror_tenant_id: string | null; mirror_full_at: Date | string | null }>(
      'select delta_link, mirror_tenant_id, mirror_full_at from sync_state where company_id = $1',
      [companyId],
    );
    return {
      deltaLink: row?.delta_link ?? null,
      tenantId: row?.mirror_tenant_id ?? null,
      fullAt: row?.mirror_full_at ? new Date(row.mirror_full_at) : null,
    };
  }

  /**
   * Applies one delta round, unless another instance moved the mirror on since `expectedLink`
   * was read (then nothing is written and false is returned: read again from the new link).
   */
  async apply(companyId: string, expectedLink: string | null, delta: DirectoryDelta, now: Date): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      if (!(await claimMirror(tx, companyId, expectedLink))) return false;
      // A full round replaces the mirror, whatever tenant it held before.
      if (delta.full) await tx.query('delete from directory_mirror where company_id = $1', [companyId]);
      if (delta.removedIds.length > 0) {
        await tx.query('delete from directory_mirror where company_id = $1 and tenant_key = lower($2) and entra_id = any($3::text[])', [
          companyId,
          delta.tenantId,
          delta.removedIds.map((id) => id.toLowerCase()),
        ]);
      }
      if (delta.users.length > 0) {
        const existing = delta.full
          ? new Map<string, DirectoryUser>()
          : new Map(
              (
                await tx.query<{ entra_id: string; data: DirectoryUser }>(
                  'select entra_id, data from directory_mirror where company_id = $1 and tenant_key = lower($2) and entra_id = any($3::text[])',
                  [companyId, delta.tenantId, delta.users.map((u) => u.id.toLowerCase())],
                )
              ).map((r) => [r.entra_id, r.data]),
            );
        const merged = delta.users.map((u) => mergeUser(existing.get(u.id.toLowerCase()), u, delta.full ? null : delta.presentFields.get(u.id)));
        await tx.query(
          `insert into directory_mirror (company_id, tenant_key, entra_id, data)
           select $1, lower($2), v.id, v.data::jsonb from unnest($3::text[], $4::text[]) as v(id, data)
           on conflict (company_id, tenant_key, entra_id) do update set data = excluded.data`,
          [companyId, delta.tenantId, merged.map((u) => u.id.toLowerCase()), merged.map((u) => JSON.stringify(u))],
        );
      }
      await tx.query(
        `update sync_state set delta_link = $2, mirror_tenant_id = $3,
                mirror_full_at = case when $4::boolean then $5::timestamptz else mirror_full_at end
          where company_id = $1`,
        [companyId, delta.deltaLink, delta.tenantId, delta.full, now],
      );
      return true;
    });
  }

  /** The mirrored users of this tenant only (R3: the mirror is keyed by tenant). */
  async snapshot(companyId: string, tenantId: string): Promise<DirectorySnapshot> {
    const rows = await this.db.query<{ data: DirectoryUser }>(
      'select data from directory_mirror where company_id = $1 and tenant_key = lower($2) order by entra_id',
      [companyId, tenantId],
    );
    return { tenantId, users: rows.map((r) => r.data) };
  }

  /** Forgets the mirror: the next read is a full one. */
  async reset(companyId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('delete from directory_mirror where company_id = $1', [companyId]);
      await tx.query('update sync_state set delta_link = null, mirror_tenant_id = null, mirror_full_at = null where company_id = $1', [companyId]);
    });
  }
}

/**
 * Inside a transaction that is about to move a company's mirror on: waits for any other writer of
 * it (every instance), then says whether the mirror is still at `expectedLink` (compare and set;
 * false: another instance moved it on since, write nothing). Every mirror write starts with it.
 */
export async function claimMirror(tx: Sql, companyId: string, expectedLink: string | null): Promise<boolean> {
  await tx.query(`select pg_advisory_xact_lock(hashtextextended('safety-sync:mirror:' || $1::text, 0))`, [companyId]);
  await tx.query('insert into sync_state (company_id) values ($1) on conflict do nothing', [companyId]);
  const [cur] = await tx.query<{ delta_link: string | null }>('select delta_link from sync_state where company_id = $1 for update', [companyId]);
  return (cur?.delta_link ?? null) === expectedLink;
}

/** A changed user over what the mirror knew: only the fields Graph sent replace the old ones. */
export function mergeUser(before: DirectoryUser | undefined, changed: DirectoryUser, present: (keyof DirectoryUser)[] | null | undefined): DirectoryUser {
  if (!before || !present) return changed;
  const out: DirectoryUser = { ...before, id: changed.id };
  for (const f of present) (out as unknown as Record<string, unknown>)[f] = changed[f];
  // What the reader had to adjust: kept for the fields Graph did not send again, new for those it did.
  const adjusted = [...(before.adjusted ?? []).filter((a) => !present.includes(a.field)), ...(changed.adjusted ?? [])];
  if (adjusted.length > 0) out.adjusted = adjusted;
  else delete out.adjusted;
  return out;
}
