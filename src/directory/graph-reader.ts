/**
 * Reads the Entra ID directory from Microsoft Graph (DESIGN §2).
 *
 * - Tenant id: `GET {graphBaseUrl}/organization` (falls back to the token's `tid`), proved to be the
 *   linked tenant (R3) before any user is read.
 * - Users: `GET /users?$select=…&$top=999`. A tenant whose first page has a nextLink is read in
 *   partitions (partitions.ts: `$filter=startswith(userPrincipalName,…)` ranges whose union is every
 *   user), each along its own @odata.nextLink chain, `concurrency` requests in flight (default 8),
 *   paced by one shared request budget; Retry-After is honoured per request, so a throttled
 *   partition waits while the others go on at the (halved) shared pace. `concurrency: 1` is the plain
 *   sequential read. A Graph that refuses the filters (400) is read in sequence.
 * - Lean: each user is validated once (graph-user.ts), pages are not copied, and users stream to
 *   `onUser` as their page arrives.
 * - Delta (B7): `GET /users/delta?$select=…`, then the stored `@odata.deltaLink`.
 *
 * The parts: retry-strategy.ts (when and how long to retry), graph-middleware.ts (the Graph client's
 * middleware chain and the request budget), graph-requester.ts (GET with timeouts, deadline, links
 * and errors), graph-user.ts (the user schema). Their public names are re-exported here.
 */
import { AppError, isAppError } from '../domain/errors.ts';
import { assertLinkedTenant } from '../domain/tenant.ts';
import type { DirectorySnapshot, DirectoryUser } from '../domain/types.ts';
import {
  createGraphRequester,
  DEFAULT_READ_DEADLINE_IN_MS,
  isResyncCode,
  nextLinkOf,
  OrganizationSchema,
  parsePage,
  pathOnly,
  positiveMs,
  withReadDeadline,
  type GraphClientOptions,
  type Page,
} from './graph-requester.ts';
import { normaliseOrFail, presentFieldsOf, RemovedSchema, USER_SELECT } from './graph-user.ts';
import { inPartition, partitionFilter, partitionLink, planPartitions, splitPartition, type Partition, type PlannedPartition } from './partitions.ts';

export { parseRetryAfter, throttlingRetryStrategy, RETRYABLE_STATUSES } from './retry-strategy.ts';
export type { RetryDecision, RetryInput, RetryStrategy } from './retry-strategy.ts';
export {
  createGraphRequester,
  DEFAULT_READ_DEADLINE_IN_MS,
  DEFAULT_REQUEST_TIMEOUT_IN_MS,
  DELTA_PAGE_SIZE,
  withReadDeadline,
} from './graph-requester.ts';
export type { GetOptions, GraphClientOptions, GraphRequester } from './graph-requester.ts';
export { GraphUserSchema, normaliseGraphUser, USER_SELECT } from './graph-user.ts';

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com/v1.0';
/** Requests a partitioned full read keeps in flight by default. */
export const DEFAULT_READ_CONCURRENCY = 8;

export interface ReadOptions {
  signal?: AbortSignal;
  /** Called after every page with the number of users read so far. */
  onProgress?: (usersRead: number) => void;
  /**
   * R3: the tenant the company is linked to. The reader proves that the credential's tenant is this
   * one before any user is read, and refuses with TENANT_MISMATCH otherwise. Absent: any tenant.
   */
  expectedTenantId?: string;
  /**
   * Streaming: called once for every user of a full read, as its page arrives (validated and
   * normalised once, never copied), before `read` resolves with the same users.
   */
  onUser?: (user: DirectoryUser) => void;
  /**
   * Work a reader may finish after it has handed back the snapshot (the incremental reader's mirror
   * switch), so that the caller's own work (the planner) overlaps it. The caller awaits every
   * deferred promise before it keeps anything (a failed one fails the caller). Absent: the reader
   * finishes everything before `read` resolves.
   */
  defer?: (work: Promise<void>) => void;
}

export interface DirectoryDelta {
  tenantId: string;
  /** Users added or changed since the delta link (all users when `full`). Normalised. */
  users: DirectoryUser[];
  /**
   * For each changed user (by id), the DirectoryUser fields Graph actually sent. Graph's delta
   * returns "at least the changed properties" of an updated user: a field it left out is unchanged,
   * not blank, and must not overwrite what an earlier round said.
   */
  presentFields: Map<string, (keyof DirectoryUser)[]>;
  /** Object ids of users removed since the delta link. */
  removedIds: string[];
  /** Store it; pass it to the next readDelta. */
  deltaLink: string;
  /**
   * True when this was a full round (no delta link given, or Graph asked for a resync with
   * 410 Gone): `users` is then the whole directory and absent users are gone.
   */
  full: boolean;
}

