import assert from 'node:assert/strict';
import { evaluateUserFilter, parseUserFilter, completeGraphUser } from '../../src/devtools/graph-emulator.ts';
import { inPartition, MAX_PLANNED_PARTITIONS, partitionFilter, partitionLink, planPartitions, ROOT_PARTITION, splitPartition, type Partition } from '../../src/directory/partitions.ts';

/** Deterministic pseudo-random numbers (a test never depends on chance). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** First characters a UPN may start with, and some it never should (yet must not be lost). */
const STARTS = [...'abcdefghijklmnopqrstuvwxyzABCXYZ0123456789', "'", '.', '-', '_', '!', '#', '^', '~', '$', '%', '&', '*', '+', '/', '=', '?', '`', '{', '|', '}', 'é', 'É', 'ß', 'ü', 'İ', 'ı', 'K', 'Ω', '山', '田', 'ア', '😀', '\u00a0', ' ', '@'];

function randomUpns(n: number, random: () => number): (string | null)[] {
  const pick = <T>(a: readonly T[]) => a[Math.floor(random() * a.length)]!;
  const out: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    if (random() < 0.02) out.push(null);
    else if (random() < 0.5) out.push(`user${i}@contoso.com`);
    else out.push(`${pick(STARTS)}${pick(STARTS)}${pick(STARTS)}x${i}@contoso.com`);
  }
  return out;
}

/** Splits like the reader does (a partition's own matches as its sample), as deep as asked. */
function partitionsFor(upns: readonly (string | null)[], depth: number, sampleSize: number): Partition[] {
  const matches = (p: Partition) => {
    const f = partitionFilter(p).filter;
    const parsed = f === null ? null : parseUserFilter(f);
    return upns.filter((u) => parsed === null || evaluateUserFilter(parsed, completeGraphUser({ id: 'x', userPrincipalName: u })) === true);
  };
  let current: Partition[] = [ROOT_PARTITION];
  for (let d = 0; d < depth; d++) {
    const next: Partition[] = [];
    for (const p of current) {
      const split = splitPartition(p, matches(p).slice(0, sampleSize));
      if (split) next.push(...split.children, split.rest);
      else next.push(p);
    }
    current = next;
  }
  return current;
}

