/**
 * A plan's validity, decided once (B3), over the admin REST API on every engine: the data version
 * covers every input of the planner (the company's plan, user limit, linked tenant, initial password,
 * deletion threshold), and concurrent applies of one plan all answer with its first run (DESIGN §2).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, type AppContext, type RunningServer } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { startGraphEmulator, type GraphEmulator, type GraphUser } from '../../src/devtools/graph-emulator.ts';
import { createGraphDirectoryReader } from '../../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import type { Company, Plan, Run, SafetyUser } from '../../src/domain/types.ts';
import { silentLogger } from '../../src/log.ts';
import type { SafetyStore } from '../../src/store/safety-store.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
import { engines } from '../helpers/databases.ts';
import { numberedGraphUser } from '../helpers/graph-users.ts';

const API_KEY = 'test-api-key-plan-validity';

const gu = (n: number): GraphUser =>
  numberedGraphUser(n, { userPrincipalName: `user${n}@contoso.com`, mail: `user${n}@contoso.com`, businessPhones: [`03-0000-${n}`] });

type Answer<T> = { status: number; body: T };
type ErrorBody = { error: { code: string; message: string } };

for (const engine of engines()) {
  describe(`a plan's validity (B3) and concurrent applies over REST on ${engine.name}`, function () {
    this.timeout(60_000);
    let store: SafetyStore;
    let running: RunningServer;
    /** Each company reads its own emulated tenant: one Entra tenant links to one company only. */
    const tenants = new Map<string, GraphEmulator>();
    const emulators: GraphEmulator[] = [];

    const call = async <T>(method: string, path: string, body?: unknown): Promise<Answer<T>> => {
      const res = await fetch(`${running.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    };

    /** A premier company with an initial password, reading a fresh tenant of `users` users. */
    const newCompany = async (users = 3, maxUsers = 10): Promise<{ company: Company; tenantId: string; P: string }> => {
      const tenantId = randomUUID();
      const emu = await startGraphEmulator({
        tenant: { tenantId, displayName: 'Validity', directoryRoles: {}, users: Array.from({ length: users }, (_, i) => gu(i + 1)) },
      });
      emulators.push(emu);
      const created = await call<Company>('POST', '/api/v1/companies', { name: `Validity ${tenantId.slice(0, 8)}`, plan: 'premier', maxUsers });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      tenants.set(created.body.id, emu);
      const P = `/api/v1/companies/${created.body.id}`;
      assert.equal((await call('PATCH', `${P}/settings`, { initialPassword: 'Welcome#2026' })).status, 200);
      return { company: created.body, tenantId, P };
    };
    const plan = async (P: string): Promise<Plan> => {
      const r = await call<Plan>('POST', `${P}/sync/plans`, {});
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.status, 'pending');
      assert.deepEqual(r.body.errors, []);
      return r.body;
    };
    const apply = (P: string, p: Plan) => call<Run | ErrorBody>('POST', `${P}/sync/plans/${p.id}/apply`, {});
    const users = async (P: string) => (await call<SafetyUser[]>('GET', `${P}/users`)).body;
    const runs = async (P: string) => (await call<Run[]>('GET', `${P}/sync/runs`)).body;

    before(async () => {
      store = await engine.open();
      const config = loadConfig({ DATABASE_URL: 'memory:', PORT: '0', SAFETY_API_KEY: API_KEY, GRAPH_ACCESS_TOKEN: 'test-graph-token' });
      const ctx: AppContext = {
        config,
        store,
        sync: new SyncService(store),
        log: silentLogger,
        apiKey: API_KEY,
        appTokenProvider: () => staticTokenProvider('test-graph-token'),
        directoryFor: async (companyId) =>
          createGraphDirectoryReader({ graphBaseUrl: tenants.get(companyId)!.baseUrl, tokenProvider: staticTokenProvider('test-graph-token') }),
        hooks: {},
      };
      running = await startServer(ctx, [], { host: '127.0.0.1' });
    });
    after(async () => {
      await running.close();
      await Promise.all(emulators.map((e) => e.close()));
      await store.close();
    });

    /** B3 for one change of the company made between planning and applying. */
    const refusedAsStale = async (change: (P: string) => Promise<Answer<unknown>>) => {
      const { P } = await newCompany();
      const p = await plan(P);
      const changed = await change(P);
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      const r = await apply(P, p);
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.equal((r.body as ErrorBody).error.code, 'PLAN_STALE');
      assert.deepEqual(await users(P), [], 'nothing is written');
      assert.deepEqual(await runs(P), []);
      assert.equal((await call<Plan>('GET', `${P}/sync/plans/${p.id}`)).body.status, 'stale');
    };

    it('B3, R1: a plan made before the company moved to lite is stale; apply answers 409 PLAN_STALE and writes nothing', async () => {
      await refusedAsStale((P) => call('PATCH', P, { plan: 'lite' }));
    });

    it('B3, R29: a plan made before the user limit shrank is stale; apply answers 409 PLAN_STALE and writes nothing', async () => {
      await refusedAsStale((P) => call('PATCH', P, { maxUsers: 2 }));
    });

    it('B3, R3: a plan made before the company was linked to a tenant is stale; apply answers 409 PLAN_STALE and writes nothing', async () => {
      await refusedAsStale((P) => call('PATCH', P, { entraTenantId: randomUUID() }));
    });

    it('B3, R22: a plan made before the initial password changed is stale; apply answers 409 PLAN_STALE and writes nothing', async () => {
      await refusedAsStale((P) => call('PATCH', `${P}/settings`, { initialPassword: 'Another#2026' }));
    });

    it('B3, B2: a plan made before the deletion threshold changed is stale; apply answers 409 PLAN_STALE and writes nothing', async () => {
      await refusedAsStale((P) => call('PATCH', `${P}/settings`, { deletionThreshold: 0 }));
    });

    it('a change that is no input of the planner (the schedule, the time zone) leaves the plan pending', async () => {
      const { P } = await newCompany();
      const p = await plan(P);
      assert.equal((await call('PATCH', `${P}/settings`, { schedule: '0 3 * * *' })).status, 200);
      const tz = await call<{ timeZone: string }>('PATCH', `${P}/settings`, { timeZone: 'Europe/Paris' });
      assert.equal(tz.status, 200);
      assert.equal(tz.body.timeZone, 'Europe/Paris');
      assert.equal((await call('PATCH', `${P}/settings`, { timeZone: 'Not/AZone' })).status, 400);
      assert.equal((await call<Plan>('GET', `${P}/sync/plans/${p.id}`)).body.status, 'pending');
      const r = await apply(P, p);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    });

    it('R3: the first import links the company to the tenant it read; another company cannot take that tenant', async () => {
      const { company, tenantId, P } = await newCompany();
      assert.equal(company.entraTenantId, null);
      assert.equal((await apply(P, await plan(P))).status, 200);
      assert.equal((await call<Company>('GET', P)).body.entraTenantId, tenantId);
      // A second unlinked company whose credential reads the same tenant: the plan says why it cannot import.
      const other = await newCompany();
      tenants.set(other.company.id, tenants.get(company.id)!);
      const p = await call<Plan>('POST', `${other.P}/sync/plans`, {});
      assert.equal(p.status, 201);
      assert.deepEqual(p.body.errors.map((e) => e.code), ['TENANT_ALREADY_LINKED']);
    });

    it('defect 7: six concurrent first applies of a plan all answer 200 with the first run', async () => {
      const { P } = await newCompany();
      const p = await plan(P);
      const answers = await Promise.all(Array.from({ length: 6 }, () => apply(P, p)));
      for (const a of answers) assert.equal(a.status, 200, JSON.stringify(a.body));
      const ids = new Set(answers.map((a) => (a.body as Run).id));
      assert.equal(ids.size, 1, 'every caller gets the first run');
      assert.equal((await runs(P)).length, 1, 'applied once');
      assert.equal((await users(P)).length, 3);
    });

    it('defect 7: six concurrent re-applies of an applied plan all answer 200 with the first run', async () => {
      const { P } = await newCompany();
      const p = await plan(P);
      const first = await apply(P, p);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const answers = await Promise.all(Array.from({ length: 6 }, () => apply(P, p)));
      for (const a of answers) {
        assert.equal(a.status, 200, JSON.stringify(a.body));
        assert.equal((a.body as Run).id, (first.body as Run).id);
      }
      assert.equal((await runs(P)).length, 1);
    });
  });
}
