/**
 * Issue 9, item 9: several instances on one PostgreSQL. Two real `serve` processes on one schema
 * (TEST_DATABASE_URL; skipped without it) share plans and imports over REST; two schedulers on two
 * pools share the schedule's slots (their clock injected: no wall-clock dependence); the bot's
 * conversation state lives in the database, so a Confirm click on a card made by an instance that
 * is gone is handled by another one (two in-process bot stacks on two pools: the bot harness needs
 * local Bot Framework keys that `serve` cannot be given).
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { createContext, startServer, type AppContext, type RunningServer } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { seedDemoCompany } from '../../src/devtools/demo.ts';
import { DEMO_ADMIN_OBJECT_ID, DEMO_TENANT_ID, loadDemoTenant, tokenUsersFromTenant } from '../../src/devtools/demo-tenant.ts';
import { startGraphEmulator, type GraphEmulator } from '../../src/devtools/graph-emulator.ts';
import { startTokenEmulator, type TokenEmulator } from '../../src/devtools/token-emulator.ts';
import { createGraphDirectoryReader } from '../../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import type { Plan, Run } from '../../src/domain/types.ts';
import { silentLogger } from '../../src/log.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SafetyStore } from '../../src/store/safety-store.ts';
import { SyncScheduler } from '../../src/sync/scheduler.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
import { createTeamsBot, teamsRegistrar, type TeamsBot } from '../../src/teams/index.ts';
import { freePort } from '../helpers/net.ts';
import { spawnCli, type CliProcess } from '../helpers/spawn.ts';
import { cardOf, cardText, startLocalConnector, type ConnectorCall, type LocalConnector } from '../teams/helpers/connector.ts';
import { actionInvoke, BOT_ID, LocalCredentialsFactory, localBotFrameworkOverrides, SSO_CLIENT_ID, startChannelAuthority, type ChannelAuthority } from '../teams/helpers/harness.ts';

const URL_ = process.env.TEST_DATABASE_URL;
const API_KEY = `instances-${randomBytes(12).toString('hex')}`;
const ALEX = { aadObjectId: DEMO_ADMIN_OBJECT_ID, name: 'Alex Wilber' };

interface Instance {
  proc: CliProcess;
  url: string;
}

async function startInstance(env: Record<string, string>): Promise<Instance> {
  const proc = spawnCli(['serve'], { ...env, PORT: String(await freePort()), HOST: '127.0.0.1' });
  const m = await proc.waitFor(/safety-sync listening on .*?(http:\/\/127\.0\.0\.1:\d+)/);
  return { proc, url: m[1]! };
}

async function stopInstance(i: Instance | undefined): Promise<void> {
  if (!i || i.proc.child.exitCode !== null) return;
  i.proc.child.kill('SIGTERM');
  await i.proc.exit();
}

async function call<T>(i: Instance, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${i.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** One bot instance in this process: its own pool on the shared schema, its own restify server. */
interface BotStack {
  ctx: AppContext;
  bot: TeamsBot;
  running: RunningServer;
  /** The instance dies: its server, its bot and its database pool are gone. */
  kill(): Promise<void>;
}

async function startBotStack(databaseUrl: string, shared: { graph: GraphEmulator; tokens: TokenEmulator; channel: ChannelAuthority }): Promise<BotStack> {
  const ctx = await createContext(
    loadConfig({
      DATABASE_URL: databaseUrl,
      PORT: '0',
      SAFETY_API_KEY: API_KEY,
      GRAPH_BASE_URL: shared.graph.baseUrl,
      AAD_APP_CLIENT_ID: SSO_CLIENT_ID,
      AAD_APP_CLIENT_SECRET: 'sso-app-secret',
      AAD_APP_TENANT_ID: DEMO_TENANT_ID,
      AAD_APP_OAUTH_AUTHORITY_HOST: shared.tokens.url,
      PUBLIC_BASE_URL: 'https://bot.example.test',
      BOT_ID,
      BOT_PASSWORD: 'bot-password',
      BOT_TENANT_ID: DEMO_TENANT_ID,
    }),
    silentLogger,
  );
  const bot = createTeamsBot(ctx, {
    demo: false,
    overrides: {
      clickWaitInMs: 3000,
      progressIntervalInMs: 200,
      auth: {
        botFrameworkOverrides: localBotFrameworkOverrides(shared.channel),
        credentialsFactory: new LocalCredentialsFactory(),
      },
    },
  });
  const running = await startServer(ctx, [teamsRegistrar(bot)], { host: '127.0.0.1' });
  let dead = false;
  return {
    ctx,
    bot,
    running,
    async kill() {
      if (dead) return;
      dead = true;
      await bot.close();
      await running.close();
      await ctx.store.close();
    },
  };
}

