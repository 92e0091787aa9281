/**
 * Access (R1–R3) decided once: the bot (its check before a sign-in, then its SSO token check, as for
 * `sync directory` and every card click) and the tab (every /api/tab call) reach
 * src/sync/authorize.ts, and give the same answer in every case — including a token without `wids`,
 * where the Entra role comes from Graph /me/memberOf (the tab used to ignore it). Real peers: the
 * store on each engine, the token emulator (SSO, on-behalf-of), the Graph emulator (/me/memberOf).
 */
import assert from 'node:assert/strict';
import { seedDemoCompany } from '../../src/devtools/demo.ts';
import { DEMO_ADMIN_OBJECT_ID, DEMO_TENANT_ID, DEMO_USERS, loadDemoTenant, tokenUsersFromTenant } from '../../src/devtools/demo-tenant.ts';
import { startGraphEmulator, type GraphEmulator } from '../../src/devtools/graph-emulator.ts';
import { startTokenEmulator, type TokenEmulator } from '../../src/devtools/token-emulator.ts';
import { ROLE_TEMPLATE_IDS } from '../../src/domain/access.ts';
import { isAppError } from '../../src/domain/errors.ts';
import { silentLogger } from '../../src/log.ts';
import type { SafetyStore } from '../../src/store/safety-store.ts';
import { authorizeAdmin } from '../../src/sync/authorize.ts';
import type { SyncService } from '../../src/sync/sync-service.ts';
import type { BotContext } from '../../src/teams/bot/context.ts';
import { checkToken } from '../../src/teams/bot/oauth.ts';
import type { SsoSettings } from '../../src/teams/sso.ts';
import { authenticateTabCaller } from '../../src/teams/tab/tab-auth.ts';
import { TeamsStore } from '../../src/store/teams-store.ts';
import { engines } from '../helpers/databases.ts';

const CLIENT_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const STRANGER = '00000000-0000-4000-8000-00000000abcd';
const USER_ADMINISTRATOR = 'fe930be7-5e62-47db-91af-98c3a49a38b1';

interface Case {
  name: string;
  oid: string;
  /** The token's wids claim: the user's roles (undefined), a given list, or no claim at all (null). */
  wids?: readonly string[] | null;
  /** Changes the service before the check; returns the undo. */
  arrange?: (store: SafetyStore, companyId: string) => Promise<() => Promise<void>>;
  expected: string;
}

const setUser = (loginName: string, patch: { roles?: ('systemAdmin' | 'guest')[]; status?: 'active' | 'suspended' }) =>
  async (store: SafetyStore, companyId: string) => {
    const user = (await store.findUserByLoginName(companyId, loginName))!;
    await store.updateUser(companyId, user.id, patch, 'test');
    return async () => {
      await store.updateUser(companyId, user.id, { roles: user.roles, status: user.status }, 'test');
    };
  };

const CASES: Case[] = [
  { name: 'R2: a system administrator with Cloud Application Administrator in wids', oid: DEMO_ADMIN_OBJECT_ID, expected: 'ALLOWED' },
  { name: 'bot and tab disagreed (the tab ignored /me/memberOf): no wids claim, /me/memberOf shows Cloud Application Administrator', oid: DEMO_ADMIN_OBJECT_ID, wids: null, expected: 'ALLOWED' },
  { name: 'R2: wids hold only User Administrator', oid: DEMO_ADMIN_OBJECT_ID, wids: [USER_ADMINISTRATOR], expected: 'NO_ENTRA_ROLE' },
  {
    name: 'R2: no wids claim, /me/memberOf shows only User Administrator',
    oid: DEMO_USERS.meganBowen,
    wids: null,
    arrange: setUser('MeganB@contoso.onmicrosoft.com', { roles: ['systemAdmin'] }),
    expected: 'NO_ENTRA_ROLE',
  },
  { name: 'R2: a service user linked by UPN (R18) who is not a system administrator', oid: DEMO_USERS.meganBowen, expected: 'NOT_SYSTEM_ADMIN' },
  {
    name: 'R2: a suspended system administrator',
    oid: DEMO_ADMIN_OBJECT_ID,
    arrange: setUser('AlexW@contoso.onmicrosoft.com', { status: 'suspended' }),
    expected: 'NOT_SYSTEM_ADMIN',
  },
  { name: 'an Entra Global Administrator who is no user of the service', oid: STRANGER, expected: 'NOT_A_SERVICE_USER' },
  {
    name: 'R1: the company is on the lite plan',
    oid: DEMO_ADMIN_OBJECT_ID,
    arrange: async (store, companyId) => {
      await store.updateCompany(companyId, { plan: 'lite' });
      return async () => void (await store.updateCompany(companyId, { plan: 'premier' }));
    },
    expected: 'PLAN_NOT_ELIGIBLE',
  },
  {
    name: 'R3: the tenant is linked to no company',
    oid: DEMO_ADMIN_OBJECT_ID,
    arrange: async (store, companyId) => {
      await store.updateCompany(companyId, { entraTenantId: null });
      return async () => void (await store.updateCompany(companyId, { entraTenantId: DEMO_TENANT_ID }));
    },
    expected: 'TENANT_NOT_LINKED',
  },
];

