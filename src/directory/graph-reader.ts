/**
 * Reads the Entra ID directory from Microsoft Graph.
 *
 * - Tenant id: `GET {graphBaseUrl}/organization` (falls back to the token's `tid` when the app
 *   may not read the organization).
 * - Users: `GET /users?$select=…&$top=999`, following `@odata.nextLink` ourselves: the client's
 *   PageIterator refuses http links, and we only ever send the token to the configured base URL.
 * - Delta (B7): `GET /users/delta?$select=…`, then the stored `@odata.deltaLink`.
 *
 * Requests go through @microsoft/microsoft-graph-client with a custom middleware chain:
 *   ThrottlingRetryHandler -> RequestTimeoutHandler -> BaseUrlAuthenticationHandler -> HTTPMessageHandler (fetch)
 * The library's AuthenticationHandler only attaches tokens to Graph's own hosts (or https
 * `customHosts`), which would leave the http://127.0.0.1 emulator without a token; ours attaches it
 * to exactly the configured base URL's origin — https://graph.microsoft.com in production.
 *
 * Retries: 429, 503 and 504 (and network failures) are retried by `throttlingRetryStrategy`,
 * honouring Retry-After (delta-seconds or an HTTP date; also retry-after-ms / x-ms-retry-after-ms),
 * capped at maxRetryDelayInMs, with exponential backoff and jitter when the header is absent.
 *
 * Timeouts: every HTTP attempt has requestTimeoutInMs (default 30 s, the answer's body included)
 * and every read (read, readDelta, latestDeltaLink) readDeadlineInMs (default 10 minutes), joined
 * with the caller's AbortSignal; past either the read fails with AppError DIRECTORY_TIMEOUT (504).
 *
 * Every user is validated with zod and normalised into a DirectoryUser, its texts fitted to the
 * service's limits (domain/text.ts). Anything that is not the expected shape becomes AppError
 * DIRECTORY_UNAVAILABLE. No message or detail contains a token.
 */
import { z } from 'zod';
import {
  Client,
  HTTPMessageHandler,
  ResponseType,
  type AuthenticationProvider,
  type AuthenticationProviderOptions,
  type Context,
  type Middleware,
  type MiddlewareOptions,
} from '@microsoft/microsoft-graph-client';
import { decodeJwt } from 'jose';
import { AppError, isAppError } from '../domain/errors.ts';
import { assertLinkedTenant } from '../domain/tenant.ts';
import { fitDirectoryUser } from '../domain/text.ts';
import type { DirectorySnapshot, DirectoryUser } from '../domain/types.ts';
import type { TokenProvider } from './tokens.ts';

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com/v1.0';
/** The user properties the importer needs (R13–R15, R21). */
/** The page size asked of /users/delta (`Prefer: odata.maxpagesize`). */
export const DELTA_PAGE_SIZE = 999;

export const USER_SELECT = 'id,userPrincipalName,displayName,mail,businessPhones,department,accountEnabled,userType,identities';

export interface ReadOptions {
  signal?: AbortSignal;
  /** Called after every page with the number of users read so far. */
  onProgress?: (usersRead: number) => void;
  /**
   * R3: the tenant the company is linked to. The reader proves that the credential's tenant is this
   * one before any user is read, and refuses with TENANT_MISMATCH otherwise. Absent: any tenant.
   */
  expectedTenantId?: string;
}

export interface DirectoryDelta {
  tenantId: string;
  /** Users added or changed since the delta link (all users when `full`). Normalised. */
  users: DirectoryUser[];
  /**
   * For each changed user (by id), the DirectoryUser fields Graph actually sent. Graph's delta
   * returns "at least the changed properties" of an updated user: a field it left out is unchanged,
   * not blank, and must not overwrite what an earlier round said.
   */
  presentFields: Map<string, (keyof DirectoryUser)[]>;
  /** Object ids of users removed since the delta link. */
  removedIds: string[];
  /** Store it; pass it to the next readDelta. */
  deltaLink: string;
  /**
   * True when this was a full round (no delta link given, or Graph asked for a resync with
   * 410 Gone): `users` is then the whole directory and absent users are gone.
   */
  full: boolean;
}

