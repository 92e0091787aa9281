/**
 * B7: incremental directory reads. A company's first read (and one at least
 * every `fullResyncAfterInMs`, default 24 h) is the full `GET /users` read of
 * DESIGN §2, preceded by a `$deltatoken=latest` link; once the company has a
 * delta link, later reads fetch only what changed (`GET /users/delta`) and
 * apply it to the directory mirror. `read()` gives the whole directory;
 * `readRound()` gives what a round did (issue 9 item 5): a full read's
 * snapshot, or after a delta round only the mirror's new position, so that a
 * re-plan reads just the users that changed (SyncService). A Graph (or
 * emulator) without delta support just gets full reads.
 */
import type { DirectoryReader, ReadOptions } from '../directory/graph-reader.ts';
import { isAppError } from '../domain/errors.ts';
import { assertLinkedTenant, sameTenant } from '../domain/tenant.ts';
import type { DirectorySnapshot } from '../domain/types.ts';
import type { Db } from '../store/database.ts';
import { DirectoryMirror, type MirrorPosition } from '../store/directory-mirror.ts';
import { startFullRound } from '../store/mirror-writer.ts';

export interface IncrementalOptions {
  fullResyncAfterInMs?: number;
  clock?: () => Date;
}

export const DEFAULT_FULL_RESYNC_IN_MS = 24 * 60 * 60 * 1000;

type DeltaReader = DirectoryReader & {
  readDelta: NonNullable<DirectoryReader['readDelta']>;
  latestDeltaLink: NonNullable<DirectoryReader['latestDeltaLink']>;
};

export function canReadDelta(reader: DirectoryReader): reader is DeltaReader {
  return typeof reader.readDelta === 'function' && typeof reader.latestDeltaLink === 'function';
}

/**
 * What one read did: a full read (its snapshot; the mirror's new generation when it was kept), or a
 * delta round applied to the mirror (its new position; the directory is the mirror).
 */
export type ReadRound =
  | {
      kind: 'full';
      snapshot: DirectorySnapshot;
      /**
       * The mirror's new generation once the round is switched in (null: not kept). With `defer` the
       * switch may still run in the database while the caller plans: await this before keeping anything.
       */
      position: Promise<MirrorPosition | null>;
    }
  | { kind: 'delta'; tenantId: string; changesRead: number; position: MirrorPosition };

export type IncrementalReader = DirectoryReader & {
  readRound(opts?: ReadOptions): Promise<ReadRound>;
  /** The whole mirrored directory after a delta round (the full planner's input). */
  mirrorSnapshot(tenantId: string, changesRead: number): Promise<DirectorySnapshot>;
};

