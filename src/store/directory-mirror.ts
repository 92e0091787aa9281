/**
 * B7: the directory mirror. The company's Entra users as of the last Graph
 * delta round, and the delta link to continue from. A plan still sees the
 * whole directory (deletions need it); only the read from Graph shrinks.
 */
import type { DirectoryDelta } from '../directory/graph-reader.ts';
import { foldKey } from '../domain/fold.ts';
import { directoryKeys } from '../domain/replan.ts';
import type { DirectorySnapshot, DirectoryUser } from '../domain/types.ts';
import { BULK_WRITE_ROWS, refreshStatistics, type Db, type Sql } from './database.ts';

export interface MirrorState {
  deltaLink: string | null;
  tenantId: string | null;
  fullAt: Date | null;
}

/**
 * Issue 9 item 5: where the mirror is. A full round starts a new generation (the mirror is
 * replaced); each delta round of a generation has the next sequence number and leaves a change
 * record per user it changed or removed, with the user's keys before the round.
 */
export interface MirrorPosition {
  generation: number;
  seq: number;
}

/** A user a delta round changed or removed, with its keys before the round (null: it was new). */
export interface MirrorChange {
  entraKey: string;
  oldUpnKey: string | null;
  oldMailKey: string | null;
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
  async apply(companyId: string, expectedLink: string | null, delta: DirectoryDelta, now: Date): Promise<MirrorPosition | null> {
    const position = await this.write(companyId, expectedLink, delta, now);
    if (position && delta.full && delta.users.length >= BULK_WRITE_ROWS) await refreshStatistics(this.db, ['directory_mirror']);
    return position;
  }

  private async write(companyId: string, expectedLink: string | null, delta: DirectoryDelta, now: Date): Promise<MirrorPosition | null> {
    return this.db.transaction(async (tx) => {
      const cur = await claimMirror(tx, companyId, expectedLink);
      if (!cur) return null;
      const position: MirrorPosition = delta.full ? { generation: cur.generation + 1, seq: 0 } : { generation: cur.generation, seq: cur.seq + 1 };
      // The mirror's size after the round (null: unknown, a re-plan counts it).
      let count: number | null = delta.full ? new Set(delta.users.map((u) => u.id.toLowerCase())).size : cur.count;
      // A full round replaces the mirror, whatever tenant it held before.
      if (delta.full) await clearForFullRound(tx, companyId);
      else {
        // Item 5: what this round changes, with the keys the mirror holds for it before the round.
        const ids = [...new Set([...delta.removedIds, ...delta.users.map((u) => u.id)])];
        if (ids.length > 0) {
          const before = new Map(
            (
              await tx.query<{ entra_id: string; entra_key: string; upn_key: string | null; mail_key: string | null }>(
                `select entra_id, entra_key, upn_key, mail_key from directory_mirror
                  where company_id = $1 and tenant_key = lower($2) and entra_id = any($3::text[])`,
                [companyId, delta.tenantId, ids.map((id) => id.toLowerCase())],
              )
            ).map((r) => [r.entra_id, r]),
          );
          // Removals first, then upserts (as below): the ids present after the round.
          const present = new Set(before.keys());
          for (const id of delta.removedIds) present.delete(id.toLowerCase());
          for (const u of delta.users) present.add(u.id.toLowerCase());
          if (count !== null) count += present.size - before.size;
          const records = ids.map((id) => {
            const b = before.get(id.toLowerCase());
            return { entraKey: b?.entra_key ?? foldKey(id), oldUpnKey: b?.upn_key ?? null, oldMailKey: b?.mail_key ?? null };
          });
          await tx.query(
            `insert into directory_mirror_changes (company_id, generation, seq, entra_key, old_upn_key, old_mail_key)
             select $1, $2, $3, v.ek, v.uk, v.mk from unnest($4::text[], $5::text[], $6::text[]) as v(ek, uk, mk)`,
            [companyId, position.generation, position.seq, records.map((r) => r.entraKey), records.map((r) => r.oldUpnKey), records.map((r) => r.oldMailKey)],
          );
        }
        // Records at or below the position of the company's latest plan are never needed again: a
        // re-plan starts from the latest plan. A re-plan from an older position sees pruned_seq and plans in full.
        const [kept] = await tx.query<{ seq: string | number | null }>(
          `select max(mirror_seq) as seq from plans where company_id = $1 and mirror_generation = $2`,
          [companyId, position.generation],
        );
        const prunable = Number(kept?.seq ?? 0);
        if (prunable > 0) {
          await tx.query('delete from directory_mirror_changes where company_id = $1 and seq <= $2', [companyId, prunable]);
          await tx.query('update sync_state set mirror_pruned_seq = greatest(mirror_pruned_seq, $2) where company_id = $1', [companyId, prunable]);
        }
      }
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
        const keys = merged.map((u) => directoryKeys(u));
        await tx.query(
          `insert into directory_mirror (company_id, tenant_key, entra_id, data, entra_key, upn_key, mail_key)
           select $1, lower($2), v.id, v.data::jsonb, v.ek, v.uk, v.mk from unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) as v(id, data, ek, uk, mk)
           on conflict (company_id, tenant_key, entra_id) do update
             set data = excluded.data, entra_key = excluded.entra_key, upn_key = excluded.upn_key, mail_key = excluded.mail_key`,
          [
            companyId,
            delta.tenantId,
            merged.map((u) => u.id.toLowerCase()),
            merged.map((u) => JSON.stringify(u)),
            keys.map((k, i) => k.id ?? foldKey(merged[i]!.id)),
            keys.map((k) => k.login),
            keys.map((k) => k.mail),
          ],
        );
      }
      await tx.query(
        `update sync_state set delta_link = $2, mirror_tenant_id = $3,
                mirror_full_at = case when $4::boolean then $5::timestamptz else mirror_full_at end,
                mirror_generation = $6, mirror_seq = $7, mirror_count = $8,
                mirror_pruned_seq = case when $4::boolean then 0 else mirror_pruned_seq end
          where company_id = $1`,
        [companyId, delta.deltaLink, delta.tenantId, delta.full, now, position.generation, position.seq, count],
      );
      return position;
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

  /** Forgets the mirror: the next read is a full one (and a new generation). */
  async reset(companyId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('delete from directory_mirror where company_id = $1', [companyId]);
      await tx.query('delete from directory_mirror_changes where company_id = $1', [companyId]);
      await tx.query('update sync_state set delta_link = null, mirror_tenant_id = null, mirror_full_at = null where company_id = $1', [companyId]);
    });
  }
}

