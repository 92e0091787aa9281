/**
 * B7: incremental directory reads. The first read (and one at least every
 * `fullResyncAfterInMs`, default 24 h) is a full Graph delta round; later reads
 * fetch only what changed since the stored delta link and apply it to the
 * directory mirror. The planner still gets the whole directory.
 */
import type { DirectoryReader, ReadOptions } from '../directory/graph-reader.ts';
import { isAppError } from '../domain/errors.ts';
import type { DirectorySnapshot } from '../domain/types.ts';
import { DirectoryMirror } from '../store/directory-mirror.ts';
import type { Db } from '../store/database.ts';

export interface IncrementalOptions {
  fullResyncAfterInMs?: number;
  clock?: () => Date;
}

export const DEFAULT_FULL_RESYNC_IN_MS = 24 * 60 * 60 * 1000;

type DeltaReader = DirectoryReader & { readDelta: NonNullable<DirectoryReader['readDelta']> };

export function canReadDelta(reader: DirectoryReader): reader is DeltaReader {
  return typeof reader.readDelta === 'function';
}

export function incrementalReader(db: Db, companyId: string, inner: DeltaReader, options: IncrementalOptions = {}): DirectoryReader {
  const mirror = new DirectoryMirror(db);
  const clock = options.clock ?? (() => new Date());
  const resyncAfter = options.fullResyncAfterInMs ?? DEFAULT_FULL_RESYNC_IN_MS;
  return {
    async read(opts: ReadOptions = {}): Promise<DirectorySnapshot> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const state = await mirror.state(companyId);
        const now = clock();
        const stale = !state.fullAt || now.getTime() - state.fullAt.getTime() > resyncAfter;
        const link = stale ? null : state.deltaLink;
        let delta;
        try {
          delta = await inner.readDelta(link, opts);
        } catch (e) {
          // A stored link Graph will not follow (the Graph base URL moved, a malformed token):
          // start over with a full round rather than fail the plan.
          if (link === null || !isAppError(e) || e.code !== 'DIRECTORY_UNAVAILABLE') throw e;
          delta = await inner.readDelta(null, opts);
        }
        // Another tenant behind the same company (re-linked): start over from a full round.
        if (!delta.full && state.tenantId && state.tenantId.toLowerCase() !== delta.tenantId.toLowerCase()) {
          await mirror.reset(companyId);
          continue;
        }
        if (await mirror.apply(companyId, state.deltaLink, delta, now)) return mirror.snapshot(companyId, delta.tenantId);
      }
      // Instances kept racing: fall back to a plain full read, which is always right.
      return inner.read(opts);
    },
    readDelta: inner.readDelta.bind(inner),
  };
}
