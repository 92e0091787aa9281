/**
 * A Microsoft Graph (v1.0) emulator on loopback serving one tenant held in memory.
 * Developer tooling for the demo and the tests; never used in production.
 *
 * Routes (under http://127.0.0.1:PORT/v1.0):
 *   GET /organization                   {value: [{id: tenantId, displayName, verifiedDomains, …}]}
 *   GET /users                          $select (only the selected properties plus id; unknown -> 400),
 *                                       $top 1–999 (default 100; otherwise 400), absolute @odata.nextLink
 *                                       with an opaque $skiptoken. $filter/$search/$orderby/$count -> 400.
 *   GET /users/delta                    initial round: pages then @odata.deltaLink; with the deltaLink's
 *                                       $deltatoken: users changed since, removed users as
 *                                       {id, "@removed": {reason: "changed"}}. Page size: deltaPageSize.
 *   GET /users/{id | userPrincipalName}
 *   GET /me, GET /me/memberOf           for the bearer token's oid (directoryRole objects with roleTemplateId)
 *
 * Every request needs `Authorization: Bearer …` (401 InvalidAuthenticationToken otherwise). The token
 * is decoded without verification unless `acceptToken` is given. An app-only JWT (idtyp "app") without
 * a directory read role gets 403 Authorization_RequestDenied, like Graph without admin consent.
 * Errors use Graph's shape {error: {code, message, innerError}}.
 *
 * Fault injection for tests: throttleNext (429 + Retry-After), failNext (503/504…), injectNext (any
 * raw answer, e.g. a malformed page). Paging cursors are ordered by object id, so users added or
 * removed while someone pages are neither skipped nor repeated.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { decodeJwt, type JWTPayload } from 'jose';

export interface GraphIdentity {
  signInType: string;
  issuer: string;
  issuerAssignedId: string | null;
}

/** A user as Graph v1.0 names its properties. */
export interface GraphUser {
  id: string;
  /** Always set in a real tenant; null lets tests exercise the importer's noUserPrincipalName rule. */
  userPrincipalName: string | null;
  displayName: string | null;
  givenName?: string | null;
  surname?: string | null;
  mail: string | null;
  otherMails: string[];
  businessPhones: string[];
  mobilePhone: string | null;
  department: string | null;
  jobTitle: string | null;
  officeLocation?: string | null;
  preferredLanguage?: string | null;
  accountEnabled: boolean;
  /** "Member" | "Guest" */
  userType: string | null;
  identities: GraphIdentity[];
}

export interface EmulatedTenant {
  tenantId: string;
  displayName: string;
  users: GraphUser[];
  /** objectId -> directory role template ids the user holds. */
  directoryRoles: { [objectId: string]: string[] };
}

/** A user to put into the emulator: absent properties get Graph's defaults (see completeGraphUser). */
export type GraphUserInput = { id: string } & Partial<Omit<GraphUser, 'id'>>;

/** EmulatedTenant whose users may leave properties out. */
export interface EmulatedTenantInput extends Omit<EmulatedTenant, 'users'> {
  users: GraphUserInput[];
}

export interface GraphEmulatorOptions {
  tenant: EmulatedTenant | EmulatedTenantInput;
  /** 0 (default): any free port. */
  port?: number;
  /** Added to every request. */
  latencyMs?: number;
  /** Verifies the bearer token; without it any non-empty token is accepted (and decoded unverified). */
  acceptToken?: (token: string) => boolean | Promise<boolean>;
  /** The largest page of /users/delta (default 999); without a Prefer: odata.maxpagesize, pages of 200 at most. */
  deltaPageSize?: number;
}

export interface InjectedResponse {
  status: number;
  /** An object is sent as JSON; a string is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Only requests whose path (after /v1.0) starts with this are affected, e.g. "/users". */
  path?: string;
}

