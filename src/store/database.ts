/**
 * One SQL dialect (PostgreSQL), two engines: embedded PGlite (default) and a
 * PostgreSQL server through `pg`. Everything above this file sees only `Db`.
 */
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface QueryOptions {
  /**
   * A name for a statement whose text never changes: on a PostgreSQL server it is prepared once per
   * connection and then only bound and executed (PGlite ignores it). Never name dynamic SQL.
   */
  name?: string;
}

export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[], options?: QueryOptions): Promise<T[]>;
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
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that errors (server restart) must not crash the process.
  pool.on('error', () => undefined);
  const client = await pool.connect();
  client.release();
  return {
    kind: 'postgres',
    async query<T>(text: string, params?: unknown[], options?: QueryOptions) {
      const r = options?.name ? await pool.query({ name: options.name, text, values: params }) : await pool.query(text, params);
      return r.rows as T[];
    },
    async exec(text: string) {
      await pool.query(text);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const c = await pool.connect();
      // Defect 1: a checked-out client whose connection dies (pg_terminate_backend, a network cut, a
      // failover) emits 'error'; without a listener that kills the process. The query in flight
      // rejects with the same fault, so the listener only remembers it; the client is then destroyed
      // instead of going back to the pool.
      let lost: Error | undefined;
      const onError = (e: Error) => {
        lost ??= e;
      };
      c.on('error', onError);
      try {
        await c.query('BEGIN');
        const result = await fn({
          async query<R>(text: string, params?: unknown[], options?: QueryOptions) {
            const r = options?.name ? await c.query({ name: options.name, text, values: params }) : await c.query(text, params);
            return r.rows as R[];
          },
          async exec(text: string) {
            await c.query(text);
          },
        });
        await c.query('COMMIT');
        return result;
      } catch (e) {
        if (!lost && !isConnectionLost(e)) await c.query('ROLLBACK').catch((r: Error) => (lost ??= r));
        else lost ??= e as Error;
        throw e;
      } finally {
        c.removeListener('error', onError);
        // A client that saw its connection fail keeps a listener so a late 'error' cannot crash the process.
        if (lost) c.on('error', () => undefined);
        c.release(lost);
      }
    },
    close: () => pool.end(),
  };
}

/**
 * The connection under a query is gone (the server terminated it, the network cut it, a failover),
 * as opposed to an error the statement itself caused. SQLSTATE class 08 (connection exception),
 * 57P01–57P03 (admin shutdown, crash shutdown, cannot connect now), or pg's own socket errors.
 */
export function isConnectionLost(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | null;
  if (!err || typeof err !== 'object') return false;
  const code = typeof err.code === 'string' ? err.code : '';
  if (/^08/.test(code) || code === '57P01' || code === '57P02' || code === '57P03') return true;
  if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH'].includes(code)) return true;
  const message = typeof err.message === 'string' ? err.message : '';
  return /Connection terminated|Client has encountered a connection error|Connection ended unexpectedly/i.test(message);
}
