/**
 * Teams single sign-on for the bot, done with our own code rather than teams-ai's TeamsSsoPrompt,
 * because R2 needs the SSO token itself (its `wids` claim) and every failure a tenant hits must be
 * told apart (missing consent vs. a token Teams could not get vs. an expired sign-in):
 *
 *   1. the bot sends an OAuthCard with a tokenExchangeResource (id = a pending sign-in stored in the
 *      database, so any instance can finish it);
 *   2. Teams exchanges silently and sends `signin/tokenExchange` with the SSO token;
 *   3. the token is verified here (signature from the authority's JWKS, issuer, audience, tenant,
 *      expiry, and that it belongs to the Teams sender) and exchanged on-behalf-of for a Graph token
 *      (src/directory/tokens.ts, @azure/msal-node);
 *   4. when the exchange cannot work the invoke answers 412, so Teams shows the sign-in button
 *      (the fallback sign-in link: /auth/start -> Entra -> /auth/end -> `signin/verifyState`),
 *      except for AADSTS65001 (admin consent missing), which no user sign-in fixes: that becomes a
 *      card with the admin-consent link.
 *
 * Card clicks (Action.Execute) have no SSO token; they use the Universal Actions login request
 * (invoke answer 401 `application/vnd.microsoft.activity.loginRequest`) when the clicker's R2 check
 * is not on record (TeamsStore admin sessions).
 *
 * Tokens are never logged, stored or put in a message.
 */
import { randomUUID } from 'node:crypto';
import { CardFactory, type Attachment } from 'botbuilder';
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { AppError } from '../domain/errors.ts';
import { GRAPH_DEFAULT_SCOPE, isLoopbackHost, onBehalfOfTokenProvider, type TokenProvider } from '../directory/tokens.ts';

export interface SsoSettings {
  /** The Entra app registration of the bot's SSO (AAD_APP_CLIENT_ID). */
  clientId: string;
  clientSecret: string;
  /** The app's home tenant (single-tenant: AAD_APP_TENANT_ID). */
  tenantId: string;
  /** https://login.microsoftonline.com, or http://127.0.0.1:PORT for the token emulator. */
  authorityHost: string;
  /** Accepted `aud` values besides clientId (the application ID URIs). */
  audiences: string[];
  /** Where Teams' sign-in button goes (the fallback): {PUBLIC_BASE_URL}/auth/start; null without a public URL. */
  signInUrl: string | null;
  /** The application ID URI whose access_as_user scope the fallback sign-in asks for. */
  appIdUri: string;
}

export interface VerifiedUser {
  aadObjectId: string;
  tenantId: string;
  upn: string | null;
  name: string | null;
  /** Directory role template ids from the `wids` claim; null when the token has no such claim. */
  wids: string[] | null;
  expiresAt: Date;
}

export type SsoFailure =
  /** Not a token from the expected authority/app, bad signature, wrong audience. */
  | 'invalid'
  | 'expired'
  /** Valid, but for another user or tenant than the Teams sender. */
  | 'mismatch'
  /** The authority's signing keys could not be fetched (or are in backoff after a failure): try again. */
  | 'unavailable'
  /** The token's tenant belongs to no company and is not the app's own: its keys are never fetched. */
  | 'unknown_tenant';

export class SsoTokenError extends Error {
  override readonly name = 'SsoTokenError';
  constructor(readonly reason: SsoFailure) {
    super(`The SSO token was refused (${reason})`);
  }
}

/** The issuer's host as it appears in tokens: the emulator on http loopback presents itself as https. */
function issuerHost(authorityHost: string): string {
  const url = new URL(authorityHost);
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return `https://${url.host}`;
  return url.origin;
}

type KeyGetter = ReturnType<typeof createRemoteJWKSet>;

export interface SigningKeyCacheOptions {
  /** How many tenants' key sets are kept (least recently used dropped first). Default 64. */
  maxTenants?: number;
  /** After a failed key fetch, the wait before the next one; doubles per failure. Default 5 000. */
  failureBackoffInMs?: number;
  /** The longest wait between fetches after failures. Default 300 000. */
  maxBackoffInMs?: number;
  clock?: () => Date;
}

/**
 * The authority's signing keys per tenant (defect 5): bounded (LRU), and a tenant whose key fetch
 * failed is not fetched again until its backoff has passed. Callers fetch keys only for tenants
 * that belong to a company or are the app's own (see verifySsoToken's isKnownTenant).
 */
