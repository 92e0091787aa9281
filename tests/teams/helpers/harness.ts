/**
 * The bot over real HTTP, with nothing mocked inside the process:
 * - the restify server with the bot's routes (src/teams) on a memory PGlite, seeded with the demo company;
 * - the Bot Framework side: activities are signed with a local RSA key and validated by botbuilder's
 *   own JWT validation, pointed at a local OpenID metadata document and JWKS through the
 *   ConfigurationBotFrameworkAuthentication settings (ToBotFromChannelOpenIdMetadataUrl, …);
 * - replies go to a local connector service (the activity's serviceUrl on 127.0.0.1);
 * - Entra: the token emulator (Teams SSO tokens, on-behalf-of) and the Graph emulator (the demo tenant).
 *
 * Outbound calls to the connector carry a fixed bearer from a test credentials factory: botbuilder's
 * MSAL credentials only accept an https authority, so that one link is replaced (the connector checks
 * the header).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { ServiceClientCredentialsFactory } from 'botframework-connector';
import { createContext, startServer, type AppContext, type RunningServer } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config.ts';
import { silentLogger, type Logger } from '../../../src/log.ts';
import { seedDemoCompany } from '../../../src/devtools/demo.ts';
import { DEMO_TENANT_ID, loadDemoTenant, tokenUsersFromTenant } from '../../../src/devtools/demo-tenant.ts';
import { startGraphEmulator, type GraphEmulator } from '../../../src/devtools/graph-emulator.ts';
import { startTokenEmulator, type TokenEmulator } from '../../../src/devtools/token-emulator.ts';
import { createTeamsBot, teamsRegistrar, type TeamsBot, type TeamsWiring } from '../../../src/teams/index.ts';
import { startLocalConnector, type LocalConnector } from './connector.ts';

export const BOT_ID = '11111111-2222-4333-8444-555555555555';
export const CHANNEL_ISSUER = 'https://api.botframework.com';
export const OUTBOUND_TOKEN = 'local-connector-token';
export const SSO_CLIENT_ID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const KID = 'local-channel-key';

/** The channel's signing keys and its OpenID metadata document on loopback. */
export interface ChannelAuthority {
  metadataUrl: string;
  sign(claims: Record<string, unknown>, options?: { expiresInSeconds?: number; key?: 'channel' | 'forged'; kid?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startChannelAuthority(): Promise<ChannelAuthority> {
  const channel = await generateKeyPair('RS256', { extractable: true });
  const forged = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(channel.publicKey)), kid: KID, use: 'sig', alg: 'RS256' };
  let base = '';
  const server: Server = createServer((req, res) => {
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/v1/.well-known/openidconfiguration') {
      send({ issuer: CHANNEL_ISSUER, authorization_endpoint: `${base}/auth`, jwks_uri: `${base}/v1/.well-known/keys`, id_token_signing_alg_values_supported: ['RS256'] });
    } else if (req.url === '/v1/.well-known/keys') {
      // Bot Framework keys list the channels they endorse; botbuilder checks the activity's channelId.
      send({ keys: [{ ...jwk, endorsements: ['msteams', 'emulator', 'webchat'] }] });
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    metadataUrl: `${base}/v1/.well-known/openidconfiguration`,
    async sign(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const exp = now + (options.expiresInSeconds ?? 3600);
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: options.kid ?? KID })
        .setIssuer(CHANNEL_ISSUER)
        .setIssuedAt(Math.min(now, exp - 60))
        .setNotBefore(Math.min(now, exp - 60))
        .setExpirationTime(exp)
        .sign(options.key === 'forged' ? forged.privateKey : channel.privateKey);
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** The public cloud's Bot Framework settings, except where the local channel's keys are published. */
export function localBotFrameworkOverrides(channel: Pick<ChannelAuthority, 'metadataUrl'>) {
  return {
    ToBotFromChannelOpenIdMetadataUrl: channel.metadataUrl,
    ToBotFromEmulatorOpenIdMetadataUrl: channel.metadataUrl,
    ToBotFromChannelTokenIssuer: CHANNEL_ISSUER,
    ToChannelFromBotLoginUrl: `https://login.microsoftonline.com/${DEMO_TENANT_ID}`,
    ToChannelFromBotOAuthScope: 'https://api.botframework.com',
    OAuthUrl: 'https://api.botframework.com',
    CallerId: 'urn:botframework:azure',
    ValidateAuthority: 'true',
  };
}

/** Outbound credentials for the local connector: a fixed bearer the connector can check. */
export class LocalCredentialsFactory extends ServiceClientCredentialsFactory {
  override async isValidAppId(appId: string): Promise<boolean> {
    return appId === BOT_ID;
  }
  override async isAuthenticationDisabled(): Promise<boolean> {
    return false;
  }
  override async createCredentials(appId: string) {
    if (appId !== BOT_ID) throw new Error('Invalid appId.');
    return {
      async signRequest<T extends { headers: { set(name: string, value: string): void } }>(request: T): Promise<T> {
        request.headers.set('Authorization', `Bearer ${OUTBOUND_TOKEN}`);
        return request;
      },
    };
  }
}

export interface HarnessOptions {
  /** Demo mode (anonymous requests, emulated SSO) instead of BOT_ID + JWTs. */
  demo?: boolean;
  graphLatencyMs?: number;
  /** Users per page of the emulator's /users/delta (Graph picks its own page size there). */
  graphDeltaPageSize?: number;
  accessTokenLifetimeSeconds?: number;
  overrides?: TeamsWiring['overrides'];
  log?: Logger;
}

export interface Harness {
  ctx: AppContext;
  running: RunningServer;
  bot: TeamsBot;
  connector: LocalConnector;
  channel: ChannelAuthority;
  tokens: TokenEmulator;
  graph: GraphEmulator;
  companyId: string;
  /** POSTs an activity to /api/messages, signed (unless auth is given as null or a string). */
  post(activity: Record<string, unknown>, auth?: string | null): Promise<{ status: number; body: unknown }>;
  /** A Teams-like activity from a user of the demo tenant. */
  activity(from: { aadObjectId: string; name: string; id?: string }, fields: Record<string, unknown>): Record<string, unknown>;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const tenant = loadDemoTenant();
  const graph = await startGraphEmulator({
    tenant,
    port: 0,
    ...(options.graphLatencyMs ? { latencyMs: options.graphLatencyMs } : {}),
    ...(options.graphDeltaPageSize ? { deltaPageSize: options.graphDeltaPageSize } : {}),
  });
  const tokens = await startTokenEmulator({
    tenantId: DEMO_TENANT_ID,
    users: tokenUsersFromTenant(tenant),
    clientId: SSO_CLIENT_ID,
    clientSecret: 'sso-app-secret',
    ...(options.accessTokenLifetimeSeconds ? { accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds } : {}),
  });
  const channel = await startChannelAuthority();
  const connector = await startLocalConnector();
  // The conversation roster (TeamsInfo.getMember): every user of the tenant, as Teams knows them.
  for (const u of tenant.users) {
    if (u.userPrincipalName) {
      connector.members.set(`29:${u.id}`, { id: `29:${u.id}`, name: u.displayName ?? '', aadObjectId: u.id, userPrincipalName: u.userPrincipalName });
    }
  }
  const env: Record<string, string> = {
    DATABASE_URL: 'memory:',
    PORT: '0',
    SAFETY_API_KEY: 'teams-test-api-key-0123',
    GRAPH_BASE_URL: graph.baseUrl,
    AAD_APP_CLIENT_ID: SSO_CLIENT_ID,
    AAD_APP_CLIENT_SECRET: 'sso-app-secret',
    AAD_APP_TENANT_ID: DEMO_TENANT_ID,
    AAD_APP_OAUTH_AUTHORITY_HOST: tokens.url,
    PUBLIC_BASE_URL: 'https://bot.example.test',
  };
  if (!options.demo) {
    env.BOT_ID = BOT_ID;
    env.BOT_PASSWORD = 'bot-password';
    env.BOT_TENANT_ID = DEMO_TENANT_ID;
  }
  const ctx = await createContext(loadConfig(env), options.log ?? silentLogger);
  const { company } = await seedDemoCompany(ctx.store);
  const bot = createTeamsBot(ctx, {
    demo: options.demo ?? false,
    ...(options.demo
      ? {
          demoSso: async () => ({
            settings: {
              clientId: SSO_CLIENT_ID,
              clientSecret: 'sso-app-secret',
              tenantId: DEMO_TENANT_ID,
              authorityHost: tokens.url,
              audiences: [],
              signInUrl: null,
              appIdUri: `api://localhost/botid-${SSO_CLIENT_ID}`,
            },
            silentToken: (oid: string) => tokens.signUserToken(oid),
          }),
        }
      : {}),
    overrides: {
      clickWaitInMs: 3000,
      progressIntervalInMs: 200,
      ...options.overrides,
      auth: {
        ...(options.demo
          ? {}
          : {
              botFrameworkOverrides: localBotFrameworkOverrides(channel),
              credentialsFactory: new LocalCredentialsFactory(),
            }),
        ...options.overrides?.auth,
      },
    },
  });
  const running = await startServer(ctx, [teamsRegistrar(bot)]);
  const conversationId = `a:${randomUUID()}`;

  const activity: Harness['activity'] = (from, fields) => ({
    channelId: 'msteams',
    serviceUrl: connector.url,
    id: `in-${randomUUID()}`,
    timestamp: new Date().toISOString(),
    from: { id: from.id ?? `29:${from.aadObjectId}`, name: from.name, aadObjectId: from.aadObjectId },
    recipient: { id: `28:${BOT_ID}`, name: 'Safety Sync' },
    conversation: { id: conversationId, conversationType: 'personal', tenantId: DEMO_TENANT_ID },
    channelData: { tenant: { id: DEMO_TENANT_ID } },
    locale: 'en-US',
    ...fields,
  });

  return {
    ctx,
    running,
    bot,
    connector,
    channel,
    tokens,
    graph,
    companyId: company.id,
    activity,
    async post(body, auth) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (auth === undefined && !options.demo) {
        headers.authorization = `Bearer ${await channel.sign({ aud: BOT_ID, serviceurl: body.serviceUrl })}`;
      } else if (typeof auth === 'string') {
        headers.authorization = auth;
      }
      const res = await fetch(`${running.url}/api/messages`, { method: 'POST', headers, body: JSON.stringify(body) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* plain text */
      }
      return { status: res.status, body: parsed };
    },
    async close() {
      await bot.close();
      await running.close();
      await ctx.store.close();
      await Promise.all([connector.close(), channel.close(), tokens.close(), graph.close()]);
    },
  };
}

/** The invoke body of an Action.Execute click. */
export function actionInvoke(verb: string, data: Record<string, unknown>, replyToId?: string, extra: Record<string, unknown> = {}) {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    ...(replyToId ? { replyToId } : {}),
    value: { action: { type: 'Action.Execute', verb, data }, trigger: 'manual', ...extra },
  };
}