export interface GraphEmulator {
  /** e.g. http://127.0.0.1:PORT/v1.0 */
  baseUrl: string;
  /** The current tenant (a copy). */
  readonly tenant: EmulatedTenant;
  addUser(user: GraphUserInput): void;
  updateUser(id: string, patch: Partial<Omit<GraphUser, 'id'>>): void;
  removeUser(id: string): void;
  setDirectoryRoles(objectId: string, roleTemplateIds: string[]): void;
  /** The next `count` requests get 429 with `Retry-After: retryAfterSeconds`. */
  throttleNext(count: number, retryAfterSeconds: number, path?: string): void;
  /** The next `count` requests get `status` (default 503), with Retry-After when given. */
  failNext(count: number, status?: number, options?: { retryAfterSeconds?: number; path?: string }): void;
  /** The next `count` requests (matching `path`) get this raw answer. */
  injectNext(count: number, response: InjectedResponse): void;
  /** Method and URL (path and query) of every request; never headers, so never tokens. */
  requestLog: { method: string; url: string }[];
  close(): Promise<void>;
}

export const USER_PROPERTIES = [
  'id',
  'userPrincipalName',
  'displayName',
  'givenName',
  'surname',
  'mail',
  'otherMails',
  'businessPhones',
  'mobilePhone',
  'department',
  'jobTitle',
  'officeLocation',
  'preferredLanguage',
  'accountEnabled',
  'userType',
  'identities',
] as const;
type UserProperty = (typeof USER_PROPERTIES)[number];
const ARRAY_PROPERTIES = new Set<UserProperty>(['otherMails', 'businessPhones', 'identities']);
/** What Graph returns for a user when no $select is given. */
const DEFAULT_USER_SELECT: UserProperty[] = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];
const PROPERTY_BY_LOWER = new Map<string, UserProperty>(USER_PROPERTIES.map((p) => [p.toLowerCase(), p]));
const READ_ROLES = ['User.Read.All', 'User.ReadBasic.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'User.ReadWrite.All'];

/** Display names of well-known directory role templates (for /me/memberOf). */
export const ROLE_TEMPLATE_NAMES: Record<string, string> = {
  '62e90394-69f5-4237-9190-012177145e10': 'Global Administrator',
  'e8611ab8-c189-46e8-94e1-60213ab1f814': 'Privileged Role Administrator',
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3': 'Application Administrator',
  '158c047a-c907-4556-b7ef-446551a6b5f7': 'Cloud Application Administrator',
  'fe930be7-5e62-47db-91af-98c3a49a38b1': 'User Administrator',
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451': 'Global Reader',
  '88d8e3e3-8f55-4a1e-953a-9b9898b8876b': 'Directory Readers',
  '729827e3-9c14-49f7-bb1b-9608f156bbb8': 'Helpdesk Administrator',
};

interface StoredUser {
  user: GraphUser;
  version: number;
}

interface Fault {
  remaining: number;
  path?: string;
  response: InjectedResponse;
}

interface DeltaState {
  /** Changes with version > since … */
  s: number;
  /** … and <= upTo are in this round. */
  u: number;
  /** Cursor: last id returned. */
  a: string | null;
  sel: UserProperty[];
}

class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export async function startGraphEmulator(options: GraphEmulatorOptions): Promise<GraphEmulator> {
  const tenantId = options.tenant.tenantId;
  const displayName = options.tenant.displayName;
  // Without a preference Graph sends delta pages of about 200; it allows up to 999 when asked.
  const deltaPageSize = Math.max(1, options.deltaPageSize ?? 999);
  const defaultDeltaPageSize = Math.min(200, deltaPageSize);
  let version = 0;
  const users = new Map<string, StoredUser>();
  const tombstones = new Map<string, number>();
  const roles = new Map<string, string[]>();
  for (const u of options.tenant.users) {
    if (users.has(key(u.id))) throw new Error(`graph emulator: duplicate user id ${u.id}`);
    users.set(key(u.id), { user: completeGraphUser(u), version: ++version });
  }
  for (const [oid, templates] of Object.entries(options.tenant.directoryRoles)) roles.set(key(oid), [...templates]);
  const faults: Fault[] = [];
  const requestLog: { method: string; url: string }[] = [];
  let baseUrl = '';

  const server: Server = createServer((req, res) => {
    requestLog.push({ method: req.method ?? 'GET', url: req.url ?? '/' });
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return void res.end();
      if (e instanceof GraphHttpError) return sendError(req, res, e.status, e.code, e.message, e.headers);
      sendError(req, res, 500, 'generalException', 'An unexpected error occurred in the Graph emulator.');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  baseUrl = `${origin}/v1.0`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (options.latencyMs && options.latencyMs > 0) await sleep(options.latencyMs);
    const url = new URL(req.url ?? '/', origin);
    if (!url.pathname.startsWith('/v1.0/') && url.pathname !== '/v1.0') {
      throw new GraphHttpError(400, 'BadRequest', `Invalid version: ${url.pathname.split('/')[1] ?? ''}`);
    }
    const path = url.pathname.slice('/v1.0'.length).replace(/\/+$/, '') || '/';
    // --- authentication
    const auth = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    const token = auth?.[1];
    if (!token) throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token is empty.');
    if (options.acceptToken && !(await options.acceptToken(token))) {
      throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    }
    let claims: JWTPayload | null = null;
    try {
      claims = decodeJwt(token);
    } catch {
      claims = null;
    }
    // --- injected faults
    const fault = faults.find((f) => f.remaining > 0 && (!f.path || path.toLowerCase().startsWith(f.path.toLowerCase())));
    if (fault) {
      fault.remaining--;
      if (fault.remaining <= 0) faults.splice(faults.indexOf(fault), 1);
      const r = fault.response;
      const text = typeof r.body === 'string' ? r.body : r.body === undefined ? '' : JSON.stringify(r.body);
      res.writeHead(r.status, { 'content-type': JSON_CONTENT_TYPE, 'request-id': randomUUID(), ...(r.headers ?? {}) });
      res.end(text);
      return;
    }
    if (req.method !== 'GET') throw new GraphHttpError(405, 'Request_BadRequest', `The emulator only serves GET; got ${req.method ?? ''}.`);
    const segments = path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
    const [first, second, third] = segments;
    if (first?.toLowerCase() === 'organization' && segments.length === 1) return organization(req, res);
    if (first?.toLowerCase() === 'me') {
      const me = meUser(claims);
      if (segments.length === 1) return sendJson(req, res, 200, withContext(baseUrl, `users/$entity`, project(me.user, selectFrom(url))));
      if (second?.toLowerCase() === 'memberof' && segments.length === 2) return memberOf(req, res, me.user.id);
    }
    if (first?.toLowerCase() === 'users') {
      requireReadRole(claims);
      if (segments.length === 1) return listUsers(req, res, url);
      if (second?.toLowerCase() === 'delta' && segments.length === 2) return delta(req, res, url);
      if (second && segments.length === 2) {
        const found = findUser(second);
        if (!found) throw notFound(second);
        return sendJson(req, res, 200, withContext(baseUrl, `users/$entity`, project(found.user, selectFrom(url))));
      }
      if (second && third?.toLowerCase() === 'memberof' && segments.length === 3) {
        const found = findUser(second);
        if (!found) throw notFound(second);
        return memberOf(req, res, found.user.id);
      }
    }
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${first ?? ''}'.`);
  }

  function organization(req: IncomingMessage, res: ServerResponse): void {
    const domains = new Set<string>();
    for (const { user } of users.values()) {
      const upn = user.userPrincipalName ?? '';
      const d = upn.split('@')[1];
      if (d && !upn.includes('#EXT#')) domains.add(d.toLowerCase());
    }
    const verifiedDomains = [...domains].sort().map((name, i) => ({
      capabilities: 'Email, OfficeCommunicationsOnline',
      isDefault: i === 0,
      isInitial: name.endsWith('.onmicrosoft.com'),
      name,
      type: 'Managed',
    }));
    sendJson(req, res, 200, {
      '@odata.context': `${baseUrl}/$metadata#organization`,
      value: [{ id: tenantId, displayName, tenantType: 'AAD', countryLetterCode: 'JP', preferredLanguage: 'ja', verifiedDomains }],
    });
  }

  function listUsers(req: IncomingMessage, res: ServerResponse, url: URL): void {
    rejectUnsupported(url);
    const select = selectFrom(url);
    const topRaw = url.searchParams.get('$top');
    let top = 100;
    if (topRaw !== null) {
      if (!/^\d+$/.test(topRaw) || Number(topRaw) < 1 || Number(topRaw) > 999) {
        throw new GraphHttpError(400, 'Request_UnsupportedQuery', `Invalid page size specified: '${topRaw}'. Must be between 1 and 999 inclusive.`);
      }
      top = Number(topRaw);
    }
    const skip = url.searchParams.get('$skiptoken');
    let after: string | null = null;
    if (skip !== null) {
      const state = decodeToken<{ k: string; a: string }>(skip);
      if (!state || state.k !== 'users' || typeof state.a !== 'string') {
        throw new GraphHttpError(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.');
      }
      after = state.a;
    }
    const sorted = sortedUsers().filter((u) => after === null || key(u.user.id) > after);
    const page = sorted.slice(0, top);
    const body: Record<string, unknown> = {
      '@odata.context': `${baseUrl}/$metadata#users${url.searchParams.has('$select') ? `(${select.join(',')})` : ''}`,
    };
    if (sorted.length > top) {
      const last = page[page.length - 1]!;
      const next = new URL(`${baseUrl}/users`);
      const q: string[] = [];
      if (url.searchParams.has('$select')) q.push(`$select=${select.join(',')}`);
      q.push(`$top=${top}`);
      q.push(`$skiptoken=${encodeToken({ k: 'users', a: key(last.user.id) })}`);
      body['@odata.nextLink'] = `${next.href}?${q.join('&')}`;
    }
    body.value = page.map((u) => project(u.user, select));
    sendJson(req, res, 200, body);
  }

  function delta(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const skip = url.searchParams.get('$skiptoken');
    const deltaToken = url.searchParams.get('$deltatoken');
    let state: DeltaState;
    if (deltaToken === 'latest') {
      // Graph's $deltatoken=latest: no users, only a delta link that starts now.
      rejectUnsupported(url);
      const sel = selectFrom(url);
      sendJson(req, res, 200, {
        '@odata.context': `${baseUrl}/$metadata#users(${sel.join(',')})`,
        '@odata.deltaLink': `${baseUrl}/users/delta?$deltatoken=${encodeToken({ s: version, u: version, a: null, sel })}`,
        value: [],
      });
      return;
    }
    if (skip !== null || deltaToken !== null) {
      const decoded = decodeToken<DeltaState>(skip ?? deltaToken ?? '');
      if (!decoded || typeof decoded.s !== 'number' || !Array.isArray(decoded.sel)) {
        throw new GraphHttpError(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.');
      }
      // A deltaLink starts a new round: everything changed after the last round up to now.
      state = skip !== null ? decoded : { s: decoded.s, u: version, a: null, sel: decoded.sel };
    } else {
      rejectUnsupported(url);
      state = { s: 0, u: version, a: null, sel: selectFrom(url) };
    }
    type Item = { id: string; stored?: StoredUser };
    const items: Item[] = [];
    for (const stored of users.values()) {
      if (stored.version > state.s && stored.version <= state.u) items.push({ id: key(stored.user.id), stored });
    }
    if (state.s > 0) {
      for (const [id, v] of tombstones) if (v > state.s && v <= state.u && !users.has(id)) items.push({ id });
    }
    items.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const remaining = items.filter((i) => state.a === null || i.id > state.a);
    // Graph honours `Prefer: odata.maxpagesize` on delta, up to its own ceiling.
    const preferred = /odata\.maxpagesize=(\d+)/i.exec(String(req.headers['prefer'] ?? ''));
    const pageSize = preferred ? Math.max(1, Math.min(Number(preferred[1]), deltaPageSize)) : defaultDeltaPageSize;
    if (preferred) res.setHeader('Preference-Applied', `odata.maxpagesize=${pageSize}`);
    const page = remaining.slice(0, pageSize);
    const body: Record<string, unknown> = { '@odata.context': `${baseUrl}/$metadata#users(${state.sel.join(',')})` };
    if (remaining.length > pageSize) {
      const last = page[page.length - 1]!;
      body['@odata.nextLink'] = `${baseUrl}/users/delta?$skiptoken=${encodeToken({ ...state, a: last.id })}`;
    } else {
      body['@odata.deltaLink'] = `${baseUrl}/users/delta?$deltatoken=${encodeToken({ s: state.u, u: state.u, a: null, sel: state.sel })}`;
    }
    body.value = page.map((i) =>
      i.stored ? project(i.stored.user, state.sel) : { '@odata.type': '#microsoft.graph.user', id: i.id, '@removed': { reason: 'changed' } },
    );
    sendJson(req, res, 200, body);
  }

  function memberOf(req: IncomingMessage, res: ServerResponse, objectId: string): void {
    const templates = roles.get(key(objectId)) ?? [];
    sendJson(req, res, 200, {
      '@odata.context': `${baseUrl}/$metadata#directoryObjects`,
      value: templates.map((t) => ({
        '@odata.type': '#microsoft.graph.directoryRole',
        id: roleInstanceId(tenantId, t),
        deletedDateTime: null,
        description: `${ROLE_TEMPLATE_NAMES[t] ?? 'Directory role'} (emulated)`,
        displayName: ROLE_TEMPLATE_NAMES[t] ?? `Role ${t}`,
        roleTemplateId: t,
      })),
    });
  }

  function meUser(claims: JWTPayload | null): StoredUser {
    if (!claims) throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'IDX14100: JWT is not well formed, there are no dots (.).');
    if (typeof claims.oid !== 'string' || claims.idtyp === 'app') {
      throw new GraphHttpError(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
    }
    const found = users.get(key(claims.oid));
    if (!found) throw notFound(claims.oid);
    return found;
  }

  function requireReadRole(claims: JWTPayload | null): void {
    if (claims?.idtyp !== 'app') return;
    const granted = Array.isArray(claims.roles) ? (claims.roles as unknown[]) : [];
    if (!granted.some((r) => typeof r === 'string' && READ_ROLES.includes(r))) {
      throw new GraphHttpError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
  }

  function findUser(idOrUpn: string): StoredUser | undefined {
    const byId = users.get(key(idOrUpn));
    if (byId) return byId;
    const lower = idOrUpn.toLowerCase();
    for (const u of users.values()) if (u.user.userPrincipalName?.toLowerCase() === lower) return u;
    return undefined;
  }

  function sortedUsers(): StoredUser[] {
    return [...users.values()].sort((a, b) => (key(a.user.id) < key(b.user.id) ? -1 : key(a.user.id) > key(b.user.id) ? 1 : 0));
  }

  const emulator: GraphEmulator = {
    baseUrl,
    get tenant(): EmulatedTenant {
      return {
        tenantId,
        displayName,
        users: sortedUsers().map((u) => cloneUser(u.user)),
        directoryRoles: Object.fromEntries([...roles].map(([k, v]) => [findUser(k)?.user.id ?? k, [...v]])),
      };
    },
    addUser(user) {
      if (users.has(key(user.id))) throw new Error(`graph emulator: user ${user.id} already exists`);
      users.set(key(user.id), { user: completeGraphUser(user), version: ++version });
      tombstones.delete(key(user.id));
    },
    updateUser(id, patch) {
      const stored = users.get(key(id));
      if (!stored) throw new Error(`graph emulator: no user ${id}`);
      const next = cloneUser({ ...stored.user, ...patch, id: stored.user.id } as GraphUser);
      users.set(key(id), { user: next, version: ++version });
    },
    removeUser(id) {
      if (!users.delete(key(id))) throw new Error(`graph emulator: no user ${id}`);
      roles.delete(key(id));
      tombstones.set(key(id), ++version);
    },
    setDirectoryRoles(objectId, roleTemplateIds) {
      roles.set(key(objectId), [...roleTemplateIds]);
    },
    throttleNext(count, retryAfterSeconds, path) {
      faults.push({
        remaining: count,
        ...(path ? { path } : {}),
        response: {
          status: 429,
          headers: { 'retry-after': String(retryAfterSeconds) },
          body: graphErrorBody('TooManyRequests', 'Too many requests.'),
        },
      });
    },
    failNext(count, status = 503, opts = {}) {
      const code = status === 503 ? 'serviceNotAvailable' : status === 504 ? 'gatewayTimeout' : status === 429 ? 'TooManyRequests' : 'generalException';
      faults.push({
        remaining: count,
        ...(opts.path ? { path: opts.path } : {}),
        response: {
          status,
          headers: opts.retryAfterSeconds !== undefined ? { 'retry-after': String(opts.retryAfterSeconds) } : {},
          body: graphErrorBody(code, `The service is temporarily unavailable (emulated ${status}).`),
        },
      });
    },
    injectNext(count, response) {
      faults.push({ remaining: count, ...(response.path ? { path: response.path } : {}), response });
    },
    requestLog,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return emulator;
}

// ---------------------------------------------------------------- helpers

const JSON_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

function key(id: string): string {
  return id.toLowerCase();
}

/**
 * Fills what a test left out the way Graph would have it: no mail, phones or department, enabled,
 * a Member, signing in with the user principal name.
 */
export function completeGraphUser(u: GraphUserInput): GraphUser {
  const upn = u.userPrincipalName ?? null;
  const domain = upn?.split('@')[1] ?? null;
  return cloneUser({
    id: u.id,
    userPrincipalName: upn,
    displayName: u.displayName ?? null,
    ...(u.givenName !== undefined ? { givenName: u.givenName } : {}),
    ...(u.surname !== undefined ? { surname: u.surname } : {}),
    mail: u.mail ?? null,
    otherMails: u.otherMails ?? [],
    businessPhones: u.businessPhones ?? [],
    mobilePhone: u.mobilePhone ?? null,
    department: u.department ?? null,
    jobTitle: u.jobTitle ?? null,
    ...(u.officeLocation !== undefined ? { officeLocation: u.officeLocation } : {}),
    ...(u.preferredLanguage !== undefined ? { preferredLanguage: u.preferredLanguage } : {}),
    accountEnabled: u.accountEnabled ?? true,
    userType: u.userType === undefined ? 'Member' : u.userType,
    identities:
      u.identities ??
      (upn && domain && !upn.includes('#EXT#') ? [{ signInType: 'userPrincipalName', issuer: domain, issuerAssignedId: upn }] : []),
  });
}

function cloneUser(u: GraphUser): GraphUser {
  return {
    ...u,
    otherMails: [...(u.otherMails ?? [])],
    businessPhones: [...(u.businessPhones ?? [])],
    identities: (u.identities ?? []).map((i) => ({ ...i })),
  };
}

function selectFrom(url: URL): UserProperty[] {
  const raw = url.searchParams.get('$select');
  if (raw === null) return DEFAULT_USER_SELECT;
  const out: UserProperty[] = [];
  for (const name of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const prop = PROPERTY_BY_LOWER.get(name.toLowerCase());
    if (!prop) throw new GraphHttpError(400, 'BadRequest', `Could not find a property named '${name}' on type 'microsoft.graph.user'.`);
    if (!out.includes(prop)) out.push(prop);
  }
  return out;
}

function rejectUnsupported(url: URL): void {
  for (const p of ['$filter', '$search', '$orderby', '$count', '$expand', '$skip']) {
    if (url.searchParams.has(p)) throw new GraphHttpError(400, 'Request_UnsupportedQuery', `The Graph emulator does not support ${p}.`);
  }
}

function project(user: GraphUser, select: readonly UserProperty[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of select) {
    const v = (user as unknown as Record<string, unknown>)[p];
    out[p] = v === undefined ? (ARRAY_PROPERTIES.has(p) ? [] : null) : structuredClone(v);
  }
  out.id = user.id;
  return out;
}

function withContext(baseUrl: string, entity: string, body: Record<string, unknown>): Record<string, unknown> {
  return { '@odata.context': `${baseUrl}/$metadata#${entity}`, ...body };
}

function notFound(id: string): GraphHttpError {
  return new GraphHttpError(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

function graphErrorBody(code: string, message: string, clientRequestId?: string): Record<string, unknown> {
  const requestId = randomUUID();
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d+Z$/, ''),
        'request-id': requestId,
        'client-request-id': clientRequestId ?? requestId,
      },
    },
  };
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const clientRequestId = typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : randomUUID();
  res.writeHead(status, {
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'request-id': randomUUID(),
    'client-request-id': clientRequestId,
    'cache-control': 'no-cache',
    ...headers,
  });
  res.end(text);
}

function sendError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const clientRequestId = typeof req.headers['client-request-id'] === 'string' ? req.headers['client-request-id'] : undefined;
  sendJson(req, res, status, graphErrorBody(code, message, clientRequestId), {
    ...(status === 401 ? { 'www-authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"' } : {}),
    ...headers,
  });
}

function encodeToken(state: unknown): string {
  return `RFNwdA${Buffer.from(JSON.stringify(state)).toString('base64url')}`;
}

function decodeToken<T>(token: string): T | null {
  if (!token.startsWith('RFNwdA')) return null;
  try {
    return JSON.parse(Buffer.from(token.slice(6), 'base64url').toString('utf8')) as T;
  } catch {
    return null;
  }
}

function roleInstanceId(tenantId: string, templateId: string): string {
  // A directoryRole's object id differs from its template id; derive a stable one per tenant.
  let h = 0x811c9dc5;
  for (const c of `${tenantId}:${templateId}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  const hex = h.toString(16).padStart(8, '0');
  return `${hex}${templateId.slice(8)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
