/**
 * Tokens for Microsoft Graph.
 *
 * Three providers, one interface:
 * - staticTokenProvider: a fixed bearer token (GRAPH_ACCESS_TOKEN; development and tests);
 * - clientCredentialsTokenProvider: app-only token (CLI, scheduled sync) through
 *   @azure/msal-node's ConfidentialClientApplication.acquireTokenByClientCredential;
 * - onBehalfOfTokenProvider: the signed-in admin's token (bot, tab) exchanged from the
 *   Teams SSO token through acquireTokenOnBehalfOf.
 *
 * msal-node only accepts an https authority. For the local token emulator
 * (src/devtools/token-emulator.ts) msal is configured with the https-looking authority
 * `https://127.0.0.1:PORT/{tenant}` and a `system.networkClient` that sends the
 * requests msal builds over plain http to the same loopback address. When
 * `authorityHost` is given as `http://127.0.0.1:PORT` (or localhost / [::1]) that
 * network client is created automatically; any other http authority is refused.
 * `knownAuthorities` holds the authority's host so msal builds the cloud-discovery
 * metadata locally and never calls login.microsoftonline.com's instance discovery.
 *
 * Failures become AppError: AADSTS65001 (consent missing) -> CONSENT_REQUIRED with
 * details.adminConsentUrl; everything else -> TOKEN_UNAVAILABLE. Messages and
 * details carry error codes only: never a token, an assertion or a secret.
 */
import { createHash } from 'node:crypto';
import {
  ConfidentialClientApplication,
  LogLevel,
  type AuthenticationResult,
  type Configuration,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
} from '@azure/msal-node';
import { AppError, isAppError } from '../domain/errors.ts';

export interface TokenProvider {
  getToken(options?: { signal?: AbortSignal }): Promise<string>;
}

export const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

export interface ConfidentialClientOptions {
  clientId: string;
  clientSecret: string;
  tenantId: string;
  /** e.g. https://login.microsoftonline.com (AAD_APP_OAUTH_AUTHORITY_HOST), or http://127.0.0.1:PORT for the emulator. */
  authorityHost: string;
  /** Scopes to request; default [GRAPH_DEFAULT_SCOPE]. */
  scopes?: string[];
  /** msal's system.networkClient; for the emulator pass its networkClient (or give an http loopback authorityHost). */
  networkClient?: INetworkModule;
}

export interface OnBehalfOfOptions extends ConfidentialClientOptions {
  /** The incoming user token (Teams SSO token) to exchange. */
  userAssertion: string;
}

// ---------------------------------------------------------------- static

export function staticTokenProvider(token: string): TokenProvider {
  if (!token) throw new AppError('TOKEN_UNAVAILABLE', 'The static Graph token is empty');
  return {
    async getToken(options) {
      throwIfAborted(options?.signal);
      return token;
    },
  };
}

// ---------------------------------------------------------------- msal

export function clientCredentialsTokenProvider(options: ConfidentialClientOptions): TokenProvider {
  return msalTokenProvider(options, 'client credentials', (app, scopes) => app.acquireTokenByClientCredential({ scopes }));
}

export function onBehalfOfTokenProvider(options: OnBehalfOfOptions): TokenProvider {
  if (!options.userAssertion) throw new AppError('TOKEN_UNAVAILABLE', 'No user token to exchange (on-behalf-of)');
  return msalTokenProvider(options, 'on-behalf-of', (app, scopes) =>
    app.acquireTokenOnBehalfOf({ oboAssertion: options.userAssertion, scopes }),
  );
}

/** One msal flow as a TokenProvider: the cached client, abort handling and error mapping are shared. */
function msalTokenProvider(
  options: ConfidentialClientOptions,
  flow: string,
  acquire: (app: ConfidentialClientApplication, scopes: string[]) => Promise<AuthenticationResult | null>,
): TokenProvider {
  const resolved = resolveAuthority(options);
  const scopes = options.scopes ?? [GRAPH_DEFAULT_SCOPE];
  return {
    async getToken(opts) {
      throwIfAborted(opts?.signal);
      const app = confidentialClient(options, resolved);
      const result = await withSignal(acquire(app, scopes), opts?.signal).catch((e: unknown) => {
        if (opts?.signal?.aborted) throw e;
        throw mapMsalError(e, options, resolved, flow);
      });
      return accessTokenOf(result, flow);
    },
  };
}

