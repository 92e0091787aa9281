/**
 * The benchmarks' databases: PGlite in memory, or a fresh schema of a PostgreSQL server dropped
 * afterwards (so a bench never touches another run's rows, and leaves nothing behind).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../src/store/database.ts';
import { SafetyStore } from '../src/store/safety-store.ts';

/** The PostgreSQL server to measure: BENCH_DATABASE_URL, TEST_DATABASE_URL or (`withDatabaseUrl`) DATABASE_URL. */
export function pgUrl(options: { withDatabaseUrl?: boolean } = { withDatabaseUrl: true }): string | undefined {
  const url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? (options.withDatabaseUrl ? process.env.DATABASE_URL : undefined);
  return url && /^postgres(ql)?:\/\//i.test(url) ? url : undefined;
}

/** A new schema on the server at `url`: its connection URL (search_path set) and how to drop it. */
export async function schemaUrl(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const sep = url.includes('?') ? '&' : '?';
  return {
    url: `${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    drop: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

/** A store on the engine: PGlite in memory, or PostgreSQL in a schema of its own. */
export async function openBenchStore(engine: string, url = pgUrl()): Promise<{ store: SafetyStore; drop: () => Promise<void> }> {
  if (engine === 'pglite') return { store: await SafetyStore.open(await openDatabase('memory:')), drop: async () => {} };
  if (!url) throw new Error('postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL');
  const s = await schemaUrl(url);
  return { store: await SafetyStore.open(await openDatabase(s.url)), drop: s.drop };
}
