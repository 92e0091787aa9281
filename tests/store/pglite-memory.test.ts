/**
 * Issue 9 item 6: PGlite's peak memory for plan + apply of a large first import. The embedded engine
 * opens with small buffers and WAL, and the applier writes a first import's users in slices on PGlite
 * only (same transaction, same rows); PostgreSQL keeps one statement per kind.
 */
import assert from 'node:assert/strict';
import { openDatabase, rowsPerStatement, slices, type Db, type Sql } from '../../src/store/database.ts';
import { applyImportPlan } from '../../src/store/applier.ts';
import { SafetyStore } from '../../src/store/safety-store.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
import type { DirectoryUser } from '../../src/domain/types.ts';

describe('PGlite memory (issue 9 item 6)', () => {
  it('item 6: an embedded PGlite opens with 16 MB of shared buffers and recycles WAL after 32 MB (was 128 MB and 1 GB)', async () => {
    const db = await openDatabase('memory:');
    try {
      const [row] = await db.query<{ sb: string; wal: string }>(
        `select current_setting('shared_buffers') as sb, current_setting('max_wal_size') as wal`,
      );
      assert.deepEqual(row, { sb: '16MB', wal: '32MB' });
    } finally {
      await db.close();
    }
  });

  it('slices keeps every row in order, at most size per slice; an infinite size is one slice', () => {
    const rows = Array.from({ length: 25 }, (_, i) => i);
    const parts = slices(rows, 10);
    assert.deepEqual(parts.map((p) => p.length), [10, 10, 5]);
    assert.deepEqual(parts.flat(), rows);
    assert.deepEqual(slices(rows, Number.POSITIVE_INFINITY), [rows]);
    assert.deepEqual(slices(rows, 25), [rows]);
    assert.deepEqual(slices([], 10), [[]]);
  });

  it('PostgreSQL writes a set in one statement; PGlite in slices of 10,000', () => {
    assert.equal(rowsPerStatement('postgres'), Number.POSITIVE_INFINITY);
    assert.equal(rowsPerStatement('pglite'), 10_000);
  });

  it('item 6: a PGlite first import larger than one slice writes every user, membership and history row in one transaction', async function () {
    this.timeout(120_000);
    const n = 10_005;
    const store = await SafetyStore.open(await openDatabase('memory:'));
    try {
      const company = await store.createCompany({ name: 'Slices', plan: 'enterprise', maxUsers: 100_000 });
      await store.updateSettings(company.id, { initialPassword: 'Welcome#2026' });
      const users: DirectoryUser[] = Array.from({ length: n }, (_, i) => ({
        id: `oid-${i}`,
        userPrincipalName: `user${i}@contoso.com`,
        displayName: `User ${i}`,
        mail: `user${i}@contoso.com`,
        businessPhones: [],
        department: i % 3 === 0 ? null : `部署 ${i % 7}`,
        accountEnabled: true,
        userType: 'Member',
        identityIssuers: [],
      }));
      const plan = await new SyncService(store).createPlan(company.id, { read: async () => ({ tenantId: 'tenant-slices', users }) }, {
        requestedBy: 'alice',
        source: 'api',
      });
      const log: string[] = [];
      const rec = (sql: Sql): Sql => ({ query: (t, p, o) => (log.push(t), sql.query(t, p, o)), exec: (t) => sql.exec(t) });
      const db: Db = { ...rec(store.db), kind: store.db.kind, transaction: (fn) => store.db.transaction((tx) => fn(rec(tx))), close: () => store.db.close() };
      const { run } = await applyImportPlan(db, plan, { confirmedBy: 'bob' });
      assert.equal(run.counts.created, n);
      assert.equal(log.filter((t) => /insert into users/.test(t)).length, 2, 'two slices of users');
      const [counts] = await store.db.query<{ users: number; members: number; history: number }>(
        `select (select count(*)::int from users where company_id = $1 and entra_object_id is not null) as users,
                (select count(*)::int from memberships where company_id = $1 and source = 'entra') as members,
                (select count(*)::int from change_log where run_id = $2 and entity = 'user' and action = 'create') as history`,
        [company.id, run.id],
      );
      assert.deepEqual(counts, { users: n, members: users.filter((u) => u.department !== null).length, history: n });
    } finally {
      await store.close();
    }
  });
});