export interface DirectoryReader {
  read(options?: ReadOptions): Promise<DirectorySnapshot>;
  /** The credential's tenant (`GET /organization`, else the token's `tid`), without reading any user. */
  tenantId?(options?: ReadOptions): Promise<string>;
  /** The tenant's display name (`GET /organization`), or null when Graph does not tell it. */
  tenantName?(options?: ReadOptions): Promise<string | null>;
  readDelta?(deltaLink: string | null, options?: ReadOptions): Promise<DirectoryDelta>;
  latestDeltaLink?(options?: ReadOptions): Promise<string>;
}

export interface GraphClientOptions {
  /** e.g. https://graph.microsoft.com/v1.0 or http://127.0.0.1:PORT/v1.0 */
  graphBaseUrl: string;
  tokenProvider: TokenProvider;
  /** Retries after the first attempt. Default 5. */
  maxRetries?: number;
  /** Cap on any single wait (Retry-After included). Default 60 000. */
  maxRetryDelayInMs?: number;
  /** Base of the exponential backoff when no Retry-After is given. Default 1 000. */
  retryDelayInMs?: number;
  /**
   * Longest wait for one HTTP attempt, from sending the request to the last byte of the answer.
   * Past it the request fails with DIRECTORY_TIMEOUT (not retried: a Graph that stopped answering
   * is not asked again into the same hole). Default 30 000 (30 s).
   */
  requestTimeoutInMs?: number;
  /**
   * Longest a whole read (`read`, `readDelta`, `latestDeltaLink`: every page, retry and wait) may
   * take; past it the read fails with DIRECTORY_TIMEOUT. Default 600 000 (10 minutes).
   */
  readDeadlineInMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_IN_MS = 30_000;
export const DEFAULT_READ_DEADLINE_IN_MS = 10 * 60_000;

export interface GraphDirectoryReaderOptions extends GraphClientOptions {
  /** $top for /users, 1–999. Default 999. */
  pageSize?: number;
}

// ================================================================ retry strategy

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

// ================================================================ middleware

/** Per-request state the middlewares share with the caller (errors thrown inside the client get rewrapped). */
class GraphRequestState implements MiddlewareOptions {
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

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
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

// ================================================================ requester

export interface GraphRequester {
  readonly graphBaseUrl: string;
  /** GET a path under the base URL (`/users?…`) or an absolute link under it (nextLink / deltaLink); parsed JSON. */
  getJson(pathOrLink: string, options?: { signal?: AbortSignal }): Promise<unknown>;
  /** Follows @odata.nextLink from `path` and returns every `value` item. */
  getAllValues(path: string, options?: ReadOptions & { onPage?: (items: unknown[]) => void }): Promise<unknown[]>;
  /** The tenant id: /organization, else the access token's `tid`. */
  getTenantId(options?: { signal?: AbortSignal }): Promise<string>;
}

const PageSchema = z
  .object({
    value: z.array(z.unknown()),
    '@odata.nextLink': z.string().min(1).optional(),
    '@odata.deltaLink': z.string().min(1).optional(),
  })
  .passthrough();

const OrganizationSchema = z.object({ value: z.array(z.object({ id: z.string().min(1) }).passthrough()) }).passthrough();

export function createGraphRequester(options: GraphClientOptions): GraphRequester {
  const graphBaseUrl = normaliseBaseUrl(options.graphBaseUrl);
  const base = new URL(graphBaseUrl);
  const pathParts = base.pathname.split('/').filter(Boolean);
  const version = pathParts.pop() ?? '';
  const clientBase = `${base.origin}${pathParts.length ? `/${pathParts.join('/')}` : ''}`;
  const strategy = throttlingRetryStrategy({
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    ...(options.maxRetryDelayInMs !== undefined ? { maxRetryDelayInMs: options.maxRetryDelayInMs } : {}),
    ...(options.retryDelayInMs !== undefined ? { retryDelayInMs: options.retryDelayInMs } : {}),
  });
  const requestTimeoutInMs = positiveMs(options.requestTimeoutInMs, DEFAULT_REQUEST_TIMEOUT_IN_MS, 'requestTimeoutInMs');
  const client = Client.initWithMiddleware({
    baseUrl: clientBase,
    defaultVersion: version,
    middleware: [
      new ThrottlingRetryHandler(strategy),
      new RequestTimeoutHandler(),
      new BaseUrlAuthenticationHandler(new TokenProviderAuthenticationProvider(options.tokenProvider), base.origin),
      new HTTPMessageHandler(),
    ],
  });

  /** `/users?…` stays; an absolute link must live under the base URL (the token never leaves it). */
  function relativePath(pathOrLink: string): string {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(pathOrLink)) return pathOrLink.startsWith('/') ? pathOrLink : `/${pathOrLink}`;
    let link: URL;
    try {
      link = new URL(pathOrLink);
    } catch {
      throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph returned a paging link that is not a URL');
    }
    const prefix = base.pathname.replace(/\/+$/, '');
    if (link.origin !== base.origin || !(link.pathname === prefix || link.pathname.startsWith(`${prefix}/`))) {
      throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph returned a paging link outside the configured Graph base URL; it was not followed', {
        linkOrigin: link.origin,
      });
    }
    return `${link.pathname.slice(prefix.length) || '/'}${link.search}`;
  }

  async function getJson(pathOrLink: string, opts: { signal?: AbortSignal } = {}): Promise<unknown> {
    const path = relativePath(pathOrLink);
    const where = path.split('?')[0];
    const state = new GraphRequestState(opts.signal, requestTimeoutInMs);
    try {
      return await getJsonOnce(path, where, state, opts);
    } finally {
      state.done();
    }
  }

  async function getJsonOnce(path: string, where: string | undefined, state: GraphRequestState, opts: { signal?: AbortSignal }): Promise<unknown> {
    let response: Response;
    try {
      let request = client.api(path).responseType(ResponseType.RAW).middlewareOptions([state]);
      // Delta rounds take no $top: Graph's page size there is asked for with a preference.
      if (where?.endsWith('/users/delta')) request = request.header('Prefer', `odata.maxpagesize=${DELTA_PAGE_SIZE}`);
      if (opts.signal) request = request.options({ signal: opts.signal });
      response = (await request.get()) as Response;
    } catch (e) {
      const aborted = state.abortReason();
      if (aborted !== undefined) throw aborted;
      const cause = state.error ?? e;
      if (isAppError(cause)) throw cause;
      throw new AppError('DIRECTORY_UNAVAILABLE', `Could not reach Microsoft Graph (${where})`, { path: where, retries: state.retries });
    }
    // The attempt's timeout still runs while the body arrives: a body that never ends times out too.
    const text = await response.text().catch(() => {
      const aborted = state.abortReason();
      if (aborted !== undefined) throw aborted;
      throw new AppError('DIRECTORY_UNAVAILABLE', `Microsoft Graph's answer was cut off (${where})`, { path: where });
    });
    if (!response.ok) throw statusError(response, text, where, state.retries);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AppError('DIRECTORY_UNAVAILABLE', `Microsoft Graph returned a page that is not JSON (${where})`, { path: where, status: response.status });
    }
  }

  async function getAllValues(path: string, opts: ReadOptions & { onPage?: (items: unknown[]) => void } = {}): Promise<unknown[]> {
    const out: unknown[] = [];
    const seen = new Set<string>();
    let link: string | undefined = path;
    while (link) {
      const page = parsePage(await getJson(link, opts), link);
      out.push(...page.value);
      opts.onPage?.(page.value);
      link = nextLinkOf(page, seen);
    }
    return out;
  }

  async function getTenantId(opts: { signal?: AbortSignal } = {}): Promise<string> {
    try {
      const parsed = OrganizationSchema.safeParse(await getJson('/organization', opts));
      if (!parsed.success) {
        throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph returned an organization that is not the expected shape', { path: '/organization' });
      }
      const id = parsed.data.value[0]?.id;
      if (id) return id;
    } catch (e) {
      // App registrations with User.Read.All only may not read /organization: use the token's tid.
      if (!(isAppError(e) && e.code === 'CONSENT_REQUIRED')) throw e;
    }
    const tid = tenantIdFromToken(await options.tokenProvider.getToken(opts.signal ? { signal: opts.signal } : {}));
    if (!tid) throw new AppError('DIRECTORY_UNAVAILABLE', 'Could not learn the tenant id (neither /organization nor the token tells it)');
    return tid;
  }

  return { graphBaseUrl, getJson, getAllValues, getTenantId };
}

function positiveMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds`);
  return value;
}

/**
 * The caller's signal joined with a deadline for a whole read; the deadline's abort reason is the
 * DIRECTORY_TIMEOUT error, so whatever stops on the signal rejects with it.
 */
export function withReadDeadline(signal: AbortSignal | undefined, deadlineInMs: number, what: string): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new AppError('DIRECTORY_TIMEOUT', `Reading the directory from Microsoft Graph took longer than ${deadlineInMs} ms (${what})`, {
          deadlineInMs,
        }),
      ),
    deadlineInMs,
  );
  timer.unref?.();
  return {
    signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal,
    done: () => clearTimeout(timer),
  };
}

function statusError(response: Response, text: string, where: string | undefined, retries: number): AppError {
  let graphCode: string | null = null;
  let graphMessage: string | null = null;
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') graphCode = body.error.code;
    if (typeof body.error?.message === 'string') graphMessage = body.error.message.slice(0, 300);
  } catch {
    /* not JSON */
  }
  const status = response.status;
  const details: Record<string, unknown> = { status, graphCode, path: where, retries };
  const said = graphCode ? ` ${graphCode}${graphMessage ? `: ${graphMessage}` : ''}` : '';
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers);
    return new AppError('DIRECTORY_THROTTLED', `Microsoft Graph is throttling requests; try again later (429 after ${retries} retries)`, {
      ...details,
      ...(retryAfterMs !== undefined ? { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) } : {}),
    });
  }
  if (status === 401) {
    return new AppError('TOKEN_UNAVAILABLE', `Microsoft Graph rejected the access token (401${said})`, details);
  }
  if (status === 403) {
    return new AppError(
      'CONSENT_REQUIRED',
      `Microsoft Graph refused (403${said}). The app needs User.Read.All (or Directory.Read.All) with admin consent.`,
      details,
    );
  }
  return new AppError('DIRECTORY_UNAVAILABLE', `Microsoft Graph answered ${status}${said} (${where ?? ''}${retries ? `, after ${retries} retries` : ''})`, details);
}

type Page = z.infer<typeof PageSchema>;

function parsePage(body: unknown, link: string): Page {
  const parsed = PageSchema.safeParse(body);
  if (!parsed.success) {
    throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph returned a page that is not the expected shape', {
      path: pathOnly(link),
      issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(page)'}: ${i.message}`),
    });
  }
  return parsed.data;
}

