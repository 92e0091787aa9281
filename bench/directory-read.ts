/**
 * The directory read beside its limit (issue 9, items 2 and 3). A measurement, not a test.
 *
 *   node --no-deprecation --import tsx bench/directory-read.ts [users=100000] [runs=3] [latencies=0,300]
 *
 * Two Graph emulators in their own processes hold the same tenant (bench/tenants.ts), one answering
 * at once and one 300 ms late on every request. For each, the median of `runs` runs (one run at
 * 300 ms) of:
 *   - reader, sequential:   createGraphDirectoryReader({concurrency: 1}).read()
 *   - reader, partitioned:  the default (8 requests in flight, partitions split by UPN prefix)
 *   - bare, sequential:     fetch + JSON.parse of the same /users pages, following nextLink
 *   - bare, 8 at a time:    fetch + JSON.parse of the same pages (their links collected beforehand)
 * and the ratio of each reader figure to the bare figure of the same shape. Then, at 0 ms, the read
 * followed by the pure planner against an empty company (the in-memory part of a first plan; the
 * mirror write and the plan's save belong to the store and are measured by bench/run.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { createGraphDirectoryReader, USER_SELECT } from '../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../src/directory/tokens.ts';
import { planImport } from '../src/domain/planner.ts';
import type { CompanySnapshot } from '../src/domain/types.ts';

const USERS = Number(process.argv[2] ?? 100_000);
const RUNS = Number(process.argv[3] ?? 3);
const LATENCIES = (process.argv[4] ?? '0,300').split(',').map(Number);
const headers = { authorization: 'Bearer bench' };

async function startEmulator(latencyInMs: number): Promise<{ baseUrl: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--no-deprecation', '--import', 'tsx', 'bench/graph-emulator-process.ts', String(USERS), String(latencyInMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { baseUrl: (JSON.parse(line) as { baseUrl: string }).baseUrl, child };
}

async function getPage(url: string): Promise<{ value: unknown[]; '@odata.nextLink'?: string }> {
  const res = await fetch(url, { headers });
  return JSON.parse(await res.text()) as { value: unknown[]; '@odata.nextLink'?: string };
}

/** The page links of a full sequential read (collected without timing). */
async function pageLinks(baseUrl: string): Promise<string[]> {
  const links: string[] = [];
  let link: string | undefined = `${baseUrl}/users?$select=${USER_SELECT}&$top=999`;
  while (link) {
    links.push(link);
    link = (await getPage(link))['@odata.nextLink'];
  }
  return links;
}

async function bareSequential(baseUrl: string): Promise<number> {
  let n = 0;
  let link: string | undefined = `${baseUrl}/users?$select=${USER_SELECT}&$top=999`;
  while (link) {
    const page = await getPage(link);
    n += page.value.length;
    link = page['@odata.nextLink'];
  }
  return n;
}

async function bareParallel(links: string[], width: number): Promise<number> {
  let next = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < links.length) {
        const page = await getPage(links[next++]!);
        n += page.value.length;
      }
    }),
  );
  return n;
}

async function timed(fn: () => Promise<number>): Promise<{ ms: number; users: number }> {
  const t0 = performance.now();
  const users = await fn();
  return { ms: performance.now() - t0, users };
}

async function median(runs: number, fn: () => Promise<number>): Promise<{ ms: number; users: number }> {
  const results: { ms: number; users: number }[] = [];
  for (let i = 0; i < runs; i++) results.push(await timed(fn));
  results.sort((a, b) => a.ms - b.ms);
  return results[Math.floor(results.length / 2)]!;
}

const fast = await startEmulator(0);
const slow = await startEmulator(300);
try {
  // Skip tokens of GET /users hold the last object id: the same links serve both emulators.
  const links = await pageLinks(fast.baseUrl);
  console.log(`node ${process.version}, ${USERS} users, ${links.length} pages of 999, median of ${RUNS} runs at 0 ms (1 run at 300 ms)`);
  console.log('| Graph latency | reader, sequential | reader, partitioned (8 in flight) | bare fetch+JSON.parse, sequential | bare, 8 at a time | reader seq / bare seq | reader partitioned / bare 8 |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [latency, emu, runs] of [
    [0, fast, RUNS],
    [300, slow, 1],
  ] as const) {
    if (!LATENCIES.includes(latency)) continue;
    const reader = (concurrency: number) =>
      createGraphDirectoryReader({ graphBaseUrl: emu.baseUrl, tokenProvider: staticTokenProvider('bench'), concurrency });
    const seq = await median(runs, async () => (await reader(1).read()).users.length);
    const par = await median(runs, async () => (await reader(8).read()).users.length);
    const bare = await median(runs, () => bareSequential(emu.baseUrl));
    const bare8 = await median(runs, () => bareParallel(links.map((l) => l.replace(fast.baseUrl, emu.baseUrl)), 8));
    for (const r of [seq, par, bare, bare8]) if (r.users !== USERS) throw new Error(`read ${r.users} users, expected ${USERS}`);
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(
      `| ${latency} ms | ${s(seq.ms)} | ${s(par.ms)} | ${s(bare.ms)} | ${s(bare8.ms)} | ${(seq.ms / bare.ms).toFixed(2)}x | ${(par.ms / bare8.ms).toFixed(2)}x |`,
    );
  }
  if (LATENCIES.includes(0)) {
    const service: CompanySnapshot = {
      company: { id: 'c', name: 'Bench', plan: 'enterprise', maxUsers: 10 * USERS, entraTenantId: 'bench', rootDepartmentId: 'root' },
      settings: { initialPasswordSet: true, deletionThreshold: USERS, schedule: null },
      departments: [{ id: 'root', code: 'ROOT', name: 'Bench', parentId: null, level: 0, source: 'manual' }],
      users: [],
      dataVersion: 1,
    };
    let readMs = 0;
    let planMs = 0;
    const reads: { read: number; plan: number }[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const snapshot = await createGraphDirectoryReader({ graphBaseUrl: fast.baseUrl, tokenProvider: staticTokenProvider('bench'), concurrency: 1 }).read();
      const t1 = performance.now();
      const plan = planImport(snapshot, service);
      if (plan.summary.usersToCreate === 0) throw new Error('nothing planned');
      reads.push({ read: t1 - t0, plan: performance.now() - t1 });
    }
    reads.sort((a, b) => a.read + a.plan - (b.read + b.plan));
    ({ read: readMs, plan: planMs } = reads[Math.floor(reads.length / 2)]!);
    console.log(
      `\nread (sequential, 0 ms) + pure planner, empty company: read ${(readMs / 1000).toFixed(2)} s + plan ${(planMs / 1000).toFixed(2)} s = ${((readMs + planMs) / readMs).toFixed(2)}x the read`,
    );
  }
} finally {
  for (const e of [fast, slow]) {
    e.child.stdin!.end();
    await once(e.child, 'exit');
  }
}
