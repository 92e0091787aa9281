/**
 * `npm run bench:scim`: SCIM throughput for the mix Entra's provisioning service sends in an
 * incremental cycle, against the real server and, in the same run, against a bare node:http server
 * doing the same SQL (the limit), on PGlite and (when DATABASE_URL or TEST_DATABASE_URL names one)
 * on a PostgreSQL server. Each server runs in its own process (bench/scim-server.ts); the load
 * generator (autocannon) runs in this one.
 *
 *   npm run bench:scim -- [--users 500] [--connections 16] [--duration 10] [--only real|bare]
 *   BENCH_SCIM_SERVER_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench:scim   (profile the servers)
 *   npm run bench:scim -- --engine postgres --sample-waits   (PostgreSQL only; what the server's backends wait on)
 *   BENCH_SCIM_TIMINGS=1 npm run bench:scim   (each server prints its time per request type at exit)
 *
 * The mix, per connection, repeating: GET ?filter=userName eq, PATCH (Entra's path form), GET
 * ?filter=externalId eq, PATCH (path-less form with role and phone), four times in all, then a POST
 * create and a DELETE of the user just created (Entra's occasional new and removed users).
 * Prints req/s, p50 and p99 side by side; exits 1 when any request was not 2xx.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '500' },
    connections: { type: 'string', default: '16' },
    duration: { type: 'string', default: '10' },
    only: { type: 'string' },
    engine: { type: 'string' },
    'sample-waits': { type: 'boolean', default: false },
  },
});
const connections = Number(values.connections);
const duration = Number(values.duration);
const postgres = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const DEPARTMENTS = ['営業部', '開発部', '総務部', '人事部', '品質保証部'];
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

interface Started {
  child: ChildProcess;
  url: string;
  token: string;
  users: Array<{ id: string; userName: string; externalId: string }>;
  applicationName: string | null;
}

/**
 * --sample-waits: polls pg_stat_activity for the bench server's own backends (its application_name)
 * while the load runs, and prints what they were doing: a profile of the database side. Each sample
 * counts every backend once: `active` with no wait event is running on a CPU; `Lock` waits are row or
 * transaction locks; `idle in transaction` (Client/ClientRead) is the server's turn between statements.
 */
function sampleWaits(applicationName: string): { stop(): Promise<string> } {
  const client = new pg.Client({ connectionString: postgres });
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ k: string }>(
        `select state || ' | ' || coalesce(wait_event_type || ':' || wait_event, 'on CPU') || ' | ' ||
                left(regexp_replace(query, '\\s+', ' ', 'g'), 70) as k
           from pg_stat_activity where application_name = $1`,
        [applicationName],
      );
      samples++;
      for (const r of rows) counts.set(r.k, (counts.get(r.k) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      const total = [...counts.values()].reduce((a, b) => a + b, 0);
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
      return [
        `pg_stat_activity, ${samples} samples, ${(total / Math.max(samples, 1)).toFixed(1)} backends on average (state | wait | statement):`,
        ...top.map(([k, n]) => `${((100 * n) / total).toFixed(1).padStart(5)}%  ${k}`),
      ].join('\n');
    },
  };
}

