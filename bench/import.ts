/**
 * `npm run bench:import`: the store's half of the import, each figure beside its limit measured in
 * the same run (issue 9 items 1, 4, 5, 6). For every tenant size and engine two child processes run
 * one after the other on the same machine:
 *   apply  plan (snapshot + planner + save) and apply of a first import, then a re-sync of 1% (renames),
 *          through SyncService exactly as the CLI does it; peak RSS of the whole process;
 *   bare   a bare multi-row insert (unnest) of exactly the rows that apply writes (run, departments,
 *          users, memberships, change log with the same documents) into the same tables and constraints,
 *          in one transaction; the rows are prepared before the clock starts.
 * The directory is an in-memory snapshot (the Graph read is benchmarked in bench/run.ts).
 *   resync item 5: the same tenant read through an in-memory delta reader (as Graph delta, so the
 *          directory mirror is kept): first import, one re-plan with no change (its baseline is the
 *          applied first import, which touched every user: planned in full), then 1% renames planned
 *          and applied; the path SyncService took (incremental or full) and the closure size.
 *
 * BENCH_SIZES=1000,10000,100000 (default); PostgreSQL when BENCH_DATABASE_URL, TEST_DATABASE_URL or
 * DATABASE_URL is a postgres:// URL (each child gets its own schema, dropped afterwards); PGlite always
 * (in memory) unless BENCH_ENGINES=postgres. The last line is a run of the largest PostgreSQL apply
 * with --max-old-space-size=384; when it fails (out of memory) the bench exits with status 1.
 * BENCH_RESYNC_ONLY=1 runs the item 5 re-sync table only.
 */
import { openBenchStore, pgUrl } from './databases.ts';
import { formatMs, runChild } from './child.ts';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { foldKey, foldKeyOrNull } from '../src/domain/fold.ts';
import { planImport } from '../src/domain/planner.ts';
import type { DirectorySnapshot, DirectoryUser } from '../src/domain/types.ts';
import { ENTRA_CONTAINER_DEPARTMENT } from '../src/domain/types.ts';
import type { DirectoryDelta, DirectoryReader } from '../src/directory/graph-reader.ts';
import { SafetyStore } from '../src/store/safety-store.ts';
import { SyncService } from '../src/sync/sync-service.ts';
import { directoryUsers } from './tenants.ts';

const TENANT = 'bench-import-tenant';


const fixed = (users: DirectoryUser[]): DirectoryReader => ({
  read: async (): Promise<DirectorySnapshot> => ({ tenantId: TENANT, users }),
});

const rssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

async function newCompany(store: SafetyStore) {
  const company = await store.createCompany({ name: 'Bench', plan: 'enterprise', maxUsers: 10_000_000 });
  await store.updateSettings(company.id, { initialPassword: 'Bench#Password1' });
  return company;
}

/** Child: plan + apply of a first import, then plan + apply of a 1% re-sync. */
async function childApply(engine: string, n: number): Promise<Record<string, number>> {
  const { store, drop } = await openBenchStore(engine);
  try {
    const company = await newCompany(store);
    const sync = new SyncService(store);
    let t = performance.now();
    // Only the id is kept, as between `safety-sync plan` and `apply`: the apply reads the stored plan.
    const planId = (await sync.createPlan(company.id, fixed(directoryUsers(n)), { requestedBy: 'bench', source: 'cli' })).id;
    const planMs = performance.now() - t;
    t = performance.now();
    const { run } = await sync.apply(company.id, planId, { confirmedBy: 'bench' });
    const applyMs = performance.now() - t;
    t = performance.now();
    const plan2Id = (await sync.createPlan(company.id, fixed(directoryUsers(n, true)), { requestedBy: 'bench', source: 'cli' })).id;
    const resyncPlanMs = performance.now() - t;
    t = performance.now();
    const { run: run2 } = await sync.apply(company.id, plan2Id, { confirmedBy: 'bench' });
    const resyncApplyMs = performance.now() - t;
    return { planMs, applyMs, created: run.counts.created, resyncPlanMs, resyncApplyMs, updated: run2.counts.updated, rssMb: rssMb() };
  } finally {
    await store.close();
    await drop();
  }
}

