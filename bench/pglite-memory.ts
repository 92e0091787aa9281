/**
 * `node --import tsx bench/pglite-memory.ts [mode]`: where an in-memory PGlite's memory goes
 * (issue 9 item 6). Each mode runs in a fresh process (run it once per mode); it prints the RSS and
 * the WebAssembly memory size (which only grows: a WASM memory is never given back) after open and
 * after inserting 100,000 rows of the users-table shape, one statement or chunks.
 * Modes: default | sb16 (shared_buffers=16MB) | chunk1000 | sb16-chunk1000 | sb16-chunk10000 | wm (work_mem=1MB) ...
 * Env: ROWS (default 100000), CONF (extra postgresql.conf lines, ';'-separated), CHUNK.
 */
import { PGlite } from '@electric-sql/pglite';

const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const peak = () => Math.round(process.resourceUsage().maxRSS / 1024);
const wasm = (lite: PGlite) => Math.round(((lite as unknown as { mod?: { HEAPU8: Uint8Array } }).mod?.HEAPU8.buffer.byteLength ?? 0) / 2 ** 20);
const heap = () => Math.round(process.memoryUsage().heapUsed / 2 ** 20);

const rows = Number(process.env.ROWS ?? 100_000);
const chunk = Number(process.env.CHUNK ?? rows);
const conf = (process.env.CONF ?? '').split(';').filter(Boolean);
const before = { rss: rss(), peak: peak() };
const lite = new PGlite(conf.length ? { postgresqlconf: conf } : {});
await lite.waitReady;
const show = async (n: string) => (await lite.query<{ v: string }>(`select current_setting('${n}') as v`)).rows[0]!.v;
const report = (stage: string) => console.log(JSON.stringify({ stage, rss: rss(), peak: peak(), wasmMb: wasm(lite), jsHeap: heap() }));
console.log(JSON.stringify({ before, conf, chunk, shared_buffers: await show('shared_buffers'), work_mem: await show('work_mem') }));
report('open');
await lite.exec(`create table t (id uuid primary key, login text not null unique, name text, email text, phone text, doc jsonb)`);
const ids = Array.from({ length: rows }, (_, i) => `10000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
const logins = ids.map((_, i) => `user${i}@bench.example.com`);
const names = ids.map((_, i) => `Bench User ${i}`);
report('arrays built');
await lite.transaction(async (tx) => {
  for (let i = 0; i < rows; i += chunk) {
    await tx.query(
      `insert into t select v.id, v.l, v.n, v.l, '03-1000-0000', jsonb_build_object('name', v.n, 'login', v.l)
         from unnest($1::uuid[], $2::text[], $3::text[]) as v(id, l, n)`,
      [ids.slice(i, i + chunk), logins.slice(i, i + chunk), names.slice(i, i + chunk)],
    );
  }
});
report('inserted');
await lite.close();
report('closed');
