/**
 * Issue 7 defect 1: the database connection of a running transaction is killed for real
 * (`pg_terminate_backend` from a second connection) under `safety-sync serve` running as a child
 * process. The kill is deterministic: the test first holds a row lock the transaction needs, waits
 * until the server's backend is blocked on it (pg_blocking_pids), and terminates exactly that backend.
 * Runs only when TEST_DATABASE_URL names a PostgreSQL server.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import type { Company, Plan, Run } from '../../src/domain/types.ts';
import { startGraphEmulator, type GraphUserInput } from '../../src/devtools/graph-emulator.ts';
import { postgresSchemaUrl } from '../helpers/databases.ts';
import { freePort } from '../helpers/net.ts';
import { startServeProcess } from '../helpers/spawn.ts';

const TENANT = '71717171-2222-4333-8444-555555555555';
const API_KEY = 'db-faults-test-key-0123456789';
const USERS = 200;
const oid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const entraUser = (n: number): GraphUserInput => ({
  id: oid(n),
  userPrincipalName: `user${n}@faults.example`,
  displayName: `User ${n}`,
  mail: `user${n}@faults.example`,
  department: `Dept ${n % 7}`,
  accountEnabled: true,
  userType: 'Member',
});

/** A second connection that holds a row lock and terminates whichever backend waits on it. */
class LockHolder {
  private constructor(
    private readonly client: pg.Client,
    readonly pid: number,
  ) {}

  static async open(databaseUrl: string): Promise<LockHolder> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const [row] = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows;
    return new LockHolder(client, row!.pid);
  }

  async hold(sql: string, params: unknown[]): Promise<void> {
    await this.client.query('begin');
    await this.client.query(sql, params);
  }

  /** Waits (polling the catalogue, not a timer assertion) for the backend blocked by this one; terminates it. */
  async terminateBlocked(): Promise<number> {
    for (;;) {
      // Inside a transaction pg_stat_activity is a snapshot taken once: take a fresh one each time.
      await this.client.query('select pg_stat_clear_snapshot()');
      const { rows } = await this.client.query<{ pid: number }>(
        'select pid from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
        [this.pid],
      );
      if (rows[0]) {
        const { rows: done } = await this.client.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [rows[0].pid]);
        assert.equal(done[0]!.ok, true);
        return rows[0].pid;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async release(): Promise<void> {
    await this.client.query('rollback');
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

describe('database faults under a running server (issue 7 defect 1)', function () {
  this.timeout(120_000);
  const url = process.env.TEST_DATABASE_URL;
  let emu: Awaited<ReturnType<typeof startGraphEmulator>> | undefined;
  let child: ChildProcess | undefined;
  let holder: LockHolder | undefined;
  let base = '';
  let out = '';
  let company: Company;
  let databaseUrl = '';

  const call = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after'), body: (text ? JSON.parse(text) : null) as T };
  };
  const P = () => `/api/v1/companies/${company.id}`;
  const alive = async () => {
    assert.equal(child!.exitCode, null, `the server process died:\n${out}`);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  };

  before(async function () {
    if (!url) {
      console.log('      (skipped: TEST_DATABASE_URL is not set)');
      this.skip();
    }
    emu = await startGraphEmulator({
      tenant: { tenantId: TENANT, displayName: 'Faults', directoryRoles: {}, users: Array.from({ length: USERS }, (_, i) => entraUser(i + 1)) },
    });
    databaseUrl = await postgresSchemaUrl(url!);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = await startServeProcess({ port, databaseUrl, apiKey: API_KEY, GRAPH_BASE_URL: emu.baseUrl, GRAPH_ACCESS_TOKEN: 'faults-graph-token' }, (c) => (out += c));
    const created = await call<Company>('POST', '/api/v1/companies', { name: 'Faults Co', plan: 'premier', maxUsers: 5000, entraTenantId: TENANT });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    company = created.body;
    assert.equal((await call('PATCH', `${P()}/settings`, { initialPassword: 'Welcome#2026' })).status, 200);
    holder = await LockHolder.open(databaseUrl);
  });

  after(async () => {
    await holder?.close().catch(() => undefined);
    child?.kill('SIGTERM');
    await emu?.close();
  });

  it('defect 1: a terminated backend during an apply leaves the server up, answers a JSON error, records the failed run, and the next import succeeds', async () => {
    const plan = await call<Plan>('POST', `${P()}/sync/plans`, {});
    assert.equal(plan.status, 201, JSON.stringify(plan.body));
    assert.equal(plan.body.summary.usersToCreate, USERS);

    // The applier takes the company row `for update` once it holds the import lock: hold it first.
    await holder!.hold('select id from companies where id = $1 for update', [company.id]);
    const applying = call<{ error?: { code: string; message: string } }>('POST', `${P()}/sync/plans/${plan.body.id}/apply`, {});
    await holder!.terminateBlocked();
    await holder!.release();
    const answer = await applying; // a dropped socket (crashed process) rejects here
    assert.equal(answer.status, 503, JSON.stringify(answer.body));
    assert.match(answer.contentType, /json/);
    assert.equal(answer.body.error?.code, 'DATABASE_UNAVAILABLE');
    assert.ok(answer.retryAfter, 'a 503 says when to try again');
    await alive();

    const runs = await call<Run[]>('GET', `${P()}/sync/runs`);
    assert.equal(runs.status, 200);
    const failed = runs.body.find((r) => r.planId === plan.body.id);
    assert.ok(failed, 'the failed run is in the history');
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'DATABASE_UNAVAILABLE');
    assert.match(failed.error?.message ?? '', /database connection/i);

    // The import lock was released with the dead connection: a new plan applies.
    const again = await call<Plan>('POST', `${P()}/sync/plans`, {});
    assert.equal(again.status, 201, JSON.stringify(again.body));
    const applied = await call<Run>('POST', `${P()}/sync/plans/${again.body.id}/apply`, {});
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    assert.equal(applied.body.status, 'succeeded');
    assert.equal(applied.body.counts.created, USERS);
    await alive();
  });

  it('defect 1: a terminated backend during a SCIM write leaves the server up and answers a SCIM error', async () => {
    const token = await call<{ token: string }>('POST', `${P()}/scim-tokens`, { label: 'Entra' });
    assert.equal(token.status, 201);
    const scim = <T>(method: string, path: string, body?: unknown) =>
      call<T>(method, `/scim/v2${path}`, body, { authorization: `Bearer ${token.body.token}`, 'content-type': 'application/scim+json' });
    const found = await scim<{ Resources: { id: string }[] }>('GET', `/Users?filter=${encodeURIComponent('userName eq "user1@faults.example"')}`);
    assert.equal(found.status, 200);
    const userId = found.body.Resources[0]!.id;

    const patchBody = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'displayName', value: 'User One (renamed)' }],
    };
    // Every SCIM write of a user locks its row: hold it first.
    await holder!.hold('select id from users where id = $1 for update', [userId]);
    const patching = scim<{ schemas: string[]; status: string; detail: string }>('PATCH', `/Users/${userId}`, patchBody);
    await holder!.terminateBlocked();
    await holder!.release();
    const answer = await patching;
    assert.equal(answer.status, 503, JSON.stringify(answer.body));
    assert.deepEqual(answer.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal(answer.body.status, '503');
    assert.ok(answer.retryAfter, 'Entra is told when to retry');
    await alive();

    const retried = await scim<{ displayName: string }>('PATCH', `/Users/${userId}`, patchBody);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.displayName, 'User One (renamed)');
  });
});