/**
 * An in-memory Graph with delta: `latestDeltaLink` names the current round; `readDelta` answers the
 * users changed since the round its link names, with every field present (as Graph does for a
 * changed user when $select names them).
 */
function deltaGraph(initial: DirectoryUser[]) {
  let users = new Map(initial.map((u) => [u.id, u]));
  const rounds: DirectoryUser[][] = [];
  const link = () => `bench://delta/${rounds.length}`;
  const reader: DirectoryReader & Required<Pick<DirectoryReader, 'readDelta' | 'latestDeltaLink'>> = {
    read: async () => ({ tenantId: TENANT, users: [...users.values()] }),
    latestDeltaLink: async () => link(),
    readDelta: async (from): Promise<DirectoryDelta> => {
      const since = from === null ? -1 : Number(from.split('/').pop());
      const changed = new Map<string, DirectoryUser>();
      for (const r of rounds.slice(since)) for (const u of r) changed.set(u.id, u);
      const list = since < 0 ? [...users.values()] : [...changed.values()];
      const all = Object.keys(list[0] ?? {}) as (keyof DirectoryUser)[];
      return { tenantId: TENANT, users: list, presentFields: new Map(list.map((u) => [u.id, all])), removedIds: [], deltaLink: link(), full: since < 0 };
    },
  };
  return {
    reader,
    change(next: DirectoryUser[]) {
      const changed = next.filter((u) => JSON.stringify(u) !== JSON.stringify(users.get(u.id)));
      users = new Map(next.map((u) => [u.id, u]));
      rounds.push(changed);
      return changed.length;
    },
  };
}

/** Child (item 5): first import through delta reads, a re-plan with no change, then 1% renames planned and applied. */
async function childResync(engine: string, n: number): Promise<Record<string, number | string>> {
  const { store, drop } = await openBenchStore(engine);
  try {
    const company = await newCompany(store);
    const made: Record<string, unknown>[] = [];
    const sync = new SyncService(store, { log: (event, fields) => event === 'plan.created' && made.push(fields) });
    const graph = deltaGraph(directoryUsers(n));
    const first = await sync.createPlan(company.id, graph.reader, { requestedBy: 'bench', source: 'cli' });
    await sync.apply(company.id, first.id, { confirmedBy: 'bench' });
    let t = performance.now();
    await sync.createPlan(company.id, graph.reader, { requestedBy: 'bench', source: 'cli' });
    const quietPlanMs = performance.now() - t;
    const quietPath = String(made.at(-1)!['planning']);
    const renamed = graph.change(directoryUsers(n, true));
    t = performance.now();
    const plan = await sync.createPlan(company.id, graph.reader, { requestedBy: 'bench', source: 'cli' });
    const planMs = performance.now() - t;
    const path = String(made.at(-1)!['planning']);
    const closure = Number(made.at(-1)!['closureSize'] ?? 0);
    // The limit beside it: the full planner over the same state (a full read of the same users).
    t = performance.now();
    await new SyncService(store, { directoryRead: 'full' }).createPlan(company.id, fixed(directoryUsers(n, true)), { requestedBy: 'bench', source: 'cli' });
    const fullSameMs = performance.now() - t;
    t = performance.now();
    const { run } = await sync.apply(company.id, plan.id, { confirmedBy: 'bench' });
    const applyMs = performance.now() - t;
    return { quietPlanMs, quietPath, renamed, planMs, path, closure, fullSameMs, applyMs, updated: run.counts.updated, rssMb: rssMb() };
  } finally {
    await store.close();
    await drop();
  }
}

