/**
 * Issue 9 item 5 in the store, on every engine: migration 15 keys the existing mirror rows as the
 * planner does (directoryKeys), and each delta round records the users it changed or removed with
 * their keys before the round; records a plan no longer needs are pruned, and the prune is visible.
 */
import assert from 'node:assert/strict';
import { directoryKeys, judgeBaseline } from '../../src/domain/replan.ts';
import type { DirectoryUser } from '../../src/domain/types.ts';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { DirectoryMirror } from '../../src/store/directory-mirror.ts';
import { MIGRATIONS, migrate } from '../../src/store/migrations.ts';
import type { SafetyStore } from '../../src/store/safety-store.ts';
import { engines, postgresSchemaUrl } from '../helpers/databases.ts';

const TENANT = 'tenant-mc';
const du = (id: string, over: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id,
  userPrincipalName: `${id}@contoso.com`,
  displayName: id,
  mail: `${id}@contoso.com`,
  businessPhones: [],
  department: null,
  accountEnabled: true,
  userType: 'Member',
  identityIssuers: [],
  ...over,
});

async function openBefore15(kind: 'pglite' | 'postgres'): Promise<Db> {
  const db = kind === 'pglite' ? await openDatabase('memory:') : await openDatabase(await postgresSchemaUrl(process.env.TEST_DATABASE_URL!));
  await db.transaction(async (tx) => {
    await tx.exec(`create table schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    for (const m of MIGRATIONS.filter((x) => x.version < 15)) {
      await tx.exec(m.sql);
      await m.run?.(tx);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
    }
  });
  return db;
}

const kinds: ('pglite' | 'postgres')[] = process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

for (const kind of kinds) {
  describe(`migration 15: the mirror's keys (${kind})`, () => {
    it('keys the existing mirror rows with directoryKeys: folded, of the values the planner keeps', async () => {
      const db = await openBefore15(kind);
      try {
        const [company] = await db.query<{ id: string }>(`insert into companies (name, plan, max_users) values ('Old', 'premier', 10) returning id`);
        const users = [du('AB-1', { mail: 'ＩＮＦＯ@Contoso.com' }), du('ab-2', { userPrincipalName: `${'x'.repeat(300)}@contoso.com`, mail: null })];
        for (const u of users) {
          await db.query(`insert into directory_mirror (company_id, tenant_key, entra_id, data) values ($1, $2, $3, $4)`, [
            company!.id,
            TENANT,
            u.id.toLowerCase(),
            JSON.stringify(u),
          ]);
        }
        assert.equal(await migrate(db), 1);
        const rows = await db.query<{ entra_id: string; entra_key: string; upn_key: string | null; mail_key: string | null }>(
          'select entra_id, entra_key, upn_key, mail_key from directory_mirror order by entra_id',
        );
        assert.deepEqual(
          rows.map((r) => ({ id: r.entra_key, login: r.upn_key, mail: r.mail_key })),
          users.map((u) => directoryKeys(u)),
        );
        assert.equal(rows[0]!.mail_key, 'info@contoso.com');
        assert.equal(rows[1]!.upn_key, null, 'a UPN too long to keep has no key: the planner sees none');
      } finally {
        await db.close();
      }
    });
  });
}

for (const engine of engines()) {
  describe(`mirror change records (issue 9 item 5) on ${engine.name}`, () => {
    let store: SafetyStore;
    before(async () => {
      store = await engine.open();
    });
    after(() => store.close());

    it('a full round starts a generation; a delta round records old keys; records below the latest plan are pruned, visibly', async () => {
      const companyId = (await store.createCompany({ name: 'MC', plan: 'premier', maxUsers: 10 })).id;
      const mirror = new DirectoryMirror(store.db);
      const now = new Date('2026-12-01T00:00:00Z');
      const round = (users: DirectoryUser[], removedIds: string[], link: string, full = false) => ({
        tenantId: TENANT,
        users,
        presentFields: new Map(users.map((u) => [u.id, Object.keys(u) as (keyof DirectoryUser)[]])),
        removedIds,
        deltaLink: link,
        full,
      });
      assert.deepEqual(await mirror.apply(companyId, null, round([du('a'), du('b'), du('c')], [], 'l1', true), now), { generation: 1, seq: 0 });
      assert.deepEqual(
        await mirror.apply(companyId, 'l1', round([du('a', { userPrincipalName: 'renamed@contoso.com' }), du('n')], ['b'], 'l2'), now),
        { generation: 1, seq: 1 },
      );
      const records = async () =>
        store.db.query<{ seq: string | number; entra_key: string; old_upn_key: string | null; old_mail_key: string | null }>(
          'select seq, entra_key, old_upn_key, old_mail_key from directory_mirror_changes where company_id = $1 order by seq, entra_key',
          [companyId],
        );
      assert.deepEqual(
        (await records()).map((r) => [Number(r.seq), r.entra_key, r.old_upn_key, r.old_mail_key]),
        [
          [1, 'a', 'a@contoso.com', 'a@contoso.com'],
          [1, 'b', 'b@contoso.com', 'b@contoso.com'],
          [1, 'n', null, null],
        ],
      );
      const [key] = await store.db.query<{ upn_key: string }>(`select upn_key from directory_mirror where company_id = $1 and entra_id = 'a'`, [companyId]);
      assert.equal(key!.upn_key, 'renamed@contoso.com', 'the mirror holds the new key');

      // A plan made at seq 1: the next round prunes what it no longer needs.
      await store.db.query(
        `insert into plans (company_id, status, created_at, expires_at, requested_by, source, base_data_version, body, mirror_generation, mirror_seq)
         values ($1, 'pending', now(), now(), 'a', 'api', 0, '{"kind":"import"}', 1, 1)`,
        [companyId],
      );
      assert.deepEqual(await mirror.apply(companyId, 'l2', round([du('c', { mail: null })], [], 'l3'), now), { generation: 1, seq: 2 });
      assert.deepEqual((await records()).map((r) => [Number(r.seq), r.entra_key]), [[2, 'c']]);
      const [state] = await store.db.query<{ mirror_pruned_seq: string | number; mirror_count: string | number }>(
        'select mirror_pruned_seq, mirror_count from sync_state where company_id = $1',
        [companyId],
      );
      assert.equal(Number(state!.mirror_pruned_seq), 1);
      assert.equal(Number(state!.mirror_count), 3, 'a, c, n: the count is kept by each round');
      // A baseline from before the prune cannot be used: its records are gone.
      const base = { id: 'p', kind: 'import' as const, status: 'pending', tenantId: TENANT, baseDataVersion: 5, appliedDataVersion: null, serviceUsers: null };
      const now2 = { linkedTenantId: TENANT, tenantId: TENANT, dataVersion: 5, mirror: { generation: 1, seq: 2, prunedSeq: 1 } };
      assert.deepEqual(judgeBaseline({ ...base, mirror: { generation: 1, seq: 0 } }, now2), { use: false, reason: 'the change records since the latest plan are gone' });
      assert.deepEqual(judgeBaseline({ ...base, mirror: { generation: 1, seq: 1 } }, now2), { use: true, applied: false });

      // A full round: a new generation, no records.
      assert.deepEqual(await mirror.apply(companyId, 'l3', round([du('a')], [], 'l4', true), now), { generation: 2, seq: 0 });
      assert.deepEqual(await records(), []);
    });
  });
}