/** The URL an administrator opens to grant the app tenant-wide consent. */
export function adminConsentUrl(authorityHost: string, tenantId: string, clientId: string): string {
  const host = authorityHost.replace(/\/+$/, '');
  return `${host}/${encodeURIComponent(tenantId)}/adminconsent?client_id=${encodeURIComponent(clientId)}`;
}

interface ResolvedAuthority {
  /** https authority msal is configured with: `${httpsHost}/${tenantId}` */
  authority: string;
  knownAuthorities: string[];
  networkClient: INetworkModule | undefined;
  /** What the administrator should open to consent (the host as configured, http for the emulator). */
  consentHost: string;
}

function resolveAuthority(options: ConfidentialClientOptions): ResolvedAuthority {
  if (!options.clientId || !options.tenantId) {
    throw new AppError('TOKEN_UNAVAILABLE', 'The app registration is not configured (client id or tenant id missing)');
  }
  if (!options.clientSecret) {
    throw new AppError('TOKEN_UNAVAILABLE', 'The app registration is not configured (client secret missing)');
  }
  let url: URL;
  try {
    url = new URL(options.authorityHost || DEFAULT_AUTHORITY_HOST);
  } catch {
    throw new AppError('TOKEN_UNAVAILABLE', 'The OAuth authority host is not a valid URL');
  }
  const tenant = encodeURIComponent(options.tenantId);
  if (url.protocol === 'https:') {
    return {
      authority: `https://${url.host}/${tenant}`,
      knownAuthorities: [url.host],
      networkClient: options.networkClient,
      consentHost: `https://${url.host}`,
    };
  }
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    return {
      authority: `https://${url.host}/${tenant}`,
      knownAuthorities: [url.host],
      networkClient: options.networkClient ?? loopbackClientFor(url.origin),
      consentHost: url.origin,
    };
  }
  throw new AppError('TOKEN_UNAVAILABLE', 'The OAuth authority host must be https (plain http only on loopback)');
}

// One ConfidentialClientApplication per (authority, client, secret, network client), so msal's
// in-memory token cache and discovered metadata are reused across providers and requests.
const APP_CACHE_LIMIT = 32;
const appCache = new Map<string, ConfidentialClientApplication>();
const networkClientIds = new WeakMap<INetworkModule, number>();
let nextNetworkClientId = 1;

function confidentialClient(options: ConfidentialClientOptions, resolved: ResolvedAuthority): ConfidentialClientApplication {
  let netId = 0;
  if (resolved.networkClient) {
    netId = networkClientIds.get(resolved.networkClient) ?? 0;
    if (!netId) {
      netId = nextNetworkClientId++;
      networkClientIds.set(resolved.networkClient, netId);
    }
  }
  const secretHash = createHash('sha256').update(options.clientSecret).digest('base64url');
  const key = JSON.stringify([resolved.authority, options.clientId, secretHash, netId]);
  const cached = appCache.get(key);
  if (cached) {
    appCache.delete(key);
    appCache.set(key, cached);
    return cached;
  }
  const config: Configuration = {
    auth: {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      authority: resolved.authority,
      knownAuthorities: resolved.knownAuthorities,
    },
    system: {
      loggerOptions: { piiLoggingEnabled: false, logLevel: LogLevel.Error, loggerCallback: () => {} },
      ...(resolved.networkClient ? { networkClient: resolved.networkClient } : {}),
    },
  };
  const app = new ConfidentialClientApplication(config);
  appCache.set(key, app);
  if (appCache.size > APP_CACHE_LIMIT) {
    const oldest = appCache.keys().next().value;
    if (oldest !== undefined) appCache.delete(oldest);
  }
  return app;
}

function accessTokenOf(result: AuthenticationResult | null, flow: string): string {
  if (!result?.accessToken) throw new AppError('TOKEN_UNAVAILABLE', `No access token was returned (${flow})`);
  return result.accessToken;
}