export function incrementalReader(db: Db, companyId: string, inner: DeltaReader, options: IncrementalOptions = {}): IncrementalReader {
  const mirror = new DirectoryMirror(db);
  const clock = options.clock ?? (() => new Date());
  const resyncAfter = options.fullResyncAfterInMs ?? DEFAULT_FULL_RESYNC_IN_MS;

  /**
   * The DESIGN §2 full read; remembers a delta link taken just before it, when Graph gives one. The
   * users are staged into the mirror as their pages arrive (mirror-writer.ts) and switched in at
   * once when the read is done: a failed or aborted read leaves the old mirror and link as they were.
   */
  async function fullRead(expectedLink: string | null, opts: ReadOptions): Promise<ReadRound> {
    let link: string | null = null;
    try {
      link = await inner.latestDeltaLink(opts);
    } catch (e) {
      if (!isAppError(e) || e.code !== 'DIRECTORY_UNAVAILABLE') throw e;
    }
    if (!link) {
      const snapshot = await inner.read(opts);
      assertLinkedTenant(opts.expectedTenantId, snapshot.tenantId);
      return { kind: 'full', snapshot, position: Promise.resolve(null) };
    }
    let round = startFullRound(db, companyId, { now: clock() });
    const onUser = opts.onUser;
    try {
      const snapshot = await inner.read({
        ...opts,
        onUser: (u) => {
          round.add(u);
          onUser?.(u);
        },
      });
      // R3: the mirror never holds a user of a tenant the company is not linked to.
      assertLinkedTenant(opts.expectedTenantId, snapshot.tenantId);
      // The mirror is the directory the next delta plan sees: it must hold exactly the users this
      // read returned. A reader that streamed none or other users than it returned (one without
      // onUser support) has its round staged again from what it returned; otherwise the next plan
      // would see an empty directory and delete everyone.
      if (round.staged !== snapshot.users.length) {
        await round.discard();
        round = startFullRound(db, companyId, { now: clock() });
        for (const u of snapshot.users) round.add(u);
      }
      const switched = round.commit({ expectedLink, tenantId: snapshot.tenantId, deltaLink: link, now: clock() }).catch(async (e: unknown) => {
        await round.discard().catch(() => undefined);
        throw e;
      });
      if (opts.defer) {
        // The caller plans while the database switches the round in, and awaits it before keeping the plan.
        switched.catch(() => undefined);
        opts.defer(switched.then(() => undefined));
        return { kind: 'full', snapshot, position: switched };
      }
      const position = await switched;
      return { kind: 'full', snapshot, position: Promise.resolve(position) };
    } catch (e) {
      await round.discard().catch(() => undefined);
      throw e;
    }
  }

  const mirrorSnapshot = async (tenantId: string, changesRead: number): Promise<DirectorySnapshot> =>
    // The plan shows the directory's size (the mirror) and, apart, how many changes this read fetched.
    ({ ...(await mirror.snapshot(companyId, tenantId)), changesRead });

  async function readRound(opts: ReadOptions = {}): Promise<ReadRound> {
    // R3: a linked company's credential is proved to be its tenant before anything is read.
    if (opts.expectedTenantId !== undefined && inner.tenantId) assertLinkedTenant(opts.expectedTenantId, await inner.tenantId(opts));
    const state = await mirror.state(companyId);
    const now = clock();
    const due = !state.fullAt || now.getTime() - state.fullAt.getTime() > resyncAfter;
    // A mirror of another tenant than the linked one is never continued (the company was re-linked).
    const otherTenant = opts.expectedTenantId !== undefined && state.tenantId !== null && !sameTenant(state.tenantId, opts.expectedTenantId);
    if (otherTenant) {
      await mirror.reset(companyId);
      return fullRead(null, opts);
    }
    if (due || !state.deltaLink) return fullRead(state.deltaLink, opts);
    let delta;
    try {
      delta = await inner.readDelta(state.deltaLink, opts);
    } catch (e) {
      // A stored link Graph will not follow (the Graph base URL moved, a malformed token):
      // start over with a full read rather than fail the plan.
      if (!isAppError(e) || e.code !== 'DIRECTORY_UNAVAILABLE') throw e;
      return fullRead(state.deltaLink, opts);
    }
    assertLinkedTenant(opts.expectedTenantId, delta.tenantId);
    // Another tenant behind the same company (re-linked), or another instance moved the
    // mirror on meanwhile: a full read is always right.
    if (state.tenantId && !sameTenant(state.tenantId, delta.tenantId)) {
      await mirror.reset(companyId);
      return fullRead(null, opts);
    }
    const position = await mirror.apply(companyId, state.deltaLink, delta, now);
    if (!position) return { kind: 'full', snapshot: await inner.read(opts), position: Promise.resolve(null) };
    return { kind: 'delta', tenantId: delta.tenantId, changesRead: delta.users.length + delta.removedIds.length, position };
  }

  return {
    readRound,
    mirrorSnapshot,
    async read(opts: ReadOptions = {}): Promise<DirectorySnapshot> {
      const round = await readRound(opts);
      return round.kind === 'full' ? round.snapshot : mirrorSnapshot(round.tenantId, round.changesRead);
    },
  };
}
