/**
 * `npm run bench:first-plan`: a company's first plan (Graph read + mirror write + planner + save)
 * beside the bare directory read of the same tenant, measured in the same run (issue 9 items 3, 6).
 *
 *   BENCH_SIZES=1000,10000,100000 BENCH_GRAPH_LATENCY_MS=0 [TEST_DATABASE_URL=postgres://…] npm run bench:first-plan
 *
 * The Graph emulator runs in a process of its own (bench/graph-emulator-process.ts, the tenant of
 * bench/tenants.ts); every measurement runs in a child process of its own, one after the other, and
 * reports the peak RSS of that whole process (`process.resourceUsage().maxRSS`, not a heap delta):
 *   read    the product's directory read alone (createGraphDirectoryReader().read(), 8 in flight): the limit;
 *   stages  the steps SyncService.createPlan takes, in its order, each timed: the service snapshot,
 *           the incremental reader's full round (the Graph read with the mirror staged as pages
 *           arrive; "mirror tail" is what the switch adds after the read's last page and after the
 *           planner, which runs while the database switches the round in), the pure planner, the
 *           plan's save;
 *   before  the same, with the mirror written as before issue 9 item 3: after the read, in one
 *           statement (DirectoryMirror.apply of a full round);
 *   plan    SyncService.createPlan as the CLI calls it, then the first import's apply: peak RSS of
 *           plan + apply on the whole product path (Graph read and mirror included).
 * PostgreSQL when BENCH_DATABASE_URL or TEST_DATABASE_URL is a postgres:// URL (a fresh schema per
 * child, dropped afterwards), else PGlite in memory; BENCH_ENGINES=pglite,postgres picks. The last
 * lines run the largest `plan` child again under --max-old-space-size (BENCH_OLD_SPACE_MB, default
 * 384 on PostgreSQL, 768 on PGlite): it must succeed, or the bench exits with status 1.
 */
import { openBenchStore, pgUrl } from './databases.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { formatMs, runChild } from './child.ts';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createGraphDirectoryReader, type ReadOptions } from '../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../src/directory/tokens.ts';
import { planImport } from '../src/domain/planner.ts';
import type { Plan } from '../src/domain/types.ts';
import { DirectoryMirror } from '../src/store/directory-mirror.ts';
import { incrementalReader } from '../src/sync/incremental-reader.ts';
import { SyncService } from '../src/sync/sync-service.ts';

const self = fileURLToPath(import.meta.url);
const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

type Graph = ReturnType<typeof createGraphDirectoryReader>;

/** The Graph reader, with the moment its read's last page was handled. */
function timedGraph(baseUrl: string): { graph: Graph; readDoneAt: () => number } {
  const graph = createGraphDirectoryReader({ graphBaseUrl: baseUrl, tokenProvider: staticTokenProvider('bench') });
  let doneAt = 0;
  return {
    graph: {
      ...graph,
      async read(o?: ReadOptions) {
        const s = await graph.read(o);
        doneAt = performance.now();
        return s;
      },
    },
    readDoneAt: () => doneAt,
  };
}

async function child(mode: string, engine: string, baseUrl: string): Promise<Record<string, number>> {
  if (mode === 'read') {
    const t = performance.now();
    const snap = await createGraphDirectoryReader({ graphBaseUrl: baseUrl, tokenProvider: staticTokenProvider('bench') }).read();
    return { readMs: performance.now() - t, users: snap.users.length, rssMb: rssMb() };
  }
  const { store, drop } = await openBenchStore(engine);
  try {
    const company = await store.createCompany({ name: 'Bench', plan: 'enterprise', maxUsers: 10_000_000 });
    await store.updateSettings(company.id, { initialPassword: 'Bench#Password1' });
    if (mode === 'plan') {
      const sync = new SyncService(store);
      const { graph } = timedGraph(baseUrl);
      let t = performance.now();
      const planId = (await sync.createPlan(company.id, graph, { requestedBy: 'bench', source: 'cli' })).id;
      const firstPlanMs = performance.now() - t;
      const planRssMb = rssMb();
      t = performance.now();
      const { run } = await sync.apply(company.id, planId, { confirmedBy: 'bench' });
      return { firstPlanMs, applyMs: performance.now() - t, created: run.counts.created, planRssMb, rssMb: rssMb() };
    }
    // 'stages' and 'before': SyncService.createPlan's steps, in its order, each timed.
    const { graph, readDoneAt } = timedGraph(baseUrl);
    const t0 = performance.now();
    const snapshot = await store.snapshot(company.id);
    const t1 = performance.now();
    let directory;
    let readEnd: number;
    const deferred: Promise<void>[] = [];
    if (mode === 'stages') {
      directory = await incrementalReader(store.db, company.id, graph).read({ defer: (w) => void deferred.push(w) });
      readEnd = readDoneAt();
    } else {
      // Before issue 9 item 3: the delta link, the whole read, then the whole mirror in one statement.
      const link = await graph.latestDeltaLink();
      directory = await graph.read();
      readEnd = readDoneAt();
      const mirror = new DirectoryMirror(store.db);
      await mirror.apply(company.id, null, { tenantId: directory.tenantId, users: directory.users, presentFields: new Map(), removedIds: [], deltaLink: link, full: true }, new Date());
    }
    const t2 = performance.now();
    const body = planImport(directory, snapshot);
    const t3a = performance.now();
    // As createPlan: the mirror switch ran in the database while the planner ran; what is left of it is waited for here.
    await Promise.all(deferred);
    const t3 = performance.now();
    const now = new Date();
    const plan: Plan = {
      ...body,
      kind: 'import',
      id: crypto.randomUUID(),
      companyId: company.id,
      status: 'pending',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 15 * 60_000).toISOString(),
      requestedBy: 'bench',
      source: 'cli',
    };
    await store.savePlan(plan);
    const t4 = performance.now();
    return {
      snapshotMs: t1 - t0,
      readMs: readEnd - t1,
      mirrorTailMs: t2 - readEnd + (t3 - t3a),
      plannerMs: t3a - t2,
      saveMs: t4 - t3,
      firstPlanMs: t4 - t0,
      users: directory.users.length,
      rssMb: rssMb(),
    };
  } finally {
    await store.close();
    await drop();
  }
}

