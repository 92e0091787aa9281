/**
 * Issue 7 defect 4: an import and SCIM writes to the same users, raced over HTTP on PostgreSQL
 * (PGlite has one connection and cannot deadlock, so it runs there too as a plain contract check).
 * Every round plans an update of every user, then sends the apply together with a burst of SCIM
 * PATCHes of those users and POSTs of new ones. Neither side may answer 500 or mention a deadlock:
 * the import answers 200 (or 409 PLAN_STALE when a SCIM write committed first), SCIM answers
 * 200/201 (or 503 with Retry-After when it could not get the company's write lock in time).
 * On PostgreSQL every round overlaps for certain (see Overlap), not by luck of timing.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Company, Plan } from '../../src/domain/types.ts';
import { startGraphEmulator, type GraphUserInput } from '../../src/devtools/graph-emulator.ts';
import { postgresSchemaUrl } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/api.ts';

const TENANT = '81818181-2222-4333-8444-555555555555';
const USERS = 300;
const ROUNDS = 7;
const BURST = 24;
const oid = (n: number) => `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`;
const entraUser = (n: number, round: number): GraphUserInput => ({
  id: oid(n),
  userPrincipalName: `race${n}@race.example`,
  displayName: `Racer ${n} r${round}`,
  mail: `race${n}@race.example`,
  department: `Team ${n % 5}`,
  businessPhones: [`03-0000-${String(n).padStart(4, '0')}`],
  accountEnabled: true,
  userType: 'Member',
});

/**
 * PostgreSQL only: makes the overlap certain instead of likely. A second connection inserts, with
 * triggers off, the department the plan is about to create: its foreign key holds a KEY SHARE lock
 * on the company row, so the import (which takes that row `for update`) starts and waits. Once a
 * SCIM write is queued behind the import (pg_blocking_pids), the insert is rolled back: before the
 * fix the SCIM write held a user row and the import then needed it, which PostgreSQL broke as a
 * deadlock (500); now the SCIM write waits for the import without holding anything.
 */
class Overlap {
  private constructor(private readonly client: pg.Client) {}
  static async open(databaseUrl: string): Promise<Overlap> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    return new Overlap(client);
  }
  async holdDepartment(companyId: string, rootId: string, code: string): Promise<void> {
    await this.client.query('begin');
    await this.client.query(`set local session_replication_role = replica`);
    await this.client.query(
      `insert into departments (company_id, code, name, parent_id, level, source) values ($1, $2, $2, $3, 1, 'manual')`,
      [companyId, code, rootId],
    );
  }
  /**
   * Polls the catalogue (not a timer) until `sql` finds a row or `settled()` says the import has
   * answered (then there is nothing left to wait for and the assertions judge the answer).
   */
  private async until(sql: string, settled: () => boolean): Promise<boolean> {
    while (!settled()) {
      // Inside a transaction pg_stat_activity is a snapshot taken once: take a fresh one each time.
      await this.client.query('select pg_stat_clear_snapshot()');
      if ((await this.client.query(sql)).rows.length > 0) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }
  /** The import has started and waits on this connection (holding its plan row and import lock). */
  untilImportWaits(settled: () => boolean): Promise<boolean> {
    return this.until(`select 1 from pg_stat_activity where pg_backend_pid() = any(pg_blocking_pids(pid))`, settled);
  }
  /** A SCIM write is queued behind the waiting import. */
  untilScimWaitsOnImport(settled: () => boolean): Promise<boolean> {
    return this.until(
      `select 1 from pg_stat_activity imp join pg_stat_activity w on imp.pid = any(pg_blocking_pids(w.pid))
        where pg_backend_pid() = any(pg_blocking_pids(imp.pid))`,
      settled,
    );
  }
  async release(): Promise<void> {
    await this.client.query('rollback');
  }
  close(): Promise<void> {
    return this.client.end();
  }
}

const engines = [{ name: 'PGlite', url: async () => undefined as string | undefined }];
if (process.env.TEST_DATABASE_URL) engines.push({ name: 'PostgreSQL', url: () => postgresSchemaUrl(process.env.TEST_DATABASE_URL!) });

