/**
 * Start-up wiring: configuration -> database -> store -> sync -> HTTP routes.
 * The one place that knows every part; each part knows only what it is given.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'restify';
import { registerAdminRoutes } from './api/admin-routes.ts';
import { registerScimRoutes } from './api/scim/routes.ts';
import { registerScimTokenRoutes } from './api/scim/token-routes.ts';
import type { Config } from './config.ts';
import { AppError } from './domain/errors.ts';
import { createGraphDirectoryReader, type DirectoryReader } from './directory/graph-reader.ts';
import { clientCredentialsTokenProvider, staticTokenProvider, type TokenProvider } from './directory/tokens.ts';
import type { Logger } from './log.ts';
import { createHttpServer, listen, type RouteRegistrar } from './server.ts';
import { openDatabase } from './store/database.ts';
import { SafetyStore, type StoredPlan } from './store/safety-store.ts';
import { SyncScheduler } from './sync/scheduler.ts';
import { SyncService } from './sync/sync-service.ts';

export interface AppContext {
  config: Config;
  store: SafetyStore;
  sync: SyncService;
  log: Logger;
  apiKey: string;
  /** App-only access to the directory (REST API, CLI, schedule). */
  appTokenProvider: () => TokenProvider;
  directoryFor: (companyId: string) => Promise<DirectoryReader>;
  /** Set by parts wired later (the bot posts scheduled plans for approval). */
  hooks: { onScheduledPlan?: (plan: StoredPlan) => Promise<void> };
}

export async function createContext(config: Config, log: Logger, overrides: { apiKey?: string } = {}): Promise<AppContext> {
  const db = await openDatabase(config.databaseUrl, { dataDir: config.dataDir });
  const store = await SafetyStore.open(db);
  const sync = new SyncService(store, { log: (event, fields) => log.info(event, fields), directoryRead: config.directoryRead });
  const apiKey = overrides.apiKey ?? config.apiKey ?? randomBytes(24).toString('base64url');
  const appTokenProvider = (): TokenProvider => {
    if (config.graphAccessToken) return staticTokenProvider(config.graphAccessToken);
    const { clientId, clientSecret, tenantId, authorityHost } = config.aad;
    if (!clientId || !clientSecret || !tenantId) {
      throw new AppError(
        'TOKEN_UNAVAILABLE',
        'No Graph credentials: set GRAPH_ACCESS_TOKEN, or AAD_APP_CLIENT_ID, AAD_APP_CLIENT_SECRET and AAD_APP_TENANT_ID.',
      );
    }
    return clientCredentialsTokenProvider({ clientId, clientSecret, tenantId, authorityHost });
  };
  const directoryFor = async (): Promise<DirectoryReader> =>
    createGraphDirectoryReader({ graphBaseUrl: config.graphBaseUrl, tokenProvider: appTokenProvider(), ...config.graphTimeouts });
  return { config, store, sync, log, apiKey, appTokenProvider, directoryFor, hooks: {} };
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * @param host where to listen; default all interfaces (`serve` behind App Service). The demo
 *             listens on loopback only: it hands its administrator's token to the tab page.
 */
export async function startServer(ctx: AppContext, registrars: RouteRegistrar[] = [], host = '0.0.0.0'): Promise<RunningServer> {
  const server = createHttpServer({
    store: ctx.store,
    log: ctx.log,
    registrars: [
      (s) =>
        registerAdminRoutes(s, {
          store: ctx.store,
          sync: ctx.sync,
          apiKey: ctx.apiKey,
          directoryFor: ctx.directoryFor,
          log: ctx.log,
        }),
      (s) => registerScimTokenRoutes(s, { store: ctx.store, apiKey: ctx.apiKey, log: ctx.log }),
      (s) => registerScimRoutes(s, { store: ctx.store, log: ctx.log }),
      ...registrars,
    ],
  });
  const url = await listen(server, ctx.config.port, host);
  return {
    server,
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** B7: the scheduled sync of every instance (off for companies without a schedule). */
export function startScheduler(ctx: AppContext): SyncScheduler {
  const scheduler = new SyncScheduler({
    store: ctx.store,
    sync: ctx.sync,
    directoryFor: ctx.directoryFor,
    log: ctx.log,
    onScheduledPlan: (plan) => ctx.hooks.onScheduledPlan?.(plan) ?? Promise.resolve(),
  });
  scheduler.start();
  return scheduler;
}
