/**
 * One server for `npm run bench:scim`, in its own process: seeds a company with `--users` SCIM
 * users, listens on loopback, and prints one JSON line `{url, token, users}` on stdout.
 *
 *   --mode real   the product: restify, the SCIM routes, the store (what Entra talks to)
 *   --mode bare   the limit: node:http, JSON.parse, and the same store calls (the same SQL)
 *                 without the SCIM edge (dialect normalisation, patch engine, projection)
 *   --database    memory: (PGlite in memory) or postgres://… (a fresh schema, dropped at exit)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { registerScimRoutes } from '../src/api/scim/routes.ts';
import { silentLogger } from '../src/log.ts';
import { createHttpServer, listen } from '../src/server.ts';
import { openDatabase } from '../src/store/database.ts';
import { SafetyStore } from '../src/store/safety-store.ts';
import { ScimTokenStore } from '../src/store/scim-tokens.ts';
import { ScimUserStore, type ScimRole, type ScimUserWrite } from '../src/store/scim-users.ts';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'real' },
    database: { type: 'string', default: 'memory:' },
    users: { type: 'string', default: '500' },
  },
});
const userCount = Number(values.users);
const DEPARTMENTS = ['営業部', '開発部', '総務部', '人事部', '品質保証部'];

let url = values.database!;
let schema: string | undefined;
if (/^postgres(ql)?:\/\//.test(url)) {
  schema = `bench_scim_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  // application_name names this server's backends, so the load generator can sample their waits (--sample-waits).
  url = `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}&application_name=${schema}`;
}

const store = await SafetyStore.open(await openDatabase(url));
const company = await store.createCompany({ name: 'Bench Co', plan: 'enterprise', maxUsers: userCount * 2 + 1000 });
await store.updateSettings(company.id, { initialPassword: 'Bench-Initial-1' });
const tokens = new ScimTokenStore(store.db);
const { token } = await tokens.issue(company.id, 'bench', 'bench');
const users = new ScimUserStore(store.db);
const seeded: Array<{ id: string; userName: string; externalId: string }> = [];
for (let i = 0; i < userCount; i++) {
  const userName = `bench.user${i}@contoso.co.jp`;
  const externalId = randomUUID();
  const { user } = await users.create(
    company.id,
    {
      loginName: userName,
      name: `Bench User ${i}`,
      email: userName,
      phone: `03-0000-${String(i).padStart(4, '0')}`,
      department: DEPARTMENTS[i % DEPARTMENTS.length]!,
      role: 'USER',
      entraObjectId: externalId,
    },
    'scim:bench',
  );
  seeded.push({ id: user.id, userName, externalId });
}

const close = async () => {
  await store.close();
  if (schema) {
    const admin = new pg.Client({ connectionString: values.database! });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  }
};

/**
 * Server-side time per request type (from the request's arrival to the last byte of the answer), so
 * the bench can say where the time goes for each kind of request of Entra's mix. Printed on stderr at
 * exit: request type, count, mean, p50, p99.
 */
const timings = new Map<string, number[]>();
const requestType = (req: IncomingMessage) => {
  const url = req.url ?? '';
  if (req.method === 'GET') return /userName/.test(decodeURIComponent(url)) ? 'GET filter userName eq' : 'GET filter externalId eq';
  return `${req.method}`;
};
const timed = (server: Server) =>
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const t0 = performance.now();
    res.on('finish', () => {
      const type = requestType(req);
      const list = timings.get(type) ?? [];
      list.push(performance.now() - t0);
      timings.set(type, list);
    });
  });
const printTimings = () => {
  const lines = [...timings.entries()].sort().map(([type, list]) => {
    const sorted = [...list].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
    return `  ${type.padEnd(26)} n=${String(list.length).padStart(5)}  mean ${(list.reduce((a, b) => a + b, 0) / list.length).toFixed(1)} ms  p50 ${at(0.5)} ms  p99 ${at(0.99)} ms`;
  });
  process.stderr.write(`${values.mode} server, time in the server per request type (arrival to last byte):\n${lines.join('\n')}\n`);
};

let base: string;
if (values.mode === 'real') {
  const server = createHttpServer({ store, log: silentLogger, registrars: [(s) => registerScimRoutes(s, { store, log: silentLogger })] });
  timed(server.server);
  base = await listen(server, 0, '127.0.0.1');
} else {
  base = await bare(store, tokens, users);
}
process.stdout.write(`${JSON.stringify({ url: base, token, users: seeded, applicationName: schema ?? null })}\n`);
process.on('SIGTERM', () => {
  if (process.env.BENCH_SCIM_TIMINGS) printTimings();
  void close().finally(() => process.exit(0));
});

// ---------------------------------------------------------------- the bare limit

/** The two PATCH shapes bench/scim.ts sends, read without the SCIM dialect layer. */
function bareWrite(body: { Operations?: Array<{ path?: string; value?: unknown }> }): ScimUserWrite {
  const write: ScimUserWrite = {};
  for (const op of body.Operations ?? []) {
    const entries: Array<[string, unknown]> = op.path ? [[op.path, op.value]] : Object.entries((op.value ?? {}) as Record<string, unknown>);
    for (const [path, value] of entries) {
      if (path === 'displayName') write.name = String(value);
      else if (path.endsWith(':department')) write.department = String(value);
      else if (path === 'active') write.active = value === true || value === 'True';
      else if (path.startsWith('phoneNumbers')) write.phone = String(value);
      else if (path.startsWith('roles')) write.role = String(value) as ScimRole;
    }
  }
  return write;
}

async function bare(store: SafetyStore, tokens: ScimTokenStore, users: ScimUserStore): Promise<string> {
  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/scim+json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  const server = createServer((req, res) => {
    void (async () => {
      const t = await tokens.authenticate(String(req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (!t) return send(res, 401);
      const u = new URL(req.url ?? '/', 'http://x');
      const id = u.pathname.split('/')[4];
      if (req.method === 'GET') {
        const m = /^(userName|externalId) eq "(.*)"$/.exec(u.searchParams.get('filter') ?? '');
        const page = await users.page(t.companyId, { op: 'eq', attr: m![1] as 'userName' | 'externalId', value: m![2]! }, 0, 100);
        return send(res, 200, { totalResults: page.total, Resources: page.users });
      }
      if (req.method === 'PATCH') return send(res, 200, await users.update(t.companyId, id!, bareWrite(JSON.parse(await readBody(req))), 'scim:bench'));
      if (req.method === 'POST') {
        const doc = JSON.parse(await readBody(req)) as { userName: string; displayName: string; externalId: string };
        const { user } = await users.create(t.companyId, { loginName: doc.userName, name: doc.displayName, email: doc.userName, entraObjectId: doc.externalId, department: DEPARTMENTS[0]!, role: 'USER' }, 'scim:bench');
        return send(res, 201, user);
      }
      if (req.method === 'DELETE') {
        await store.deleteUser(t.companyId, id!, 'scim:bench', 'scim');
        return send(res, 204);
      }
      send(res, 405);
    })().catch(() => send(res, 500));
  });
  timed(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return `http://127.0.0.1:${address.port}`;
}
