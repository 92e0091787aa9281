/**
 * §3 Operations: graceful shutdown of a spawned `safety-sync serve`. The work in flight is held
 * for real (a Graph page the test keeps open; a PostgreSQL row lock the test holds), then SIGTERM:
 * the server stops accepting at once, lets the work finish within SHUTDOWN_GRACE_MS or cuts it
 * (the transaction rolls back), leaves no run behind, and exits 0.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { seedDemoCompany, startDemoTenant, type DemoTenant } from '../../src/devtools/demo.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SafetyStore } from '../../src/store/safety-store.ts';
import { freePort } from '../helpers/net.ts';
import { spawnCli, type CliProcess } from '../helpers/spawn.ts';

const API_KEY = 'shutdown-test-api-key-0123456789';

/** A Graph in front of the emulator that holds the first /users page until released. */
async function startGatedGraph(target: string) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let seen!: () => void;
  const usersRequested = new Promise<void>((r) => (seen = r));
  const upstream = new URL(target);
  const server: Server = createServer(async (req, res) => {
    if (/\/users/.test(req.url ?? '')) {
      seen();
      await released;
    }
    const r = await fetch(`${upstream.origin}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' } });
    res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await r.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    baseUrl: `http://127.0.0.1:${port}${upstream.pathname}`,
    usersRequested,
    release,
    close: () => {
      release();
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function logEvents(p: CliProcess): Record<string, unknown>[] {
  return p
    .err()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
}

describe('graceful shutdown on SIGTERM (spawned serve)', function () {
  this.timeout(400_000);
  let tenant: DemoTenant;
  before(async () => {
    tenant = await startDemoTenant();
  });
  after(() => tenant.close());

  it('embedded database: a plan being read when SIGTERM arrives is finished and answered; new connections are refused; exit 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'safety-sync-shutdown-'));
    const graph = await startGatedGraph(tenant.graphBaseUrl);
    try {
      const seed = await SafetyStore.open(await openDatabase(undefined, { dataDir }));
      const { company } = await seedDemoCompany(seed);
      await seed.close();
      const port = await freePort();
      const server = spawnCli(['serve'], {
        DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', SAFETY_API_KEY: API_KEY,
        GRAPH_BASE_URL: graph.baseUrl, GRAPH_ACCESS_TOKEN: 'demo-emulated-tenant', LOG_LEVEL: 'info',
      });
      await server.waitFor(/listening on/);
      const base = `http://127.0.0.1:${port}`;
      const planned = fetch(`${base}/api/v1/companies/${company.id}/sync/plans`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', 'x-request-id': 'plan-before-sigterm' },
        body: '{}',
      });
      await graph.usersRequested;
      server.child.kill('SIGTERM');
      await server.waitFor(/"event":"shutdown\.started"/);
      assert.ok(await refused(`${base}/healthz`), 'no new connection after SIGTERM');
      graph.release();
      const res = await planned;
      assert.equal(res.status, 201);
      const plan = (await res.json()) as { id: string; status: string };
      assert.equal(await server.exit(), 0);
      const events = logEvents(server);
      assert.deepEqual(events.find((e) => e.event === 'shutdown.finished')?.clean, true);
      assert.ok(events.some((e) => e.event === 'plan.created' && e.requestId === 'plan-before-sigterm'));
      assert.equal(existsSync(join(dataDir, 'server.lock.json')), false);
      const check = await SafetyStore.open(await openDatabase(undefined, { dataDir }));
      const plans = await check.listPlans(company.id);
      await check.close();
      assert.deepEqual(plans.map((p) => [p.id, p.status]), [[plan.id, 'pending']]);
    } finally {
      await graph.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('PostgreSQL: an import held inside its transaction by a row lock the test holds', () => {
    const url = process.env.TEST_DATABASE_URL;
    let admin: pg.Client;
    let schema = '';
    let schemaUrl = '';
    beforeEach(async function () {
      if (!url) this.skip();
      admin = new pg.Client({ connectionString: url });
      await admin.connect();
      schema = `t_${randomBytes(6).toString('hex')}`;
      await admin.query(`create schema ${schema}`);
      const sep = url!.includes('?') ? '&' : '?';
      schemaUrl = `${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    });
    afterEach(async () => {
      if (!admin) return;
      await admin.query(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await admin.end();
    });

    /** Starts serve, plans, locks the company row, starts the apply and waits until it is blocked. */
    async function importBlocked(extraEnv: Record<string, string>) {
      const seed = await SafetyStore.open(await openDatabase(schemaUrl));
      const { company } = await seedDemoCompany(seed);
      await seed.close();
      const appName = `ops-shutdown-${randomBytes(4).toString('hex')}`;
      const port = await freePort();
      const server = spawnCli(['serve'], {
        DATABASE_URL: `${schemaUrl}&application_name=${appName}`, PORT: String(port), HOST: '127.0.0.1', SAFETY_API_KEY: API_KEY,
        GRAPH_BASE_URL: tenant.graphBaseUrl, GRAPH_ACCESS_TOKEN: 'demo-emulated-tenant', LOG_LEVEL: 'info', ...extraEnv,
      });
      await server.waitFor(/listening on/);
      const base = `http://127.0.0.1:${port}`;
      const api = (path: string) =>
        fetch(`${base}/api/v1/companies/${company.id}${path}`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: '{}' });
      const planRes = await api('/sync/plans');
      assert.equal(planRes.status, 201);
      const plan = (await planRes.json()) as { id: string; errors: unknown[] };
      assert.deepEqual(plan.errors, []);
      const holder = new pg.Client({ connectionString: schemaUrl });
      await holder.connect();
      await holder.query('begin');
      await holder.query('select 1 from companies where id = $1 for update', [company.id]);
      const applied = api(`/sync/plans/${plan.id}/apply`).then(
        async (r) => ({ status: r.status, body: (await r.json()) as { status?: string; error?: string } }),
        (e: unknown) => ({ status: 0, body: { error: String(e) } as { status?: string; error?: string } }),
      );
      for (let i = 0; ; i++) {
        const { rows } = await admin.query(`select 1 from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'`, [appName]);
        if (rows.length > 0) break;
        if (i > 600) throw new Error('the import never reached the held lock');
        await new Promise((r) => setTimeout(r, 100));
      }
      return { company, plan, server, base, holder, applied, appName };
    }

    async function state(companyId: string, planId: string) {
      const runs = await admin.query(`select status from ${schema}.runs where company_id = $1`, [companyId]);
      const [plan] = (await admin.query(`select status, run_id from ${schema}.plans where id = $1`, [planId])).rows;
      return { runs: runs.rows.map((r: { status: string }) => r.status), plan: plan.status as string };
    }

    it('SIGTERM lets the running import finish within the grace period: answered 200, committed, exit 0', async () => {
      const t = await importBlocked({ SHUTDOWN_GRACE_MS: '120000' });
      try {
        t.server.child.kill('SIGTERM');
        await t.server.waitFor(/"event":"shutdown\.started"/);
        assert.ok(await refused(`${t.base}/healthz`), 'no new connection after SIGTERM');
        await t.holder.query('commit');
        const r = await t.applied;
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.status, 'succeeded');
        assert.equal(await t.server.exit(), 0);
        assert.deepEqual(logEvents(t.server).find((e) => e.event === 'shutdown.finished')?.clean, true);
        assert.deepEqual(await state(t.company.id, t.plan.id), { runs: ['succeeded'], plan: 'applied' });
      } finally {
        await t.holder.end();
      }
    });

    it('SIGTERM past the grace period cuts the import: exit 0, the transaction rolls back, no run is left and the plan stays pending', async () => {
      const t = await importBlocked({ SHUTDOWN_GRACE_MS: '200' });
      try {
        t.server.child.kill('SIGTERM');
        assert.equal(await t.server.exit(), 0);
        assert.deepEqual(logEvents(t.server).find((e) => e.event === 'shutdown.finished')?.clean, false);
        assert.equal((await t.applied).status, 0, 'the cut request got no answer');
        await t.holder.query('commit');
        for (let i = 0; ; i++) {
          const { rows } = await admin.query(`select 1 from pg_stat_activity where application_name = $1`, [t.appName]);
          if (rows.length === 0) break;
          if (i > 600) throw new Error('the server’s backend never went away');
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.deepEqual(await state(t.company.id, t.plan.id), { runs: [], plan: 'pending' });
      } finally {
        await t.holder.end();
      }
    });
  });
});
