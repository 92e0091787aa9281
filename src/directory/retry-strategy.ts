/**
 * When to retry a Graph request, and how long to wait first: Azure's throttlingRetryStrategy
 * (Retry-After honoured) joined with its exponentialRetryStrategy (backoff with jitter otherwise).
 * Pure: no I/O; the clock and the randomness are injectable.
 */
import { isAppError } from '../domain/errors.ts';

export interface RetryInput {
  /** Retries already made (0 on the first failure). */
  attempt: number;
  /** HTTP status of the answer, absent when the request failed without one. */
  status?: number;
  headers?: { get(name: string): string | null };
  /** The network error, when there was no answer. */
  error?: unknown;
}

export type RetryDecision = { retry: false } | { retry: true; delayInMs: number; reason: 'retry-after' | 'backoff' };

export interface RetryStrategy {
  readonly name: string;
  decide(input: RetryInput): RetryDecision;
}

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

/**
 * The delay a Retry-After (or retry-after-ms / x-ms-retry-after-ms) header asks for, in ms;
 * undefined when absent or unreadable. A date in the past means 0.
 */
export function parseRetryAfter(headers: { get(name: string): string | null } | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const v = headers.get(name)?.trim();
    if (v && /^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v));
  }
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  if (/^-\d/.test(value)) return 0;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Like Azure's throttlingRetryStrategy + exponentialRetryStrategy: retry 429/503/504 and network
 * failures up to maxRetries times; wait what Retry-After says (capped at maxRetryDelayInMs), or
 * min(max, base·2^attempt) with jitter (between half and all of it) when it says nothing.
 */
export function throttlingRetryStrategy(
  options: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number; random?: () => number; now?: () => number } = {},
): RetryStrategy {
  const maxRetries = Math.max(0, options.maxRetries ?? 5);
  const base = Math.max(0, options.retryDelayInMs ?? 1000);
  const cap = Math.max(0, options.maxRetryDelayInMs ?? 60_000);
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  return {
    name: 'throttlingRetryStrategy',
    decide({ attempt, status, headers, error }) {
      if (attempt >= maxRetries) return { retry: false };
      if (status === undefined) {
        if (error === undefined || !isTransientNetworkError(error)) return { retry: false };
      } else if (!RETRYABLE_STATUSES.has(status)) {
        return { retry: false };
      }
      const retryAfter = status === undefined ? undefined : parseRetryAfter(headers, now());
      if (retryAfter !== undefined) return { retry: true, delayInMs: Math.min(retryAfter, cap), reason: 'retry-after' };
      const exponential = Math.min(cap, base * 2 ** attempt);
      const jittered = Math.round(exponential / 2 + random() * (exponential / 2));
      return { retry: true, delayInMs: Math.min(jittered, cap), reason: 'backoff' };
    },
  };
}

function isTransientNetworkError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name === 'AbortError' || isAppError(e)) return false;
  // undici: TypeError('fetch failed') with a cause such as ECONNRESET / ECONNREFUSED / UND_ERR_SOCKET.
  return e instanceof TypeError || /ECONN|EPIPE|ETIMEDOUT|EAI_AGAIN|socket/i.test(`${e.message} ${String((e as { code?: unknown }).code ?? '')}`);
}