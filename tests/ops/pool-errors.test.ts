/**
 * Issue 7 defect 14, the pool's error handler: an idle pooled connection whose backend is
 * terminated for real (`pg_terminate_backend` from a second connection) is logged as
 * `db.pool_error` with a code, the process carries on, and the next query opens a new connection.
 * Once in-process through `openDatabase({onError})`, once under `safety-sync serve` as a child
 * process (the wiring in src/app.ts). Runs only when TEST_DATABASE_URL names a PostgreSQL server.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Db } from '../../src/store/database.ts';
import { postgresSchemaUrl } from '../helpers/databases.ts';
import { freePort } from '../helpers/net.ts';
import { startServeProcess } from '../helpers/spawn.ts';

const API_KEY = 'pool-errors-test-key-0123456789';

/** The URL with an application_name (to find its backends) and a password that must never be logged. */
function tagged(url: string, appName: string, password: string): string {
  const u = new URL(url);
  u.password = password;
  u.searchParams.set('application_name', appName);
  return u.toString();
}

/**
 * Terminates the idle backends of appName. `touch` makes the pool use (and so hold idle) a
 * connection first; repeated until one idle backend was there to terminate (an idle connection
 * the pool closes by itself in the meantime is simply retried).
 */
async function terminateIdle(admin: pg.Client, appName: string, touch: () => Promise<void>): Promise<number[]> {
  for (;;) {
    await touch();
    const { rows } = await admin.query<{ pid: number }>(
      "select pid from pg_stat_activity where application_name = $1 and state = 'idle'",
      [appName],
    );
    const pids: number[] = [];
    for (const { pid } of rows) {
      const { rows: done } = await admin.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [pid]);
      if (done[0]?.ok) pids.push(pid);
    }
    if (pids.length > 0) return pids;
  }
}

describe('PostgreSQL pool errors are logged, not swallowed (issue 7 defect 14)', function () {
  this.timeout(60_000);
  const url = process.env.TEST_DATABASE_URL;
  let admin: pg.Client | undefined;

  before(async function () {
    if (!url) {
      console.log('      (skipped: TEST_DATABASE_URL is not set)');
      this.skip();
    }
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  after(async () => {
    await admin?.end();
  });

  it('defect 14: openDatabase reports a terminated idle pool connection to onError (code 57P01), and the pool carries on', async () => {
    const appName = `pool-err-${randomBytes(4).toString('hex')}`;
    const errors: Error[] = [];
    let reported!: () => void;
    const seen = new Promise<void>((resolve) => (reported = resolve));
    const db: Db = await openDatabase(tagged(await postgresSchemaUrl(url!), appName, 'never-logged'), {
      onError: (e) => {
        errors.push(e);
        reported();
      },
    });
    try {
      const killed = await terminateIdle(admin!, appName, async () => void (await db.query('select 1')));
      await seen;
      assert.equal((errors[0] as Error & { code?: string }).code, '57P01', `reported: ${errors[0]?.message}`);
      // The dead connection left the pool: the next query runs on a new backend.
      const [row] = await db.query<{ pid: number }>('select pg_backend_pid() as pid');
      assert.ok(row && !killed.includes(row.pid));
    } finally {
      await db.close();
    }
  });

  describe('under safety-sync serve', () => {
    let child: ChildProcess | undefined;
    let out = '';
    let base = '';
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const appName = `pool-serve-${randomBytes(4).toString('hex')}`;
    let databaseUrl = '';

    before(async () => {
      databaseUrl = tagged(await postgresSchemaUrl(url!), appName, password);
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      child = await startServeProcess({ port, databaseUrl, apiKey: API_KEY, GRAPH_ACCESS_TOKEN: 'pool-errors-graph-token' }, (c) => (out += c));
    });
    after(() => {
      child?.kill('SIGTERM');
    });

    const poolErrorLines = () =>
      out
        .split('\n')
        .filter((l) => l.includes('"db.pool_error"'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);

    it('defect 14: a terminated idle pool connection under serve logs db.pool_error with a code (no URL, no password), and the server keeps answering', async () => {
      await terminateIdle(admin!, appName, async () => {
        const res = await fetch(`${base}/readyz`);
        assert.equal(res.status, 200, await res.text());
      });
      // Wait for the line (the process reports the fault when its socket sees the termination).
      while (poolErrorLines().length === 0) {
        assert.equal(child!.exitCode, null, `the server process died:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const [line] = poolErrorLines();
      assert.equal(line!.level, 'error');
      assert.equal(line!.code, 'DATABASE_CONNECTION_LOST');
      assert.equal(line!.cause, '57P01');
      assert.ok(!out.includes(password), 'the password never reaches the log');
      assert.ok(!out.includes(appName), 'the connection string never reaches the log');
      // The process survived and the next request uses a new connection.
      assert.equal(child!.exitCode, null, `the server process died:\n${out}`);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const companies = await fetch(`${base}/api/v1/companies`, { headers: { authorization: `Bearer ${API_KEY}` } });
      assert.equal(companies.status, 200);
    });
  });
});
