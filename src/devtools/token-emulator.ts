/**
 * A local Microsoft Entra ID (OAuth 2.0 / OpenID Connect v2.0) token endpoint, for the
 * demo and the tests. Developer tooling: it is never used in production.
 *
 * Serves, on http://127.0.0.1:PORT:
 *   GET  /{tenant}/v2.0/.well-known/openid-configuration   OpenID discovery
 *   GET  /{tenant}/discovery/v2.0/keys                     JWKS (also /discovery/v2.0/keys)
 *   POST /{tenant}/oauth2/v2.0/token                       client_credentials and
 *                                                          urn:ietf:params:oauth:grant-type:jwt-bearer (on-behalf-of)
 *   GET  /{tenant}/adminconsent?client_id=…                grants consent (what an admin's click does)
 *
 * msal-node insists on an https authority, so the emulator presents itself as
 * `authorityHost` = https://127.0.0.1:PORT (the discovery document, the issuer and the
 * token endpoint all use it) and hands out `networkClient`, an msal INetworkModule that
 * sends what msal builds to http://127.0.0.1:PORT. Give both to the token providers
 * (src/directory/tokens.ts) or just pass `url` as authorityHost: they build the same
 * network client for an http loopback host.
 *
 * Tokens are RS256 JWTs signed with a key generated at start. Error answers mimic
 * Entra's: {error, error_description: "AADSTSnnnnn: …", error_codes, suberror, …}.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  SignJWT,
  createLocalJWKSet,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import type { INetworkModule } from '@azure/msal-node';
import { createLoopbackNetworkClient } from '../directory/tokens.ts';

export interface EmulatedEntraUser {
  objectId: string;
  userPrincipalName: string;
  name: string;
  /** Directory role template ids (the `wids` claim). */
  wids: string[];
}

export interface TokenEmulatorOptions {
  tenantId: string;
  /** 0 (default): any free port. */
  port?: number;
  users: EmulatedEntraUser[];
  /** The app registration (AAD_APP_CLIENT_ID / AAD_APP_CLIENT_SECRET) the emulator knows. */
  clientId: string;
  clientSecret: string;
  /** Whether an administrator has consented to the app's Graph permissions. Default true. */
  consentGranted?: boolean;
  /** Lifetime of issued access tokens. Default 3600. */
  accessTokenLifetimeSeconds?: number;
}

export interface SignUserTokenOptions {
  /** `aud` of the Teams SSO token: the app's client id (default) or its application id URI. */
  audience?: string;
  /** Seconds from now; negative for an already expired token. Default 3600. */
  expiresInSeconds?: number;
  /** `scp`; default "access_as_user". */
  scope?: string;
  /**
   * The `wids` claim: default the user's directory roles; null leaves the claim out (an app
   * registration without `groupMembershipClaims: "DirectoryRole"`: roles come from /me/memberOf).
   */
  wids?: readonly string[] | null;
}

export interface TokenEmulator {
  /** http://127.0.0.1:PORT — where the emulator really listens. */
  url: string;
  /** https://127.0.0.1:PORT — the host msal is configured with (authority = `${authorityHost}/${tenantId}`). */
  authorityHost: string;
  authority: string;
  /** `iss` of every token it issues: `${authorityHost}/${tenantId}/v2.0`. */
  issuer: string;
  tenantId: string;
  clientId: string;
  /** The msal INetworkModule that carries msal's https requests to `url`. */
  networkClient: INetworkModule;
  /** The public signing keys. */
  jwks: JSONWebKeySet;
  /** A Teams-SSO-like user token for one of the users (claims oid, tid, upn, preferred_username, name, wids, aud, iss, exp). */
  signUserToken(objectId: string, options?: SignUserTokenOptions): Promise<string>;
  /** Verifies a token the emulator issued (signature, issuer, expiry, optional audience); rejects otherwise. */
  verify(token: string, options?: { audience?: string }): Promise<JWTPayload>;
  setConsentGranted(granted: boolean): void;
  addUser(user: EmulatedEntraUser): void;
  /** Method and path of every request (never bodies, so never secrets or assertions). */
  requestLog: { method: string; url: string }[];
  close(): Promise<void>;
}

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
/** The resource app id of Microsoft Graph. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** The Teams desktop/mobile client app id (azp of real Teams SSO tokens). */
export const TEAMS_CLIENT_APP_ID = '1fec8e78-bce4-4aaf-ab1b-5451cc387264';
const APP_ONLY_ROLES = ['User.Read.All', 'Directory.Read.All'];
const DELEGATED_SCOPES = ['Directory.Read.All', 'User.Read', 'User.Read.All'];
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);
const KID = 'emulator-signing-key-1';

