/**
 * The Graph client's middleware chain (see graph-requester.ts for the order):
 *   ThrottlingRetryHandler -> RequestBudgetHandler -> RequestTimeoutHandler -> BaseUrlAuthenticationHandler -> HTTPMessageHandler (fetch)
 * The library's AuthenticationHandler only attaches tokens to Graph's own hosts (or https
 * `customHosts`), which would leave the http://127.0.0.1 emulator without a token; ours attaches it
 * to exactly the configured base URL's origin — https://graph.microsoft.com in production.
 * The request budget is one token bucket per requester: every partition of a parallel read takes
 * from it before each attempt, and a 429 on any of them halves the pace for all (the shared back-off).
 */
import type {
  AuthenticationProvider,
  AuthenticationProviderOptions,
  Context,
  Middleware,
  MiddlewareOptions,
} from '@microsoft/microsoft-graph-client';
import { AppError } from '../domain/errors.ts';
import type { RetryStrategy } from './retry-strategy.ts';
import type { TokenProvider } from './tokens.ts';

/** Per-request state the middlewares share with the caller (errors thrown inside the client get rewrapped). */
export class GraphRequestState implements MiddlewareOptions {
  error: unknown = undefined;
  retries = 0;
  /** The signal of the attempt in flight (the caller's and the attempt's timeout); it also bounds reading the body. */
  attemptSignal: AbortSignal | undefined;
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  constructor(
    readonly signal: AbortSignal | undefined,
    readonly requestTimeoutInMs: number,
  ) {
    this.attemptSignal = signal;
  }
  /** A fresh per-attempt timeout; its abort reason is the DIRECTORY_TIMEOUT error itself. */
  startAttempt(where: string): AbortSignal {
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(
          new AppError('DIRECTORY_TIMEOUT', `Microsoft Graph did not answer within ${this.requestTimeoutInMs} ms (${where})`, {
            path: where,
            timeoutInMs: this.requestTimeoutInMs,
            retries: this.retries,
          }),
        ),
      this.requestTimeoutInMs,
    );
    timer.unref?.();
    this.timers.push(timer);
    this.attemptSignal = this.signal ? AbortSignal.any([this.signal, controller.signal]) : controller.signal;
    return this.attemptSignal;
  }
  /** Why the request stopped, when a signal stopped it: the caller's reason, or DIRECTORY_TIMEOUT. */
  abortReason(): unknown {
    if (this.signal?.aborted) return this.signal.reason;
    if (this.attemptSignal?.aborted) return this.attemptSignal.reason;
    return undefined;
  }
  done(): void {
    for (const t of this.timers.splice(0)) clearTimeout(t);
  }
}

function stateOf(context: Context): GraphRequestState | undefined {
  return context.middlewareControl?.getMiddlewareOptions(GraphRequestState) as GraphRequestState | undefined;
}

function requestUrl(context: Context): string {
  return typeof context.request === 'string' ? context.request : context.request.url;
}

/** The AuthenticationProvider the Graph client's chain uses: it asks the TokenProvider. */
export class TokenProviderAuthenticationProvider implements AuthenticationProvider {
  constructor(private readonly tokenProvider: TokenProvider) {}
  getAccessToken(_options?: AuthenticationProviderOptions, signal?: AbortSignal): Promise<string> {
    return this.tokenProvider.getToken(signal ? { signal } : {});
  }
}

/** Attaches `Authorization: Bearer` to requests for the configured base URL's origin, and only those. */
export class BaseUrlAuthenticationHandler implements Middleware {
  private next: Middleware | undefined;
  constructor(
    private readonly authProvider: TokenProviderAuthenticationProvider,
    private readonly origin: string,
  ) {}
  setNext(next: Middleware): void {
    this.next = next;
  }
  async execute(context: Context): Promise<void> {
    const state = stateOf(context);
    const options = (context.options ??= {});
    const headers = toPlainHeaders(options.headers);
    delete headers.Authorization;
    delete headers.authorization;
    if (new URL(requestUrl(context)).origin === this.origin) {
      try {
        headers.Authorization = `Bearer ${await this.authProvider.getAccessToken(undefined, state?.signal)}`;
      } catch (e) {
        if (state) state.error = e;
        throw e;
      }
    }
    options.headers = headers;
    await this.next!.execute(context);
  }
}