async function startServer(mode: string, database: string): Promise<Started> {
  const child = spawn(
    process.execPath,
    [...(process.env.BENCH_SCIM_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []), '--no-deprecation', '--import', 'tsx', fileURLToPath(new URL('./scim-server.ts', import.meta.url)), '--mode', mode, '--database', database, '--users', values.users!],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  return { child, ...(JSON.parse(line) as Omit<Started, 'child'>) };
}

async function load(s: Started) {
  const pick = () => s.users[Math.floor(Math.random() * s.users.length)]!;
  let n = 0;
  const patch = (pathForm: boolean) => {
    n++;
    const ops = pathForm
      ? [
          { op: 'Replace', path: 'displayName', value: `Bench User (${n})` },
          { op: 'Replace', path: `${ENTERPRISE}:department`, value: DEPARTMENTS[n % DEPARTMENTS.length] },
          { op: 'Replace', path: 'active', value: 'True' },
        ]
      : [
          {
            op: 'replace',
            value: {
              displayName: `Bench User (${n})`,
              'phoneNumbers[type eq "work"].value': `03-1111-${String(n % 10000).padStart(4, '0')}`,
              'roles[primary eq "True"].value': n % 3 === 0 ? 'GUEST' : 'USER',
            },
          },
        ];
    return JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: ops });
  };
  const get = (attr: 'userName' | 'externalId') => ({
    method: 'GET' as const,
    setupRequest: (req: autocannon.Request) => {
      const u = pick();
      const value = attr === 'userName' ? u.userName.toUpperCase() : u.externalId;
      return { ...req, path: `/scim/v2/Users?filter=${encodeURIComponent(`${attr} eq "${value}"`)}` };
    },
  });
  const patchReq = (pathForm: boolean) => ({
    method: 'PATCH' as const,
    setupRequest: (req: autocannon.Request) => ({ ...req, path: `/scim/v2/Users/${pick().id}`, body: patch(pathForm) }),
  });
  const cycle = [get('userName'), patchReq(true), get('externalId'), patchReq(false)];
  return autocannon({
    url: s.url,
    connections,
    duration,
    headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' },
    requests: [
      ...cycle,
      ...cycle,
      ...cycle,
      ...cycle,
      {
        method: 'POST',
        setupRequest: (req: autocannon.Request) => {
          const userName = `new.${randomUUID()}@contoso.co.jp`;
          return {
            ...req,
            path: '/scim/v2/Users',
            body: JSON.stringify({
              schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
              userName,
              externalId: randomUUID(),
              displayName: 'New User',
              emails: [{ type: 'work', value: userName, primary: true }],
              [ENTERPRISE]: { department: DEPARTMENTS[0] },
            }),
          };
        },
        onResponse: (status: number, body: string, context: object) => {
          if (status === 201) (context as Record<string, unknown>)['created'] = (JSON.parse(body) as { id: string }).id;
        },
      },
      {
        method: 'DELETE',
        setupRequest: (req: autocannon.Request, context: object) => ({
          ...req,
          path: `/scim/v2/Users/${String((context as Record<string, unknown>)['created'])}`,
        }),
      },
    ],
  });
}

const targets: Array<{ mode: 'real' | 'bare'; engine: string; database: string }> = [];
for (const [engine, database] of [['PGlite (in memory)', 'memory:'], ...(postgres ? [['PostgreSQL', postgres]] : [])] as Array<[string, string]>) {
  if (values.engine && !engine.toLowerCase().startsWith(values.engine.toLowerCase())) continue;
  for (const mode of ['real', 'bare'] as const) if (!values.only || values.only === mode) targets.push({ mode, engine, database });
}

const rows: string[] = [];
let failures = 0;
for (const t of targets) {
  const s = await startServer(t.mode, t.database);
  const sampler = values['sample-waits'] && s.applicationName ? sampleWaits(s.applicationName) : null;
  try {
    const r = await load(s);
    if (sampler) console.error(`${t.engine}, ${t.mode}: ${await sampler.stop()}`);
    const bad = r.non2xx + r.errors + r.timeouts;
    failures += bad;
    rows.push(
      `| ${t.engine} | ${t.mode === 'real' ? 'safety-sync (restify + SCIM)' : 'bare node:http, same SQL'} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} ms | ${r.latency.p99} ms | ${r.requests.total} | ${bad} |`,
    );
    console.error(rows[rows.length - 1]);
  } finally {
    s.child.kill('SIGTERM');
    await new Promise((resolve) => s.child.once('exit', resolve));
  }
}

console.log(
  [
    `SCIM incremental-cycle mix (GET userName eq / externalId eq, PATCH x2 dialects, POST + DELETE 1 in 18 each), ${values.users} users, ${connections} connections, ${duration} s each, servers in their own processes`,
    '| database | server | req/s | p50 | p99 | requests | not 2xx |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n'),
);
process.exit(failures > 0 ? 1 : 0);