export class SigningKeyCache {
  private readonly sets = new Map<string, { keys: KeyGetter; failures: number; retryAt: number }>();
  private readonly maxTenants: number;
  private readonly clock: () => Date;

  constructor(private readonly options: SigningKeyCacheOptions = {}) {
    this.maxTenants = Math.max(1, options.maxTenants ?? 64);
    this.clock = options.clock ?? (() => new Date());
  }

  get size(): number {
    return this.sets.size;
  }

  keysFor(authorityHost: string, tenantId: string): KeyGetter {
    const url = `${new URL(authorityHost).origin}/${encodeURIComponent(tenantId)}/discovery/v2.0/keys`;
    let entry = this.sets.get(url);
    if (entry) {
      this.sets.delete(url);
    } else {
      entry = { keys: createRemoteJWKSet(new URL(url), { timeoutDuration: 10_000, cooldownDuration: 30_000 }), failures: 0, retryAt: 0 };
      while (this.sets.size >= this.maxTenants) this.sets.delete(this.sets.keys().next().value!);
    }
    this.sets.set(url, entry);
    const e = entry;
    const getter = async (...args: Parameters<KeyGetter>) => {
      const now = this.clock().getTime();
      if (now < e.retryAt) throw new SsoTokenError('unavailable');
      try {
        const key = await e.keys(...args);
        e.failures = 0;
        return key;
      } catch (err) {
        // A key the set does not hold is the token's fault; a fetch that failed (network, timeout,
        // not 200, not a key set) is the authority's, and backs off.
        if (
          err instanceof joseErrors.JWKSNoMatchingKey ||
          err instanceof joseErrors.JWKSMultipleMatchingKeys ||
          err instanceof joseErrors.JOSENotSupported ||
          err instanceof joseErrors.JOSEAlgNotAllowed
        ) {
          throw err;
        }
        e.failures++;
        const wait = Math.min(this.options.maxBackoffInMs ?? 300_000, (this.options.failureBackoffInMs ?? 5_000) * 2 ** (e.failures - 1));
        e.retryAt = now + wait;
        throw new SsoTokenError('unavailable');
      }
    };
    return getter as unknown as KeyGetter;
  }
}

/** The process's signing keys (one per server; bounded). */
export const defaultSigningKeys = new SigningKeyCache();

const claimString = (p: JWTPayload, k: string): string | null => {
  const v = p[k];
  return typeof v === 'string' && v.trim() ? v.trim() : null;
};

export interface VerifyOptions {
  /** Whether a tenant belongs to a company (the app's own tenant always counts). */
  isKnownTenant: (tenantId: string) => Promise<boolean>;
  /** Default: the process's bounded cache. */
  keys?: SigningKeyCache;
}

/**
 * Verifies a Teams SSO token (v1 or v2) for this app and tenant, and that it belongs to the Teams
 * sender. Throws SsoTokenError; never returns or logs the token.
 */
export async function verifySsoToken(
  token: string,
  settings: SsoSettings,
  expected: { tenantId: string; aadObjectId: string | null },
  options: VerifyOptions,
): Promise<VerifiedUser> {
  const tid = expected.tenantId;
  // Defect 5: a forged token naming any tenant must not make the server fetch that tenant's keys.
  // A failing lookup throws (the caller answers "could not check"), never counts as unknown.
  if (tid.toLowerCase() !== settings.tenantId.toLowerCase() && !(await options.isKnownTenant(tid))) throw new SsoTokenError('unknown_tenant');
  const host = issuerHost(settings.authorityHost);
  const issuers = [`${host}/${tid}/v2.0`, `https://sts.windows.net/${tid}/`];
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, (options.keys ?? defaultSigningKeys).keysFor(settings.authorityHost, tid), {
      issuer: issuers,
      audience: [settings.clientId, ...settings.audiences],
      algorithms: ['RS256'],
      clockTolerance: 60,
    }));
  } catch (e) {
    if (e instanceof joseErrors.JWTExpired) throw new SsoTokenError('expired');
    if (e instanceof SsoTokenError) throw e;
    throw new SsoTokenError('invalid');
  }
  const oid = claimString(payload, 'oid');
  const tokenTid = claimString(payload, 'tid');
  if (!oid || !tokenTid || tokenTid.toLowerCase() !== tid.toLowerCase()) throw new SsoTokenError('mismatch');
  if (expected.aadObjectId && oid.toLowerCase() !== expected.aadObjectId.toLowerCase()) throw new SsoTokenError('mismatch');
  const wids = Array.isArray(payload.wids) ? payload.wids.filter((w): w is string => typeof w === 'string') : null;
  return {
    aadObjectId: oid,
    tenantId: tokenTid,
    upn: claimString(payload, 'upn') ?? claimString(payload, 'preferred_username'),
    name: claimString(payload, 'name'),
    wids,
    expiresAt: new Date((payload.exp ?? 0) * 1000),
  };
}

