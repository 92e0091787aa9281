/**
 * SCIM throughput on loopback: the mix Entra's provisioning service sends in
 * an incremental cycle — for each changed user a filter lookup
 * (GET /Users?filter=userName eq "…") followed by a PATCH — against the real
 * restify server on an in-memory PGlite, driven by autocannon.
 *
 *   node --import tsx bench/scim.ts [--users 500] [--connections 8] [--duration 10]
 *
 * Prints requests/second; Entra expects a SCIM endpoint to sustain at least 25/s.
 * The load generator runs in the same process as the server, so the figure is a lower bound.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { registerScimRoutes } from '../src/api/scim/routes.ts';
import { silentLogger } from '../src/log.ts';
import { createHttpServer, listen } from '../src/server.ts';
import { openDatabase } from '../src/store/database.ts';
import { SafetyStore } from '../src/store/safety-store.ts';
import { ScimTokenStore } from '../src/store/scim-tokens.ts';
import { ScimUserStore } from '../src/store/scim-users.ts';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '500' },
    connections: { type: 'string', default: '8' },
    duration: { type: 'string', default: '10' },
  },
});
const userCount = Number(values.users);
const connections = Number(values.connections);
const duration = Number(values.duration);

const store = await SafetyStore.open(await openDatabase('memory:'));
const company = await store.createCompany({ name: 'Bench Co', plan: 'enterprise', maxUsers: userCount + 10 });
await store.updateSettings(company.id, { initialPassword: 'Bench-Initial-1' });
const { token } = await new ScimTokenStore(store.db).issue(company.id, 'bench', 'bench');
const scimUsers = new ScimUserStore(store.db);
const departments = ['営業部', '開発部', '総務部', '人事部', '品質保証部'];
const seeded: Array<{ id: string; userName: string }> = [];
for (let i = 0; i < userCount; i++) {
  const userName = `bench.user${i}@contoso.co.jp`;
  const { user } = await scimUsers.create(
    company.id,
    {
      loginName: userName,
      name: `Bench User ${i}`,
      email: userName,
      phone: `03-0000-${String(i).padStart(4, '0')}`,
      department: departments[i % departments.length]!,
      role: 'USER',
      entraObjectId: randomUUID(),
    },
    'scim:bench',
  );
  seeded.push({ id: user.id, userName });
}

const server = createHttpServer({ store, log: silentLogger, registrars: [(s) => registerScimRoutes(s, { store, log: silentLogger })] });
const base = await listen(server, 0, '127.0.0.1');
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' };
const pick = () => seeded[Math.floor(Math.random() * seeded.length)]!;
let n = 0;
// What Entra sends for a changed attribute set, alternating its two dialects.
const patchBody = () => {
  n++;
  const dept = departments[n % departments.length]!;
  const ops =
    n % 2 === 0
      ? [
          { op: 'Replace', path: 'displayName', value: `Bench User (${n})` },
          { op: 'Replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: dept },
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

const result = await autocannon({
  url: base,
  connections,
  duration,
  headers,
  requests: [
    {
      method: 'GET',
      setupRequest: (req) => ({
        ...req,
        path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${pick().userName.toUpperCase()}"`)}`,
      }),
    },
    {
      method: 'PATCH',
      setupRequest: (req) => ({ ...req, path: `/scim/v2/Users/${pick().id}`, body: patchBody() }),
    },
  ],
});

server.close();
await store.close();

const non2xx = result.non2xx + result.errors + result.timeouts;
console.log(
  [
    `SCIM incremental-cycle mix (filter lookup + PATCH), ${userCount} users, ${connections} connections, ${duration}s, PGlite in memory`,
    `requests: ${result.requests.total} (${non2xx} not 2xx / errors)`,
    `latency: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
    `requests/second: ${result.requests.average.toFixed(1)} (Entra expects at least 25)`,
  ].join('\n'),
);
process.exit(non2xx > 0 ? 1 : 0);
