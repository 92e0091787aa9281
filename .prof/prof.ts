import pg from 'pg';
import { performance } from 'node:perf_hooks';
const orig = pg.Client.prototype.query as any;
const stats: { sql: string; ms: number }[] = [];
let on = false;
(pg.Client.prototype as any).query = function (this: unknown, ...args: any[]) {
  const t = performance.now();
  const r = orig.apply(this, args);
  if (r && typeof r.then === 'function' && on) {
    const sql = typeof args[0] === 'string' ? args[0] : args[0]?.text ?? '?';
    r.then(() => stats.push({ sql: String(sql).replace(/\s+/g, ' ').slice(0, 140), ms: performance.now() - t }), () => {});
  }
  return r;
};
process.env.BENCH_PROFILE = '1';
(globalThis as any).__profOn = (v: boolean) => { on = v; if (!v) { stats.sort((a, b) => b.ms - a.ms); for (const s of stats.slice(0, 25)) console.error(s.ms.toFixed(1).padStart(8), s.sql); stats.length = 0; } };