export interface DirectoryReader {
  read(options?: ReadOptions): Promise<DirectorySnapshot>;
  /** The credential's tenant (`GET /organization`, else the token's `tid`), without reading any user. */
  tenantId?(options?: ReadOptions): Promise<string>;
  /** The tenant's display name (`GET /organization`), or null when Graph does not tell it. */
  tenantName?(options?: ReadOptions): Promise<string | null>;
  readDelta?(deltaLink: string | null, options?: ReadOptions): Promise<DirectoryDelta>;
  latestDeltaLink?(options?: ReadOptions): Promise<string>;
}

export interface GraphDirectoryReaderOptions extends GraphClientOptions {
  /** $top for /users, 1–999. Default 999. */
  pageSize?: number;
  /** Requests a full read keeps in flight, 1–32 (1: the plain sequential read). Default 8. */
  concurrency?: number;
  /**
   * The deepest level of partitions (the root's split is level 1; a partition of a lower level whose
   * first page has a nextLink is split again, its first page's UPNs as the sample). Default 3.
   */
  maxSplitDepth?: number;
}

export function createGraphDirectoryReader(
  options: GraphDirectoryReaderOptions,
): DirectoryReader & {
  tenantId(options?: ReadOptions): Promise<string>;
  readDelta(deltaLink: string | null, options?: ReadOptions): Promise<DirectoryDelta>;
  latestDeltaLink(options?: ReadOptions): Promise<string>;
} {
  const pageSize = options.pageSize ?? 999;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 999) throw new RangeError('pageSize must be an integer from 1 to 999');
  const concurrency = options.concurrency ?? DEFAULT_READ_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new RangeError('concurrency must be an integer from 1 to 32');
  const maxSplitDepth = options.maxSplitDepth ?? 3;
  const graph = createGraphRequester(options);
  const readDeadlineInMs = positiveMs(options.readDeadlineInMs, DEFAULT_READ_DEADLINE_IN_MS, 'readDeadlineInMs');

  /** Runs one whole read under the read deadline (joined with the caller's signal). */
  async function underDeadline<T>(what: string, opts: ReadOptions, fn: (opts: ReadOptions) => Promise<T>): Promise<T> {
    const deadline = withReadDeadline(opts.signal, readDeadlineInMs, what);
    try {
      return await fn({ ...opts, signal: deadline.signal });
    } catch (e) {
      // A wait between retries (or a token request) rejects with the signal's reason: the caller's or the deadline's.
      if (deadline.signal.aborted && !opts.signal?.aborted) throw deadline.signal.reason;
      throw e;
    } finally {
      deadline.done();
    }
  }

  // A reader holds one credential, so its tenant is learned once: a first plan proves the tenant,
  // takes a delta link and reads, and each asked /organization again (two round trips more).
  let learnedTenantId: string | undefined;

  /** The credential's tenant, held to the expected one (R3) before the caller reads any user. */
  async function provenTenantId(opts: ReadOptions = {}): Promise<string> {
    const tenantId = learnedTenantId ?? (learnedTenantId = await graph.getTenantId(opts));
    if (opts.expectedTenantId !== undefined) assertLinkedTenant(opts.expectedTenantId, tenantId);
    return tenantId;
  }

  async function read(opts: ReadOptions = {}): Promise<DirectorySnapshot> {
    return underDeadline('/users', opts, readAll);
  }

  async function readAll(opts: ReadOptions): Promise<DirectorySnapshot> {
    const tenantId = await provenTenantId(opts);
    const sink = userSink(opts);
    const first = `/users?$select=${USER_SELECT}&$top=${pageSize}`;
    // The first page is read alone: a tenant that fits in it (most) costs one request, as before.
    const page = parsePage(await graph.getJson(first, opts), first);
    sink.addPage(page, first);
    const next = page['@odata.nextLink'];
    if (next) graph.checkLink(next);
    if (next && concurrency > 1) {
      const planned = planPartitions(upnsOf(page), concurrency);
      if (planned) {
        try {
          await readPartitions(planned, sink, opts);
          return { tenantId, users: sink.users };
        } catch (e) {
          // A Graph that refuses the partition filters (400 Request_UnsupportedQuery): read in sequence.
          if (!(isAppError(e) && e.details.status === 400 && e.details.partitioned === true)) throw e;
        }
      }
    }
    const seen = new Set<string>();
    let link = next ? nextLinkOf(page, seen) : undefined;
    let pending = link ? prefetch(graph.getJson(link, opts)) : undefined;
    while (link && pending) {
      const p = parsePage(await pending, link);
      const current = link;
      link = nextLinkOf(p, seen);
      // The next page is asked for before this one is validated: the work overlaps the round trip.
      pending = link ? prefetch(graph.getJson(link, opts)) : undefined;
      sink.addPage(p, current);
    }
    return { tenantId, users: sink.users };
  }

  /**
   * Reads partitions, each along its own nextLink chain, at most `concurrency` requests in flight.
   * A free slot goes to the chain that has asked for the fewest pages for its weight (its sampled
   * share of the users): the chains start heaviest first and a heavy chain asks again as soon as its
   * page is in, so the long chains do not wait behind the short ones and all end about together.
   * A partition whose first page has a nextLink is split while fewer chains than `concurrency` run
   * (up to maxSplitDepth). The first failure stops every chain and is the read's error.
   */
  async function readPartitions(initial: PlannedPartition[], sink: UserSink, opts: ReadOptions): Promise<void> {
    const stop = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    const slots = weightedSlots(concurrency);
    let running = 0;
    const chains: Promise<void>[] = [];
    let failure: { error: unknown } | undefined;
    const fail = (e: unknown) => {
      if (!failure) {
        failure = { error: e };
        stop.abort(e);
      }
    };
    const start = (p: Partition, weight: number, depth: number) => {
      running++;
      chains.push(
        chain(p, weight, depth)
          .catch(fail)
          .finally(() => running--),
      );
    };
    async function chain(p: Partition, weight: number, depth: number): Promise<void> {
      const seen = new Set<string>();
      const eventual = partitionFilter(p).advanced;
      let asked = 0;
      const ask = (link: string) =>
        prefetch(
          slots.run(asked++ / Math.max(weight, 0.5), () => graph.getJson(link, { signal, eventual })).catch((e: unknown) => {
            // Marks a refusal of the partition filters, so that the read falls back to the sequence.
            if (isAppError(e) && e.details.status === 400) e.details.partitioned = true;
            throw e;
          }),
        );
      let link: string | undefined = partitionLink(p, USER_SELECT, pageSize);
      let pending: Promise<unknown> | undefined = ask(link);
      let firstPage = true;
      while (link && pending && !failure) {
        const page = parsePage(await pending, link);
        const current = link;
        link = nextLinkOf(page, seen);
        if (firstPage && link && depth < maxSplitDepth && running < concurrency) {
          const upns = upnsOf(page);
          const split = splitPartition(p, upns);
          if (split) {
            sink.addPage(page, current);
            const parts = [...split.children, split.rest];
            // The parent's weight, shared by what its first page says of each part.
            const counts = parts.map((c) => upns.filter((u) => u !== null && inPartition(c, u)).length);
            const total = Math.max(1, counts.reduce((a, b) => a + b, 0));
            parts.forEach((c, i) => start(c, (weight * counts[i]!) / total, depth + 1));
            return;
          }
        }
        firstPage = false;
        // The next page is asked for before this one is validated: the work overlaps the round trip.
        pending = link ? ask(link) : undefined;
        sink.addPage(page, current);
      }
    }
    for (const p of initial) start(p.partition, p.weight, 1);
    // Chains start chains: wait until none is left.
    for (let i = 0; i < chains.length; i++) await chains[i];
    if (failure) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      throw failure.error;
    }
  }

  async function readDelta(deltaLink: string | null, opts: ReadOptions = {}): Promise<DirectoryDelta> {
    return underDeadline('/users/delta', opts, (o) => readDeltaRound(deltaLink, o));
  }

  async function readDeltaRound(deltaLink: string | null, opts: ReadOptions): Promise<DirectoryDelta> {
    const tenantId = await provenTenantId(opts);
    const initial = `/users/delta?$select=${USER_SELECT}`;
    let full = deltaLink === null;
    let link: string | undefined = deltaLink ?? initial;
    // Last word per id wins: a user changed then removed within one round is removed.
    let changes = new Map<string, { user: DirectoryUser; present: (keyof DirectoryUser)[] } | { removedId: string }>();
    let seen = new Set<string>();
    for (;;) {
      let body: unknown;
      try {
        body = await graph.getJson(link, opts);
      } catch (e) {
        // 410 Gone, or 400 syncStateNotFound (what Microsoft reports for expired directory delta
        // tokens): the delta token expired (or Graph wants a resync): start a full round.
        if (!full && isAppError(e) && (e.details.status === 410 || (e.details.status === 400 && isResyncCode(e.details.graphCode)))) {
          full = true;
          link = initial;
          changes = new Map();
          seen = new Set();
          continue;
        }
        throw e;
      }
      const page = parsePage(body, link);
      page.value.forEach((raw, index) => {
        // Only an item that says "@removed" is checked as a removal: a user is validated once.
        const removed = raw !== null && typeof raw === 'object' && '@removed' in raw ? RemovedSchema.safeParse(raw) : undefined;
        if (removed?.success) {
          changes.set(removed.data.id.toLowerCase(), { removedId: removed.data.id });
        } else {
          const user = normaliseOrFail(raw, index, link!);
          changes.set(user.id.toLowerCase(), { user, present: presentFieldsOf(raw) });
        }
      });
      opts.onProgress?.(changes.size);
      const next = nextLinkOf(page, seen);
      if (next) {
        link = next;
        continue;
      }
      const newDeltaLink = page['@odata.deltaLink'];
      if (!newDeltaLink) {
        throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph ended a delta round without a delta link', { path: pathOnly(link) });
      }
      const users: DirectoryUser[] = [];
      const removedIds: string[] = [];
      const presentFields = new Map<string, (keyof DirectoryUser)[]>();
      for (const c of changes.values()) {
        if ('user' in c) {
          users.push(c.user);
          presentFields.set(c.user.id, c.present);
        } else removedIds.push(c.removedId);
      }
      return { tenantId, users, presentFields, removedIds, deltaLink: newDeltaLink, full };
    }
  }

  /**
   * A delta link that starts now, without reading any user (`$deltatoken=latest`): taken just
   * before a full `/users` read, it lets the next read fetch only what changed since.
   */
  async function latestDeltaLink(opts: ReadOptions = {}): Promise<string> {
    return underDeadline('/users/delta', opts, latestLink);
  }

  async function latestLink(opts: ReadOptions): Promise<string> {
    if (opts.expectedTenantId !== undefined) await provenTenantId(opts);
    const link = `/users/delta?$select=${USER_SELECT}&$deltatoken=latest`;
    const page = parsePage(await graph.getJson(link, opts), link);
    const deltaLink = page['@odata.deltaLink'];
    if (!deltaLink) throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph gave no delta link for $deltatoken=latest', { path: '/users/delta' });
    return deltaLink;
  }

  async function tenantName(opts: ReadOptions = {}): Promise<string | null> {
    const parsed = OrganizationSchema.safeParse(await graph.getJson('/organization', opts.signal ? { signal: opts.signal } : {}));
    const name = parsed.success ? parsed.data.value[0]?.['displayName'] : undefined;
    return typeof name === 'string' && name.trim() ? name.trim() : null;
  }

  return { read, readDelta, latestDeltaLink, tenantId: provenTenantId, tenantName };
}