/** Child: the same rows as the first import's apply, written by bare multi-row inserts. */
async function childBare(engine: string, n: number): Promise<Record<string, number>> {
  const { store, drop } = await openBenchStore(engine);
  try {
    const company = await newCompany(store);
    const snapshot = await store.snapshot(company.id);
    const { changes } = planImport({ tenantId: TENANT, users: directoryUsers(n) }, snapshot);
    const [c] = await store.db.query<{ root_department_id: string; initial_password_hash: string }>(
      'select root_department_id, initial_password_hash from companies where id = $1',
      [company.id],
    );
    // Prepared before the clock: ids, departments, rows and the history documents.
    const container = { id: randomUUID(), code: ENTRA_CONTAINER_DEPARTMENT, name: ENTRA_CONTAINER_DEPARTMENT, parent: c!.root_department_id, level: 1 };
    const deps = [container, ...changes.createDepartments.filter((d) => d.level === 2).map((d) => ({ id: randomUUID(), code: d.code, name: d.name, parent: container.id, level: 2 }))];
    const depByCode = new Map(deps.map((d) => [d.code, d.id]));
    const users = changes.createUsers.map((u) => ({ ...u, id: randomUUID(), depId: u.departmentCode === null ? null : depByCode.get(u.departmentCode)! }));
    const docs = users.map((u) =>
      JSON.stringify({
        loginName: u.loginName, name: u.name, yomi: '', email: u.email, phone: u.phone, memo: '', sortOrder: null,
        entraObjectId: u.entraObjectId, status: 'active', roles: [],
        departments: u.depId === null ? [] : [{ id: u.depId, code: u.departmentCode, source: 'entra' }],
      }),
    );
    const depDocs = deps.map((d) => JSON.stringify({ code: d.code, name: d.name, parentId: d.parent, level: d.level, source: 'entra' }));
    const withDep = users.filter((u) => u.depId !== null);
    const t = performance.now();
    await store.db.transaction(async (tx) => {
      const runId = randomUUID();
      await tx.query(
        `insert into runs (id, company_id, kind, status, started_at, finished_at, counts, confirmed_by)
         values ($1, $2, 'import', 'succeeded', now(), now(), '{}'::jsonb, 'bench')`,
        [runId, company.id],
      );
      await tx.query(
        `insert into departments (id, company_id, code, name, parent_id, level, source)
         select v.id, $1, v.code, v.name, v.parent, v.level, 'entra' from unnest($2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::int[]) as v(id, code, name, parent, level)`,
        [company.id, deps.map((d) => d.id), deps.map((d) => d.code), deps.map((d) => d.name), deps.map((d) => d.parent), deps.map((d) => d.level)],
      );
      await tx.query(
        `insert into users (id, company_id, login_name, login_key, password_hash, must_change_password, name, email, email_key, phone, entra_object_id)
         select v.id, $1, v.login, v.lk, $2, true, v.name, v.email, v.ek, v.phone, v.oid
           from unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) as v(id, login, lk, name, email, ek, phone, oid)`,
        [
          company.id, c!.initial_password_hash, users.map((u) => u.id), users.map((u) => u.loginName), users.map((u) => foldKey(u.loginName)),
          users.map((u) => u.name), users.map((u) => u.email), users.map((u) => foldKeyOrNull(u.email)), users.map((u) => u.phone), users.map((u) => u.entraObjectId),
        ],
      );
      await tx.query(
        `insert into memberships (user_id, department_id, company_id, source) select v.u, v.d, $1, 'entra' from unnest($2::uuid[], $3::uuid[]) as v(u, d)`,
        [company.id, withDep.map((u) => u.id), withDep.map((u) => u.depId)],
      );
      await tx.query(
        `insert into change_log (company_id, run_id, origin, entity, entity_id, action, after, actor)
         select $1, $2, 'import', v.e, v.id, 'create', v.a::jsonb, 'bench' from unnest($3::text[], $4::uuid[], $5::text[]) as v(e, id, a)`,
        [
          company.id, runId,
          [...deps.map(() => 'department'), ...users.map(() => 'user')],
          [...deps.map((d) => d.id), ...users.map((u) => u.id)],
          [...depDocs, ...docs],
        ],
      );
    });
    return { bareMs: performance.now() - t, rows: users.length, rssMb: rssMb() };
  } finally {
    await store.close();
    await drop();
  }
}

const self = fileURLToPath(import.meta.url);


