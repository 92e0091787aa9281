/**
 * `npm run bench:pipeline`: the read -> plan -> apply pipeline in one process (the older, quicker bench;
 * `npm run bench` runs every issue 9 benchmark, see bench/all.ts).
 * Prints one line per measurement; docs/benchmarks.md records the results.
 * BENCH_USERS sets the tenant size (default 20000); BENCH_ONLY=name runs one benchmark;
 * BENCH_GRAPH_LATENCY_MS adds a round trip to every Graph request; DIRECTORY_READ=full|delta.
 */
import { performance } from 'node:perf_hooks';
import { createContext } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startGraphEmulator } from '../src/devtools/graph-emulator.ts';
import { createGraphDirectoryReader } from '../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../src/directory/tokens.ts';
import { planImport } from '../src/domain/planner.ts';
import { silentLogger } from '../src/log.ts';
import { graphUsers } from './tenants.ts';

const N = Number(process.env.BENCH_USERS ?? 20_000);
const only = process.env.BENCH_ONLY;
/** Added to every Graph request, as a real tenant's round trip would be. */
const LATENCY = Number(process.env.BENCH_GRAPH_LATENCY_MS ?? 0);
const MODE = process.env.DIRECTORY_READ === 'full' ? 'full' : 'delta';
const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
/** Peak RSS of this whole process so far (not a heap delta): what the machine had to give it. */
const peakRss = () => `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;

type Bench = { name: string; run: () => Promise<string> };

const benches: Bench[] = [
  {
    name: 'directory-read',
    async run() {
      const emu = await startGraphEmulator({ tenant: { tenantId: 'bench', displayName: 'bench', users: graphUsers(N), directoryRoles: {} } });
      try {
        const reader = createGraphDirectoryReader({ graphBaseUrl: emu.baseUrl, tokenProvider: staticTokenProvider('bench') });
        const t0 = performance.now();
        const snap = await reader.read();
        const ms = performance.now() - t0;
        return `${snap.users.length} users over loopback in ${ms.toFixed(0)} ms (${Math.round(snap.users.length / (ms / 1000))} users/s, $top=999)`;
      } finally {
        await emu.close();
      }
    },
  },
  {
    name: 'plan-and-import',
    async run() {
      const emu = await startGraphEmulator({
        tenant: { tenantId: 'bench', displayName: 'bench', users: graphUsers(N), directoryRoles: {} },
        latencyMs: LATENCY,
      });
      const url = process.env.BENCH_DATABASE_URL ?? 'memory:';
      const ctx = await createContext(
        loadConfig({ DATABASE_URL: url, GRAPH_BASE_URL: emu.baseUrl, GRAPH_ACCESS_TOKEN: 'bench', PORT: '0', DIRECTORY_READ: MODE }),
        silentLogger,
      );
      try {
        const company = await ctx.store.createCompany({ name: `Bench ${Date.now()}`, plan: 'enterprise', maxUsers: 10_000_000 });
        await ctx.store.updateSettings(company.id, { initialPassword: 'Bench#Password1' });
        const reader = await ctx.directoryFor(company.id);
        let t0 = performance.now();
        const plan = await ctx.sync.createPlan(company.id, reader, { requestedBy: 'bench', source: 'cli' });
        const planMs = performance.now() - t0;
        const rssAfterPlan = peakRss();
        t0 = performance.now();
        const { run } = await ctx.sync.apply(company.id, plan.id, { confirmedBy: 'bench', confirmDeletions: true });
        const applyMs = performance.now() - t0;
        // A second import with 10% of the names changed: the everyday case.
        for (let i = 0; i < N; i += 10) emu.updateUser(`10000000-0000-4000-8000-${String(i).padStart(12, '0')}`, { displayName: `Renamed ${i}` });
        t0 = performance.now();
        const plan2 = await ctx.sync.createPlan(company.id, reader, { requestedBy: 'bench', source: 'cli' });
        const plan2Ms = performance.now() - t0;
        t0 = performance.now();
        const { run: run2 } = await ctx.sync.apply(company.id, plan2.id, { confirmedBy: 'bench' });
        const apply2Ms = performance.now() - t0;
        return [
          `directory read ${MODE}, Graph latency ${LATENCY} ms/request; first import on ${ctx.store.db.kind}: plan (read + mirror + snapshot + planner + save) ${planMs.toFixed(0)} ms, peak RSS of the process ${rssAfterPlan} (emulator in the same process); apply ${applyMs.toFixed(0)} ms for ${run.counts.created} users and ${run.counts.departmentsCreated} departments`,
          `second import: plan ${plan2Ms.toFixed(0)} ms, apply ${apply2Ms.toFixed(0)} ms for ${run2.counts.updated} updates; peak RSS of the process ${peakRss()}`,
        ].join('\n  ');
      } finally {
        await ctx.store.close();
        await emu.close();
      }
    },
  },
  {
    name: 'planner-100k',
    async run() {
      const { bigPlannerInput } = await import('./planner-input.ts');
      const { directory, service } = bigPlannerInput(100_000);
      const heap0 = process.memoryUsage().heapUsed;
      const t0 = performance.now();
      const plan = planImport(directory, service);
      const ms = performance.now() - t0;
      return `planner, 100,000 Entra x 100,000 service users: ${ms.toFixed(0)} ms, heap +${mib(process.memoryUsage().heapUsed - heap0)}, peak RSS of the process ${peakRss()} (${plan.summary.usersToUpdate} updates, ${plan.summary.usersToCreate} creates, ${plan.summary.usersToDelete} deletes)`;
    },
  },
];

console.log(`node ${process.version}, BENCH_USERS=${N}`);
for (const b of benches) {
  if (only && b.name !== only) continue;
  const result = await b.run();
  console.log(`${b.name}: ${result}`);
}
