/**
 * The transactional applier on every engine: what the planner says is what
 * the store holds afterwards (checked against the pure reference model), and
 * nothing at all is written when anything fails (R5).
 */
import assert from 'node:assert/strict';
import { AppError } from '../../src/domain/errors.ts';
import { planImport } from '../../src/domain/planner.ts';
import type { Company, DirectorySnapshot, DirectoryUser } from '../../src/domain/types.ts';
import type { DirectoryReader } from '../../src/directory/graph-reader.ts';
import { applyImportPlan } from '../../src/store/applier.ts';
import type { Db, Sql } from '../../src/store/database.ts';
import { userDoc, type SafetyStore } from '../../src/store/safety-store.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
import { engines } from '../helpers/databases.ts';

const TENANT = 'tenant-applier';

const du = (n: number, extra: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id: `oid-${n}`,
  userPrincipalName: `user${n}@contoso.com`,
  displayName: `User ${n}`,
  mail: `user${n}@contoso.com`,
  businessPhones: [`03-${n}`],
  department: n % 2 ? '営業部' : '開発部',
  accountEnabled: true,
  userType: 'Member',
  identityIssuers: [],
  ...extra,
});

/** A fixed directory: the reader interface with a snapshot we choose. */
const fixed = (users: DirectoryUser[]): DirectoryReader => ({
  read: async (): Promise<DirectorySnapshot> => ({ tenantId: TENANT, users }),
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof AppError, String(e));
    return e.code;
  }
}

/** Everything an import may touch, for before/after comparisons. */
async function dump(store: SafetyStore, cid: string) {
  return {
    users: await store.listUsers(cid),
    departments: await store.listDepartments(cid),
    company: await store.getCompany(cid),
  };
}

/** The same database, recording the text of every statement sent through it. */
function recording(db: Db, log: string[]): Db {
  const rec = (sql: Sql): Sql => ({
    query: <T,>(text: string, params?: unknown[]) => {
      log.push(text);
      return sql.query<T>(text, params);
    },
    exec: (text: string) => {
      log.push(text);
      return sql.exec(text);
    },
  });
  return { ...rec(db), kind: db.kind, transaction: (fn) => db.transaction((tx) => fn(rec(tx))), close: () => db.close() };
}