(URL_ ? describe : describe.skip)('several instances on one PostgreSQL (issue 9, item 9)', function () {
  this.timeout(400_000);
  const schema = `inst_${randomBytes(6).toString('hex')}`;
  const databaseUrl = URL_ ? `${URL_}${URL_.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}` : '';
  let graph: GraphEmulator;
  let store: SafetyStore;
  let companyId = '';
  let a: Instance | undefined;
  let b: Instance | undefined;

  before(async () => {
    const admin = new pg.Client({ connectionString: URL_ });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    graph = await startGraphEmulator({ tenant: loadDemoTenant(), port: 0 });
    store = await SafetyStore.open(await openDatabase(databaseUrl));
    companyId = (await seedDemoCompany(store)).company.id;
    const env = { DATABASE_URL: databaseUrl, SAFETY_API_KEY: API_KEY, GRAPH_BASE_URL: graph.baseUrl, GRAPH_ACCESS_TOKEN: 'emulated', LOG_LEVEL: 'warn' };
    // Both start at once: their migrations meet on one schema.
    [a, b] = await Promise.all([startInstance(env), startInstance(env)]);
  });

  after(async () => {
    await Promise.all([stopInstance(a), stopInstance(b)]);
    await store?.close();
    await graph?.close();
    const admin = new pg.Client({ connectionString: URL_ });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });

  /** Deletes n users an import created (no protected role), so that the directory has n users to create again. */
  async function forgetImportedUsers(n: number): Promise<void> {
    const users = (await call<{ id: string; entraObjectId: string | null; roles: string[] }[]>(a!, 'GET', `/companies/${companyId}/users`)).body;
    const plain = users.filter((u) => u.entraObjectId && u.roles.length === 0).slice(0, n);
    assert.equal(plain.length, n);
    for (const u of plain) assert.equal((await call(a!, 'DELETE', `/companies/${companyId}/users/${u.id}`)).status, 204);
  }

  it('a plan made on instance A is confirmed on instance B, and A sees the run', async () => {
    const made = await call<Plan>(a!, 'POST', `/companies/${companyId}/sync/plans`, {});
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.equal(made.body.status, 'pending');
    assert.ok(made.body.summary.usersToCreate > 0);
    const seen = await call<Plan>(b!, 'GET', `/companies/${companyId}/sync/plans/${made.body.id}`);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.id, made.body.id);
    const applied = await call<Run>(b!, 'POST', `/companies/${companyId}/sync/plans/${made.body.id}/apply`, {});
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    assert.equal(applied.body.status, 'succeeded');
    assert.equal(applied.body.counts.created, made.body.summary.usersToCreate);
    const runs = await call<Run[]>(a!, 'GET', `/companies/${companyId}/sync/runs`);
    assert.equal(runs.body[0]?.id, applied.body.id);
    assert.equal((await call<Plan>(a!, 'GET', `/companies/${companyId}/sync/plans/${made.body.id}`)).body.status, 'applied');
  });

  it('two simultaneous confirms of one plan on A and on B apply it once: both 200 with the same run', async () => {
    await forgetImportedUsers(3);
    const usersBefore = (await call<unknown[]>(a!, 'GET', `/companies/${companyId}/users`)).body.length;
    const made = await call<Plan>(b!, 'POST', `/companies/${companyId}/sync/plans`, {});
    assert.equal(made.status, 201);
    assert.equal(made.body.summary.usersToCreate, 3);
    const path = `/companies/${companyId}/sync/plans/${made.body.id}/apply`;
    const answers = await Promise.all([call<Run>(a!, 'POST', path, {}), call<Run>(b!, 'POST', path, {}), call<Run>(a!, 'POST', path, {}), call<Run>(b!, 'POST', path, {})]);
    for (const r of answers) assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(new Set(answers.map((r) => r.body.id)).size, 1, 'one run');
    assert.equal(answers[0]!.body.counts.created, 3);
    const runs = (await call<Run[]>(b!, 'GET', `/companies/${companyId}/sync/runs`)).body.filter((r) => r.planId === made.body.id);
    assert.equal(runs.length, 1);
    assert.equal((await call<unknown[]>(b!, 'GET', `/companies/${companyId}/users`)).body.length, usersBefore + 3);
  });

  it('a schedule fires once per slot across two instances (two schedulers, two pools, one schema, injected clock)', async () => {
    let now = new Date(Date.UTC(2026, 10, 24, 2, 50, 0));
    const clock = () => now;
    const stores = [await SafetyStore.open(await openDatabase(databaseUrl)), await SafetyStore.open(await openDatabase(databaseUrl))];
    try {
      const posted: string[] = [];
      const schedulers = stores.map(
        (s) =>
          new SyncScheduler({
            store: s,
            sync: new SyncService(s, { clock }),
            directoryFor: async () => createGraphDirectoryReader({ graphBaseUrl: graph.baseUrl, tokenProvider: staticTokenProvider('emulated') }),
            log: silentLogger,
            clock,
            onScheduledPlan: async (p) => void posted.push(p.id),
          }),
      );
      await stores[0]!.updateSettings(companyId, { schedule: '*/15 * * * *' });
      const tickBoth = async () => (await Promise.all(schedulers.map((s) => s.tick()))).flat();
      assert.deepEqual(await tickBoth(), [], 'switching on does not fire for past slots');
      const slots = [
        new Date(Date.UTC(2026, 10, 24, 3, 0, 1)),
        new Date(Date.UTC(2026, 10, 24, 3, 15, 0)),
        new Date(Date.UTC(2026, 10, 24, 3, 30, 20)),
      ];
      for (const slot of slots) {
        now = slot;
        const made = await tickBoth();
        assert.equal(made.length, 1, `one plan for the slot ${slot.toISOString()}`);
        assert.equal(made[0]!.source, 'schedule');
        assert.deepEqual(await tickBoth(), [], `the slot ${slot.toISOString()} never fires twice`);
      }
      assert.equal(posted.length, slots.length);
      assert.equal(new Set(posted).size, slots.length);
    } finally {
      await stores[0]!.updateSettings(companyId, { schedule: null });
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  describe('bot conversation state survives a restart', () => {
    let tokens: TokenEmulator;
    let channel: ChannelAuthority;
    let connector: LocalConnector;
    const stacks: BotStack[] = [];
    const conversationId = `a:${randomUUID()}`;

    before(async () => {
      const tenant = loadDemoTenant();
      tokens = await startTokenEmulator({
        tenantId: DEMO_TENANT_ID,
        users: tokenUsersFromTenant(tenant),
        clientId: SSO_CLIENT_ID,
        clientSecret: 'sso-app-secret',
      });
      channel = await startChannelAuthority();
      connector = await startLocalConnector();
      for (const u of tenant.users) {
        if (u.userPrincipalName) {
          connector.members.set(`29:${u.id}`, { id: `29:${u.id}`, name: u.displayName ?? '', aadObjectId: u.id, userPrincipalName: u.userPrincipalName });
        }
      }
    });
    after(async () => {
      for (const s of stacks) await s.kill();
      await Promise.all([connector?.close(), channel?.close(), tokens?.close()]);
    });

    const activity = (fields: Record<string, unknown>) => ({
      channelId: 'msteams',
      serviceUrl: connector.url,
      id: `in-${randomUUID()}`,
      timestamp: new Date().toISOString(),
      from: { id: `29:${ALEX.aadObjectId}`, name: ALEX.name, aadObjectId: ALEX.aadObjectId },
      recipient: { id: `28:${BOT_ID}`, name: 'Safety Sync' },
      conversation: { id: conversationId, conversationType: 'personal', tenantId: DEMO_TENANT_ID },
      channelData: { tenant: { id: DEMO_TENANT_ID } },
      locale: 'en-US',
      ...fields,
    });
    const post = async (stack: BotStack, body: Record<string, unknown>) => {
      const res = await fetch(`${stack.running.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await channel.sign({ aud: BOT_ID, serviceurl: body.serviceUrl })}` },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as unknown };
    };
    const OAUTH = 'application/vnd.microsoft.card.oauth';
    const isOAuthCard = (c: ConnectorCall) => c.activity.attachments?.some((x) => x.contentType === OAUTH) ?? false;
    const isPlanCard = (c: ConnectorCall) => c.method === 'POST' && JSON.stringify(cardOf(c) ?? {}).includes('"verb":"cancelImport"');

    it("a plan card made through instance 1's bot is confirmed through instance 2 after instance 1 is gone", async () => {
      await forgetImportedUsers(2);
      const one = await startBotStack(databaseUrl, { graph, tokens, channel });
      stacks.push(one);
      const sent = await post(one, activity({ type: 'message', text: 'sync directory' }));
      assert.equal(sent.status, 200);
      const oauth = await connector.waitFor(isOAuthCard);
      const id = (oauth.activity.attachments!.find((x) => x.contentType === OAUTH)!.content as { tokenExchangeResource: { id: string } }).tokenExchangeResource.id;
      const token = await tokens.signUserToken(ALEX.aadObjectId);
      const exchanged = await post(one, activity({ type: 'invoke', name: 'signin/tokenExchange', value: { id, connectionName: '', token } }));
      assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
      const cardCall = await connector.waitFor(isPlanCard);
      const planId = /"planId":"([0-9a-f-]{36})"/.exec(JSON.stringify(cardOf(cardCall)))![1]!;
      assert.match(cardText(cardOf(cardCall)), /Users to create\n2\b/);
      await one.bot.idle();

      // Instance 1 dies; instance 2 starts on its own pool and gets the click.
      await one.kill();
      const two = await startBotStack(databaseUrl, { graph, tokens, channel });
      stacks.push(two);
      const clicked = await post(two, activity(actionInvoke('confirmImport', { planId }, cardCall.id)));
      assert.equal(clicked.status, 200, JSON.stringify(clicked.body));
      assert.equal((clicked.body as { statusCode: number }).statusCode, 200, JSON.stringify(clicked.body));
      const done = await connector.waitFor((c) => c.method === 'PUT' && c.activityId === cardCall.id && /Import completed/.test(cardText(cardOf(c))));
      assert.ok(done, 'instance 2 updated the card instance 1 sent');
      await two.bot.idle();
      const runs = (await two.ctx.store.listRuns(companyId)).filter((r) => r.planId === planId);
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.status, 'succeeded');
      assert.equal(runs[0]!.counts.created, 2);
    });
  });
});
