/**
 * `npm run bench`: every benchmark of issue 9, one after the other, each in processes of its own and
 * each figure printed beside its limit measured in the same run (the sub-benchmarks' headers say how).
 * Not part of `npm test`: nothing here is asserted, only measured; docs/benchmarks.md records the
 * results with the commands that produced them.
 *
 *   npm run bench                                   # 1k, 10k and 100k users; PGlite, and PostgreSQL when
 *                                                   # TEST_DATABASE_URL / BENCH_DATABASE_URL names a server
 *   BENCH_SIZES=1000,10000 npm run bench            # smaller tenants only (a few minutes)
 *   BENCH_ONLY=read,resync npm run bench            # some stages only
 *
 * Stages (issue 9 table row -> script):
 *   read        directory read at 0 ms and 300 ms Graph latency vs bare fetch+parse      bench/directory-read.ts
 *   first-plan  first plan (read + mirror + plan + save) vs the read; peak RSS; old-space run  bench/first-plan.ts
 *   import      first-import apply vs a bare insert of the same rows; peak RSS               bench/import.ts
 *   resync      re-sync of 1% through delta reads: incremental plan + apply vs the full plan   bench/import.ts (BENCH_RESYNC_ONLY)
 *   scim        SCIM for Entra's mix vs a bare node:http server doing the same SQL            bench/scim.ts
 *   startup     --help and server ready vs a bare node start                                  bench/startup.ts
 * A stage that fails is reported and the others still run; the exit status is 1 if any failed.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { pgUrl } from './databases.ts';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const LARGEST = Math.max(...SIZES);
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());

interface Stage {
  name: string;
  what: string;
  script: string;
  args?: string[];
  env?: Record<string, string>;
}

const stages: Stage[] = [
  {
    name: 'read',
    what: `directory read of ${LARGEST} users at 0 and 300 ms per Graph request, beside bare fetch + JSON.parse of the same pages`,
    script: 'bench/directory-read.ts',
    args: [String(LARGEST), '3', '0,300'],
  },
  {
    name: 'first-plan',
    what: 'first plan (read + mirror + plan + save) beside the read alone; peak RSS; a --max-old-space-size run',
    script: 'bench/first-plan.ts',
    env: { BENCH_SIZES: SIZES.join(',') },
  },
  {
    name: 'import',
    what: 'first-import apply beside a bare insert of the same rows; peak RSS; a --max-old-space-size run',
    script: 'bench/import.ts',
    env: { BENCH_SIZES: SIZES.join(',') },
  },
  {
    name: 'resync',
    what: 're-sync of 1% through a delta round: incremental plan + apply beside the full planner of the same state',
    script: 'bench/import.ts',
    env: { BENCH_SIZES: SIZES.join(','), BENCH_RESYNC_ONLY: '1' },
  },
  {
    name: 'scim',
    what: "SCIM throughput for Entra's incremental mix beside a bare node:http server doing the same SQL",
    script: 'bench/scim.ts',
  },
  {
    name: 'startup',
    what: '`safety-sync --help` and `serve` until /readyz, compiled, beside a bare node start',
    script: 'bench/startup.ts',
    // On the PostgreSQL server when there is one: an in-memory PGlite adds its initdb (2–3 s) to every start.
    env: pgUrl() ? { DATABASE_URL: pgUrl()! } : {},
  },
];

const results: { name: string; status: string; seconds: number }[] = [];
console.log(`npm run bench: node ${process.version}; sizes ${SIZES.join(', ')}; load average ${loadAverage()}`);
for (const stage of stages) {
  if (ONLY && !ONLY.includes(stage.name)) continue;
  console.log(`\n## ${stage.name}: ${stage.what}\n`);
  const t0 = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['--no-deprecation', '--import', 'tsx', stage.script, ...(stage.args ?? [])], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...stage.env },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const status = run.error ? `failed: ${run.error.message}` : run.status === 0 ? 'ok' : `failed: exit ${run.status ?? run.signal}`;
  results.push({ name: stage.name, status, seconds });
}

console.log(`\n## summary (load average ${loadAverage()})\n`);
console.log('| stage | status | wall time |');
console.log('| --- | --- | --- |');
for (const r of results) console.log(`| ${r.name} | ${r.status} | ${r.seconds.toFixed(0)} s |`);
if (results.some((r) => r.status !== 'ok')) process.exitCode = 1;

/** The same figures `uptime` prints: the benchmarks' figures are read beside the machine's load. */
function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}
