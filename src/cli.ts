/**
 * The `safety-sync` command (DESIGN §2): serve | demo | plan | apply.
 * Exit codes: 0 ok, 1 the plan has errors or the import failed, 2 usage or configuration.
 */
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { createContext, startScheduler, startServer, type AppContext } from './app.ts';
import { formatPlan, formatRun } from './cli/format.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { AppError, isAppError } from './domain/errors.ts';
import type { Plan, Run } from './domain/types.ts';
import { createLogger, type Logger } from './log.ts';
import { DEMO_INITIAL_PASSWORD, seedDemoCompany, startDemoTenant } from './devtools/demo.ts';
import { readServerLock, removeServerLock, writeServerLock } from './cli/server-lock.ts';
import { extraRegistrars } from './wiring.ts';

const USAGE = `Usage: safety-sync <command> [options]

Commands:
  serve                       start the HTTP server (bot, tab, admin API, SCIM); needs SAFETY_API_KEY
  demo                        seed a demo company and an emulated Entra tenant, then serve (npm start)
  plan  [--company ID] [--json]
                              read the directory, print the plan and store it
  apply [--company ID] [--yes] [--confirm-deletions]
                              plan, then apply after asking (or at once with --yes)

Environment: DATABASE_URL, DATA_DIR, PORT, SAFETY_API_KEY, GRAPH_BASE_URL, GRAPH_ACCESS_TOKEN,
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
  const log = createLogger(config.logLevel);
  try {
    switch (command) {
      case 'serve':
        return await serve(config, log, say, warn);
      case 'demo':
        return await demo(config, log, say);
      case 'plan':
      case 'apply':
        return await planOrApply(command, config, values, say, warn, io.interactive ?? Boolean(process.stdin.isTTY));
      default:
        warn(`Unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (isAppError(e)) {
      warn(`${e.code}: ${e.message}`);
      return e.code === 'VALIDATION_FAILED' || e.code === 'NOT_FOUND' ? 2 : 1;
    }
    warn(`Unexpected error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

async function serve(config: Config, log: Logger, say: (s: string) => void, warn: (s: string) => void): Promise<number> {
  if (!config.apiKey) {
    warn('SAFETY_API_KEY is required by serve. For a local try-out use `npm start` (demo).');
    return 2;
  }
  if (config.apiKey.length < 16) warn('Warning: SAFETY_API_KEY is shorter than 16 characters; use a long random key in production.');
  const ctx = await createContext(config, log);
  const running = await startServer(ctx, extraRegistrars(ctx));
  const scheduler = startScheduler(ctx);
  await holdServer(ctx, running.url, say);
  say(`safety-sync listening on ${running.url} (database: ${ctx.store.db.kind})`);
  return waitForSignal(async () => {
    scheduler.stop();
    await running.close();
    await ctx.store.close();
  }, ctx);
}

async function demo(config: Config, log: Logger, say: (s: string) => void): Promise<number> {
  const tenant = await startDemoTenant();
  const demoConfig: Config = {
    ...config,
    graphBaseUrl: config.graphAccessToken ? config.graphBaseUrl : tenant.graphBaseUrl,
    graphAccessToken: config.graphAccessToken ?? 'demo-emulated-tenant',
  };
  const ctx = await createContext(demoConfig, log);
  const { company, created } = await seedDemoCompany(ctx.store);
  const running = await startServer(ctx, extraRegistrars(ctx, { demo: true }), '127.0.0.1');
  const scheduler = startScheduler(ctx);
  await holdServer(ctx, running.url, say);
  say(
    [
      '',
      'Safety Sync demo is running.',
      `  server          ${running.url}   (health: ${running.url}/healthz)`,
      `  bot endpoint    ${running.url}/api/messages   (npm run playground opens the Agents Playground)`,
      `  configuration   ${running.url}/tab`,
      `  admin API       ${running.url}/api/v1   Authorization: Bearer ${ctx.apiKey}`,
      `  demo company    ${company.name} (${company.id})${created ? ' — created now' : ''}`,
      `  Entra tenant    emulated Graph at ${tenant.graphBaseUrl}`,
      `  initial password for imported users: ${DEMO_INITIAL_PASSWORD}`,
      '',
      'Try:  npx safety-sync plan      (in another terminal, against this server)',
      'Stop with Ctrl+C.',
      '',
    ].join('\n'),
  );
  return waitForSignal(async () => {
    scheduler.stop();
    await running.close();
    await ctx.store.close();
    await tenant.close();
  }, ctx);
}

/** With the embedded database, the running server owns the data: record where to reach it. */
async function holdServer(ctx: AppContext, url: string, _say: (s: string) => void): Promise<void> {
  if (ctx.store.db.kind === 'pglite' && !ctx.config.databaseUrl) writeServerLock(ctx.config.dataDir, { url, apiKey: ctx.apiKey });
}

function waitForSignal(stop: () => Promise<void>, ctx: AppContext): Promise<number> {
  return new Promise((resolve) => {
    const done = async () => {
      removeServerLock(ctx.config.dataDir);
      await stop().catch(() => undefined);
      resolve(0);
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
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
  const lock = !config.databaseUrl ? readServerLock(config.dataDir) : null;
  if (lock) {
    warn(`Using the running server at ${lock.url} (it owns the embedded database in ${config.dataDir}).`);
    return remotePlanApi(lock.url, lock.apiKey, companyArg);
  }
  const noDirectoryConfigured =
    !process.env.GRAPH_BASE_URL && !config.graphAccessToken && !(config.aad.clientId && config.aad.clientSecret);
  let closeTenant = async () => undefined as void;
  let cfg = config;
  if (noDirectoryConfigured) {
    warn('No directory configured (GRAPH_BASE_URL, GRAPH_ACCESS_TOKEN or AAD_APP_*): using the built-in emulated demo tenant.');
    const tenant = await startDemoTenant();
    closeTenant = () => tenant.close();
    cfg = { ...config, graphBaseUrl: tenant.graphBaseUrl, graphAccessToken: 'demo-emulated-tenant' };
  }
  const ctx = await createContext(cfg, createLogger('warn'));
  if (noDirectoryConfigured) await seedDemoCompany(ctx.store);
  const companyId = await resolveCompany(ctx, companyArg);
  return {
    async plan(onProgress) {
      return ctx.sync.createPlan(companyId, await ctx.directoryFor(companyId), { requestedBy: 'cli', source: 'cli', onProgress });
    },
    async apply(planId, confirmDeletions) {
      return (await ctx.sync.apply(companyId, planId, { confirmedBy: 'cli', confirmDeletions })).run;
    },
    async close() {
      await ctx.store.close();
      await closeTenant();
    },
  };
}

async function resolveCompany(ctx: AppContext, companyArg: string | undefined): Promise<string> {
  if (companyArg) return (await ctx.store.getCompany(companyArg)).id;
  const companies = await ctx.store.listCompanies();
  if (companies.length === 1) return companies[0]!.id;
  if (companies.length === 0) throw new AppError('NOT_FOUND', 'No company exists yet: create one with POST /api/v1/companies.');
  const list = companies.map((c) => `  ${c.id}  ${c.name}`).join('\n');
  throw new AppError('VALIDATION_FAILED', `Several companies exist; choose one with --company:\n${list}`);
}

function remotePlanApi(url: string, apiKey: string, companyArg: string | undefined): PlanApi {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
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