/** Retries per a RetryStrategy, sleeping between attempts (abortable). */
export class ThrottlingRetryHandler implements Middleware {
  private next: Middleware | undefined;
  constructor(
    private readonly strategy: RetryStrategy,
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = abortableSleep,
  ) {}
  setNext(next: Middleware): void {
    this.next = next;
  }
  async execute(context: Context): Promise<void> {
    const state = stateOf(context);
    for (let attempt = 0; ; attempt++) {
      let error: unknown;
      context.response = undefined;
      try {
        await this.next!.execute(context);
      } catch (e) {
        if (state?.error !== undefined || state?.signal?.aborted) throw e;
        error = e;
      }
      const response = context.response as Response | undefined;
      const decision = this.strategy.decide(
        response ? { attempt, status: response.status, headers: response.headers } : { attempt, error },
      );
      if (!decision.retry) {
        if (error !== undefined) {
          if (state) state.error = error;
          throw error;
        }
        return;
      }
      if (response) await response.body?.cancel().catch(() => {});
      if (state) state.retries++;
      await this.sleep(decision.delayInMs, state?.signal);
    }
  }
}

/**
 * Gives every HTTP attempt its own timeout (requestTimeoutInMs) joined with the caller's signal.
 * A timed-out attempt ends the request with DIRECTORY_TIMEOUT; the retry handler does not retry it.
 */
export class RequestTimeoutHandler implements Middleware {
  private next: Middleware | undefined;
  setNext(next: Middleware): void {
    this.next = next;
  }
  async execute(context: Context): Promise<void> {
    const state = stateOf(context);
    if (!state) return this.next!.execute(context);
    const signal = state.startAttempt(new URL(requestUrl(context)).pathname);
    context.options = { ...(context.options ?? {}), signal };
    try {
      await this.next!.execute(context);
    } catch (e) {
      const reason = state.abortReason();
      if (reason !== undefined) {
        state.error = reason;
        throw reason;
      }
      throw e;
    }
  }
}

function toPlainHeaders(h: unknown): Record<string, string> {
  if (!h) return {};
  if (h instanceof Headers) {
    const out: Record<string, string> = {};
    h.forEach((v, k) => (out[k] = v));
    return out;
  }
  if (Array.isArray(h)) return Object.fromEntries(h as [string, string][]);
  return { ...(h as Record<string, string>) };
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
// ---------------------------------------------------------------- request budget

/** A budget of requests shared by every request (and every partition) of one requester. */
export interface RequestBudget {
  /** Waits until one more request fits the budget (abortable). */
  take(signal?: AbortSignal): Promise<void>;
  /** Graph throttled a request: the pace of all requests halves (down to minRequestsPerSecond). */
  throttled(): void;
  /** A request went through: the pace creeps back up (by 1 request/s per success) to the configured one. */
  succeeded(): void;
  /** The pace now, in requests per second. */
  readonly requestsPerSecond: number;
}

export interface RequestBudgetOptions {
  /** The pace, in requests per second. Default 50 (Graph's identity budget for a large tenant is far above it). */
  requestsPerSecond?: number;
  /** Requests that may go at once after a quiet spell. Default 8. */
  burst?: number;
  /** The floor the shared back-off halves down to. Default 1. */
  minRequestsPerSecond?: number;
  /** Injected for tests: ms since any epoch. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export const DEFAULT_REQUESTS_PER_SECOND = 50;

/** A token bucket kept as "the time the next request may go" (GCRA): O(1), fair in arrival order. */
export function requestBudget(options: RequestBudgetOptions = {}): RequestBudget {
  const max = positive(options.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND, 'requestsPerSecond');
  const min = Math.min(max, positive(options.minRequestsPerSecond ?? 1, 'minRequestsPerSecond'));
  const burst = Math.max(1, Math.floor(options.burst ?? 8));
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? abortableSleep;
  let rate = max;
  let next = -Infinity;
  return {
    get requestsPerSecond() {
      return rate;
    },
    async take(signal) {
      const t = now();
      const interval = 1000 / rate;
      // Up to `burst` requests may go at once after a quiet spell.
      next = Math.max(next, t - (burst - 1) * interval);
      const at = next;
      next += interval;
      if (at > t) await sleep(at - t, signal);
    },
    throttled() {
      rate = Math.max(min, rate / 2);
    },
    succeeded() {
      rate = Math.min(max, rate + 1);
    },
  };
}

function positive(n: number, name: string): number {
  if (!Number.isFinite(n) || n <= 0) throw new RangeError(`${name} must be a positive number`);
  return n;
}

/** Takes from the shared budget before every attempt, and tells it how the attempt went. */
export class RequestBudgetHandler implements Middleware {
  private next: Middleware | undefined;
  constructor(private readonly budget: RequestBudget) {}
  setNext(next: Middleware): void {
    this.next = next;
  }
  async execute(context: Context): Promise<void> {
    const state = stateOf(context);
    await this.budget.take(state?.signal);
    await this.next!.execute(context);
    const status = (context.response as Response | undefined)?.status;
    if (status === 429) this.budget.throttled();
    else if (status !== undefined && status < 400) this.budget.succeeded();
  }
}
