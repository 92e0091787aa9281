/**
 * GET against Microsoft Graph through @microsoft/microsoft-graph-client and our middleware chain:
 *   ThrottlingRetryHandler -> RequestBudgetHandler -> RequestTimeoutHandler -> BaseUrlAuthenticationHandler -> HTTPMessageHandler (fetch)
 *
 * - Links: a path under the configured base URL, or an absolute nextLink/deltaLink that must live
 *   under it (the token never leaves it). The client's PageIterator refuses http links, so paging
 *   is ours.
 * - Timeouts (defect 6): every HTTP attempt has requestTimeoutInMs (default 30 s, the answer's
 *   body included) and every read readDeadlineInMs (default 10 minutes, withReadDeadline), joined
 *   with the caller's AbortSignal; past either the read fails with AppError DIRECTORY_TIMEOUT (504).
 * - Retries: retry-strategy.ts; the pace: one RequestBudget per requester (graph-middleware.ts).
 * - Tenant: `GET /organization`, else the token's `tid`.
 * Anything that is not the expected shape becomes AppError DIRECTORY_UNAVAILABLE. No message or
 * detail contains a token.
 */
import { z } from 'zod';
import { Client, HTTPMessageHandler, ResponseType } from '@microsoft/microsoft-graph-client';
import { decodeJwt } from 'jose';
import { AppError, isAppError } from '../domain/errors.ts';
import {
  BaseUrlAuthenticationHandler,
  GraphRequestState,
  RequestBudgetHandler,
  RequestTimeoutHandler,
  ThrottlingRetryHandler,
  TokenProviderAuthenticationProvider,
  requestBudget,
} from './graph-middleware.ts';
import { parseRetryAfter, throttlingRetryStrategy } from './retry-strategy.ts';
import type { ReadOptions } from './graph-reader.ts';
import type { TokenProvider } from './tokens.ts';

/** The page size asked of /users/delta (`Prefer: odata.maxpagesize`). */
export const DELTA_PAGE_SIZE = 999;
export const DEFAULT_REQUEST_TIMEOUT_IN_MS = 30_000;
export const DEFAULT_READ_DEADLINE_IN_MS = 10 * 60_000;

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
  /**
   * The pace of requests this requester sends, in requests per second, shared by every partition of
   * a parallel read; a 429 halves it for all. Default 50: a user page costs Graph a few resource
   * units, far inside the identity service's budget for one app in one tenant.
   */
  requestsPerSecond?: number;
}


export interface GetOptions {
  signal?: AbortSignal;
  /**
   * Sends `ConsistencyLevel: eventual`, which Graph's advanced queries (not, eq null) need on every
   * page of their chain, nextLinks included. Also sent whenever the path says `$count=true`.
   */
  eventual?: boolean;
}

export interface GraphRequester {
  readonly graphBaseUrl: string;
  /** Throws DIRECTORY_UNAVAILABLE unless the link lives under the base URL (the check getJson makes before following it). */
  checkLink(pathOrLink: string): void;
  /** GET a path under the base URL (`/users?…`) or an absolute link under it (nextLink / deltaLink); parsed JSON. */
  getJson(pathOrLink: string, options?: GetOptions): Promise<unknown>;
  /** Follows @odata.nextLink from `path` and returns every `value` item. */
  getAllValues(path: string, options?: ReadOptions & { onPage?: (items: unknown[]) => void }): Promise<unknown[]>;
  /** The tenant id: /organization, else the access token's `tid`. */
  getTenantId(options?: { signal?: AbortSignal }): Promise<string>;
}

/** One page of a Graph collection: its items are the parsed JSON's own array (never copied). */
export interface Page {
  value: unknown[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
  '@odata.count'?: number;
}

export const OrganizationSchema = z.object({ value: z.array(z.object({ id: z.string().min(1) }).passthrough()) }).passthrough();

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
      new RequestBudgetHandler(requestBudget(options.requestsPerSecond !== undefined ? { requestsPerSecond: options.requestsPerSecond } : {})),
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

  async function getJson(pathOrLink: string, opts: GetOptions = {}): Promise<unknown> {
    const path = relativePath(pathOrLink);
    const where = path.split('?')[0];
    const state = new GraphRequestState(opts.signal, requestTimeoutInMs);
    try {
      return await getJsonOnce(path, where, state, opts);
    } finally {
      state.done();
    }
  }

  async function getJsonOnce(path: string, where: string | undefined, state: GraphRequestState, opts: GetOptions): Promise<unknown> {
    let response: Response;
    try {
      let request = client.api(path).responseType(ResponseType.RAW).middlewareOptions([state]);
      // Delta rounds take no $top: Graph's page size there is asked for with a preference.
      if (where?.endsWith('/users/delta')) request = request.header('Prefer', `odata.maxpagesize=${DELTA_PAGE_SIZE}`);
      // Graph's advanced queries (not, eq null: the catch-all partition) need $count=true and this header.
      if (opts.eventual || /[?&]\$count=true(&|$)/i.test(path)) request = request.header('ConsistencyLevel', 'eventual');
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

  return { graphBaseUrl, checkLink: (l) => void relativePath(l), getJson, getAllValues, getTenantId };
}

export function positiveMs(value: number | undefined, fallback: number, name: string): number {
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

export function statusError(response: Response, text: string, where: string | undefined, retries: number): AppError {
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

/** Checks a page's shape in place: its `value` array is used as it is, not copied (lean read). */
export function parsePage(body: unknown, link: string): Page {
  const issues: string[] = [];
  if (!body || typeof body !== 'object' || Array.isArray(body)) issues.push('(page): Expected object');
  else {
    const page = body as Record<string, unknown>;
    if (!Array.isArray(page.value)) issues.push('value: Expected array');
    for (const k of ['@odata.nextLink', '@odata.deltaLink'] as const) {
      const v = page[k];
      if (v !== undefined && (typeof v !== 'string' || v.length === 0)) issues.push(`${k}: Expected a non-empty string`);
    }
  }
  if (issues.length > 0) {
    throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph returned a page that is not the expected shape', { path: pathOnly(link), issues });
  }
  return body as Page;
}

/** Graph's error codes for a delta token it no longer knows: the client must start a full round. */
export function isResyncCode(code: unknown): boolean {
  return typeof code === 'string' && /^(syncStateNotFound|syncStateInvalid|resyncRequired)$/i.test(code);
}

export function nextLinkOf(page: Page, seen: Set<string>): string | undefined {
  const next = page['@odata.nextLink'];
  if (!next) return undefined;
  if (seen.has(next)) throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph returned the same page link twice; paging stopped');
  seen.add(next);
  return next;
}

export function pathOnly(link: string): string {
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