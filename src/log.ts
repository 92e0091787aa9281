/**
 * Structured JSON logs (pino) behind a small interface. Secrets never reach a log:
 * values under keys that look like credentials are replaced, and bearer/JWT-looking
 * strings are masked. Each line carries the request id of the HTTP request (bot
 * message, tab or API call) it was written for, through AsyncLocalStorage, so sync
 * and store code need not thread it by hand.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import pino from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const SECRET_KEY = /token|secret|password|authorization|assertion|apikey|api_key|cookie|hash/i;
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
const BEARER = /(bearer\s+)[^\s"']+/gi;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[…]';
  if (typeof value === 'string') return value.replace(JWT, '[jwt]').replace(BEARER, '$1[redacted]');
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: redact(value.message, depth + 1), ...(typeof code === 'string' ? { code } : {}) };
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1)]),
    );
  }
  return value;
}

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

// ------------------------------------------------------------------ request id

interface RequestScope {
  requestId: string;
}
const scope = new AsyncLocalStorage<RequestScope>();

/** A caller's `x-request-id` is kept when it is short and plain; anything else is replaced. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && REQUEST_ID.test(header) ? header : randomUUID();
}

/** Runs fn (and everything it starts) under a request id that every log line then carries. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return scope.run({ requestId }, fn);
}

export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}

// ------------------------------------------------------------------ logger

/**
 * @param write where each JSON line goes (without its newline). Default: standard error,
 *              written synchronously so nothing is lost when the process exits.
 */
export function createLogger(level: LogLevel = 'info', write?: (line: string) => void): Logger {
  const destination = write
    ? { write: (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) }
    : pino.destination({ dest: 2, sync: true });
  const p = pino(
    {
      level,
      base: undefined,
      messageKey: 'event',
      // Fields arrive already redacted; pino's own `err` serializer would add a stack trace.
      serializers: { err: (v: unknown) => v },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const s = scope.getStore();
        return s ? { requestId: s.requestId } : {};
      },
    },
    destination,
  );
  const at = (l: Exclude<LogLevel, 'silent'>) => (event: string, fields: Record<string, unknown> = {}) => {
    if (!p.isLevelEnabled(l)) return;
    p[l](redact(fields) as object, event);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export const silentLogger: Logger = createLogger('silent');