async function startEmulator(users: number, latencyInMs: number): Promise<{ baseUrl: string; child: ChildProcess }> {
  const c = spawn(process.execPath, ['--no-deprecation', '--import', 'tsx', 'bench/graph-emulator-process.ts', String(users), String(latencyInMs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: c.stdout! }), 'line')) as [string];
  return { baseUrl: (JSON.parse(line) as { baseUrl: string }).baseUrl, child: c };
}


const s = formatMs;
const spawnChild = (mode: string, engine: string, baseUrl: string, nodeFlags: string[] = []) => runChild(self, [mode, engine, baseUrl], nodeFlags);

async function main(): Promise<void> {
  const [, , role, mode, engine, baseUrl] = process.argv;
  if (role === 'child') {
    console.log(JSON.stringify(await child(mode!, engine!, baseUrl!)));
    return;
  }
  const sizes = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
  const latency = Number(process.env.BENCH_GRAPH_LATENCY_MS ?? 0);
  const engines = (process.env.BENCH_ENGINES ?? (pgUrl({ withDatabaseUrl: false }) ? 'postgres' : 'pglite')).split(',');
  if (engines.includes('postgres') && !pgUrl({ withDatabaseUrl: false })) throw new Error('postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL');
  console.log(`node ${process.version}; sizes ${sizes.join(', ')}; engines ${engines.join(', ')}; Graph latency ${latency} ms per request`);
  console.log(
    '| engine | users | read alone | first plan (stages) | = snapshot + read with staged mirror + mirror tail + planner + save | first plan / read | before: mirror after the read | before / read | createPlan + apply: plan, apply | peak RSS: read / stages / createPlan / + apply |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  let failed = false;
  const largest: { engine: string; baseUrl: string; emu: ChildProcess }[] = [];
  for (const n of sizes) {
    const emu = await startEmulator(n, latency);
    try {
      for (const engine of engines) {
        const r = spawnChild('read', engine, emu.baseUrl);
        const st = spawnChild('stages', engine, emu.baseUrl);
        const b = spawnChild('before', engine, emu.baseUrl);
        const p = spawnChild('plan', engine, emu.baseUrl);
        const bad = [r, st, b, p].find((x) => 'error' in x) as { error: string } | undefined;
        if (bad) {
          failed = true;
          process.exitCode = 1; // a row that failed fails the bench (npm run bench reports it)
        console.log(`| ${engine} | ${n} | failed: ${bad.error} |`);
          continue;
        }
        const [R, S, B, P] = [r, st, b, p] as Record<string, number>[];
        console.log(
          `| ${engine} | ${n.toLocaleString('en')} | ${s(R!.readMs)} | ${s(S!.firstPlanMs)} | ${s(S!.snapshotMs)} + ${s(S!.readMs)} + ${s(S!.mirrorTailMs)} + ${s(S!.plannerMs)} + ${s(S!.saveMs)} | ${(S!.firstPlanMs! / R!.readMs!).toFixed(2)}x | ${s(B!.firstPlanMs)} (read ${s(B!.readMs)}, mirror ${s(B!.mirrorTailMs)}) | ${(B!.firstPlanMs! / R!.readMs!).toFixed(2)}x | ${s(P!.firstPlanMs)}, ${s(P!.applyMs)} (${P!.created} users) | ${R!.rssMb} / ${S!.rssMb} / ${P!.planRssMb} / ${P!.rssMb} MB |`,
        );
      }
    } finally {
      if (n === Math.max(...sizes)) for (const engine of engines) largest.push({ engine, baseUrl: emu.baseUrl, emu: emu.child });
      else {
        emu.child.stdin!.end();
        await once(emu.child, 'exit');
      }
    }
  }
  for (const { engine, baseUrl } of largest) {
    const mb = Number(process.env.BENCH_OLD_SPACE_MB ?? (engine === 'postgres' ? 384 : 768));
    const m = spawnChild('plan', engine, baseUrl, [`--max-old-space-size=${mb}`]);
    if ('error' in m) failed = true;
    console.log(
      'error' in m
        ? `--max-old-space-size=${mb}, ${Math.max(...sizes)} users on ${engine}, createPlan + apply: FAILED (${m.error})`
        : `--max-old-space-size=${mb}, ${Math.max(...sizes)} users on ${engine}, createPlan + apply: plan ${s(m.firstPlanMs)}, apply ${s(m.applyMs)} (${m.created} users), peak RSS ${m.planRssMb} MB after the plan, ${m.rssMb} MB after the apply`,
    );
  }
  const emu = largest[0]?.emu;
  if (emu) {
    emu.stdin!.end();
    await once(emu, 'exit');
  }
  if (failed) process.exitCode = 1;
}

await main();