/** Where the mirror stands, read under its lock; null when another instance moved it on since `expectedLink`. */
export interface MirrorClaim {
  generation: number;
  seq: number;
  /** Users in the mirror (null: unknown, a re-plan counts them). */
  count: number | null;
}

/**
 * The mirror's lock and compare-and-set, shared by delta rounds (`DirectoryMirror.apply`) and full rounds
 * staged while Graph's pages arrive (mirror-writer.ts): one instance moves the mirror on from a link.
 */
export async function claimMirror(tx: Sql, companyId: string, expectedLink: string | null): Promise<MirrorClaim | null> {
  await tx.query(`select pg_advisory_xact_lock(hashtextextended('safety-sync:mirror:' || $1::text, 0))`, [companyId]);
  await tx.query('insert into sync_state (company_id) values ($1) on conflict do nothing', [companyId]);
  const [cur] = await tx.query<{ delta_link: string | null; mirror_generation: string | number; mirror_seq: string | number; mirror_count: string | number | null }>(
    'select delta_link, mirror_generation, mirror_seq, mirror_count from sync_state where company_id = $1 for update',
    [companyId],
  );
  if ((cur?.delta_link ?? null) !== expectedLink) return null;
  return {
    generation: Number(cur?.mirror_generation ?? 0),
    seq: Number(cur?.mirror_seq ?? 0),
    count: cur?.mirror_count == null ? null : Number(cur.mirror_count),
  };
}

/** A full round replaces the mirror, whatever tenant it held before, and the change records of the old generation. */
export async function clearForFullRound(tx: Sql, companyId: string): Promise<void> {
  await tx.query('delete from directory_mirror where company_id = $1', [companyId]);
  await tx.query('delete from directory_mirror_changes where company_id = $1', [companyId]);
}

/** Moves the state row on after a full round switched in (claimed by `claim`): a new generation at sequence 0. */
export async function finishFullRound(
  tx: Sql,
  companyId: string,
  claim: MirrorClaim,
  round: { deltaLink: string; tenantId: string; now: Date; count: number },
): Promise<MirrorPosition> {
  const position: MirrorPosition = { generation: claim.generation + 1, seq: 0 };
  await tx.query(
    `update sync_state set delta_link = $2, mirror_tenant_id = $3, mirror_full_at = $4,
            mirror_generation = $5, mirror_seq = 0, mirror_count = $6, mirror_pruned_seq = 0
      where company_id = $1`,
    [companyId, round.deltaLink, round.tenantId, round.now, position.generation, round.count],
  );
  return position;
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
