/**
 * One SQL dialect (PostgreSQL), two engines: embedded PGlite (default) and a
 * PostgreSQL server through `pg`. Everything above this file sees only `Db`.
 */
import { mkdirSync } from 'node:fs';
// Each engine's driver loads only when a database of that kind is opened (issue 9, item 8: the
// WebAssembly PGlite is never loaded by a server on PostgreSQL, nor pg by the embedded demo).
import type { PGlite } from '@electric-sql/pglite';

export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface Db extends Sql {
  readonly kind: 'pglite' | 'postgres';
  /** Runs fn in one transaction; rolls back when it throws (R5). */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Where PGlite keeps its files when no URL is given. Default ./.data */
  dataDir?: string;
}

/**
 * `postgres://…` or `postgresql://…` -> a pg pool; `memory:` -> a throwaway
 * in-memory PGlite; unset -> PGlite in `dataDir`.
 */
export async function openDatabase(url: string | undefined, options: OpenOptions = {}): Promise<Db> {
  if (url && /^postgres(ql)?:\/\//i.test(url)) return openPostgres(url);
  if (url && url !== 'memory:' && !url.startsWith('memory:')) {
    throw new Error('DATABASE_URL must be postgres://…, postgresql://… or memory:');
  }
  if (url?.startsWith('memory:')) return openPglite(undefined);
  const dir = options.dataDir ?? './.data';
  mkdirSync(dir, { recursive: true });
  return openPglite(dir);
}

async function openPglite(dir: string | undefined): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  const lite = dir ? new PGlite(dir) : new PGlite();
  await lite.waitReady;
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Sql => ({
    async query<T>(text: string, params?: unknown[]) {
      const r = await q.query<T>(text, params as unknown[] | undefined);
      return r.rows;
    },
    async exec(text: string) {
      await q.exec(text);
    },
  });
  return {
    kind: 'pglite',
    ...wrap(lite),
    transaction: <T>(fn: (tx: Sql) => Promise<T>) => lite.transaction((tx) => fn(wrap(tx))),
    close: () => lite.close(),
  };
}

async function openPostgres(url: string): Promise<Db> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => undefined);
  const client = await pool.connect();
  client.release();
  return {
    kind: 'postgres',
    async query<T>(text: string, params?: unknown[]) {
      const r = await pool.query(text, params);
      return r.rows as T[];
    },
    async exec(text: string) {
      await pool.query(text);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        const result = await fn({
          async query<R>(text: string, params?: unknown[]) {
            const r = await c.query(text, params);
            return r.rows as R[];
          },
          async exec(text: string) {
            await c.query(text);
          },
        });
        await c.query('COMMIT');
        return result;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}
