/**
 * Experiment for issue 9 item 6 (not product code): plan + apply of a first import on an in-memory
 * PGlite opened from a ready data-directory tarball (`loadDataDir`, so no initdb instance), to measure
 * what skipping initdb would save at the peak. Run:
 *   node --import tsx bench/pglite-template.ts dump            # writes /tmp/safety-sync-pglite-template.tar
 *   node --import tsx bench/pglite-template.ts run 100000 [template|initdb]
 * Prints peak RSS and the apply time; the tenant is bench/import.ts's (bench/tenants.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import { PGLITE_SETTINGS, type Db, type Sql } from '../src/store/database.ts';
import { SafetyStore } from '../src/store/safety-store.ts';
import { SyncService } from '../src/sync/sync-service.ts';
import { directoryUsers } from './tenants.ts';

const FILE = '/tmp/safety-sync-pglite-template.tar';
const [, , mode, size, how] = process.argv;
const postgresqlconf = [...PGLITE_SETTINGS];
if (mode === 'dump') {
  const lite = new PGlite({ postgresqlconf });
  await lite.waitReady;
  writeFileSync(FILE, Buffer.from(await (await lite.dumpDataDir('none')).arrayBuffer()));
  await lite.close();
} else {
  const lite = how === 'initdb' ? new PGlite({ postgresqlconf }) : new PGlite({ postgresqlconf, loadDataDir: new Blob([readFileSync(FILE)]) });
  await lite.waitReady;
  const openedMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Sql => ({
    query: async <T,>(text: string, params?: unknown[]) => (await q.query<T>(text, params)).rows,
    exec: async (text: string) => void (await q.exec(text)),
  });
  const db: Db = { kind: 'pglite', ...wrap(lite), transaction: (fn) => lite.transaction((tx) => fn(wrap(tx))), close: () => lite.close() };
  const store = await SafetyStore.open(db);
  const wasmAtOpen = Math.round(((lite as unknown as { mod?: { HEAPU8: Uint8Array } }).mod?.HEAPU8.buffer.byteLength ?? 0) / 2 ** 20);
  const n = Number(size ?? 100_000);
  const users = directoryUsers(n);
  const company = await store.createCompany({ name: 'Bench', plan: 'enterprise', maxUsers: 10_000_000 });
  await store.updateSettings(company.id, { initialPassword: 'Bench#Password1' });
  const sync = new SyncService(store);
  const planId = (await sync.createPlan(company.id, { read: async () => ({ tenantId: 'bench-import-tenant', users }) }, { requestedBy: 'bench', source: 'cli' })).id;
  const wasmMb = () => Math.round(((lite as unknown as { mod?: { HEAPU8: Uint8Array } }).mod?.HEAPU8.buffer.byteLength ?? 0) / 2 ** 20);
  const mem = { opened: wasmAtOpen, planned: wasmMb(), planPeakMb: Math.round(process.resourceUsage().maxRSS / 1024), applied: 0 };
  const t = performance.now();
  const { run } = await sync.apply(company.id, planId, { confirmedBy: 'bench' });
  const applyMs = Math.round(performance.now() - t);
  mem.applied = wasmMb();
  const [sizes] = await db.query<Record<string, number>>(
    `select (pg_database_size(current_database()) >> 20)::int as database_mb, (pg_total_relation_size('users') >> 20)::int as users_mb,
            (pg_total_relation_size('change_log') >> 20)::int as change_log_mb, (pg_total_relation_size('plans') >> 20)::int as plans_mb,
            (pg_total_relation_size('memberships') >> 20)::int as memberships_mb`,
  );
  console.log(JSON.stringify({ how: how ?? 'template', n, created: run.counts.created, openedPeakMb: openedMb, applyMs, wasmHeapMb: mem, files: sizes, peakMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
  await store.close();
}