interface UserSink {
  readonly users: DirectoryUser[];
  addPage(page: Page, link: string): void;
}

/** Collects users once per object id, validating each once, streaming each to `onUser`. */
function userSink(opts: ReadOptions): UserSink {
  const users: DirectoryUser[] = [];
  const ids = new Set<string>();
  return {
    users,
    addPage(page, link) {
      const items = page.value;
      for (let i = 0; i < items.length; i++) {
        const user = normaliseOrFail(items[i], i, link);
        const k = user.id.toLowerCase();
        if (ids.has(k)) continue;
        ids.add(k);
        users.push(user);
        opts.onUser?.(user);
      }
      opts.onProgress?.(users.length);
    },
  };
}

/** A promise that may be left unawaited when the read fails first: its rejection is not reported as unhandled. */
function prefetch<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {});
  return p;
}

function upnsOf(page: Page): (string | null)[] {
  return page.value.map((u) => {
    const upn = u && typeof u === 'object' ? (u as { userPrincipalName?: unknown }).userPrincipalName : null;
    return typeof upn === 'string' ? upn : null;
  });
}

/**
 * At most `n` tasks at once; a freed slot goes to the waiting task with the lowest key (ties: the
 * first to ask). The partitioned read's key is pages asked for / the chain's weight.
 */
export function weightedSlots(n: number): { run<T>(key: number, task: () => Promise<T>): Promise<T> } {
  let free = n;
  let order = 0;
  const waiting: { key: number; order: number; go: () => void }[] = [];
  return {
    async run<T>(key: number, task: () => Promise<T>): Promise<T> {
      if (free > 0) free--;
      else await new Promise<void>((go) => waiting.push({ key, order: order++, go }));
      try {
        return await task();
      } finally {
        let best = -1;
        for (let i = 0; i < waiting.length; i++) {
          const w = waiting[i]!;
          const b = best < 0 ? undefined : waiting[best]!;
          if (!b || w.key < b.key || (w.key === b.key && w.order < b.order)) best = i;
        }
        if (best >= 0) waiting.splice(best, 1)[0]!.go();
        else free++;
      }
    },
  };
}