for (const engine of engines()) {
  describe(`import applier on ${engine.name}`, () => {
    let store: SafetyStore;
    let sync: SyncService;
    let company: Company;
    let clock = new Date('2026-11-23T09:00:00Z');

    before(async () => {
      store = await engine.open();
      sync = new SyncService(store, { clock: () => clock });
      company = await store.createCompany({ name: 'Applier Co', plan: 'enterprise', maxUsers: 100 });
      await store.updateSettings(company.id, { initialPassword: 'Welcome#2026' });
    });
    after(async () => store.close());
    beforeEach(() => {
      clock = new Date(clock.getTime() + 60_000);
    });

    it('applies a plan exactly: planning again finds nothing to change, and the tenant is linked (R3)', async () => {
      const users = [du(1), du(2), du(3, { department: null }), du(4, { userType: 'Guest' })];
      const plan = await sync.createPlan(company.id, fixed(users), { requestedBy: 'alice', source: 'api' });
      assert.deepEqual(plan.errors, []);
      const { run } = await sync.apply(company.id, plan.id, { confirmedBy: 'bob' });
      assert.equal(run.status, 'succeeded');
      assert.deepEqual(run.counts, { created: 3, updated: 0, deleted: 0, departmentsCreated: 3 });
      assert.equal(run.confirmedBy, 'bob');
      const again = planImport({ tenantId: TENANT, users }, await store.snapshot(company.id));
      assert.equal(again.summary.usersUnchanged, 3);
      assert.equal(again.changes.createUsers.length + again.changes.updateUsers.length + again.changes.deleteUsers.length, 0);
      assert.equal((await store.getCompany(company.id)).entraTenantId, TENANT);
      const history = await store.listChanges(company.id, { runId: run.id });
      assert.equal(history.filter((h) => h.entity === 'user' && h.action === 'create').length, 3);
      assert.equal(history.filter((h) => h.entity === 'department').length, 3);
      assert.ok(history.every((h) => h.actor === 'bob' && h.origin === 'import'));
    });

    it('item 4: a first import writes users, memberships and history in a fixed number of statements and reads no created user back', async () => {
      const statementsFor = async (n: number) => {
        const c = await store.createCompany({ name: `Bulk ${n}`, plan: 'enterprise', maxUsers: 1000 });
        await store.updateSettings(c.id, { initialPassword: 'Welcome#2026' });
        const users = Array.from({ length: n }, (_, i) => du(i + 1, i % 5 === 0 ? { department: null } : {}));
        const reader: DirectoryReader = { read: async () => ({ tenantId: `tenant-bulk-${n}`, users }) };
        const plan = await sync.createPlan(c.id, reader, { requestedBy: 'alice', source: 'api' });
        const log: string[] = [];
        const { run } = await applyImportPlan(recording(store.db, log), plan, { confirmedBy: 'bob', now: clock });
        assert.equal(run.counts.created, n);
        // The history document of each created user is exactly the user as the store now reads it.
        const history = await store.listChanges(c.id, { runId: run.id });
        const created = history.filter((h) => h.entity === 'user' && h.action === 'create');
        assert.equal(created.length, n);
        for (const h of created) assert.deepEqual(h.after, userDoc(await store.getUser(c.id, h.entityId)));
        return log;
      };
      const small = await statementsFor(3);
      const large = await statementsFor(120);
      assert.equal(large.length, small.length, 'statements grow with the rows');
      assert.ok(!large.some((t) => /json_agg/.test(t)), 'a created user was read back');
    });

    it('B5: updates are logged field by field with before and after', async () => {
      const plan = await sync.createPlan(company.id, fixed([du(1, { displayName: 'Renamed', department: '開発部' }), du(2), du(3, { department: null })]), {
        requestedBy: 'alice',
        source: 'api',
      });
      const { run } = await sync.apply(company.id, plan.id, { confirmedBy: 'bob' });
      assert.deepEqual(run.counts, { created: 0, updated: 1, deleted: 0, departmentsCreated: 0 });
      const [change] = await store.listChanges(company.id, { runId: run.id });
      assert.equal(change!.action, 'update');
      assert.equal(change!.before?.name, 'User 1');
      assert.equal(change!.after?.name, 'Renamed');
      assert.deepEqual((change!.after?.departments as { code: string }[]).map((d) => d.code), ['開発部']);
    });

    it('R5: when the transaction fails halfway, nothing at all is written and the plan stays pending', async () => {
      const plan = await sync.createPlan(company.id, fixed([du(1), du(2), du(3, { department: null }), du(5), du(6)]), {
        requestedBy: 'alice',
        source: 'api',
      });
      assert.equal(plan.changes.createUsers.length, 2);
      // Corrupt the stored plan so the second insert collides with the first at commit time.
      const bad = { ...plan, changes: { ...plan.changes, createUsers: plan.changes.createUsers.map((u) => ({ ...u, loginName: 'same@contoso.com' })) } };
      const before = await dump(store, company.id);
      const code = await codeOf(applyImportPlan(store.db, bad, { confirmedBy: 'bob', now: clock }));
      assert.equal(code, 'DUPLICATE_LOGIN_NAME');
      assert.deepEqual(await dump(store, company.id), before);
      assert.equal((await store.getPlan(company.id, plan.id)).status, 'pending');
    });

    it('R5/B5: a failure inside the sync service is recorded as a failed run that changed nothing', async () => {
      const plan = await sync.createPlan(company.id, fixed([du(1), du(2), du(3, { department: null }), du(5), du(6)]), {
        requestedBy: 'alice',
        source: 'api',
      });
      // Another writer takes one of the planned login names inside the same data version (as a crash-prone peer could).
      await store.db.query(`alter table users disable trigger users_version_ins`);
      try {
        await store.db.query(
          // The key columns are written by the store (defect 8: foldKey), so a raw writer writes them too.
          `insert into users (company_id, login_name, login_key, password_hash, name) values ($1, 'user5@contoso.com', 'user5@contoso.com', 'x', 'Squatter')`,
          [company.id],
        );
      } finally {
        await store.db.query(`alter table users enable trigger users_version_ins`);
      }
      const before = await dump(store, company.id);
      assert.equal(await codeOf(sync.apply(company.id, plan.id, { confirmedBy: 'bob' })), 'DUPLICATE_LOGIN_NAME');
      assert.deepEqual(await dump(store, company.id), before);
      const [run] = await store.listRuns(company.id, 1);
      assert.equal(run!.status, 'failed');
      assert.equal(run!.planId, plan.id);
      assert.match(run!.error!.message, /nothing was changed/);
      await store.db.query(`delete from users where login_name = 'user5@contoso.com'`);
    });

    it('B3: expired and stale plans are refused and marked; cancelled plans too', async () => {
      const expired = await sync.createPlan(company.id, fixed([du(1), du(2), du(7)]), { requestedBy: 'a', source: 'api' });
      clock = new Date(clock.getTime() + 16 * 60_000);
      assert.equal(await codeOf(sync.apply(company.id, expired.id, { confirmedBy: 'b' })), 'PLAN_EXPIRED');
      assert.equal((await store.getPlan(company.id, expired.id)).status, 'expired');

      const stale = await sync.createPlan(company.id, fixed([du(1), du(2), du(7)]), { requestedBy: 'a', source: 'api' });
      await store.createUser(company.id, { loginName: 'manual', password: 'Passw0rd!', name: 'Manual' }, 'someone');
      assert.equal((await sync.getPlan(company.id, stale.id)).status, 'stale');
      assert.equal(await codeOf(sync.apply(company.id, stale.id, { confirmedBy: 'b' })), 'PLAN_STALE');

      const cancelled = await sync.createPlan(company.id, fixed([du(1), du(2), du(7)]), { requestedBy: 'a', source: 'api' });
      assert.equal((await sync.cancel(company.id, cancelled.id, 'carol')).status, 'cancelled');
      assert.equal(await codeOf(sync.apply(company.id, cancelled.id, { confirmedBy: 'b' })), 'PLAN_CANCELLED');
    });

    it('a double-clicked Confirm applies once and answers the first run both times', async () => {
      const plan = await sync.createPlan(company.id, fixed([du(1), du(2), du(8)]), { requestedBy: 'a', source: 'teams' });
      const first = await sync.apply(company.id, plan.id, { confirmedBy: 'b' });
      const second = await sync.apply(company.id, plan.id, { confirmedBy: 'c' });
      assert.equal(second.run.id, first.run.id);
      assert.equal(second.alreadyApplied, true);
      assert.equal((await store.listRuns(company.id)).filter((r) => r.planId === plan.id).length, 1);
    });

    if (engine.name === 'PostgreSQL') {
      it('B4: one import per company at a time across connections (advisory lock)', async () => {
        const cancelled = await sync.createPlan(company.id, fixed([du(1), du(2), du(8), du(9)]), { requestedBy: 'a', source: 'api' });
        await sync.cancel(company.id, cancelled.id, 'carol');
        const plan = await sync.createPlan(company.id, fixed([du(1), du(2), du(8), du(9)]), { requestedBy: 'a', source: 'api' });
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let locked!: () => void;
        const isLocked = new Promise<void>((r) => (locked = r));
        // Another instance holds the company's import lock in its own transaction.
        const holder = store.db.transaction(async (tx) => {
          await tx.query(`select pg_advisory_xact_lock(hashtextextended('safety-sync:import:' || $1::text, 0))`, [company.id]);
          locked();
          await held;
        });
        await isLocked;
        assert.equal(await codeOf(sync.apply(company.id, plan.id, { confirmedBy: 'b' })), 'IMPORT_IN_PROGRESS');
        // A plan settled already says why, whatever else runs: it never waits for an import lock it does not need.
        assert.equal(await codeOf(sync.apply(company.id, cancelled.id, { confirmedBy: 'b' })), 'PLAN_CANCELLED');
        release();
        await holder;
        assert.equal((await sync.apply(company.id, plan.id, { confirmedBy: 'b' })).run.status, 'succeeded');
      });
    }
  });
}