export async function startTokenEmulator(options: TokenEmulatorOptions): Promise<TokenEmulator> {
  const { tenantId, clientId, clientSecret } = options;
  const lifetime = options.accessTokenLifetimeSeconds ?? 3600;
  let consentGranted = options.consentGranted ?? true;
  const users = new Map<string, EmulatedEntraUser>(options.users.map((u) => [u.objectId.toLowerCase(), { ...u, wids: [...u.wids] }]));
  const servicePrincipalId = deterministicGuid(`sp:${tenantId}:${clientId}`);

  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: KID, use: 'sig', alg: 'RS256' };
  const jwks: JSONWebKeySet = { keys: [publicJwk] };
  const keySet = createLocalJWKSet(jwks);
  const requestLog: { method: string; url: string }[] = [];

  const server = createServer((req, res) => {
    requestLog.push({ method: req.method ?? 'GET', url: (req.url ?? '/').split('?')[0] ?? '/' });
    handle(req, res).catch(() => {
      if (!res.headersSent) sendOAuthError(res, 500, 'server_error', 50000, 'There was an error issuing a token.');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const authorityHost = `https://127.0.0.1:${port}`;
  const issuer = `${authorityHost}/${tenantId}/v2.0`;
  const networkClient = createLoopbackNetworkClient(url);

  const sign = (claims: JWTPayload, expiresInSeconds: number): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: KID })
      .setIssuer(issuer)
      .setIssuedAt(now)
      .setNotBefore(Math.min(now, now + expiresInSeconds - 60))
      .setExpirationTime(now + expiresInSeconds)
      .setJti(randomUUID())
      .sign(privateKey);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', url);
    const parts = u.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && u.pathname === '/discovery/v2.0/keys') return sendJson(res, 200, jwks);
    const [tenant, ...rest] = parts;
    const route = rest.join('/');
    if (!tenant) return sendJson(res, 404, { error: 'not_found' });
    if (tenant.toLowerCase() !== tenantId.toLowerCase()) {
      return sendOAuthError(res, 400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    }
    if (req.method === 'GET' && route === 'v2.0/.well-known/openid-configuration') {
      return sendJson(res, 200, openIdConfiguration(authorityHost, tenantId));
    }
    if (req.method === 'GET' && route === 'discovery/v2.0/keys') return sendJson(res, 200, jwks);
    if (req.method === 'GET' && (route === 'adminconsent' || route === 'v2.0/adminconsent')) {
      if (u.searchParams.get('client_id') !== clientId) {
        return sendOAuthError(res, 400, 'unauthorized_client', 700016, `Application with identifier '${u.searchParams.get('client_id') ?? ''}' was not found in the directory.`);
      }
      consentGranted = true;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Consent granted</title><p>Admin consent granted (token emulator). You can close this window.</p>');
      return;
    }
    if (req.method === 'POST' && route === 'oauth2/v2.0/token') return token(req, res);
    return sendJson(res, 404, { error: 'not_found', error_description: `No route ${req.method} ${u.pathname}` });
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    let reqClientId = form.get('client_id');
    let reqSecret = form.get('client_secret');
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (basic?.[1]) {
      const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
      reqClientId = decodeURIComponent(id ?? '');
      reqSecret = decodeURIComponent(secret ?? '');
    }
    if (!reqClientId) {
      return sendOAuthError(res, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    }
    if (reqClientId !== clientId) {
      return sendOAuthError(res, 400, 'unauthorized_client', 700016, `Application with identifier '${reqClientId}' was not found in the directory '${tenantId}'.`);
    }
    if (!reqSecret || reqSecret !== clientSecret) {
      return sendOAuthError(res, 401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    }
    const grantType = form.get('grant_type');
    const requested = (form.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const resourceScopes = requested.filter((s) => !OIDC_SCOPES.has(s));
    if (grantType === 'client_credentials') {
      if (resourceScopes.length !== 1 || !resourceScopes[0]?.endsWith('/.default')) {
        return sendOAuthError(res, 400, 'invalid_scope', 1002012, `The provided value for scope ${form.get('scope') ?? ''} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
      }
      if (!isGraphScope(resourceScopes[0])) return invalidResource(res, resourceScopes[0]);
      const accessToken = await sign(
        {
          aud: GRAPH_RESOURCE,
          tid: tenantId,
          oid: servicePrincipalId,
          sub: servicePrincipalId,
          appid: clientId,
          azp: clientId,
          idtyp: 'app',
          // Without admin consent Entra still issues an app token, just without roles.
          ...(consentGranted ? { roles: APP_ONLY_ROLES } : {}),
          wids: ['0997a1d0-0d1d-4acb-b408-d5ca73121e90'],
          ver: '1.0',
        },
        lifetime,
      );
      return sendJson(res, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken });
    }
    if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      if (form.get('requested_token_use') !== 'on_behalf_of') {
        return sendOAuthError(res, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'requested_token_use'.");
      }
      const assertion = form.get('assertion');
      if (!assertion) {
        return sendOAuthError(res, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'assertion'.");
      }
      if (resourceScopes.length === 0) {
        return sendOAuthError(res, 400, 'invalid_scope', 70011, 'The provided request must include a resource scope.');
      }
      for (const s of resourceScopes) if (!isGraphScope(s)) return invalidResource(res, s);
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await jwtVerify(assertion, keySet, { issuer, algorithms: ['RS256'] }));
      } catch (e) {
        if (e instanceof joseErrors.JWTExpired) {
          return sendOAuthError(res, 400, 'invalid_grant', 500133, 'Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token.');
        }
        return sendOAuthError(res, 400, 'invalid_grant', 50013, 'Assertion failed signature validation. [Reason - The key was not found.]');
      }
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.some((a) => a === clientId || (typeof a === 'string' && a.endsWith(`/${clientId}`)))) {
        return sendOAuthError(res, 400, 'invalid_grant', 50013, 'Assertion audience does not match the Client app presenting the assertion.');
      }
      if (typeof claims.tid !== 'string' || claims.tid.toLowerCase() !== tenantId.toLowerCase()) {
        return sendOAuthError(res, 400, 'invalid_grant', 50013, 'Assertion is from a different tenant.');
      }
      const user = typeof claims.oid === 'string' ? users.get(claims.oid.toLowerCase()) : undefined;
      if (!user) {
        return sendOAuthError(res, 400, 'invalid_grant', 50034, 'The user account does not exist in the directory.');
      }
      if (!consentGranted) {
        return sendOAuthError(
          res,
          400,
          'invalid_grant',
          65001,
          `The user or administrator has not consented to use the application with ID '${clientId}' named 'Safety Sync'. Send an interactive authorization request for this user and resource.`,
          { suberror: 'consent_required' },
        );
      }
      const scp = resourceScopes.some((s) => s.endsWith('/.default'))
        ? DELEGATED_SCOPES
        : resourceScopes.map((s) => s.replace(/^https:\/\/graph\.microsoft\.com\//i, ''));
      const accessToken = await sign(
        {
          aud: GRAPH_RESOURCE,
          tid: tenantId,
          oid: user.objectId,
          sub: deterministicGuid(`sub:${user.objectId}:${clientId}`),
          upn: user.userPrincipalName,
          unique_name: user.userPrincipalName,
          name: user.name,
          appid: clientId,
          azp: clientId,
          idtyp: 'user',
          scp: scp.join(' '),
          wids: user.wids,
          ver: '1.0',
        },
        lifetime,
      );
      const body: Record<string, unknown> = {
        token_type: 'Bearer',
        scope: scp.map((s) => `${GRAPH_RESOURCE}/${s}`).join(' '),
        expires_in: lifetime,
        ext_expires_in: lifetime,
        access_token: accessToken,
      };
      if (requested.includes('openid')) {
        body.id_token = await sign(
          {
            aud: clientId,
            tid: tenantId,
            oid: user.objectId,
            sub: deterministicGuid(`sub:${user.objectId}:${clientId}`),
            preferred_username: user.userPrincipalName,
            name: user.name,
            ver: '2.0',
          },
          lifetime,
        );
        if (form.get('client_info') === '1') {
          body.client_info = Buffer.from(JSON.stringify({ uid: user.objectId, utid: tenantId })).toString('base64url');
        }
      }
      return sendJson(res, 200, body);
    }
    return sendOAuthError(res, 400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType ?? ''}'.`);
  }

  function invalidResource(res: ServerResponse, scope: string): void {
    sendOAuthError(res, 400, 'invalid_resource', 500011, `The resource principal named ${scope.replace(/\/[^/]*$/, '')} was not found in the tenant named ${tenantId}. (token emulator: only Microsoft Graph is emulated)`);
  }

  return {
    url,
    authorityHost,
    authority: `${authorityHost}/${tenantId}`,
    issuer,
    tenantId,
    clientId,
    networkClient,
    jwks,
    async signUserToken(objectId, opts = {}) {
      const user = users.get(objectId.toLowerCase());
      if (!user) throw new Error(`token emulator: unknown user ${objectId}`);
      return sign(
        {
          aud: opts.audience ?? clientId,
          tid: tenantId,
          oid: user.objectId,
          sub: deterministicGuid(`sub:${user.objectId}:${clientId}`),
          upn: user.userPrincipalName,
          preferred_username: user.userPrincipalName,
          name: user.name,
          ...(opts.wids === null ? {} : { wids: [...(opts.wids ?? user.wids)] }),
          azp: TEAMS_CLIENT_APP_ID,
          scp: opts.scope ?? 'access_as_user',
          ver: '2.0',
        },
        opts.expiresInSeconds ?? 3600,
      );
    },
    async verify(token, opts = {}) {
      const { payload } = await jwtVerify(token, keySet, {
        issuer,
        algorithms: ['RS256'],
        ...(opts.audience ? { audience: opts.audience } : {}),
      });
      return payload;
    },
    setConsentGranted(granted) {
      consentGranted = granted;
    },
    addUser(user) {
      users.set(user.objectId.toLowerCase(), { ...user, wids: [...user.wids] });
    },
    requestLog,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function openIdConfiguration(authorityHost: string, tenantId: string): Record<string, unknown> {
  const base = `${authorityHost}/${tenantId}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: `${base}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${base}/oidc/userinfo`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
    tenant_region_scope: 'AS',
    cloud_instance_name: 'microsoftonline.com',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  };
}

function isGraphScope(scope: string): boolean {
  return /^https:\/\/graph\.microsoft\.com\//i.test(scope) || scope.startsWith(`${GRAPH_APP_ID}/`) || !scope.includes('/');
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store, no-cache',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendOAuthError(
  res: ServerResponse,
  status: number,
  error: string,
  code: number,
  description: string,
  extra: Record<string, unknown> = {},
): void {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  sendJson(res, status, {
    error,
    error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    ...extra,
  });
}

function readBody(req: IncomingMessage, limit = 1_000_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A stable GUID-shaped id derived from a string (FNV-1a based; not cryptographic). */
export function deterministicGuid(seed: string): string {
  let hex = '';
  for (let round = 0; hex.length < 32; round++) {
    let h = 0x811c9dc5 ^ round;
    for (let i = 0; i < seed.length; i++) {
      h ^= seed.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    hex += h.toString(16).padStart(8, '0');
  }
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
