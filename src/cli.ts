/**
 * The `safety-sync` command (DESIGN §2): serve | demo | plan | apply.
 * Exit codes: 0 ok, 1 the plan has errors or the import failed, 2 usage or configuration.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { createServer as createNetServer } from 'node:net';
// Only what `--help` needs is imported up front; the parts (restify, pg, PGlite, the bot, the
// demo tenant, pino) load when a command needs them, so the command answers in milliseconds
// (issue 9, item 8). Type imports cost nothing at run time.
import type { AppContext, RunningServer } from './app.ts';
import { formatPlan, formatRun } from './cli/format.ts';
import { readServerLock, removeServerLock, writeServerLock } from './cli/server-lock.ts';
import type { Config } from './config.ts';
import type { AppError } from './domain/errors.ts';
import type { Plan, Run } from './domain/types.ts';
import type { Logger } from './log.ts';
import type { RouteRegistrar } from './server.ts';
import type { SyncScheduler } from './sync/scheduler.ts';
import type { Request, Response, Server } from 'restify';

/**
 * The error classes come from the same dynamic import as the parts that throw them: a test runner
 * that loads this file as CommonJS (mocha through tsx) would otherwise hold a second copy of
 * AppError, and `instanceof` would fail across the two.
 */
const errors = () => import('./domain/errors.ts');

const USAGE = `Usage: safety-sync <command> [options]

Commands:
  serve                       start the HTTP server (bot, tab, admin API, SCIM); needs SAFETY_API_KEY
  demo                        seed a demo company and an emulated Entra tenant, then serve (npm start)
  plan  [--company ID] [--json]
                              read the directory, print the plan and store it
  apply [--company ID] [--yes] [--confirm-deletions]
                              plan, then apply after asking (or at once with --yes)
  demo-tenant list|add|rename|department|disable|enable|delete|duplicate-email|add-guest|mass-deletion|reset …
                              change the emulated Entra tenant of the running demo (demo-tenant --help)

Environment: DATABASE_URL, DATA_DIR, PORT, HOST, SAFETY_API_KEY, SHUTDOWN_GRACE_MS, LOG_LEVEL, GRAPH_BASE_URL, GRAPH_ACCESS_TOKEN,
AAD_APP_CLIENT_ID, AAD_APP_CLIENT_SECRET, AAD_APP_TENANT_ID (see README.md).`;

export interface CliIo {
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
  /** Whether apply may ask on the terminal. Default: standard input is a terminal. */
  interactive?: boolean;
}

