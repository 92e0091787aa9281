/**
 * One SQL dialect (PostgreSQL), two engines: embedded PGlite (default) and a
 * PostgreSQL server through `pg`. Everything above this file sees only `Db`.
 */
import { mkdirSync } from 'node:fs';
// Each engine's driver loads only when a database of that kind is opened (issue 9, item 8: the
// WebAssembly PGlite is never loaded by a server on PostgreSQL, nor pg by the embedded demo).
import type { PGlite } from '@electric-sql/pglite';

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
  /**
   * Called when an idle pooled connection fails (the server terminated it, restarted, failed
   * over, or the network cut it). The pool drops that connection and opens a new one on the next
   * query, so the process carries on; this hook is how the fault gets logged (defect 14). The
   * error is passed as pg raised it: a caller logs its code, never its text (which can name the
   * host). Default: ignored. PGlite has no pool and never calls it.
   */
  onError?: (error: Error) => void;
}

/**
 * `postgres://…` or `postgresql://…` -> a pg pool; `memory:` -> a throwaway
 * in-memory PGlite; unset -> PGlite in `dataDir`.
 */
export async function openDatabase(url: string | undefined, options: OpenOptions = {}): Promise<Db> {
  if (url && /^postgres(ql)?:\/\//i.test(url)) return openPostgres(url, options.onError);
  if (url && url !== 'memory:' && !url.startsWith('memory:')) {
    throw new Error('DATABASE_URL must be postgres://…, postgresql://… or memory:');
  }
  if (url?.startsWith('memory:')) return openPglite(undefined);
  const dir = options.dataDir ?? './.data';
  mkdirSync(dir, { recursive: true });
  return openPglite(dir);
}

/**
 * Issue 9 item 6: PGlite's settings, kept small for its memory (measured in bench/pglite-memory.ts,
 * docs/benchmarks.md). A WebAssembly memory never shrinks and an in-memory PGlite keeps its files
 * (tables, WAL) in the process too, so: 16 MB of shared buffers instead of 128 MB, and WAL recycled
 * after 32 MB instead of growing to 1 GB before a checkpoint. A PostgreSQL server is not affected.
 */
export const PGLITE_SETTINGS: readonly string[] = ['shared_buffers = 16MB', 'max_wal_size = 32MB', 'min_wal_size = 32MB'];

/**
 * Issue 9 item 6: the most rows one set-based statement of the import applier writes. PostgreSQL
 * takes the whole set in one statement (its fastest shape); PGlite gets slices of 10,000 in the
 * same transaction, so no single statement's parameters and intermediate rows grow its memory.
 */
export function rowsPerStatement(kind: Db['kind']): number {
  return kind === 'pglite' ? 10_000 : Number.POSITIVE_INFINITY;
}

/** Splits rows into runs of at most size (one run when size is infinite). */
export function slices<T>(rows: readonly T[], size: number): T[][] {
  if (!(size < rows.length)) return [rows.slice()];
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

async function openPglite(dir: string | undefined): Promise<Db> {
  const { PGlite } = await import('@electric-sql/pglite');
  const postgresqlconf = [...PGLITE_SETTINGS];
  const lite = dir ? new PGlite(dir, { postgresqlconf }) : new PGlite({ postgresqlconf });
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

async function openPostgres(url: string, onError: ((error: Error) => void) | undefined): Promise<Db> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client that errors (server restart) must not crash the process: the pool needs a
  // listener. It reports the fault to the caller (defect 14: never swallowed silently).
  pool.on('error', (e: Error) => {
    try {
      onError?.(e);
    } catch {
      // A failing reporter must not turn a dropped idle connection into a crash.
    }
  });
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

/** How many rows one write must add before the planner statistics of its tables are refreshed. */
export const BULK_WRITE_ROWS = 1000;

/**
 * Issue 9 item 5: after a bulk write (a first import, a full mirror round) the tables' planner
 * statistics still describe them as they were, and an indexed lookup of a few keys is planned as
 * a scan of the company's rows. Autovacuum refreshes them within minutes; a re-plan right after a
 * first import should not wait for it. Run after the write's commit; a failure is not the write's.
 */
export async function refreshStatistics(db: Db, tables: string[]): Promise<void> {
  for (const t of tables) {
    if (!/^[a-z_]+$/.test(t)) throw new Error(`not a table name: ${t}`);
    try {
      await db.query(`analyze ${t}`);
    } catch {
      // Statistics only make plans faster; autovacuum refreshes them anyway.
    }
  }
}