/**
 * Turns an msal error into an AppError without copying its text (Entra's error
 * descriptions are safe, but msal messages may quote request data): only the
 * OAuth error code and the AADSTS number are kept.
 */
function mapMsalError(e: unknown, options: ConfidentialClientOptions, resolved: ResolvedAuthority, flow: string): AppError {
  if (isAppError(e)) return e;
  const err = (e ?? {}) as { errorCode?: unknown; errorMessage?: unknown; subError?: unknown; errorNo?: unknown; message?: unknown };
  const errorCode = typeof err.errorCode === 'string' ? err.errorCode : 'unknown_error';
  const subError = typeof err.subError === 'string' ? err.subError : '';
  const text = `${typeof err.errorMessage === 'string' ? err.errorMessage : ''} ${typeof err.message === 'string' ? err.message : ''}`;
  const aadsts =
    (typeof err.errorNo === 'string' || typeof err.errorNo === 'number') && /^\d+$/.test(String(err.errorNo))
      ? String(err.errorNo)
      : (/AADSTS(\d+)/.exec(text)?.[1] ?? null);
  if (aadsts === '65001' || subError === 'consent_required' || errorCode === 'consent_required') {
    return new AppError(
      'CONSENT_REQUIRED',
      'An administrator has not granted this app permission to read the directory (AADSTS65001). Open the admin consent URL and grant consent.',
      { adminConsentUrl: adminConsentUrl(resolved.consentHost, options.tenantId, options.clientId), aadsts: '65001' },
    );
  }
  const code = aadsts ? `${errorCode}, AADSTS${aadsts}` : errorCode;
  const hint =
    aadsts === '500133' || aadsts === '50013'
      ? ' The user token has expired or is not valid; sign in again.'
      : errorCode === 'invalid_client'
        ? ' Check the app registration client secret.'
        : '';
  return new AppError('TOKEN_UNAVAILABLE', `Could not obtain a Microsoft Graph token (${flow}: ${code}).${hint}`, {
    error: errorCode,
    ...(aadsts ? { aadsts } : {}),
    ...(subError ? { subError } : {}),
  });
}

// ---------------------------------------------------------------- loopback network client

const loopbackClients = new Map<string, INetworkModule>();
function loopbackClientFor(origin: string): INetworkModule {
  let client = loopbackClients.get(origin);
  if (!client) {
    client = createLoopbackNetworkClient(origin);
    loopbackClients.set(origin, client);
  }
  return client;
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  return h === '127.0.0.1' || h === 'localhost' || h === '[::1]' || h === '::1';
}

/**
 * An msal INetworkModule for a local (http) token endpoint: requests msal sends to
 * `https://HOST:PORT/...` (the https-looking authority) go to `http://HOST:PORT/...`.
 * Anything else is refused, so a misconfigured emulator never reaches the internet.
 */
export function createLoopbackNetworkClient(target: string): INetworkModule {
  const targetUrl = new URL(target);
  if (targetUrl.protocol !== 'http:' || !isLoopbackHost(targetUrl.hostname)) {
    throw new Error('The loopback network client only targets http://127.0.0.1 (or localhost)');
  }
  const httpsOrigin = `https://${targetUrl.host}`;
  const rewrite = (url: string): string => {
    const u = new URL(url);
    if (u.origin !== httpsOrigin && u.origin !== targetUrl.origin) {
      throw new Error(`The loopback network client refuses requests to ${u.origin}`);
    }
    return `${targetUrl.origin}${u.pathname}${u.search}`;
  };
  const send = async <T>(url: string, method: 'GET' | 'POST', options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> => {
    const signal = timeout ? AbortSignal.timeout(timeout) : undefined;
    const res = await fetch(rewrite(url), {
      method,
      headers: options?.headers ?? {},
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
      ...(signal ? { signal } : {}),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    const text = await res.text();
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      throw new Error(`The token endpoint answered ${res.status} with a body that is not JSON`);
    }
    return { headers, body, status: res.status };
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => send(url, 'GET', options, timeout),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}

// ---------------------------------------------------------------- helpers

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('Aborted', 'AbortError');
}

function withSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new DOMException('Aborted', 'AbortError'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
