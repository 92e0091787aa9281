/**
 * Start-up as an operator sees it (issue 7, defects 11-13): `node bin/safety-sync.mjs …` spawned
 * for real, each wait bounded so a hang fails the test instead of holding the suite.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DEMO_TENANT_ID } from '../../src/devtools/demo-tenant.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SafetyStore } from '../../src/store/safety-store.ts';
import { freePort } from '../helpers/net.ts';
import { spawnCli, type CliProcess } from '../helpers/spawn.ts';

/** GET with a Host header of our choosing (fetch does not let a page, or us, set it). */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string; requestId?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, requestId: res.headers['x-request-id'] as string | undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function stop(p: CliProcess): Promise<number | null> {
  p.child.kill('SIGTERM');
  return p.exit();
}

describe('start-up, demo safety and fail-fast CLI (spawned)', function () {
  this.timeout(400_000);
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'safety-sync-ops-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  describe('demo', () => {
    let demo: CliProcess;
    let port = 0;
    const operatorKey = `operator-key-${randomBytes(12).toString('hex')}`;
    before(async () => {
      port = await freePort();
      demo = spawnCli(['demo'], { DATABASE_URL: 'memory:', PORT: String(port), SAFETY_API_KEY: operatorKey, LOG_LEVEL: 'warn' });
      await demo.waitFor(/Safety Sync demo is running[\s\S]*Stop with Ctrl\+C/);
    });
    after(async () => {
      if (demo.child.exitCode === null) await stop(demo);
    });

    it('defect 11: demo refuses a request whose Host is not loopback (DNS rebinding) with 403 HOST_NOT_ALLOWED', async () => {
      for (const host of ['attacker.example', `attacker.example:${port}`, `rebind.attacker.example:${port}`, `10.0.0.5:${port}`, `localhost.attacker.example:${port}`, `localhost:${port + 1}`]) {
        for (const path of ['/tab', '/api/tab/session', '/api/v1/companies', '/healthz']) {
          const r = await getWithHost(port, path, host);
          assert.equal(r.status, 403, `${host} ${path}`);
          assert.equal(JSON.parse(r.body).error.code, 'HOST_NOT_ALLOWED', `${host} ${path}`);
        }
      }
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, 'localhost', `LOCALHOST:${port}`]) {
        assert.equal((await getWithHost(port, '/healthz', host)).status, 200, host);
      }
    });

    it("defect 11: the demo banner never prints the operator's own SAFETY_API_KEY", async () => {
      assert.doesNotMatch(demo.out() + demo.err(), new RegExp(operatorKey));
      assert.match(demo.out(), /Authorization: Bearer <the key from SAFETY_API_KEY>/);
    });

    it('defect 12: demo listens on loopback only and its start-up line says so', async () => {
      assert.match(demo.out(), new RegExp(`listening on\\s+127\\.0\\.0\\.1:${port} `));
      assert.match(demo.out(), new RegExp(`server\\s+http://127\\.0\\.0\\.1:${port} `));
    });

    it('defect 13: a second demo on the taken port fails fast, exit 1, before opening or seeding any database', async () => {
      const dataDir = join(tempDir(), 'never-created');
      const second = spawnCli(['demo'], { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' });
      assert.equal(await second.exit(), 1);
      assert.match(second.err(), new RegExp(`Port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.doesNotMatch(second.err(), /Unexpected error|\bat .+:\d+:\d+/);
      assert.equal(existsSync(dataDir), false, 'the embedded database was never opened');
    });

    it('SIGTERM stops the demo with exit 0', async () => {
      assert.equal(await stop(demo), 0);
    });
  });

  it('defect 13: a second demo on the same embedded database fails fast and leaves it to the first', async () => {
    const dataDir = tempDir();
    const first = spawnCli(['demo'], { DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: 'warn' });
    try {
      await first.waitFor(/Stop with Ctrl\+C/);
      const second = spawnCli(['demo'], { DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: 'warn' });
      assert.equal(await second.exit(), 1);
      assert.match(second.err(), /Another safety-sync server is running at http:\/\/127\.0\.0\.1:\d+ and owns the embedded database/);
    } finally {
      assert.equal(await stop(first), 0);
    }
    assert.equal(existsSync(join(dataDir, 'server.lock.json')), false, 'the lock file is removed at shutdown');
  });

  it('defect 12: serve binds all interfaces by default and says so; HOST=127.0.0.1 binds loopback only', async () => {
    const port = await freePort();
    const all = spawnCli(['serve'], { DATABASE_URL: 'memory:', PORT: String(port), SAFETY_API_KEY: 'serve-test-key-0123456789', LOG_LEVEL: 'warn' });
    try {
      await all.waitFor(/listening on/);
      assert.match(all.out(), new RegExp(`safety-sync listening on 0\\.0\\.0\\.0:${port} \\(all interfaces\\), http://127\\.0\\.0\\.1:${port} `));
      assert.doesNotMatch(all.out(), new RegExp(`listening on http://127\\.0\\.0\\.1`));
    } finally {
      assert.equal(await stop(all), 0);
    }
    const port2 = await freePort();
    const loop = spawnCli(['serve'], { DATABASE_URL: 'memory:', PORT: String(port2), HOST: '127.0.0.1', SAFETY_API_KEY: 'serve-test-key-0123456789', LOG_LEVEL: 'warn' });
    try {
      await loop.waitFor(/listening on/);
      assert.match(loop.out(), new RegExp(`safety-sync listening on 127\\.0\\.0\\.1:${port2}, http://127\\.0\\.0\\.1:${port2} `));
    } finally {
      assert.equal(await stop(loop), 0);
    }
  });

  it('defect 13: serve on a taken port exits 1 at once with a clear message', async () => {
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, '0.0.0.0', () => r()));
    const port = (holder.address() as { port: number }).port;
    try {
      const dataDir = join(tempDir(), 'never-created');
      const p = spawnCli(['serve'], { DATA_DIR: dataDir, PORT: String(port), SAFETY_API_KEY: 'serve-test-key-0123456789' });
      assert.equal(await p.exit(), 1);
      assert.match(p.err(), new RegExp(`Port ${port} on 0\\.0\\.0\\.0 is already in use`));
      assert.equal(existsSync(dataDir), false);
    } finally {
      holder.close();
    }
  });

  it('defect 13: serve with an unreachable DATABASE_URL exits 1 naming the host, never the password', async () => {
    const p = spawnCli(['serve'], {
      DATABASE_URL: 'postgres://operator:pa55-DO-NOT-LOG@127.0.0.1:9/safety',
      PORT: String(await freePort()),
      SAFETY_API_KEY: 'serve-test-key-0123456789',
    });
    assert.equal(await p.exit(), 1);
    assert.match(p.err(), /Cannot open the database \(127\.0\.0\.1:9\/safety\)/);
    assert.doesNotMatch(p.out() + p.err(), /pa55-DO-NOT-LOG|\bat .+:\d+:\d+/);
  });

  it('defect 13: demo never mixes its demo company into a database that holds companies of its own', async () => {
    const dataDir = tempDir();
    const store = await SafetyStore.open(await openDatabase(undefined, { dataDir }));
    await store.createCompany({ name: 'Fabrikam', plan: 'premier', maxUsers: 100 });
    await store.close();
    const p = spawnCli(['demo'], { DATA_DIR: dataDir, PORT: String(await freePort()) });
    assert.equal(await p.exit(), 2);
    assert.match(p.err(), /The demo would add demo data to a database that holds companies of its own/);
    const check = await SafetyStore.open(await openDatabase(undefined, { dataDir }));
    const names = (await check.listCompanies()).map((c) => c.name);
    await check.close();
    assert.deepEqual(names, ['Fabrikam']);
    assert.equal(existsSync(join(dataDir, 'server.lock.json')), false);
  });

  describe('plan with no server running', () => {
    it('defect 13: plan with several companies and no directory settings exits 2 with a message, adding no demo company', async () => {
      const dataDir = tempDir();
      const store = await SafetyStore.open(await openDatabase(undefined, { dataDir }));
      await store.createCompany({ name: 'Fabrikam', plan: 'premier', maxUsers: 100 });
      await store.createCompany({ name: 'Northwind', plan: 'enterprise', maxUsers: 100 });
      await store.close();
      const p = spawnCli(['plan'], { DATA_DIR: dataDir });
      assert.equal(await p.exit(), 2);
      assert.match(p.err(), /No directory configured[\s\S]*holds companies of its own/);
      const check = await SafetyStore.open(await openDatabase(undefined, { dataDir }));
      const names = (await check.listCompanies()).map((c) => c.name).sort();
      await check.close();
      assert.deepEqual(names, ['Fabrikam', 'Northwind'], 'no demo data in a database of real companies');
    });

    it('plan with several companies and a directory configured exits 2 listing them', async () => {
      const dataDir = tempDir();
      const store = await SafetyStore.open(await openDatabase(undefined, { dataDir }));
      const a = await store.createCompany({ name: 'Fabrikam', plan: 'premier', maxUsers: 100 });
      await store.createCompany({ name: 'Northwind', plan: 'enterprise', maxUsers: 100 });
      await store.close();
      const p = spawnCli(['plan'], { DATA_DIR: dataDir, GRAPH_BASE_URL: 'http://127.0.0.1:9/v1.0', GRAPH_ACCESS_TOKEN: 'unused' });
      assert.equal(await p.exit(), 2);
      assert.match(p.err(), new RegExp(`Several companies exist; choose one with --company:[\\s\\S]*${a.id}  Fabrikam`));
    });

    it('defect 13: plan --company with an unknown id exits 2 with NOT_FOUND instead of hanging', async () => {
      const p = spawnCli(['plan', '--company', '00000000-0000-4000-8000-000000000000'], { DATA_DIR: tempDir() });
      assert.equal(await p.exit(), 2);
      assert.match(p.err(), /NOT_FOUND/);
      assert.doesNotMatch(p.err(), /\bat .+:\d+:\d+/);
    });

    it('defect 13: plan without directory settings never seeds the demo company into the DATABASE_URL the user set', async function () {
      const url = process.env.TEST_DATABASE_URL;
      if (!url) this.skip();
      const schema = `t_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`create schema ${schema}`);
        const sep = url!.includes('?') ? '&' : '?';
        const dbUrl = `${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
        const p = spawnCli(['plan'], { DATABASE_URL: dbUrl });
        assert.equal(await p.exit(), 2);
        assert.match(p.err(), /No directory configured[\s\S]*never with DATABASE_URL/);
        const tables = await admin.query(`select count(*)::int as n from information_schema.tables where table_schema = $1`, [schema]);
        assert.equal(tables.rows[0].n, 0, 'the configured database was not even migrated');
      } finally {
        await admin.query(`drop schema if exists ${schema} cascade`);
        await admin.end();
      }
    });

    it('plan with no directory settings on an empty embedded database still uses the demo tenant (npm start story)', async () => {
      const dataDir = tempDir();
      const p = spawnCli(['plan'], { DATA_DIR: dataDir });
      assert.equal(await p.exit(), 0, p.err());
      assert.match(p.err(), /built-in emulated demo tenant/);
      const check = await SafetyStore.open(await openDatabase(undefined, { dataDir }));
      const [company] = await check.listCompanies();
      await check.close();
      assert.equal(company?.entraTenantId, DEMO_TENANT_ID);
    });
  });
});