for (const engine of engines()) {
  describe(`authorizeAdmin: bot and tab decide access the same way (${engine.name})`, function () {
    this.timeout(60_000);
    let store: SafetyStore;
    let companyId: string;
    let graph: GraphEmulator;
    let tokens: TokenEmulator;
    let settings: SsoSettings;
    let bot: BotContext;
    let closed = false;

    before(async () => {
      store = await engine.open();
      companyId = (await seedDemoCompany(store)).company.id;
      // Every check below must find the admin by an indexed lookup: loading the roster fails the test.
      store.listUsers = async () => {
        throw new Error('the whole roster was loaded to find one admin');
      };
      const tenant = loadDemoTenant();
      graph = await startGraphEmulator({ tenant, port: 0 });
      tokens = await startTokenEmulator({ tenantId: DEMO_TENANT_ID, users: tokenUsersFromTenant(tenant), clientId: CLIENT_ID, clientSecret: 'secret' });
      tokens.addUser({ objectId: STRANGER, userPrincipalName: 'stranger@contoso.onmicrosoft.com', name: 'Stranger', wids: [ROLE_TEMPLATE_IDS.globalAdministrator] });
      settings = { clientId: CLIENT_ID, clientSecret: 'secret', tenantId: DEMO_TENANT_ID, authorityHost: tokens.url, audiences: [], signInUrl: null, appIdUri: `api://localhost/botid-${CLIENT_ID}` };
      bot = {
        options: { store, sync: null as unknown as SyncService, log: silentLogger, graphBaseUrl: graph.baseUrl, auth: { allowAnonymous: false }, sso: async () => ({ settings }) },
        log: silentLogger,
        store,
        sync: null as unknown as SyncService,
        teamsStore: new TeamsStore(store.db),
        adapter: null,
        botId: '',
        clock: () => new Date(),
        stopping: new AbortController().signal,
        applying: new Set(),
        track: () => undefined,
        proactive: async () => undefined,
        sso: async () => ({ settings }),
        authorizeDeps: { store, log: silentLogger, graphBaseUrl: graph.baseUrl },
      };
    });
    after(async () => {
      await graph?.close();
      await tokens?.close();
      if (!closed) await store?.close();
    });

    /** The bot: the service side before any sign-in (R1, R3, systemAdmin), then the SSO token check. */
    async function botAnswer(oid: string, token: string): Promise<string> {
      const upn = (await tokens.verify(token)).upn as string;
      const before = await authorizeAdmin(bot.authorizeDeps, { tenantId: DEMO_TENANT_ID, aadObjectId: oid, upn: async () => upn }, null);
      if (!before.ok) return before.code;
      const outcome = await checkToken(bot, token, settings, DEMO_TENANT_ID, oid);
      switch (outcome.kind) {
        case 'admin':
          return 'ALLOWED';
        case 'refused':
          return outcome.reason;
        case 'unavailable':
          return 'ACCOUNT_CHECK_FAILED';
        default:
          return outcome.kind.toUpperCase();
      }
    }

    /** The tab: every /api/tab call authenticates its caller this way. */
    async function tabAnswer(token: string): Promise<string> {
      try {
        await authenticateTabCaller(`Bearer ${token}`, { store, log: silentLogger, graphBaseUrl: graph.baseUrl, sso: async () => ({ settings }) });
        return 'ALLOWED';
      } catch (e) {
        if (!isAppError(e)) throw e;
        return e.code === 'FORBIDDEN' ? String(e.details.reason) : e.code;
      }
    }

    for (const c of CASES) {
      it(`${c.name}: ${c.expected}, from the bot and from the tab`, async () => {
        const undo = c.arrange ? await c.arrange(store, companyId) : async () => undefined;
        try {
          const token = await tokens.signUserToken(c.oid, c.wids === undefined ? {} : { wids: c.wids });
          const fromBot = await botAnswer(c.oid, token);
          const fromTab = await tabAnswer(token);
          assert.deepEqual({ bot: fromBot, tab: fromTab }, { bot: c.expected, tab: c.expected });
        } finally {
          await undo();
        }
      });
    }

    it('the admin lookup reads at most the two linked candidates, never the roster', async () => {
      const candidates = await store.findLinkCandidates(companyId, { aadObjectId: DEMO_ADMIN_OBJECT_ID.toUpperCase(), upn: 'meganb@CONTOSO.onmicrosoft.com' });
      assert.deepEqual(candidates.map((u) => u.loginName).sort(), ['AlexW@contoso.onmicrosoft.com', 'MeganB@contoso.onmicrosoft.com']);
      assert.deepEqual(await store.findLinkCandidates(companyId, { aadObjectId: null, upn: null }), []);
    });

    it('defect 14: the database down is "could not check your account" from the bot and from the tab, never a refusal', async () => {
      const token = await tokens.signUserToken(DEMO_ADMIN_OBJECT_ID);
      await store.close();
      closed = true;
      assert.deepEqual(
        { bot: await botAnswer(DEMO_ADMIN_OBJECT_ID, token), tab: await tabAnswer(token) },
        { bot: 'ACCOUNT_CHECK_FAILED', tab: 'ACCOUNT_CHECK_FAILED' },
      );
    });
  });
}
