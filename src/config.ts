/** The environment, parsed once at start-up against a schema (DESIGN §2 "Environment"). */
import { z } from 'zod';

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

function positiveInteger(v: string | undefined, ctx: z.RefinementCtx): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a positive whole number of milliseconds' });
    return z.NEVER;
  }
  return n;
}

const EnvSchema = z.object({
  DATABASE_URL: optional.refine((v) => v === undefined || /^(postgres(ql)?:\/\/|memory:)/i.test(v), {
    message: 'must be postgres://…, postgresql://… or memory:',
  }),
  DATA_DIR: optional,
  PORT: optional.transform((v, ctx) => {
    if (v === undefined) return 3978;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a port number' });
      return z.NEVER;
    }
    return n;
  }),
  HOST: optional.refine((v) => v === undefined || /^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)$/.test(v), {
    message: 'must be an IP address or a host name',
  }),
  SHUTDOWN_GRACE_MS: optional.transform((v, ctx) => {
    if (v === undefined) return 10_000;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 600_000) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a number of milliseconds (0-600000)' });
      return z.NEVER;
    }
    return n;
  }),
  SAFETY_API_KEY: optional,
  GRAPH_BASE_URL: optional.refine((v) => v === undefined || /^https?:\/\//.test(v), { message: 'must be an http(s) URL' }),
  GRAPH_ACCESS_TOKEN: optional,
  BOT_ID: optional,
  BOT_PASSWORD: optional,
  BOT_TENANT_ID: optional,
  AAD_APP_CLIENT_ID: optional,
  AAD_APP_CLIENT_SECRET: optional,
  AAD_APP_TENANT_ID: optional,
  AAD_APP_OAUTH_AUTHORITY_HOST: optional,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).optional(),
  DIRECTORY_READ: z.enum(['delta', 'full']).optional(),
  GRAPH_REQUEST_TIMEOUT_MS: optional.transform(positiveInteger),
  GRAPH_READ_DEADLINE_MS: optional.transform(positiveInteger),
  GRAPH_READ_CONCURRENCY: optional.transform(positiveInteger),
  PUBLIC_BASE_URL: optional,
  /** Demo setting: the language the bot answers in whatever the client sends (the Agents Playground always sends en-US). */
  BOT_LOCALE: optional.refine((v) => v === undefined || /^(ja|en)([-_][A-Za-z]{2,4})?$/i.test(v), { message: 'must be ja, ja-JP, en or en-US' }),
  /** The Teams app id (manifest `id`), for the "Open in Safety Sync tab" deep link; BOT_ID when unset. */
  TEAMS_APP_ID: optional,
});

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  port: number;
  /**
   * HOST: the address to bind, brackets removed. Unset: the command decides (`serve` all
   * interfaces, `demo` loopback only).
   */
  host: string | undefined;
  /** SHUTDOWN_GRACE_MS: how long SIGTERM waits for running requests (an import) before aborting them. Default 10 s. */
  shutdownGraceMs: number;
  apiKey: string | undefined;
  graphBaseUrl: string;
  graphAccessToken: string | undefined;
  bot: { id?: string; password?: string; tenantId?: string };
  aad: { clientId?: string; clientSecret?: string; tenantId?: string; authorityHost: string };
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** B7: incremental Graph delta reads (default) or a full read every time. */
  directoryRead: 'delta' | 'full';
  /** Graph timeouts (GRAPH_REQUEST_TIMEOUT_MS, GRAPH_READ_DEADLINE_MS); unset: the reader's defaults, 30 s and 10 minutes. */
  graphTimeouts: { requestTimeoutInMs?: number; readDeadlineInMs?: number; concurrency?: number };
  publicBaseUrl: string | undefined;
  /** BOT_LOCALE: when set, the bot speaks this language whatever locale the client sends (demo, Agents Playground). */
  botLocale: string | undefined;
  /** TEAMS_APP_ID (the manifest's `id`), for deep links into the static tab. */
  teamsAppId: string | undefined;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR ?? './.data',
    port: e.PORT,
    host: e.HOST?.replace(/^\[(.*)\]$/, '$1'),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    apiKey: e.SAFETY_API_KEY,
    graphBaseUrl: (e.GRAPH_BASE_URL ?? 'https://graph.microsoft.com/v1.0').replace(/\/+$/, ''),
    graphAccessToken: e.GRAPH_ACCESS_TOKEN,
    bot: { id: e.BOT_ID, password: e.BOT_PASSWORD, tenantId: e.BOT_TENANT_ID },
    aad: {
      clientId: e.AAD_APP_CLIENT_ID,
      clientSecret: e.AAD_APP_CLIENT_SECRET,
      tenantId: e.AAD_APP_TENANT_ID,
      authorityHost: (e.AAD_APP_OAUTH_AUTHORITY_HOST ?? 'https://login.microsoftonline.com').replace(/\/+$/, ''),
    },
    logLevel: e.LOG_LEVEL ?? 'info',
    directoryRead: e.DIRECTORY_READ ?? 'delta',
    graphTimeouts: {
      ...(e.GRAPH_REQUEST_TIMEOUT_MS !== undefined ? { requestTimeoutInMs: e.GRAPH_REQUEST_TIMEOUT_MS } : {}),
      ...(e.GRAPH_READ_DEADLINE_MS !== undefined ? { readDeadlineInMs: e.GRAPH_READ_DEADLINE_MS } : {}),
      ...(e.GRAPH_READ_CONCURRENCY !== undefined ? { concurrency: Math.min(e.GRAPH_READ_CONCURRENCY, 32) } : {}),
    },
    publicBaseUrl: e.PUBLIC_BASE_URL,
    botLocale: e.BOT_LOCALE,
    teamsAppId: e.TEAMS_APP_ID,
  };
}
