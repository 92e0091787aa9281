/**
 * One store suite, every engine: PGlite always, a real PostgreSQL server when
 * TEST_DATABASE_URL is set (CI sets it). Each suite gets its own schema on the
 * server so runs never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { lockCompanyForImport } from '../../src/store/company-lock.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { SafetyStore } from '../../src/store/safety-store.ts';

export interface Engine {
  name: string;
  open(): Promise<SafetyStore>;
}

export function engines(): Engine[] {
  const list: Engine[] = [{ name: 'PGlite', open: async () => SafetyStore.open(await openDatabase('memory:')) }];
  const url = process.env.TEST_DATABASE_URL;
  if (url) list.push({ name: 'PostgreSQL', open: () => openPostgresSchema(url) });
  return list;
}

const schemas: string[] = [];

async function openPostgresSchema(url: string): Promise<SafetyStore> {
  const db: Db = await openDatabase(await postgresSchemaUrl(url));
  return SafetyStore.open(db);
}

/** Drops the schemas this process created (called from a root after-hook). */
export async function dropTestSchemas(): Promise<void> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url || schemas.length === 0) return;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  for (const s of schemas.splice(0)) await admin.query(`drop schema if exists ${s} cascade`);
  await admin.end();
}

/**
 * A fresh schema on the TEST_DATABASE_URL server and a DATABASE_URL that puts it first on the
 * search path (for a server started in this process or as a child process); dropped after the run.
 */
export async function postgresSchemaUrl(url: string): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  schemas.push(schema);
  const sep = url.includes('?') ? '&' : '?';
  return `${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

/** A company on a fresh PostgreSQL schema, and a second connection that can hold its row as an import does (defect 4). */
export interface HeldCompany {
  store: SafetyStore;
  company: Awaited<ReturnType<SafetyStore['createCompany']>>;
  /** Begins a transaction on the second connection that holds the company lock as an import does. */
  hold(): Promise<void>;
  /** Rolls that transaction back. */
  release(): Promise<void>;
}

export async function withHeldCompany(url: string, fn: (held: HeldCompany) => Promise<void>): Promise<void> {
  const schemaUrl = await postgresSchemaUrl(url);
  const store = await SafetyStore.open(await openDatabase(schemaUrl));
  const holder = new pg.Client({ connectionString: schemaUrl });
  await holder.connect();
  try {
    const company = await store.createCompany({ name: 'Busy', plan: 'premier', maxUsers: 10 });
    await fn({
      store,
      company,
      hold: async () => {
        await holder.query('begin');
        // Exactly the lock an import takes (the gate, then the row), through the store's own function.
        await lockCompanyForImport({ query: async (text, params) => (await holder.query(text, params)).rows, exec: async (text) => void (await holder.query(text)) }, company.id, 'id');
      },
      release: async () => {
        await holder.query('rollback');
      },
    });
  } finally {
    await holder.end();
    await store.close();
  }
}