/** Graph's error codes for a delta token it no longer knows: the client must start a full round. */
function isResyncCode(code: unknown): boolean {
  return typeof code === 'string' && /^(syncStateNotFound|syncStateInvalid|resyncRequired)$/i.test(code);
}

function nextLinkOf(page: Page, seen: Set<string>): string | undefined {
  const next = page['@odata.nextLink'];
  if (!next) return undefined;
  if (seen.has(next)) throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph returned the same page link twice; paging stopped');
  seen.add(next);
  return next;
}

function pathOnly(link: string): string {
  try {
    return new URL(link, 'http://x').pathname;
  } catch {
    return '';
  }
}

function normaliseBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AppError('DIRECTORY_UNAVAILABLE', 'GRAPH_BASE_URL is not a valid URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new AppError('DIRECTORY_UNAVAILABLE', 'GRAPH_BASE_URL must be http(s)');
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

function tenantIdFromToken(token: string): string | null {
  try {
    const tid = decodeJwt(token).tid;
    return typeof tid === 'string' && tid ? tid : null;
  } catch {
    return null;
  }
}

// ================================================================ users

const nullableString = z.string().nullish();
/** An object id is a key: one that holds control characters cannot be cleaned, only refused (a shape error). */
const objectId = z
  .string()
  .min(1)
  .refine((v) => !/[\u0000-\u001f]/.test(v), { message: 'must not contain control characters' });

export const GraphUserSchema = z
  .object({
    id: objectId,
    userPrincipalName: nullableString,
    displayName: nullableString,
    mail: nullableString,
    businessPhones: z.array(z.string().nullable()).nullish(),
    department: nullableString,
    accountEnabled: z.boolean().nullish(),
    userType: nullableString,
    identities: z
      .array(
        z
          .object({
            signInType: nullableString,
            issuer: nullableString,
            issuerAssignedId: nullableString,
          })
          .passthrough(),
      )
      .nullish(),
  })
  .passthrough();

const RemovedSchema = z
  .object({
    id: objectId,
    '@removed': z.object({ reason: z.string().optional() }).passthrough(),
  })
  .passthrough();

function blankToNull(s: string | null | undefined): string | null {
  const t = s?.trim();
  return t ? t : null;
}

/**
 * Graph user -> DirectoryUser. Blank strings become null, businessPhones defaults to [], identities
 * become the list of their issuers; values are fitted to the service's limits (`adjusted` says which). `accountEnabled` absent counts as enabled (Graph always returns it
 * when selected). Throws a ZodError when the object is not a user.
 */
export function normaliseGraphUser(raw: unknown): DirectoryUser {
  const u = GraphUserSchema.parse(raw);
  const issuers: string[] = [];
  for (const identity of u.identities ?? []) {
    const issuer = blankToNull(identity.issuer);
    if (issuer && !issuers.includes(issuer)) issuers.push(issuer);
  }
  // Entra may hold what the service cannot keep (U+0000, 10,000-character names): cleaned
  // and cut here, before any of it is stored, and named in the plan's warnings (defects 2, 9).
  const { user, adjusted } = fitDirectoryUser({
    id: u.id,
    userPrincipalName: blankToNull(u.userPrincipalName),
    displayName: blankToNull(u.displayName),
    mail: blankToNull(u.mail),
    businessPhones: (u.businessPhones ?? []).map((p) => blankToNull(p)).filter((p): p is string => p !== null),
    department: blankToNull(u.department),
    accountEnabled: u.accountEnabled ?? true,
    userType: blankToNull(u.userType),
    identityIssuers: issuers,
  });
  return adjusted.length > 0 ? { ...user, adjusted } : user;
}

/** Graph property -> the DirectoryUser field it feeds. */
const FIELD_OF: Record<string, keyof DirectoryUser> = {
  id: 'id',
  userPrincipalName: 'userPrincipalName',
  displayName: 'displayName',
  mail: 'mail',
  businessPhones: 'businessPhones',
  department: 'department',
  accountEnabled: 'accountEnabled',
  userType: 'userType',
  identities: 'identityIssuers',
};

function presentFieldsOf(raw: unknown): (keyof DirectoryUser)[] {
  if (!raw || typeof raw !== 'object') return [];
  return Object.keys(raw)
    .map((k) => FIELD_OF[k])
    .filter((f): f is keyof DirectoryUser => f !== undefined);
}

function normaliseOrFail(raw: unknown, index: number, link: string): DirectoryUser {
  const parsed = GraphUserSchema.safeParse(raw);
  if (!parsed.success) {
    // Paths only: values could be personal data.
    throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph returned a user that is not the expected shape', {
      path: pathOnly(link),
      index,
      issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(user)'}: ${i.message}`),
    });
  }
  return normaliseGraphUser(parsed.data);
}