/** The signed-in admin's Graph access, exchanged on-behalf-of from the SSO token. */
export function graphTokenProviderFor(ssoToken: string, settings: SsoSettings): TokenProvider {
  return onBehalfOfTokenProvider({
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    tenantId: settings.tenantId,
    authorityHost: settings.authorityHost,
    scopes: [GRAPH_DEFAULT_SCOPE],
    userAssertion: ssoToken,
  });
}

/** True when an on-behalf-of failure means the user's own token has expired (sign in again). */
export function isExpiredSignIn(e: unknown): boolean {
  if (!(e instanceof AppError) || e.code !== 'TOKEN_UNAVAILABLE') return false;
  const aadsts = String(e.details.aadsts ?? '');
  return aadsts === '500133' || e.details.status === 401;
}

// ---------------------------------------------------------------- cards and invoke answers

/** The OAuthCard that makes Teams run SSO; `exchangeId` names the pending sign-in. */
export function signInCard(exchangeId: string, settings: SsoSettings, text: { title: string; button: string }): Attachment {
  const card = CardFactory.oauthCard('', text.title, text.title, settings.signInUrl ?? undefined, { id: exchangeId, uri: '', providerId: '' });
  const content = card.content as { tokenExchangeResource?: Record<string, unknown>; buttons?: { type: string; title: string; value?: string }[] };
  // Teams takes the resource from the manifest's webApplicationInfo; an empty uri would not match it.
  content.tokenExchangeResource = { id: exchangeId };
  content.buttons = [{ type: 'signin', title: text.button, ...(settings.signInUrl ? { value: settings.signInUrl } : {}) }];
  return card;
}

/** The Universal Actions answer that asks Teams to sign the clicker in and send the click again. */
export function loginRequest(settings: SsoSettings, text: { title: string; button: string }) {
  return {
    statusCode: 401,
    type: 'application/vnd.microsoft.activity.loginRequest',
    value: {
      text: text.title,
      connectionName: '',
      tokenExchangeResource: { id: randomUUID() },
      buttons: [{ title: text.button, text: text.button, type: 'signin', ...(settings.signInUrl ? { value: settings.signInUrl } : {}) }],
    },
  };
}

export const PRECONDITION_FAILED_CARD_ANSWER = {
  statusCode: 412,
  type: 'application/vnd.microsoft.error.preconditionFailed',
  value: { code: '412', message: 'The sign-in token could not be exchanged; sign in with the button.' },
};

// ---------------------------------------------------------------- the fallback sign-in pages

/** /auth/start: where Teams' sign-in button goes. Redirects to Entra's authorize endpoint. */
export function signInStartLocation(settings: SsoSettings, publicBaseUrl: string, state: string): string {
  const authorize = new URL(`${new URL(settings.authorityHost).origin}/${encodeURIComponent(settings.tenantId)}/oauth2/v2.0/authorize`);
  authorize.searchParams.set('client_id', settings.clientId);
  authorize.searchParams.set('response_type', 'code');
  authorize.searchParams.set('response_mode', 'query');
  authorize.searchParams.set('redirect_uri', `${publicBaseUrl.replace(/\/+$/, '')}/auth/end`);
  authorize.searchParams.set('scope', `${settings.appIdUri}/access_as_user openid profile`);
  authorize.searchParams.set('state', state);
  return authorize.toString();
}

/**
 * /auth/end: the consent or sign-in is done in Entra; tell Teams (which then sends
 * signin/verifyState and the bot retries the silent exchange). The code in the query is not
 * redeemed: only the consent it stands for matters.
 */
export function signInEndPage(ok: boolean): string {
  const call = ok
    ? "microsoftTeams.authentication.notifySuccess('signed-in')"
    : "microsoftTeams.authentication.notifyFailure('sign-in-failed')";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Safety Sync sign-in</title>
<script src="https://res.cdn.office.net/teams-js/2.34.0/js/MicrosoftTeams.min.js" crossorigin="anonymous"></script>
</head><body><p>${ok ? 'Signed in. You can close this window.' : 'Sign-in did not complete. Close this window and try again.'}</p>
<script>
  if (window.microsoftTeams) microsoftTeams.app.initialize().then(function () { ${call}; });
</script></body></html>`;
}
