/**
 * Issue 7 defect 8 in the store, on every engine: the unique key columns hold foldKey of the
 * value, written by the store, and migration 8 turns an existing database's lower() keys into them.
 */
import assert from 'node:assert/strict';
import { foldKey } from '../../src/domain/fold.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { MIGRATIONS, migrate } from '../../src/store/migrations.ts';
import { SafetyStore } from '../../src/store/safety-store.ts';
import { engines, postgresSchemaUrl } from '../helpers/databases.ts';

/** A database with only the migrations before 8 applied: a server installed before the fix. */
async function openBefore8(kind: 'pglite' | 'postgres'): Promise<Db> {
  const db = kind === 'pglite' ? await openDatabase('memory:') : await openDatabase(await postgresSchemaUrl(process.env.TEST_DATABASE_URL!));
  await db.transaction(async (tx) => {
    await tx.exec(`create table schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    for (const m of MIGRATIONS.filter((x) => x.version < 8)) {
      await tx.exec(m.sql);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
    }
  });
  return db;
}

const kinds: ('pglite' | 'postgres')[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

for (const kind of kinds) {
  describe(`foldKey in the store's unique keys (${kind})`, () => {
    it('defect 8: migration 8 rewrites the existing lower() keys as foldKey, and the new keys are unique', async () => {
      const db = await openBefore8(kind);
      try {
        const [company] = await db.query<{ id: string }>(
          `insert into companies (name, plan, max_users) values ('Old', 'premier', 10) returning id`,
        );
        await db.query(
          `insert into users (company_id, login_name, password_hash, name, email) values
             ($1, 'ＡＤＭＩＮ@old.example', 'x', 'Full width', 'İnfo@old.example'),
             ($1, 'plain@old.example', 'x', 'Plain', null)`,
          [company!.id],
        );
        assert.equal(await migrate(db), MIGRATIONS.filter((m) => m.version >= 8).length);
        const rows = await db.query<{ login_name: string; login_key: string; email: string | null; email_key: string | null }>(
          'select login_name, login_key, email, email_key from users order by name',
        );
        for (const r of rows) {
          assert.equal(r.login_key, foldKey(r.login_name));
          assert.equal(r.email_key, r.email === null ? null : foldKey(r.email));
        }
        // The unique index now uses foldKey: a spelling lower() told apart is the same login.
        await assert.rejects(
          db.transaction((tx) =>
            tx.query(`insert into users (company_id, login_name, login_key, password_hash, name) values ($1, 'admin@old.example', $2, 'x', 'Dup')`, [
              company!.id,
              foldKey('admin@old.example'),
            ]),
          ),
          /users_login_unique/,
        );
      } finally {
        await db.close();
      }
    });
  });
}

for (const engine of engines()) {
  describe(`store writes foldKey (${engine.name})`, () => {
    it('defect 8: a user created and renamed through the store gets foldKey keys; the full-width spelling of a taken login is DUPLICATE_LOGIN_NAME', async () => {
      const store: SafetyStore = await engine.open();
      try {
        const company = await store.createCompany({ name: 'Keys', plan: 'premier', maxUsers: 10 });
        const u = await store.createUser(company.id, { loginName: 'Kato@keys.example', password: 'Passw0rd!x', name: 'Kato', email: 'İnfo@keys.example' }, 'test');
        const key = async () =>
          (await store.db.query<{ login_key: string; email_key: string | null }>('select login_key, email_key from users where id = $1', [u.id]))[0]!;
        assert.deepEqual(await key(), { login_key: 'kato@keys.example', email_key: 'info@keys.example' });
        await store.updateUser(company.id, u.id, { loginName: 'ＳＡＴＯ@keys.example', email: null }, 'test');
        assert.deepEqual(await key(), { login_key: 'sato@keys.example', email_key: null });
        await assert.rejects(
          store.createUser(company.id, { loginName: 'sato@KEYS.example', password: 'Passw0rd!x', name: 'Other' }, 'test'),
          (e: { code?: string }) => e.code === 'DUPLICATE_LOGIN_NAME',
        );
      } finally {
        await store.close();
      }
    });
  });
}