export async function main(argv: string[], io: CliIo = {}): Promise<number> {
  const out = io.out ?? process.stdout;
  const err = io.err ?? process.stderr;
  const say = (s: string) => out.write(s + '\n');
  const warn = (s: string) => err.write(s + '\n');
  const [command, ...rest] = argv;
  if (command === 'demo-tenant') {
    const configModule = await import('./config.ts');
    let dataDir: string;
    try {
      dataDir = configModule.loadConfig().dataDir;
    } catch (e) {
      if (e instanceof configModule.ConfigError) {
        warn(e.message);
        return 2;
      }
      throw e;
    }
    const { demoTenantCommand } = await import('./cli/demo-tenant-command.ts');
    return demoTenantCommand(rest, dataDir, { say, warn });
  }
  let values: { company?: string; json?: boolean; yes?: boolean; 'confirm-deletions'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        company: { type: 'string' },
        json: { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        'confirm-deletions': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    warn(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!command || command === 'help' || command === '--help' || command === '-h' || values.help) {
    say(USAGE);
    return command ? 0 : 2;
  }
  const { ConfigError, loadConfig } = await import('./config.ts');
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      warn(e.message);
      return 2;
    }
    throw e;
  }
  const { createLogger, redact, requestIdFrom, withRequestId } = await import('./log.ts');
  const { isAppError } = await errors();
  const log = createLogger(config.logLevel);
  try {
    switch (command) {
      case 'serve':
        return await serve(config, log, say, warn);
      case 'demo':
        return await demo(config, log, say);
      case 'plan':
      case 'apply':
        // One request id for the whole run, on every log line it writes.
        return await withRequestId(requestIdFrom(undefined), () =>
          planOrApply(command, config, values, say, warn, io.interactive ?? Boolean(process.stdin.isTTY)),
        );
      default:
        warn(`Unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof StartupError) {
      warn(e.message);
      return 1;
    }
    if (isAppError(e)) {
      warn(`${e.code}: ${e.message}`);
      return e.code === 'VALIDATION_FAILED' || e.code === 'NOT_FOUND' ? 2 : 1;
    }
    warn(`Unexpected error: ${String(redact(e instanceof Error ? e.message : String(e)))}`);
    return 1;
  }
}

/** A start-up failure the operator can act on: printed as is, exit 1, nothing left running. */
class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** What a command has opened, closed in reverse order on every path (defect 13). */
class Held {
  private readonly closers: { name: string; close: () => Promise<unknown> }[] = [];
  constructor(private readonly log: Logger) {}
  add(name: string, close: () => Promise<unknown>): void {
    this.closers.push({ name, close });
  }
  async release(): Promise<void> {
    const { withDeadline } = await import('./app.ts');
    for (const c of this.closers.splice(0).reverse()) {
      // A close that cannot finish (the database behind an aborted import) must not hold the exit.
      await withDeadline(
        c.close().catch((e: unknown) => this.log.warn('shutdown.close_failed', { part: c.name, error: e })),
        5_000,
        undefined,
      );
    }
  }
}

const hostLabel = (host: string) => (host.includes(':') ? `[${host}]` : host);

/**
 * Fails fast, before any database is opened or seeded (defect 13): the port must be free, and the
 * embedded database must not already belong to a running server.
 */
async function checkCanServe(config: Config, host: string): Promise<void> {
  if (!config.databaseUrl) {
    const lock = readServerLock(config.dataDir);
    if (lock) {
      throw new StartupError(
        `Another safety-sync server is running at ${lock.url} and owns the embedded database in ${config.dataDir}. ` +
          'Stop it first, or set DATA_DIR (or DATABASE_URL) for a second one.',
      );
    }
  }
  if (config.port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', (e: NodeJS.ErrnoException) => reject(portError(e, host, config.port)));
    probe.listen({ port: config.port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function portError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  if (e.code === 'EADDRINUSE') {
    return new StartupError(`Port ${port} on ${hostLabel(host)} is already in use (another safety-sync?). Stop it, or set PORT to a free port.`);
  }
  if (e.code === 'EACCES') return new StartupError(`Not allowed to listen on port ${port} on ${hostLabel(host)}; set PORT to a port above 1023.`);
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND') return new StartupError(`HOST ${host} is not an address of this machine.`);
  return e;
}

async function serve(config: Config, log: Logger, say: (s: string) => void, warn: (s: string) => void): Promise<number> {
  if (!config.apiKey) {
    warn('SAFETY_API_KEY is required by serve. For a local try-out use `npm start` (demo).');
    return 2;
  }
  if (config.apiKey.length < 16) warn('Warning: SAFETY_API_KEY is shorter than 16 characters; use a long random key in production.');
  const host = config.host ?? '0.0.0.0';
  await checkCanServe(config, host);
  const { startServer } = await import('./app.ts');
  const held = new Held(log);
  try {
    const ctx = await openContext(config, log);
    held.add('database', () => ctx.store.close());
    const parts = deferParts(ctx, held, async () => (await import('./wiring.ts')).extraRegistrars(ctx));
    const running = await startServer(ctx, [parts.registrar], { host }).catch((e: NodeJS.ErrnoException) => {
      throw portError(e, host, config.port);
    });
    parts.load();
    // Signals are handled before anyone is told the server is up.
    const stopped = untilSignal(ctx, running, held, log, parts.loaded);
    holdServer(ctx, running.url);
    say(`safety-sync listening on ${running.bound.description}, ${running.url} (database: ${ctx.store.db.kind})`);
    log.info('server.started', { bound: running.bound.description, database: ctx.store.db.kind });
    return await stopped;
  } catch (e) {
    await held.release();
    throw e;
  }
}

async function demo(config: Config, log: Logger, say: (s: string) => void): Promise<number> {
  // Loopback only unless HOST says otherwise; either way only loopback Host names are answered
  // (defect 11: a DNS-rebinding page must not reach the demo administrator's token).
  const host = config.host ?? '127.0.0.1';
  await checkCanServe(config, host);
  const { startServer } = await import('./app.ts');
  const { DEMO_INITIAL_PASSWORD, seedDemoCompany, startDemoTenant } = await import('./devtools/demo.ts');
  const held = new Held(log);
  try {
    const { demoTenantStorage } = await import('./devtools/demo-tenant-control.ts');
    const tenant = await startDemoTenant({ storage: demoTenantStorage(config) });
    held.add('demo tenant', () => tenant.close());
    const demoConfig: Config = {
      ...config,
      graphBaseUrl: config.graphAccessToken ? config.graphBaseUrl : tenant.graphBaseUrl,
      graphAccessToken: config.graphAccessToken ?? 'demo-emulated-tenant',
    };
    const ctx = await openContext(demoConfig, log);
    held.add('database', () => ctx.store.close());
    await refuseRealCompanies(ctx, 'The demo');
    const { company, created } = await seedDemoCompany(ctx.store);
    // The page and API that change the emulated tenant exist only here, in the demo (never in serve).
    const tenantRoutes: RouteRegistrar[] = [];
    if (!config.graphAccessToken) {
      const { registerDemoTenantRoutes } = await import('./devtools/demo-tenant-routes.ts');
      tenantRoutes.push((s) => registerDemoTenantRoutes(s, { control: tenant.control, log }));
    }
    const parts = deferParts(ctx, held, async () => (await import('./wiring.ts')).extraRegistrars(ctx, { demo: true }));
    const running = await startServer(ctx, [parts.registrar, ...tenantRoutes], { host, allowedHosts: 'loopback' }).catch(
      (e: NodeJS.ErrnoException) => {
        throw portError(e, host, config.port);
      },
    );
    parts.load();
    const stopped = untilSignal(ctx, running, held, log, parts.loaded);
    holdServer(ctx, running.url);
    // DESIGN §2: a random key is printed only when none is set; the operator's own key never is.
    const key = config.apiKey ? '<the key from SAFETY_API_KEY>' : ctx.apiKey;
    say(
      [
        '',
        'Safety Sync demo is running.',
        `  listening on    ${running.bound.description} (answers only Host localhost, 127.0.0.1 or [::1])`,
        `  server          ${running.url}   (health: ${running.url}/healthz)`,
        `  bot endpoint    ${running.url}/api/messages   (npm run playground opens the Agents Playground)`,
        `  configuration   ${running.url}/tab`,
        `  admin API       ${running.url}/api/v1   Authorization: Bearer ${key}`,
        `  demo company    ${company.name} (${company.id})${created ? ' — created now' : ''}`,
        `  Entra tenant    emulated Graph at ${tenant.graphBaseUrl}${tenant.saved ? ' (your changed tenant)' : ''}`,
        ...(tenantRoutes.length > 0
          ? [`  change tenant   ${running.url}/demo/tenant   (or npx safety-sync demo-tenant --help)`, `  demo data       ${demoDataLine(config, tenant.dataFile)}`]
          : []),
        `  initial password for imported users: ${DEMO_INITIAL_PASSWORD}`,
        '',
        'Try:  npx safety-sync plan      (in another terminal, against this server)',
        'Stop with Ctrl+C.',
        '',
      ].join('\n'),
    );
    log.info('server.started', { bound: running.bound.description, database: ctx.store.db.kind, demo: true });
    return await stopped;
  } catch (e) {
    await held.release();
    throw e;
  }
}

/** Where the demo keeps its data, for the banner. */
function demoDataLine(config: Config, tenantFile: string | null): string {
  if (config.databaseUrl) return `database from DATABASE_URL; tenant changes last until the demo stops`;
  return `${config.dataDir} (database), tenant ${tenantFile ?? '-'}; start fresh: stop the demo and delete ${config.dataDir}`;
}

/** The routes every instance answers before the bot and the tab are loaded. */
const CORE_PATH = /^\/(healthz|readyz)$|^\/(api\/v1|scim)(\/|$)/;

/**
 * The Teams bot and the tab (botbuilder and teams-ai: most of the start-up time) are imported
 * after the server listens, so /healthz, /readyz, the admin API and SCIM answer at once (issue 9,
 * item 8). Until they are registered, every other request waits for them (it is held, never
 * refused with a 404), and the schedule starts only once the bot can post its cards (B7).
 */
function deferParts(ctx: AppContext, held: Held, loadRegistrars: () => Promise<RouteRegistrar[]>) {
  let server: Server | undefined;
  let failed: unknown;
  let closed = false;
  let scheduler: SyncScheduler | undefined;
  let markLoaded!: () => void;
  const loaded = new Promise<void>((resolve) => (markLoaded = resolve));
  held.add('scheduler', async () => {
    closed = true;
    scheduler?.stop();
  });
  const registrar: RouteRegistrar = (s) => {
    server = s;
    s.pre((req: Request, res: Response, next: (err?: false) => void) => {
      if (CORE_PATH.test(req.getPath())) return next();
      void loaded.then(() => {
        if (failed === undefined) return next();
        res.send(503, { error: { code: 'UNAVAILABLE', message: 'The Teams bot and the tab could not be loaded; see the server log.' } });
        next(false);
      });
    });
  };
  return {
    registrar,
    loaded,
    load(): void {
      void (async () => {
        try {
          const registrars = await loadRegistrars();
          for (const register of registrars) register(server!);
          const { startScheduler } = await import('./app.ts');
          if (!closed) scheduler = startScheduler(ctx);
        } catch (e) {
          failed = e;
          ctx.log.error('startup.parts_failed', { error: e });
        } finally {
          markLoaded();
        }
      })();
    },
  };
}

/** Opens the database and the parts; a database that cannot be opened is a start-up error naming only its host. */
async function openContext(config: Config, log: Logger): Promise<AppContext> {
  const { createContext } = await import('./app.ts');
  const { redact } = await import('./log.ts');
  const { isAppError } = await errors();
  try {
    return await createContext(config, log);
  } catch (e) {
    if (isAppError(e)) throw e;
    const where = config.databaseUrl?.startsWith('postgres') ? databaseHost(config.databaseUrl) : config.databaseUrl ?? config.dataDir;
    const reason = String(redact(e instanceof Error ? e.message : String(e))).replace(/postgres(ql)?:\/\/\S+/gi, '[database url]');
    throw new StartupError(`Cannot open the database (${where}): ${reason}`);
  }
}

/** host:port/database of a postgres:// URL, never its user or password. */
function databaseHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}

/**
 * Demo data only ever goes into a database that holds nothing but the demo company (defect 13):
 * never mixed into companies of the user's own.
 */
async function refuseRealCompanies(ctx: AppContext, who: string): Promise<void> {
  const { DEMO_TENANT_ID } = await import('./devtools/demo-tenant.ts');
  const { AppError } = await errors();
  const own = (await ctx.store.listCompanies()).filter((c) => c.entraTenantId?.toLowerCase() !== DEMO_TENANT_ID.toLowerCase());
  if (own.length > 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${who} would add demo data to a database that holds companies of its own (${own.length}); ` +
        'use another DATA_DIR or DATABASE_URL=memory:.',
    );
  }
}

/** With the embedded database, the running server owns the data: record where to reach it. */
function holdServer(ctx: AppContext, url: string): void {
  if (ctx.store.db.kind === 'pglite' && !ctx.config.databaseUrl) writeServerLock(ctx.config.dataDir, { url, apiKey: ctx.apiKey });
}

/**
 * Serves until SIGTERM or SIGINT, then shuts down gracefully: stops accepting at once, lets a
 * running import finish within SHUTDOWN_GRACE_MS or cuts it (its transaction rolls back, so no
 * run is left half done), releases the lock file and the database, and answers 0.
 */
function untilSignal(ctx: AppContext, running: RunningServer, held: Held, log: Logger, partsLoaded: Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    const stop = async (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // A second signal while shutting down: leave at once.
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      log.info('shutdown.started', { signal, graceMs: ctx.config.shutdownGraceMs });
      removeServerLock(ctx.config.dataDir);
      const closeHook = ctx.hooks.close;
      const clean = await running.shutdown(ctx.config.shutdownGraceMs).catch((e: unknown) => {
        log.error('shutdown.failed', { error: e });
        return false;
      });
      // The bot and the tab may still have been loading (they load after listening): once they
      // are, close what they opened, so that nothing is left half started.
      await partsLoaded;
      if (ctx.hooks.close && ctx.hooks.close !== closeHook) await ctx.hooks.close().catch((e: unknown) => log.warn('shutdown.close_failed', { part: 'bot', error: e }));
      if (!clean) log.warn('shutdown.aborted_requests', { graceMs: ctx.config.shutdownGraceMs });
      await held.release();
      log.info('shutdown.finished', { clean });
      // A cut-off import may still hold a database socket: leave without waiting on it (its
      // transaction is never committed, so the database rolls it back).
      if (!clean) process.exit(0);
      resolve(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

interface PlanApi {
  plan(onProgress: (n: number) => void): Promise<Plan>;
  apply(planId: string, confirmDeletions: boolean): Promise<Run>;
  close(): Promise<void>;
}

async function planOrApply(
  command: 'plan' | 'apply',
  config: Config,
  values: { company?: string; json?: boolean; yes?: boolean; 'confirm-deletions'?: boolean },
  say: (s: string) => void,
  warn: (s: string) => void,
  interactive: boolean,
): Promise<number> {
  const api = await openPlanApi(config, values.company, warn);
  try {
    const progress = createProgress(warn);
    const plan = await api.plan(progress.update);
    progress.done();
    if (values.json && command === 'plan') say(JSON.stringify(plan, null, 2));
    else say(formatPlan(plan));
    if (plan.errors.length > 0) {
      warn(`\nThe plan has ${plan.errors.length} blocking error(s); nothing can be applied until they are fixed.`);
      return 1;
    }
    if (command === 'plan') return 0;
    const total = plan.summary.usersToCreate + plan.summary.usersToUpdate + plan.summary.usersToDelete + plan.summary.departmentsToCreate;
    if (total === 0) {
      say('\nNothing to change.');
      return 0;
    }
    if (plan.requiresDeletionConfirmation && !values['confirm-deletions']) {
      warn(`\nThis plan deletes ${plan.summary.usersToDelete} users, more than the deletion guard allows. Re-run with --confirm-deletions.`);
      return 1;
    }
    if (!values.yes) {
      if (!interactive) {
        warn('\nNot applied: no terminal to ask on. Re-run with --yes to apply without asking.');
        return 1;
      }
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question('\nApply this plan? [y/N] ');
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        say('Not applied.');
        return 0;
      }
    }
    const run = await api.apply(plan.id, Boolean(values['confirm-deletions']));
    say('\n' + formatRun(run));
    return run.status === 'succeeded' ? 0 : 1;
  } finally {
    await api.close();
  }
}

function createProgress(warn: (s: string) => void) {
  let last = 0;
  const tty = Boolean(process.stderr.isTTY);
  return {
    update(n: number) {
      if (tty) process.stderr.write(`\rReading the directory… ${n.toLocaleString('en-US')} users`);
      else if (n - last >= 10_000) {
        warn(`Reading the directory… ${n.toLocaleString('en-US')} users`);
        last = n;
      }
    },
    done() {
      if (tty) process.stderr.write('\n');
    },
  };
}

async function openPlanApi(config: Config, companyArg: string | undefined, warn: (s: string) => void): Promise<PlanApi> {
  const { AppError } = await errors();
  const lock = !config.databaseUrl ? readServerLock(config.dataDir) : null;
  if (lock) {
    warn(`Using the running server at ${lock.url} (it owns the embedded database in ${config.dataDir}).`);
    return remotePlanApi(lock.url, lock.apiKey, companyArg);
  }
  const noDirectoryConfigured =
    !process.env.GRAPH_BASE_URL && !config.graphAccessToken && !(config.aad.clientId && config.aad.clientSecret);
  // Demo data goes only into the embedded database or a throwaway one, never into a database
  // the user named with DATABASE_URL (defect 13).
  if (noDirectoryConfigured && config.databaseUrl && !config.databaseUrl.startsWith('memory:')) {
    throw new AppError(
      'VALIDATION_FAILED',
      'No directory configured: set GRAPH_ACCESS_TOKEN (with GRAPH_BASE_URL) or AAD_APP_CLIENT_ID, AAD_APP_CLIENT_SECRET and AAD_APP_TENANT_ID. ' +
        'The built-in demo tenant is used only with the embedded database, never with DATABASE_URL.',
    );
  }
  const { createLogger } = await import('./log.ts');
  const held = new Held(createLogger('warn'));
  try {
    let cfg = config;
    const demo = noDirectoryConfigured ? await import('./devtools/demo.ts') : undefined;
    if (demo) {
      warn('No directory configured (GRAPH_BASE_URL, GRAPH_ACCESS_TOKEN or AAD_APP_*): using the built-in emulated demo tenant.');
      const tenant = await demo.startDemoTenant({ storage: (await import('./devtools/demo-tenant-control.ts')).demoTenantStorage(config) });
      held.add('demo tenant', () => tenant.close());
      cfg = { ...config, graphBaseUrl: tenant.graphBaseUrl, graphAccessToken: 'demo-emulated-tenant' };
    }
    const ctx = await openContext(cfg, createLogger('warn'));
    held.add('database', () => ctx.store.close());
    if (demo) {
      await refuseRealCompanies(ctx, 'No directory configured (GRAPH_ACCESS_TOKEN or AAD_APP_*), and the built-in demo tenant');
      await demo.seedDemoCompany(ctx.store);
    }
    const companyId = await resolveCompany(ctx, companyArg);
    return {
      async plan(onProgress) {
        return ctx.sync.createPlan(companyId, await ctx.directoryFor(companyId), { requestedBy: 'cli', source: 'cli', onProgress });
      },
      async apply(planId, confirmDeletions) {
        return (await ctx.sync.apply(companyId, planId, { confirmedBy: 'cli', confirmDeletions })).run;
      },
      close: () => held.release(),
    };
  } catch (e) {
    await held.release();
    throw e;
  }
}

async function resolveCompany(ctx: AppContext, companyArg: string | undefined): Promise<string> {
  const { AppError } = await errors();
  if (companyArg) return (await ctx.store.getCompany(companyArg)).id;
  const companies = await ctx.store.listCompanies();
  if (companies.length === 1) return companies[0]!.id;
  if (companies.length === 0) throw new AppError('NOT_FOUND', 'No company exists yet: create one with POST /api/v1/companies.');
  const list = companies.map((c) => `  ${c.id}  ${c.name}`).join('\n');
  throw new AppError('VALIDATION_FAILED', `Several companies exist; choose one with --company:\n${list}`);
}

function remotePlanApi(url: string, apiKey: string, companyArg: string | undefined): PlanApi {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const { AppError } = await errors();
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json().catch(() => ({}))) as { error?: { code: AppError['code']; message: string } };
    if (!res.ok) throw new AppError(json.error?.code ?? 'INTERNAL', json.error?.message ?? `HTTP ${res.status}`);
    return json as T;
  };
  let companyId: string | undefined = companyArg;
  const company = async () => {
    if (companyId) return companyId;
    const { AppError } = await errors();
    const companies = await call<{ id: string; name: string }[]>('GET', '/companies');
    if (companies.length !== 1) throw new AppError('VALIDATION_FAILED', 'Several companies exist; choose one with --company.');
    companyId = companies[0]!.id;
    return companyId;
  };
  return {
    async plan() {
      return call<Plan>('POST', `/companies/${await company()}/sync/plans`, {});
    },
    async apply(planId, confirmDeletions) {
      return call<Run>('POST', `/companies/${await company()}/sync/plans/${planId}/apply`, { confirmDeletions });
    },
    async close() {},
  };
}