describe('directory read partitions (pure)', () => {
  it('filters: startswith per prefix, not(…) for what children took, eq null for the root\'s rest; advanced only when needed', () => {
    assert.deepEqual(partitionFilter(ROOT_PARTITION), { filter: null, advanced: false });
    assert.deepEqual(partitionFilter({ prefix: 'user1', exclude: [], nulls: false }), { filter: "startswith(userPrincipalName,'user1')", advanced: false });
    assert.deepEqual(partitionFilter({ prefix: "o'", exclude: ["o'b"], nulls: false }), {
      filter: "startswith(userPrincipalName,'o''') and not(startswith(userPrincipalName,'o''b'))",
      advanced: true,
    });
    assert.deepEqual(partitionFilter({ prefix: '', exclude: ['a', 'b'], nulls: true }), {
      filter: "(not(startswith(userPrincipalName,'a') or startswith(userPrincipalName,'b'))) or userPrincipalName eq null",
      advanced: true,
    });
    const link = partitionLink({ prefix: '', exclude: ['a'], nulls: true }, 'id', 999);
    assert.match(link, /^\/users\?\$select=id&\$top=999&\$filter=[^&]+&\$count=true$/);
  });

  it('a split takes the sample\'s common prefix plus each next character; the rest excludes them', () => {
    const split = splitPartition(ROOT_PARTITION, ['user1@x', 'user2@x', 'User10@x', null, 'user2b@x'])!;
    assert.deepEqual(split.children.map((c) => c.prefix).sort(), ['user1', 'user2']);
    assert.deepEqual(split.rest, { prefix: '', exclude: split.children.map((c) => c.prefix), nulls: true });
    assert.equal(splitPartition(ROOT_PARTITION, [null, null]), null, 'nothing to split on');
    assert.equal(splitPartition(ROOT_PARTITION, ['same@x', 'SAME@x']), null, 'one UPN cannot be split');
    assert.equal(splitPartition({ prefix: 'a', exclude: ['ab'], nulls: false }, ['ac@x', 'ad@x']), null, 'a rest is never split');
    const emoji = splitPartition(ROOT_PARTITION, ['😀a@x', '😁b@x'])!;
    assert.deepEqual(emoji.children.map((c) => c.prefix).sort(), ['😀', '😁'], 'a surrogate pair is never cut');
  });

  it('the partitions cover every UPN exactly once: Unicode, symbols, spaces, case, no UPN at all (1,000 UPNs, three levels, six seeds)', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const upns = randomUpns(1000, lcg(seed));
      const partitions = partitionsFor(upns, 3, 50 + seed * 20);
      assert.ok(partitions.length > 10, `seed ${seed}: split into ${partitions.length}`);
      const parsed = partitions.map((p) => {
        const f = partitionFilter(p).filter;
        return f === null ? null : parseUserFilter(f);
      });
      upns.forEach((upn, i) => {
        const user = completeGraphUser({ id: String(i), userPrincipalName: upn });
        const hits = parsed.filter((f) => f === null || evaluateUserFilter(f, user) === true).length;
        assert.equal(hits, 1, `seed ${seed}: ${JSON.stringify(upn)} is in ${hits} partitions`);
      });
    }
  });
  it('planPartitions covers every UPN exactly once, heaviest first, whatever the sample (six seeds, and a skewed one)', () => {
    const skewed = Array.from({ length: 1000 }, (_, i) => (i % 10 < 6 ? `s${'abcdefghij'[i % 7]}${i}@contoso.com` : `${'abcdefghijklmnopqrstuvwxyz'[i % 26]}${i}@contoso.com`));
    const samples = [...[1, 2, 3, 4, 5, 6].map((seed) => randomUpns(1000, lcg(seed))), skewed];
    samples.forEach((upns, n) => {
      const planned = planPartitions(upns.slice(0, 300), 8)!;
      assert.ok(planned.length > 1 && planned.length <= MAX_PLANNED_PARTITIONS, `sample ${n}: ${planned.length} partitions`);
      assert.deepEqual(planned.map((p) => p.weight), [...planned.map((p) => p.weight)].sort((a, b) => b - a), 'heaviest first');
      const parsed = planned.map(({ partition }) => parseUserFilter(partitionFilter(partition).filter!));
      upns.forEach((upn, i) => {
        const user = completeGraphUser({ id: String(i), userPrincipalName: upn });
        const hits = parsed.filter((f) => evaluateUserFilter(f, user) === true).length;
        assert.equal(hits, 1, `sample ${n}: ${JSON.stringify(upn)} is in ${hits} partitions`);
      });
    });
  });

  it('defect: one UPN prefix holding most users was one long nextLink chain; planPartitions splits any partition above its slot\'s share of the sample', () => {
    // 60% of the users start with "s" (second letters a–g), the rest with any letter.
    const sample = Array.from({ length: 999 }, (_, i) => (i % 10 < 6 ? `s${'abcdefg'[i % 7]}${i}@contoso.com` : `${'abcdefghijklmnopqrtuvwxyz'[i % 25]}${i}@contoso.com`));
    const planned = planPartitions(sample, 8)!;
    const limit = 999 / 8;
    for (const { partition, weight } of planned) {
      assert.equal(weight, sample.filter((u) => inPartition(partition, u)).length, 'the weight is the sampled users in it');
      assert.ok(weight <= limit, `${partition.prefix}/${partition.exclude.join(',')}: ${weight} of 999 sampled users in one chain`);
    }
    assert.ok(planned.some((p) => p.partition.prefix.startsWith('s') && p.partition.prefix.length === 2), 'the heavy prefix was split by its next letter');
  });

  it('planPartitions does not cut a balanced sample finer than it needs (each part within its slot\'s share)', () => {
    // The bench tenant: user0…user998 -> user0 … user9 (111 each) and the rest: no further split for 8 slots.
    const planned = planPartitions(Array.from({ length: 999 }, (_, i) => `user${i}@bench.example.com`), 8)!;
    assert.equal(planned.length, 11);
    assert.deepEqual(planned.slice(0, 9).map((p) => p.weight), [...Array(8).fill(111), 110]); // user9…: 9, 90–99, 900–998
    assert.equal(planPartitions([null, 'same@x', 'SAME@x'], 8), null, 'a sample that cannot split the root');
  });
});
