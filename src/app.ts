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
import { bind, createHttpServer, type Bound, type RouteRegistrar } from './server.ts';
import { isConnectionLost, openDatabase } from './store/database.ts';
import { SafetyStore, type StoredPlan } from './store/safety-store.ts';
import { SyncScheduler } from './sync/scheduler.ts';
import { TenantNames } from './sync/tenant-names.ts';
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
  hooks: {
    onScheduledPlan?: (plan: StoredPlan) => Promise<void>;
    /** Resolves when background work started by a request (the bot's reads and imports) has finished. */
    drain?: () => Promise<void>;
    /** Stops what drain waits for (aborts it) and frees what the parts hold. */
    close?: () => Promise<void>;
  };
}

export async function createContext(config: Config, log: Logger, overrides: { apiKey?: string } = {}): Promise<AppContext> {
  const db = await openDatabase(config.databaseUrl, {
    dataDir: config.dataDir,
    // Defect 14: an idle pooled connection that dies is logged with a code, never swallowed. Only
    // codes are logged: pg's message can name the host, and the connection string holds the password.
    onError: (e) => log.error('db.pool_error', poolErrorFields(e)),
  });
  const store = await SafetyStore.open(db);
  const sync = new SyncService(store, {
    log: (event, fields) => log.info(event, fields),
    directoryRead: config.directoryRead,
    // The tenant's display name is only a label: a failure to read it is a warning, never an error.
    tenantNames: new TenantNames({ log: (event, fields) => log.warn(event, fields) }),
  });
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

/**
 * What a pool error may log: DATABASE_CONNECTION_LOST when the connection went away (else
 * DATABASE_ERROR), and the driver's own code when it is a SQLSTATE (`57P01`: terminated by an
 * administrator) or a socket code (`ECONNRESET`). Never the message, the host or the URL.
 */
export function poolErrorFields(e: unknown): { code: 'DATABASE_CONNECTION_LOST' | 'DATABASE_ERROR'; cause?: string } {
  const raw = (e as { code?: unknown } | null)?.code;
  const cause = typeof raw === 'string' && /^(?:[0-9A-Z]{5}|E[A-Z]{2,20})$/.test(raw) ? raw : undefined;
  return { code: isConnectionLost(e) ? 'DATABASE_CONNECTION_LOST' : 'DATABASE_ERROR', ...(cause ? { cause } : {}) };
}

export interface RunningServer {
  server: Server;
  /** A URL this machine reaches the server at (loopback when bound to all interfaces). */
  url: string;
  /** What is really bound (defect 12). */
  bound: Bound;
  /** Stops accepting connections, waits for the open requests, then closes the parts (aborting background work). */
  close(): Promise<void>;
  /**
   * Graceful shutdown: stops accepting at once, lets running requests and background work (an
   * import) finish for up to graceMs, then cuts what is left (an import's transaction is never
   * committed, so it rolls back). Resolves true when everything finished in time.
   */
  shutdown(graceMs: number): Promise<boolean>;
}

/** p's value, or fallback when p has not settled within ms. */
export function withDeadline<T, F>(p: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export interface StartOptions {
  /** Where to listen. Default all interfaces (`serve` behind App Service); the demo passes loopback. */
  host?: string;
  /** 'loopback' refuses requests whose Host is not a loopback name (the demo, defect 11). */
  allowedHosts?: 'any' | 'loopback';
}

export async function startServer(ctx: AppContext, registrars: RouteRegistrar[] = [], options: StartOptions = {}): Promise<RunningServer> {
  const server = createHttpServer({
    store: ctx.store,
    log: ctx.log,
    allowedHosts: options.allowedHosts,
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
  const bound = await bind(server, ctx.config.port, options.host ?? '0.0.0.0');
  let httpClosed: Promise<void> | undefined;
  const stopAccepting = () => (httpClosed ??= new Promise<void>((resolve) => server.close(() => resolve())));
  const closeParts = () => ctx.hooks.close?.() ?? Promise.resolve();
  return {
    server,
    url: bound.url,
    bound,
    async close() {
      await stopAccepting();
      await closeParts();
    },
    async shutdown(graceMs) {
      const finished = Promise.all([stopAccepting(), ctx.hooks.drain?.()]).then(() => true);
      const clean = await withDeadline(finished, graceMs, false);
      if (!clean) server.server.closeAllConnections();
      await withDeadline(closeParts(), 1_000, undefined);
      return clean;
    },
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
