/**
 * Partitions of a full `/users` read (issue 9, item 2). Pure: no I/O.
 *
 * A partition is `startswith(userPrincipalName, prefix)`, less the sub-prefixes other partitions
 * took (`not(startswith(…) or …)`), plus, for the root's rest, the users without a UPN
 * (`userPrincipalName eq null`). A partition is split with the UPNs of its own first page as a
 * sample: the sample's longest common prefix, extended by each next character seen, becomes a
 * child partition, and the parent keeps the rest (its prefix, excluding every child). Children and
 * rest are complements by construction, evaluated by Graph with Graph's own case rules, so their
 * union is the parent whatever character a UPN starts with (Unicode, symbols, none at all): nobody
 * is lost. Graph's startswith ignores case, so the sample is lower-cased; two children that Graph
 * would still fold together can only double a user, and the reader keeps one copy per object id.
 *
 * Graph: startswith on userPrincipalName is a default query; `not(…)` and `eq null` are advanced
 * queries (ConsistencyLevel: eventual and $count=true), so a rest partition is an advanced query.
 */
export interface Partition {
  /** Lower-case UPN prefix ('' for the root). */
  prefix: string;
  /** Lower-case longer prefixes taken by child partitions. */
  exclude: string[];
  /** The root keeps the users without a userPrincipalName. */
  nulls: boolean;
}

export const ROOT_PARTITION: Partition = { prefix: '', exclude: [], nulls: true };

/** The most children one split makes (a rest partition's filter ORs all of them). */
export const MAX_CHILDREN = 40;

/** An OData string literal: single quotes doubled. */
export function odataString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

const starts = (p: string) => `startswith(userPrincipalName,${odataString(p)})`;

/** The $filter of a partition (null: no filter, the root before any split) and whether it is an advanced query. */
export function partitionFilter(p: Partition): { filter: string | null; advanced: boolean } {
  const parts: string[] = [];
  if (p.prefix) parts.push(starts(p.prefix));
  if (p.exclude.length > 0) parts.push(`not(${p.exclude.map(starts).join(' or ')})`);
  let filter = parts.length > 0 ? parts.join(' and ') : null;
  if (filter !== null && p.nulls) filter = `(${filter}) or userPrincipalName eq null`;
  return { filter, advanced: p.exclude.length > 0 || (filter !== null && p.nulls) };
}

/** The first link of a partition's own nextLink chain. */
export function partitionLink(p: Partition, select: string, pageSize: number): string {
  const { filter, advanced } = partitionFilter(p);
  const q = [`$select=${select}`, `$top=${pageSize}`];
  if (filter !== null) q.push(`$filter=${encodeURIComponent(filter)}`);
  if (advanced) q.push('$count=true');
  return `/users?${q.join('&')}`;
}

/**
 * Splits a partition with a sample of its UPNs: children (one per next character after the
 * sample's common prefix, the most frequent MAX_CHILDREN) and the rest. Null when the sample
 * cannot split it (empty, or every UPN the same). Only a partition without exclusions is split.
 */
export function splitPartition(p: Partition, sampleUpns: readonly (string | null)[]): { children: Partition[]; rest: Partition } | null {
  if (p.exclude.length > 0) return null;
  const sample = sampleUpns
    .filter((u): u is string => typeof u === 'string' && u.length > 0)
    .map((u) => u.toLowerCase())
    .filter((u) => u.startsWith(p.prefix));
  if (sample.length === 0) return null;
  let lcp = sample[0]!;
  for (const u of sample) {
    let i = 0;
    while (i < lcp.length && i < u.length && lcp.charCodeAt(i) === u.charCodeAt(i)) i++;
    lcp = lcp.slice(0, i);
  }
  // Never cut a surrogate pair in two.
  if (lcp.length > 0 && /[\ud800-\udbff]$/.test(lcp)) lcp = lcp.slice(0, -1);
  const counts = new Map<string, number>();
  for (const u of sample) {
    if (u.length <= lcp.length) continue;
    const c = String.fromCodePoint(u.codePointAt(lcp.length)!);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  if (counts.size === 0) return null;
  const next = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_CHILDREN);
  const children = next.map(([c]) => ({ prefix: lcp + c, exclude: [], nulls: false }));
  if (children.length === 1 && children[0]!.prefix === p.prefix) return null;
  return { children, rest: { prefix: p.prefix, exclude: children.map((c) => c.prefix), nulls: p.nulls } };
}

/**
 * Whether a UPN falls in a partition by its prefixes, lower-cased as the sample is (the estimate of a
 * partition's size; Graph's own evaluation of the filter decides the read itself).
 */
export function inPartition(p: Partition, upn: string): boolean {
  const u = upn.toLowerCase();
  return u.startsWith(p.prefix) && !p.exclude.some((x) => u.startsWith(x));
}

/** A partition to read, with its share of the sample (the estimate of its size, in sampled users). */
export interface PlannedPartition {
  partition: Partition;
  weight: number;
}

/** The most partitions one plan makes from a sample (each costs at least one request). */
export const MAX_PLANNED_PARTITIONS = 64;

/**
 * Partitions of a whole read, sized from one sample (the first page's UPNs): the root is split, then
 * any child holding more than `1 / concurrency` of the sample is split again from its own part of
 * the sample (a nextLink chain is read one page at a time, so one partition with more than its slot's
 * share of the users would be the read's longest chain), as long as the sample can split it and
 * there are fewer than MAX_PLANNED_PARTITIONS. Each comes with its weight (sampled users in it; a
 * rest partition gets what its children did not take), heaviest first: the order to start them in.
 * Null when the sample cannot split the root. Splits only with splitPartition, so the union is the
 * root whatever the sample.
 */
export function planPartitions(sampleUpns: readonly (string | null)[], concurrency: number): PlannedPartition[] | null {
  const upns = sampleUpns.filter((u): u is string => typeof u === 'string' && u.length > 0).map((u) => u.toLowerCase());
  const root = splitPartition(ROOT_PARTITION, upns);
  if (!root) return null;
  const weightOf = (p: Partition, sample: readonly string[]) => sample.filter((u) => inPartition(p, u)).length;
  const planned: PlannedPartition[] = [...root.children, root.rest].map((p) => ({ partition: p, weight: weightOf(p, upns) }));
  const limit = upns.length / Math.max(1, concurrency);
  const unsplittable = new Set<PlannedPartition>();
  for (;;) {
    const heavy = planned
      .filter((p) => p.weight > limit && p.partition.exclude.length === 0 && !unsplittable.has(p))
      .sort((a, b) => b.weight - a.weight)[0];
    if (!heavy) break;
    const own = upns.filter((u) => u.startsWith(heavy.partition.prefix));
    const split = splitPartition(heavy.partition, own);
    if (!split || planned.length + split.children.length > MAX_PLANNED_PARTITIONS) {
      // The sample cannot split it (every sampled UPN the same past the prefix), or enough partitions: read as it is.
      unsplittable.add(heavy);
      continue;
    }
    planned.splice(planned.indexOf(heavy), 1, ...[...split.children, split.rest].map((p) => ({ partition: p, weight: weightOf(p, own) })));
  }
  planned.sort((a, b) => b.weight - a.weight);
  return planned;
}
