/**
 * §3 Operations over real HTTP: /healthz and /readyz against each engine (with the database
 * really cut), request ids on every answer and on every log line a request causes, and logs
 * that never carry a secret.
 */
import assert from 'node:assert/strict';
import { createServer, Socket, type Server } from 'node:net';
import { createContext, startServer, type AppContext, type RunningServer } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { seedDemoCompany, startDemoTenant, type DemoTenant } from '../../src/devtools/demo.ts';
import { createLogger, redact } from '../../src/log.ts';
import { createHttpServer, listen } from '../../src/server.ts';
import { openDatabase } from '../../src/store/database.ts';
import { migrationStatus, MIGRATIONS } from '../../src/store/migrations.ts';
import { SafetyStore } from '../../src/store/safety-store.ts';
import { engines } from '../helpers/databases.ts';
import { DEMO_ADMIN_OBJECT_ID, DEMO_TENANT_ID } from '../../src/devtools/demo-tenant.ts';
import { extraRegistrars } from '../../src/wiring.ts';
import { startLocalConnector } from '../teams/helpers/connector.ts';

const API_KEY = 'ops-test-api-key-0123456789';

async function readyz(base: string) {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as { status?: string; error?: { code: string } } };
}

async function serveStore(store: SafetyStore) {
  const server = createHttpServer({ store, log: createLogger('silent'), registrars: [] });
  const base = await listen(server, 0, '127.0.0.1');
  return { base, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A TCP proxy to the PostgreSQL server that the test can cut and restore: a real network fault. */
async function startCuttableProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        const upstream = new Socket();
        sockets.add(client).add(upstream);
        upstream.connect(target.port, target.host);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  await open();
  return {
    get port() {
      return port;
    },
    async cut() {
      await new Promise<void>((r) => server!.close(() => r()));
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore: open,
  };
}

describe('operations: health, readiness, request ids and logs', function () {
  this.timeout(120_000);

  for (const engine of engines()) {
    describe(`/healthz and /readyz on ${engine.name}`, () => {
      it('/healthz answers 200 while the process is up; /readyz 200 when the database answers and is migrated', async () => {
        const store = await engine.open();
        const s = await serveStore(store);
        try {
          const h = await fetch(`${s.base}/healthz`);
          assert.equal(h.status, 200);
          assert.deepEqual(await h.json(), { status: 'ok' });
          assert.deepEqual(await readyz(s.base), { status: 200, body: { status: 'ready', database: store.db.kind } });
          assert.deepEqual(await migrationStatus(store.db), { pending: [], current: MIGRATIONS.at(-1)!.version, latest: MIGRATIONS.at(-1)!.version });
        } finally {
          await s.close();
          await store.close();
        }
      });

      it('/readyz answers 503 MIGRATIONS_PENDING when the schema is behind this build (and migrationStatus writes nothing)', async () => {
        const store = await engine.open();
        const s = await serveStore(store);
        try {
          const last = MIGRATIONS.at(-1)!.version;
          await store.db.query('delete from schema_migrations where version = $1', [last]);
          const r = await readyz(s.base);
          assert.equal(r.status, 503);
          assert.equal(r.body.error?.code, 'MIGRATIONS_PENDING');
          assert.deepEqual((await migrationStatus(store.db)).pending, [last]);
          assert.deepEqual((await migrationStatus(store.db)).pending, [last], 'reading the status applied nothing');
          // /healthz is liveness only: the process is up.
          assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
        } finally {
          await s.close();
          await store.close();
        }
      });
    });
  }

  it('/readyz answers 503 DATABASE_UNAVAILABLE when the embedded database is closed', async () => {
    const store = await SafetyStore.open(await openDatabase('memory:'));
    const s = await serveStore(store);
    try {
      await store.close();
      const r = await readyz(s.base);
      assert.equal(r.status, 503);
      assert.equal(r.body.error?.code, 'DATABASE_UNAVAILABLE');
    } finally {
      await s.close();
    }
  });

  it('/readyz answers 503 DATABASE_UNAVAILABLE while the network to PostgreSQL is cut, and 200 again once restored', async function () {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) this.skip();
    const target = new URL(url!);
    const proxy = await startCuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(url!);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    viaProxy.searchParams.set('connectionTimeoutMillis', '5000');
    const store = await SafetyStore.open(await openDatabase(viaProxy.toString()));
    const s = await serveStore(store);
    try {
      assert.equal((await readyz(s.base)).status, 200);
      await proxy.cut();
      const down = await readyz(s.base);
      assert.equal(down.status, 503);
      assert.equal(down.body.error?.code, 'DATABASE_UNAVAILABLE');
      assert.equal((await fetch(`${s.base}/healthz`)).status, 200, 'the process is still up');
      await proxy.restore();
      assert.equal((await readyz(s.base)).status, 200);
    } finally {
      await s.close();
      await store.close();
      await proxy.cut();
    }
  });

  describe('request ids and structured logs', () => {
    let tenant: DemoTenant;
    let ctx: AppContext;
    let running: RunningServer;
    let companyId = '';
    const lines: string[] = [];
    const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

    before(async () => {
      tenant = await startDemoTenant();
      const config = loadConfig({ DATABASE_URL: 'memory:', PORT: '0', SAFETY_API_KEY: API_KEY, GRAPH_BASE_URL: tenant.graphBaseUrl, GRAPH_ACCESS_TOKEN: 'demo-emulated-tenant' });
      ctx = await createContext(config, createLogger('debug', (l) => lines.push(l)));
      companyId = (await seedDemoCompany(ctx.store)).company.id;
      running = await startServer(ctx, [], { host: '127.0.0.1' });
    });
    after(async () => {
      await running.close();
      await ctx.store.close();
      await tenant.close();
    });

    const call = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
      fetch(`${running.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    it('a well-formed x-request-id is echoed; a malformed or missing one is replaced by a new id', async () => {
      assert.equal((await call('GET', '/healthz', { 'x-request-id': 'lb-7f3a.42:x_1' })).headers.get('x-request-id'), 'lb-7f3a.42:x_1');
      for (const bad of ['has spaces in it', 'x'.repeat(129), 'semi;colon', '<script>']) {
        const got = (await call('GET', '/healthz', { 'x-request-id': bad })).headers.get('x-request-id');
        assert.notEqual(got, bad);
        assert.match(got ?? '', /^[0-9a-f-]{36}$/);
      }
      const a = (await call('GET', '/api/v1/nothing-here')).headers.get('x-request-id');
      const b = (await call('GET', '/api/v1/nothing-here')).headers.get('x-request-id');
      assert.match(a ?? '', /^[0-9a-f-]{36}$/, 'errors carry one too');
      assert.notEqual(a, b);
    });

    it('the request id follows a sync from the API call to the commit: every log line it causes carries it, concurrent calls never mix', async () => {
      const ids = ['plan-call-a', 'plan-call-b'];
      const plans = await Promise.all(
        ids.map(async (id) => {
          const res = await call('POST', `/api/v1/companies/${companyId}/sync/plans`, { 'x-request-id': id }, {});
          assert.equal(res.status, 201);
          assert.equal(res.headers.get('x-request-id'), id);
          return ((await res.json()) as { id: string }).id;
        }),
      );
      for (const [i, id] of ids.entries()) {
        const created = logged().filter((l) => l.event === 'plan.created' && l.planId === plans[i]);
        assert.equal(created.length, 1, `plan.created for ${id}`);
        assert.equal(created[0]!.requestId, id);
      }
      // The second plan is the current one; applying it logs plan.applied under the apply call's id.
      const res = await call('POST', `/api/v1/companies/${companyId}/sync/plans/${plans[1]}/apply`, { 'x-request-id': 'apply-call' }, {});
      const applied = logged().filter((l) => l.event === 'plan.applied' || l.event === 'plan.failed');
      assert.ok(applied.length >= 1, `apply answered ${res.status} and logged ${JSON.stringify(applied)}`);
      assert.ok(applied.every((l) => l.requestId === 'apply-call'));
      for (const l of logged()) {
        assert.equal(typeof l.time, 'string');
        assert.match(String(l.level), /^(debug|info|warn|error)$/);
        assert.equal(typeof l.event, 'string');
      }
    });
  });

  it('the request id of a bot message follows the sync it starts in the background (demo wiring, real HTTP)', async () => {
    const tenant = await startDemoTenant();
    const lines: string[] = [];
    const config = loadConfig({ DATABASE_URL: 'memory:', PORT: '0', SAFETY_API_KEY: API_KEY, GRAPH_BASE_URL: tenant.graphBaseUrl, GRAPH_ACCESS_TOKEN: 'demo-emulated-tenant' });
    const ctx = await createContext(config, createLogger('info', (l) => lines.push(l)));
    await seedDemoCompany(ctx.store);
    const running = await startServer(ctx, extraRegistrars(ctx, { demo: true }), { host: '127.0.0.1', allowedHosts: 'loopback' });
    const connector = await startLocalConnector();
    try {
      const res = await fetch(`${running.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'bot-message-1' },
        body: JSON.stringify({
          type: 'message',
          text: 'sync directory',
          channelId: 'msteams',
          serviceUrl: connector.url,
          id: 'in-request-id-test',
          from: { id: 'user-id-0', name: 'Alex Wilber', aadObjectId: DEMO_ADMIN_OBJECT_ID },
          recipient: { id: 'bot', name: 'Test Bot' },
          conversation: { id: 'personal-chat', conversationType: 'personal', tenantId: DEMO_TENANT_ID },
          channelData: { tenant: { id: DEMO_TENANT_ID } },
          locale: 'en-US',
        }),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-request-id'), 'bot-message-1');
      await connector.waitFor((c) => c.method === 'POST' && JSON.stringify(c).includes('cancelImport'));
      const created = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'plan.created');
      assert.equal(created.length, 1);
      assert.equal(created[0]!.requestId, 'bot-message-1');
    } finally {
      await running.close();
      await ctx.store.close();
      await connector.close();
      await tenant.close();
    }
  });

  it('logs are JSON lines that never carry a bearer token, a JWT or a password', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0aWQiOiJ0ZW5hbnQiLCJvaWQiOiJ1c2VyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    const secrets = ['s3cr3t-Pa55word!', 'opaque-bearer-value-123', jwt, 'client-secret-value-xyz', 'scim-token-value-abc'];
    const lines: string[] = [];
    const log = createLogger('debug', (l) => lines.push(l));
    log.info('t.fields', { password: secrets[0], initialPassword: secrets[0], clientSecret: secrets[3], scimToken: secrets[4] });
    log.warn('t.headers', { headers: { Authorization: `Bearer ${secrets[1]}`, cookie: 'a=b' } });
    log.error('t.strings', { note: `got Bearer ${secrets[1]} and ${jwt}`, error: new Error(`token ${jwt} rejected`) });
    log.debug('t.nested', { request: { body: { user: { password: secrets[0] } } }, list: [{ apiKey: secrets[1] }] });
    assert.equal(lines.length, 4);
    const text = lines.join('\n');
    for (const s of secrets) assert.ok(!text.includes(s), `leaked ${s.slice(0, 12)}…`);
    for (const l of lines) assert.doesNotThrow(() => JSON.parse(l));
    assert.match(lines[2]!, /"error":\{"name":"Error","message":"token \[jwt\] rejected"\}/);
    assert.doesNotMatch(text, /stack/);
    assert.deepEqual(redact({ nested: { Authorization: 'x' } }), { nested: { Authorization: '[redacted]' } });
  });

  it('below the level nothing is written; silent writes nothing at all', () => {
    const lines: string[] = [];
    createLogger('warn', (l) => lines.push(l)).info('quiet');
    createLogger('silent', (l) => lines.push(l)).error('quiet');
    assert.deepEqual(lines, []);
  });
});