const s = formatMs;
const spawnChild = (mode: string, engine: string, n: number, nodeFlags: string[] = []) => runChild(self, [mode, engine, String(n)], nodeFlags);

async function main(): Promise<void> {
  const [, , role, mode, engine, size] = process.argv;
  if (role === 'child') {
    const result =
      mode === 'apply' ? await childApply(engine!, Number(size)) : mode === 'resync' ? await childResync(engine!, Number(size)) : await childBare(engine!, Number(size));
    console.log(JSON.stringify(result));
    return;
  }
  const sizes = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
  const engines = [
    ...(process.env.BENCH_ENGINES === 'postgres' ? [] : ['pglite']),
    ...(pgUrl() ? ['postgres'] : []),
  ];
  console.log(`node ${process.version}; sizes ${sizes.join(', ')}; engines ${engines.join(', ')}`);
  console.log('| engine | users | first plan | first apply | bare insert, same rows | apply / bare | re-sync 1%: plan | re-sync 1%: apply | peak RSS apply process | peak RSS bare process |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const n of process.env.BENCH_RESYNC_ONLY ? [] : sizes) {
    for (const engine of engines) {
      const a = spawnChild('apply', engine, n);
      const b = spawnChild('bare', engine, n);
      if ('error' in a || 'error' in b) {
        process.exitCode = 1; // a row that failed fails the bench (npm run bench reports it)
        console.log(`| ${engine} | ${n} | failed: ${'error' in a ? a.error : ''} ${'error' in b ? b.error : ''} |`);
        continue;
      }
      console.log(
        `| ${engine} | ${n.toLocaleString('en')} | ${s(a.planMs)} | ${s(a.applyMs)} (${a.created} users) | ${s(b.bareMs)} | ${(a.applyMs! / b.bareMs!).toFixed(1)}x | ${s(a.resyncPlanMs)} | ${s(a.resyncApplyMs)} (${a.updated} updates) | ${a.rssMb} MB | ${b.rssMb} MB |`,
      );
    }
  }
  // Item 5: re-sync through delta reads (the mirror), plan and apply, with the path SyncService took.
  console.log('');
  console.log('| engine | users | delta re-plan, no change (after the first import) | 1% renames: changes read | plan | path (closure) | full plan, same state | plan / full | apply | plan + apply | goal |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const n of sizes) {
    for (const engine of engines) {
      const r = spawnChild('resync', engine, n);
      if ('error' in r) {
        process.exitCode = 1; // a row that failed fails the bench (npm run bench reports it)
        console.log(`| ${engine} | ${n} | failed: ${r.error} |`);
        continue;
      }
      const total = Number(r.planMs) + Number(r.applyMs);
      console.log(
        `| ${engine} | ${n.toLocaleString('en')} | ${s(Number(r.quietPlanMs))} (${r.quietPath}) | ${r.renamed} | ${s(Number(r.planMs))} | ${r.path} (${r.closure} users) | ${s(Number(r.fullSameMs))} | ${(Number(r.planMs) / Number(r.fullSameMs)).toFixed(2)}x | ${s(Number(r.applyMs))} (${r.updated} updates) | ${s(total)} | ${total < 1000 ? 'met' : 'missed'} (< 1 s) |`,
      );
    }
  }
  if (process.env.BENCH_RESYNC_ONLY) return;
  const big = Math.max(...sizes);
  const memEngine = engines.includes('postgres') ? 'postgres' : 'pglite';
  const m = spawnChild('apply', memEngine, big, ['--max-old-space-size=384']);
  // The memory goal is a limit, not a figure: a run that does not fit fails the bench.
  if ('error' in m) process.exitCode = 1;
  console.log(
    'error' in m
      ? `--max-old-space-size=384, ${big} users on ${memEngine}: FAILED (${m.error})`
      : `--max-old-space-size=384, ${big} users on ${memEngine}: plan ${s(m.planMs)}, apply ${s(m.applyMs)}, re-sync ${s(m.resyncPlanMs)} + ${s(m.resyncApplyMs)}, peak RSS ${m.rssMb} MB`,
  );
}

await main();