// ================================================================ reader

export function createGraphDirectoryReader(
  options: GraphDirectoryReaderOptions,
): DirectoryReader & {
  tenantId(options?: ReadOptions): Promise<string>;
  readDelta(deltaLink: string | null, options?: ReadOptions): Promise<DirectoryDelta>;
  latestDeltaLink(options?: ReadOptions): Promise<string>;
} {
  const pageSize = options.pageSize ?? 999;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 999) throw new RangeError('pageSize must be an integer from 1 to 999');
  const graph = createGraphRequester(options);
  const readDeadlineInMs = positiveMs(options.readDeadlineInMs, DEFAULT_READ_DEADLINE_IN_MS, 'readDeadlineInMs');

  /** Runs one whole read under the read deadline (joined with the caller's signal). */
  async function underDeadline<T>(what: string, opts: ReadOptions, fn: (opts: ReadOptions) => Promise<T>): Promise<T> {
    const deadline = withReadDeadline(opts.signal, readDeadlineInMs, what);
    try {
      return await fn({ ...opts, signal: deadline.signal });
    } catch (e) {
      // A wait between retries (or a token request) rejects with the signal's reason: the caller's or the deadline's.
      if (deadline.signal.aborted && !opts.signal?.aborted) throw deadline.signal.reason;
      throw e;
    } finally {
      deadline.done();
    }
  }

  /** The credential's tenant, held to the expected one (R3) before the caller reads any user. */
  async function provenTenantId(opts: ReadOptions = {}): Promise<string> {
    const tenantId = await graph.getTenantId(opts);
    if (opts.expectedTenantId !== undefined) assertLinkedTenant(opts.expectedTenantId, tenantId);
    return tenantId;
  }

  async function read(opts: ReadOptions = {}): Promise<DirectorySnapshot> {
    return underDeadline('/users', opts, readAll);
  }

  async function readAll(opts: ReadOptions): Promise<DirectorySnapshot> {
    const tenantId = await provenTenantId(opts);
    const users = new Map<string, DirectoryUser>();
    const seen = new Set<string>();
    let link: string | undefined = `/users?$select=${USER_SELECT}&$top=${pageSize}`;
    while (link) {
      const page = parsePage(await graph.getJson(link, opts), link);
      page.value.forEach((raw, index) => {
        const user = normaliseOrFail(raw, index, link!);
        const k = user.id.toLowerCase();
        if (!users.has(k)) users.set(k, user);
      });
      opts.onProgress?.(users.size);
      link = nextLinkOf(page, seen);
    }
    return { tenantId, users: [...users.values()] };
  }

  async function readDelta(deltaLink: string | null, opts: ReadOptions = {}): Promise<DirectoryDelta> {
    return underDeadline('/users/delta', opts, (o) => readDeltaRound(deltaLink, o));
  }

  async function readDeltaRound(deltaLink: string | null, opts: ReadOptions): Promise<DirectoryDelta> {
    const tenantId = await provenTenantId(opts);
    const initial = `/users/delta?$select=${USER_SELECT}`;
    let full = deltaLink === null;
    let link: string | undefined = deltaLink ?? initial;
    // Last word per id wins: a user changed then removed within one round is removed.
    let changes = new Map<string, { user: DirectoryUser; present: (keyof DirectoryUser)[] } | { removedId: string }>();
    let seen = new Set<string>();
    for (;;) {
      let body: unknown;
      try {
        body = await graph.getJson(link, opts);
      } catch (e) {
        // 410 Gone, or 400 syncStateNotFound (what Microsoft reports for expired directory delta
        // tokens): the delta token expired (or Graph wants a resync): start a full round.
        if (!full && isAppError(e) && (e.details.status === 410 || (e.details.status === 400 && isResyncCode(e.details.graphCode)))) {
          full = true;
          link = initial;
          changes = new Map();
          seen = new Set();
          continue;
        }
        throw e;
      }
      const page = parsePage(body, link);
      page.value.forEach((raw, index) => {
        const removed = RemovedSchema.safeParse(raw);
        if (removed.success) {
          changes.set(removed.data.id.toLowerCase(), { removedId: removed.data.id });
        } else {
          const user = normaliseOrFail(raw, index, link!);
          changes.set(user.id.toLowerCase(), { user, present: presentFieldsOf(raw) });
        }
      });
      opts.onProgress?.(changes.size);
      const next = nextLinkOf(page, seen);
      if (next) {
        link = next;
        continue;
      }
      const newDeltaLink = page['@odata.deltaLink'];
      if (!newDeltaLink) {
        throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph ended a delta round without a delta link', { path: pathOnly(link) });
      }
      const users: DirectoryUser[] = [];
      const removedIds: string[] = [];
      const presentFields = new Map<string, (keyof DirectoryUser)[]>();
      for (const c of changes.values()) {
        if ('user' in c) {
          users.push(c.user);
          presentFields.set(c.user.id, c.present);
        } else removedIds.push(c.removedId);
      }
      return { tenantId, users, presentFields, removedIds, deltaLink: newDeltaLink, full };
    }
  }

  /**
   * A delta link that starts now, without reading any user (`$deltatoken=latest`): taken just
   * before a full `/users` read, it lets the next read fetch only what changed since.
   */
  async function latestDeltaLink(opts: ReadOptions = {}): Promise<string> {
    return underDeadline('/users/delta', opts, latestLink);
  }

  async function latestLink(opts: ReadOptions): Promise<string> {
    if (opts.expectedTenantId !== undefined) await provenTenantId(opts);
    const link = `/users/delta?$select=${USER_SELECT}&$deltatoken=latest`;
    const page = parsePage(await graph.getJson(link, opts), link);
    const deltaLink = page['@odata.deltaLink'];
    if (!deltaLink) throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph gave no delta link for $deltatoken=latest', { path: '/users/delta' });
    return deltaLink;
  }

  async function tenantName(opts: ReadOptions = {}): Promise<string | null> {
    const parsed = OrganizationSchema.safeParse(await graph.getJson('/organization', opts.signal ? { signal: opts.signal } : {}));
    const name = parsed.success ? parsed.data.value[0]?.['displayName'] : undefined;
    return typeof name === 'string' && name.trim() ? name.trim() : null;
  }

  return { read, readDelta, latestDeltaLink, tenantId: provenTenantId, tenantName };
}