for (const engine of engines) {
  describe(`an import raced with SCIM writes to the same users (${engine.name})`, function () {
    this.timeout(300_000);
    let emu: Awaited<ReturnType<typeof startGraphEmulator>>;
    let t: TestServer;
    let company: Company;
    let scimToken: string;
    let overlap: Overlap | undefined;
    const P = () => `/api/v1/companies/${company.id}`;
    const scim = (method: string, path: string, body?: unknown) =>
      fetch(`${t.running.url}/scim/v2${path}`, {
        method,
        headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), text: await r.text() }));

    before(async () => {
      emu = await startGraphEmulator({
        tenant: { tenantId: TENANT, displayName: 'Race', directoryRoles: {}, users: Array.from({ length: USERS }, (_, i) => entraUser(i + 1, 0)) },
      });
      const databaseUrl = await engine.url();
      t = await startTestServer(emu.baseUrl, () => [], { databaseUrl });
      if (databaseUrl) overlap = await Overlap.open(databaseUrl);
      company = (await t.call<Company>('POST', '/api/v1/companies', { name: 'Race Co', plan: 'premier', maxUsers: 10_000, entraTenantId: TENANT })).body;
      await t.call('PATCH', `${P()}/settings`, { initialPassword: 'Welcome#2026' });
      scimToken = (await t.call<{ token: string }>('POST', `${P()}/scim-tokens`, { label: 'Entra' })).body.token;
      const first = await t.call<Plan>('POST', `${P()}/sync/plans`, {});
      assert.equal((await t.call('POST', `${P()}/sync/plans/${first.body.id}/apply`, {})).status, 200);
    });
    after(async () => {
      await overlap?.close();
      await t?.close();
      await emu?.close();
    });

    it('defect 4: an import and a burst of SCIM writes to the same users never deadlock and never answer 500', async () => {
      const users = (await t.call<{ id: string; entraObjectId: string }[]>('GET', `${P()}/users`)).body;
      assert.equal(users.length, USERS);
      const answers: { side: string; status: number; text: string }[] = [];
      let imported = 0;
      for (let round = 1; round <= ROUNDS; round++) {
        for (let n = 1; n <= USERS; n++) emu.updateUser(oid(n), { displayName: `Racer ${n} r${round}` });
        emu.updateUser(oid(1), { department: `New team r${round}` });
        const plan = await t.call<Plan>('POST', `${P()}/sync/plans`, {});
        assert.equal(plan.status, 201, JSON.stringify(plan.body));
        assert.equal(plan.body.summary.usersToUpdate, USERS);
        assert.equal(plan.body.changes.createDepartments.length, 1);
        await overlap?.holdDepartment(company.id, company.rootDepartmentId, plan.body.changes.createDepartments[0]!.code);
        let settled = false;
        const apply = t.call<unknown>('POST', `${P()}/sync/plans/${plan.body.id}/apply`, {}).then((r) => {
          settled = true;
          return { side: 'import', status: r.status, text: JSON.stringify(r.body) };
        });
        // The burst starts only once the import holds its locks and waits (PostgreSQL).
        if (overlap) assert.ok(await overlap.untilImportWaits(() => settled), 'the import waits on the held department');
        const burst = Array.from({ length: BURST }, (_, i) => {
          if (i % 4 === 3) {
            return scim('POST', '/Users', {
              schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
              userName: `scim-${round}-${i}@race.example`,
              displayName: `SCIM ${round}-${i}`,
              emails: [{ type: 'work', primary: true, value: `scim-${round}-${i}@race.example` }],
              'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: `Team ${i % 5}` },
            });
          }
          const u = users[(round * BURST + i) % users.length]!;
          return scim('PATCH', `/Users/${u.id}`, {
            schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
            Operations: [
              { op: 'replace', path: 'displayName', value: `SCIM ${round}-${i}` },
              { op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: `Team ${(i + round) % 5}` },
            ],
          });
        });
        if (overlap) {
          await overlap.untilScimWaitsOnImport(() => settled);
          await overlap.release();
        }
        const results = await Promise.all([apply, ...burst.map((p) => p.then((r) => ({ side: 'scim', ...r })))]);
        for (const r of results) {
          answers.push(r);
          if (r.side === 'scim' && r.status === 503) assert.ok((r as { retryAfter?: string | null }).retryAfter, 'a 503 says when to retry');
        }
        if (results[0]!.status === 200) imported++;
      }
      const bad = answers.filter((a) => a.status >= 500 && a.status !== 503);
      assert.deepEqual(bad, [], 'no 500 on either side');
      assert.deepEqual(answers.filter((a) => /deadlock/i.test(a.text)), [], 'no deadlock in any answer');
      for (const a of answers) {
        if (a.side === 'import') assert.ok(a.status === 200 || (a.status === 409 && /PLAN_STALE/.test(a.text)), a.text);
        else assert.ok([200, 201, 503].includes(a.status), `${a.status} ${a.text}`);
      }
      assert.ok(imported > 0, 'at least one round imported');
    });
  });
}
