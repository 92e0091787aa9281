/**
 * A Microsoft Graph (v1.0) emulator on loopback serving one tenant held in memory.
 * Developer tooling for the demo and the tests; never used in production. It follows Graph v1.0
 * as documented (user resource type, "Use delta query to track changes", "Get incremental changes
 * for users"):
 *
 * Routes (under http://127.0.0.1:PORT/v1.0):
 *   GET /organization                   {value: [{id: tenantId, displayName, verifiedDomains, …}]}
 *   GET /users                          $select: every v1.0 user property (USER_PROPERTIES; unknown -> 400);
 *                                       the selected properties plus id, null (or [] for a collection) when
 *                                       unset or not modelled, as Graph answers. $top 1–999 (default 100;
 *                                       otherwise 400), absolute @odata.nextLink with an opaque $skiptoken.
 *                                       $filter: startswith(userPrincipalName,'…'), userPrincipalName eq '…'
 *                                       and, as advanced queries (ConsistencyLevel: eventual + $count=true,
 *                                       which adds @odata.count), not(…) and userPrincipalName eq null; with
 *                                       and/or (parseUserFilter). $search/$orderby, and $count without
 *                                       ConsistencyLevel -> 400.
 *   GET /users/delta                    initial round: the present users, then @odata.deltaLink; with the
 *                                       deltaLink's $deltatoken: users changed since, soft-deleted users as
 *                                       {id, "@removed": {reason: "changed"}}, permanently deleted ones with
 *                                       reason "deleted". A property never set is left out of every delta
 *                                       answer (Graph: "if the property has never been set before it will not
 *                                       be included in the response at all"); otherwise the selected
 *                                       properties carry their current value (or, with deltaProperties
 *                                       'changed', only those changed in the round: Graph promises "at least
 *                                       the updated properties"). $filter=id eq '…' (or-ed, up to 50 ids)
 *                                       tracks those users only. $deltatoken=latest: a link that starts now.
 *                                       Page size: 200, or Prefer: odata.maxpagesize up to deltaPageSize.
 *                                       Delta and skip tokens expire after deltaTokenMaxAgeInMs (Graph: 7 days
 *                                       for directory objects), after expireDeltaTokens(), and when another
 *                                       emulator instance issued them: 410 Gone, code syncStateNotFound.
 *   GET /users/{id | userPrincipalName}
 *   GET /me, GET /me/memberOf           for the bearer token's oid (directoryRole objects with roleTemplateId)
 *
 * Every request needs `Authorization: Bearer …` (401 InvalidAuthenticationToken otherwise). The token
 * is decoded without verification unless `acceptToken` is given. An app-only JWT (idtyp "app") without
 * a directory read role gets 403 Authorization_RequestDenied, like Graph without admin consent.
 * Errors use Graph's shape {error: {code, message, innerError: {date, request-id, client-request-id}}};
 * the `request-id` header equals innerError.request-id, and a `client-request-id` sent is echoed.
 *
 * Fault injection for tests: throttleNext (429 + Retry-After), failNext (503/504…), injectNext (any
 * raw answer, e.g. a malformed page). Paging cursors are ordered by object id (GET /users) or by
 * change (delta), so users added or removed while someone pages are neither skipped nor repeated.
 *
 * Cost: a page costs O(log tenant + page). GET /users keeps the object ids in a sorted array (the
 * skiptoken holds the last id; a binary search finds the next); delta keeps a change log ordered by
 * change number (the skiptoken holds the last change number served), compacted when superseded
 * entries outnumber live ones.
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
  /** Added to every request, in ms (a real tenant's round trip). */
  latencyInMs?: number;
  /** The same as latencyInMs (the older name). */
  latencyMs?: number;
  /** Verifies the bearer token; without it any non-empty token is accepted (and decoded unverified). */
  acceptToken?: (token: string) => boolean | Promise<boolean>;
  /** The largest page of /users/delta (default 999); without a Prefer: odata.maxpagesize, pages of 200 at most. */
  deltaPageSize?: number;
  /** The emulator's clock (token ages, error dates); default the wall clock. */
  clock?: () => Date;
  /** A delta or skip token older than this answers 410 syncStateNotFound (default 7 days, as Graph for directory objects). */
  deltaTokenMaxAgeInMs?: number;
  /**
   * The status of an expired token's answer: 410 Gone (default) or 400 BadRequest (what Microsoft's 2020
   * note on directory delta tokens reports); the code is syncStateNotFound either way.
   */
  expiredDeltaTokenStatus?: 400 | 410;
  /**
   * Which properties a changed user carries in a later delta round: 'all' (default) every selected property
   * ever set, as Graph documents for directory objects; 'changed' only those changed in the round.
   */
  deltaProperties?: 'all' | 'changed';
  /** How long a soft-deleted user stays restorable before it is purged (delta: reason "deleted"); default 30 days. */
  softDeleteRetentionInMs?: number;
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
  /** A property in the patch counts as set (a null clears it: a later delta sends it as null). */
  updateUser(id: string, patch: Partial<Omit<GraphUser, 'id'>>): void;
  /**
   * Graph's DELETE /users/{id}: a soft delete, restorable for 30 days (softDeleteRetentionInMs, the emulator's
   * clock); delta says @removed reason "changed", and "deleted" once purged.
   */
  removeUser(id: string): void;
  /** Restores a soft-deleted user; delta sends it again as a user. */
  restoreUser(id: string): void;
  /** A permanent delete (of a present or a soft-deleted user); delta says @removed reason "deleted". */
  permanentlyDeleteUser(id: string): void;
  /** Every delta and skip token issued so far answers 410 syncStateNotFound from now on. */
  expireDeltaTokens(): void;
  setDirectoryRoles(objectId: string, roleTemplateIds: string[]): void;
  /** The next `count` requests get 429 with `Retry-After: retryAfterSeconds`. */
  throttleNext(count: number, retryAfterSeconds: number, path?: string): void;
  /** The next `count` requests get `status` (default 503), with Retry-After when given. */
  failNext(count: number, status?: number, options?: { retryAfterSeconds?: number; path?: string }): void;
  /** The next `count` requests (matching `path`) get this raw answer. */
  injectNext(count: number, response: InjectedResponse): void;
  /** Method and URL (path and query) of every request; never headers, so never tokens. */
  requestLog: { method: string; url: string }[];
  /** The most requests that were ever being answered at once (a parallel reader's concurrency, seen from Graph). */
  readonly maxRequestsInFlight: number;
  close(): Promise<void>;
}

/** Every property of the v1.0 user resource type (directoryObject's included): all are accepted in $select. */
export const USER_PROPERTIES = [
  'id',
  'deletedDateTime',
  'aboutMe',
  'accountEnabled',
  'ageGroup',
  'assignedLicenses',
  'assignedPlans',
  'authorizationInfo',
  'birthday',
  'businessPhones',
  'city',
  'companyName',
  'consentProvidedForMinor',
  'country',
  'createdDateTime',
  'creationType',
  'customSecurityAttributes',
  'department',
  'displayName',
  'employeeHireDate',
  'employeeId',
  'employeeLeaveDateTime',
  'employeeOrgData',
  'employeeType',
  'externalUserState',
  'externalUserStateChangeDateTime',
  'faxNumber',
  'givenName',
  'hireDate',
  'identities',
  'imAddresses',
  'interests',
  'isResourceAccount',
  'jobTitle',
  'lastPasswordChangeDateTime',
  'legalAgeGroupClassification',
  'licenseAssignmentStates',
  'mail',
  'mailboxSettings',
  'mailNickname',
  'mobilePhone',
  'mySite',
  'officeLocation',
  'onPremisesDistinguishedName',
  'onPremisesDomainName',
  'onPremisesExtensionAttributes',
  'onPremisesImmutableId',
  'onPremisesLastSyncDateTime',
  'onPremisesProvisioningErrors',
  'onPremisesSamAccountName',
  'onPremisesSecurityIdentifier',
  'onPremisesSyncEnabled',
  'onPremisesUserPrincipalName',
  'otherMails',
  'passwordPolicies',
  'passwordProfile',
  'pastProjects',
  'postalCode',
  'preferredDataLocation',
  'preferredLanguage',
  'preferredName',
  'provisionedPlans',
  'proxyAddresses',
  'responsibilities',
  'schools',
  'securityIdentifier',
  'serviceProvisioningErrors',
  'showInAddressList',
  'signInActivity',
  'signInSessionsValidFromDateTime',
  'skills',
  'state',
  'streetAddress',
  'surname',
  'usageLocation',
  'userPrincipalName',
  'userType',
] as const;
export type UserProperty = (typeof USER_PROPERTIES)[number];
/** The properties the emulator holds values for (GraphUser); the others are always unset. */
export const MODELLED_USER_PROPERTIES: readonly UserProperty[] = [
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
];
/** Collection-valued properties: unset, Graph answers [] rather than null. */
const COLLECTION_PROPERTIES = new Set<UserProperty>([
  'assignedLicenses',
  'assignedPlans',
  'businessPhones',
  'identities',
  'imAddresses',
  'interests',
  'licenseAssignmentStates',
  'onPremisesProvisioningErrors',
  'otherMails',
  'pastProjects',
  'provisionedPlans',
  'proxyAddresses',
  'responsibilities',
  'schools',
  'serviceProvisioningErrors',
  'skills',
]);
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
/** Graph's limit on the ids of one `$filter=id eq … or id eq …` on delta. */
const MAX_FILTER_IDS = 50;
const SEVEN_DAYS_IN_MS = 7 * 24 * 60 * 60 * 1000;
const THIRTY_DAYS_IN_MS = 30 * 24 * 60 * 60 * 1000;

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
  /** The change number of the user's latest change. */
  version: number;
  /** Property -> change number it was last set at; a property absent here was never set. */
  setAt: Map<string, number>;
}

type RemovedReason = 'changed' | 'deleted';

/** One change of the delta log: the change number, the user's key, and why it was removed (if it was). */
interface Change {
  v: number;
  key: string;
  removed?: RemovedReason;
  /** The removed user's object id as spelled when created. */
  id?: string;
}

interface Fault {
  remaining: number;
  path?: string;
  response: InjectedResponse;
  /** A Graph error body built per answer (so its innerError carries that answer's request-id). */
  graphError?: { code: string; message: string };
}

interface DeltaState {
  /** Changes numbered > since … */
  s: number;
  /** … and <= upTo are in this round. */
  u: number;
  /** Cursor: the change number last served (0: none yet). */
  a: number;
  sel: UserProperty[];
  /** $filter=id eq …: the object ids tracked (absent: every user). */
  f?: string[];
  /** Issued at (ms since the epoch, the emulator's clock). */
  t: number;
  /** Emulator instance and token generation that issued it. */
  e: string;
  g: number;
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
  const clock = options.clock ?? (() => new Date());
  const maxTokenAge = options.deltaTokenMaxAgeInMs ?? SEVEN_DAYS_IN_MS;
  const expiredStatus = options.expiredDeltaTokenStatus ?? 410;
  const changedOnly = options.deltaProperties === 'changed';
  const softDeleteRetention = options.softDeleteRetentionInMs ?? THIRTY_DAYS_IN_MS;
  const instance = randomUUID().slice(0, 8);
  let generation = 0;
  // Without a preference Graph sends delta pages of about 200; it allows up to 999 when asked.
  const deltaPageSize = Math.max(1, options.deltaPageSize ?? 999);
  const defaultDeltaPageSize = Math.min(200, deltaPageSize);
  let version = 0;
  /** Present users by key (lower-case object id). */
  const users = new Map<string, StoredUser>();
  /** Soft-deleted users (Graph's deleted items), restorable, in deletion order, with when they were deleted. */
  const softDeleted = new Map<string, StoredUser>();
  const deletedAt = new Map<string, number>();
  /** The keys of present users, sorted: GET /users pages by binary search. */
  let order: string[] = [];
  /** Lower-case userPrincipalName -> key. */
  const byUpn = new Map<string, string>();
  /** The delta log, ordered by change number; `latest` holds each key's last change number. */
  let log: Change[] = [];
  const latest = new Map<string, number>();
  let superseded = 0;
  let domainsCache: string[] | null = null;
  const roles = new Map<string, string[]>();
  for (const u of options.tenant.users) {
    const k = key(u.id);
    if (users.has(k)) throw new Error(`graph emulator: duplicate user id ${u.id}`);
    const v = record(k);
    const user = completeGraphUser(u);
    users.set(k, { user, version: v, setAt: initiallySet(user, v) });
    indexUpn(user, k);
  }
  order = [...users.keys()].sort(compareKeys);
  for (const [oid, templates] of Object.entries(options.tenant.directoryRoles)) roles.set(key(oid), [...templates]);
  const faults: Fault[] = [];
  const requestLog: { method: string; url: string }[] = [];
  let baseUrl = '';

  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    requestLog.push({ method: req.method ?? 'GET', url: req.url ?? '/' });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.once('close', () => inFlight--);
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

  /** Numbers a change of `k` and logs it (superseding k's previous entry). */
  function record(k: string, removed?: { reason: RemovedReason; id: string }): number {
    const v = ++version;
    log.push(removed ? { v, key: k, removed: removed.reason, id: removed.id } : { v, key: k });
    if (latest.has(k)) superseded++;
    latest.set(k, v);
    domainsCache = null;
    // Amortised O(1): drop superseded entries once they outnumber the live ones.
    if (superseded > 1024 && superseded * 2 > log.length) {
      log = log.filter((c) => latest.get(c.key) === c.v);
      superseded = 0;
    }
    return v;
  }

  function indexUpn(user: GraphUser, k: string): void {
    if (user.userPrincipalName) byUpn.set(user.userPrincipalName.toLowerCase(), k);
  }

  function unindexUpn(user: GraphUser, k: string): void {
    const upn = user.userPrincipalName?.toLowerCase();
    if (upn && byUpn.get(upn) === k) byUpn.delete(upn);
  }

  function insertOrdered(k: string): void {
    order.splice(upperBound(order, k), 0, k);
  }

  function removeOrdered(k: string): void {
    const at = upperBound(order, k) - 1;
    if (at >= 0 && order[at] === k) order.splice(at, 1);
  }

  /** Takes a present user out (soft or permanent delete). */
  function takeOut(k: string): StoredUser | undefined {
    const stored = users.get(k);
    if (!stored) return undefined;
    users.delete(k);
    removeOrdered(k);
    unindexUpn(stored.user, k);
    roles.delete(k);
    return stored;
  }

  /** Graph purges a soft-deleted user after 30 days: from then on delta says reason "deleted". O(purged). */
  function purgeExpired(): void {
    const now = clock().getTime();
    for (const [k, at] of deletedAt) {
      if (now - at <= softDeleteRetention) break;
      const stored = softDeleted.get(k)!;
      softDeleted.delete(k);
      deletedAt.delete(k);
      record(k, { reason: 'deleted', id: stored.user.id });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const latency = options.latencyInMs ?? options.latencyMs ?? 0;
    if (latency > 0) await sleep(latency);
    purgeExpired();
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
      if (fault.graphError) return sendError(req, res, r.status, fault.graphError.code, fault.graphError.message, r.headers ?? {});
      const text = typeof r.body === 'string' ? r.body : r.body === undefined ? '' : JSON.stringify(r.body);
      const ids = requestIds(req);
      res.writeHead(r.status, { 'content-type': JSON_CONTENT_TYPE, 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId, ...(r.headers ?? {}) });
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
      if (isDeltaSegment(second) && segments.length === 2) return delta(req, res, url);
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
    if (!domainsCache) {
      const domains = new Set<string>();
      for (const { user } of users.values()) {
        const upn = user.userPrincipalName ?? '';
        const d = upn.split('@')[1];
        if (d && !upn.includes('#EXT#')) domains.add(d.toLowerCase());
      }
      domainsCache = [...domains].sort();
    }
    const verifiedDomains = domainsCache.map((name, i) => ({
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
    rejectUnsupported(url, ['$filter', '$count']);
    const select = selectFrom(url);
    const topRaw = url.searchParams.get('$top');
    let top = 100;
    if (topRaw !== null) {
      if (!/^\d+$/.test(topRaw) || Number(topRaw) < 1 || Number(topRaw) > 999) {
        throw new GraphHttpError(400, 'Request_UnsupportedQuery', `Invalid page size specified: '${topRaw}'. Must be between 1 and 999 inclusive.`);
      }
      top = Number(topRaw);
    }
    // Advanced queries (Graph: "ConsistencyLevel: eventual" and $count=true) unlock not(…) and eq null.
    const countRaw = url.searchParams.get('$count');
    const eventual = String(req.headers['consistencylevel'] ?? '').toLowerCase() === 'eventual';
    if (countRaw !== null && (countRaw.toLowerCase() !== 'true' || !eventual)) {
      throw new GraphHttpError(400, 'Request_BadRequest', '$count is not currently supported.');
    }
    const filterRaw = url.searchParams.get('$filter');
    const filter = filterRaw === null ? null : parseUserFilter(filterRaw);
    if (filter && needsAdvancedQuery(filter) && countRaw === null) {
      throw new GraphHttpError(400, 'Request_UnsupportedQuery', 'Unsupported or invalid query filter clause specified for property \'userPrincipalName\' of resource \'User\'.');
    }
    const skip = url.searchParams.get('$skiptoken');
    let start = 0;
    if (skip !== null) {
      const state = decodeToken<{ k: string; a: string }>(skip);
      if (!state || state.k !== 'users' || typeof state.a !== 'string') {
        throw new GraphHttpError(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.');
      }
      start = upperBound(order, state.a);
    }
    // A filtered page scans the ordered ids from the cursor until the page (and one more match) is found.
    const pageKeys: string[] = [];
    let more = false;
    if (!filter) {
      pageKeys.push(...order.slice(start, start + top));
      more = start + top < order.length;
    } else {
      for (let i = start; i < order.length; i++) {
        if (evaluateUserFilter(filter, users.get(order[i]!)!.user) !== true) continue;
        if (pageKeys.length === top) {
          more = true;
          break;
        }
        pageKeys.push(order[i]!);
      }
    }
    const body: Record<string, unknown> = {
      '@odata.context': `${baseUrl}/$metadata#users${url.searchParams.has('$select') ? `(${select.join(',')})` : ''}`,
    };
    if (countRaw !== null && skip === null) {
      let count = 0;
      for (const k of order) if (!filter || evaluateUserFilter(filter, users.get(k)!.user) === true) count++;
      body['@odata.count'] = count;
    }
    if (more) {
      const q: string[] = [];
      if (url.searchParams.has('$select')) q.push(`$select=${select.join(',')}`);
      q.push(`$top=${top}`);
      if (filterRaw !== null) q.push(`$filter=${encodeURIComponent(filterRaw)}`);
      if (countRaw !== null) q.push('$count=true');
      q.push(`$skiptoken=${encodeToken({ k: 'users', a: pageKeys[pageKeys.length - 1]! })}`);
      body['@odata.nextLink'] = `${baseUrl}/users?${q.join('&')}`;
    }
    body.value = pageKeys.map((k) => project(users.get(k)!.user, select));
    sendJson(req, res, 200, body);
  }

  function newToken(state: Omit<DeltaState, 't' | 'e' | 'g'>): string {
    return encodeToken({ ...state, t: clock().getTime(), e: instance, g: generation } satisfies DeltaState);
  }

  function delta(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const skip = url.searchParams.get('$skiptoken');
    const deltaToken = url.searchParams.get('$deltatoken');
    let state: Omit<DeltaState, 't' | 'e' | 'g'>;
    if (deltaToken === 'latest') {
      // Graph's $deltatoken=latest: no users, only a delta link that starts now.
      rejectUnsupported(url, ['$filter']);
      const sel = selectFrom(url);
      const f = filterIdsFrom(url);
      sendJson(req, res, 200, {
        '@odata.context': `${baseUrl}/$metadata#users(${sel.join(',')})`,
        '@odata.deltaLink': `${baseUrl}/users/delta?$deltatoken=${newToken({ s: version, u: version, a: 0, sel, ...(f ? { f } : {}) })}`,
        value: [],
      });
      return;
    }
    if (skip !== null || deltaToken !== null) {
      const decoded = decodeToken<DeltaState>(skip ?? deltaToken ?? '');
      if (!decoded || typeof decoded.s !== 'number' || typeof decoded.a !== 'number' || !Array.isArray(decoded.sel)) {
        throw new GraphHttpError(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.');
      }
      if (decoded.e !== instance || decoded.g !== generation || clock().getTime() - decoded.t > maxTokenAge) {
        throw new GraphHttpError(expiredStatus, 'syncStateNotFound', 'The sync state generation is not found. The delta token is expired and data must be synchronized again.');
      }
      const { s, u, a, sel, f } = decoded;
      // A deltaLink starts a new round: everything changed after the last round up to now.
      state = skip !== null ? { s, u, a, sel, ...(f ? { f } : {}) } : { s, u: version, a: 0, sel, ...(f ? { f } : {}) };
    } else {
      rejectUnsupported(url, ['$filter']);
      const f = filterIdsFrom(url);
      state = { s: 0, u: version, a: 0, sel: selectFrom(url), ...(f ? { f } : {}) };
    }
    // Graph honours `Prefer: odata.maxpagesize` on delta, up to its own ceiling.
    const preferred = /odata\.maxpagesize=(\d+)/i.exec(String(req.headers['prefer'] ?? ''));
    const pageSize = preferred ? Math.max(1, Math.min(Number(preferred[1]), deltaPageSize)) : defaultDeltaPageSize;
    if (preferred) res.setHeader('Preference-Applied', `odata.maxpagesize=${pageSize}`);
    const { page, more } = state.f ? filteredRound(state, pageSize) : round(state, pageSize);
    const body: Record<string, unknown> = { '@odata.context': `${baseUrl}/$metadata#users(${state.sel.join(',')})` };
    if (more) {
      body['@odata.nextLink'] = `${baseUrl}/users/delta?$skiptoken=${newToken({ ...state, a: page[page.length - 1]!.v })}`;
    } else {
      const { sel, f } = state;
      body['@odata.deltaLink'] = `${baseUrl}/users/delta?$deltatoken=${newToken({ s: state.u, u: state.u, a: 0, sel, ...(f ? { f } : {}) })}`;
    }
    body.value = page.map((c) => {
      if (c.removed) return { '@odata.type': '#microsoft.graph.user', id: c.id ?? c.key, '@removed': { reason: c.removed } };
      const stored = users.get(c.key)!;
      return projectDelta(stored, state.sel, changedOnly ? state.s : 0);
    });
    sendJson(req, res, 200, body);
  }

  /** Whether change `c` belongs to the round (s, u]: it is the key's latest change, and (initial round) not a removal. */
  function inRound(c: Change, state: { s: number; u: number }): boolean {
    return c.v > state.s && c.v <= state.u && latest.get(c.key) === c.v && !(state.s === 0 && c.removed);
  }

  /** The next page of the round: a binary search, then the page (plus superseded entries, bounded by compaction). */
  function round(state: Omit<DeltaState, 't' | 'e' | 'g'>, pageSize: number): { page: Change[]; more: boolean } {
    const page: Change[] = [];
    for (let i = firstAfter(log, Math.max(state.s, state.a)); i < log.length; i++) {
      const c = log[i]!;
      if (c.v > state.u) break;
      if (!inRound(c, state)) continue;
      if (page.length === pageSize) return { page, more: true };
      page.push(c);
    }
    return { page, more: false };
  }

  /** The same for a $filter=id round: only the tracked ids (at most 50), in change order. */
  function filteredRound(state: Omit<DeltaState, 't' | 'e' | 'g'>, pageSize: number): { page: Change[]; more: boolean } {
    const items: Change[] = [];
    for (const id of state.f ?? []) {
      const v = latest.get(key(id));
      if (v === undefined || v <= state.a) continue;
      const at = firstAfter(log, v - 1);
      const c = log[at];
      if (c && c.v === v && inRound(c, state)) items.push(c);
    }
    items.sort((x, y) => x.v - y.v);
    return { page: items.slice(0, pageSize), more: items.length > pageSize };
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
    const k = byUpn.get(idOrUpn.toLowerCase());
    return k === undefined ? undefined : users.get(k);
  }

  function requestIds(req: IncomingMessage): { requestId: string; clientRequestId: string } {
    return requestIdsOf(req);
  }

  function sendError(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    const ids = requestIds(req);
    sendJson(req, res, status, graphErrorBody(code, message, ids, clock()), {
      ...(status === 401 ? { 'www-authenticate': 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"' } : {}),
      ...headers,
    });
  }

  const emulator: GraphEmulator = {
    baseUrl,
    get tenant(): EmulatedTenant {
      return {
        tenantId,
        displayName,
        users: order.map((k) => cloneUser(users.get(k)!.user)),
        directoryRoles: Object.fromEntries([...roles].map(([k, v]) => [findUser(k)?.user.id ?? k, [...v]])),
      };
    },
    addUser(user) {
      const k = key(user.id);
      if (users.has(k)) throw new Error(`graph emulator: user ${user.id} already exists`);
      // Re-adding a soft-deleted id replaces it (a test convenience; Graph would restore it instead).
      softDeleted.delete(k);
      deletedAt.delete(k);
      const v = record(k);
      const complete = completeGraphUser(user);
      users.set(k, { user: complete, version: v, setAt: initiallySet(complete, v) });
      insertOrdered(k);
      indexUpn(complete, k);
    },
    updateUser(id, patch) {
      const k = key(id);
      const stored = users.get(k);
      if (!stored) throw new Error(`graph emulator: no user ${id}`);
      const next = cloneUser({ ...stored.user, ...patch, id: stored.user.id } as GraphUser);
      unindexUpn(stored.user, k);
      const v = record(k);
      const setAt = new Map(stored.setAt);
      for (const [p, value] of Object.entries(patch)) if (p !== 'id' && value !== undefined) setAt.set(p, v);
      users.set(k, { user: next, version: v, setAt });
      indexUpn(next, k);
    },
    removeUser(id) {
      const k = key(id);
      const stored = takeOut(k);
      if (!stored) throw new Error(`graph emulator: no user ${id}`);
      softDeleted.set(k, stored);
      deletedAt.set(k, clock().getTime());
      record(k, { reason: 'changed', id: stored.user.id });
    },
    restoreUser(id) {
      const k = key(id);
      const stored = softDeleted.get(k);
      if (!stored) throw new Error(`graph emulator: no soft-deleted user ${id}`);
      softDeleted.delete(k);
      deletedAt.delete(k);
      const v = record(k);
      users.set(k, { ...stored, version: v });
      insertOrdered(k);
      indexUpn(stored.user, k);
    },
    permanentlyDeleteUser(id) {
      const k = key(id);
      const stored = takeOut(k) ?? softDeleted.get(k);
      if (!stored) throw new Error(`graph emulator: no user ${id}`);
      softDeleted.delete(k);
      deletedAt.delete(k);
      record(k, { reason: 'deleted', id: stored.user.id });
    },
    expireDeltaTokens() {
      generation++;
    },
    setDirectoryRoles(objectId, roleTemplateIds) {
      roles.set(key(objectId), [...roleTemplateIds]);
    },
    throttleNext(count, retryAfterSeconds, path) {
      faults.push({
        remaining: count,
        ...(path ? { path } : {}),
        response: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } },
        graphError: { code: 'TooManyRequests', message: 'Too many requests.' },
      });
    },
    failNext(count, status = 503, opts = {}) {
      const code = status === 503 ? 'serviceNotAvailable' : status === 504 ? 'gatewayTimeout' : status === 429 ? 'TooManyRequests' : 'generalException';
      faults.push({
        remaining: count,
        ...(opts.path ? { path: opts.path } : {}),
        response: { status, headers: opts.retryAfterSeconds !== undefined ? { 'retry-after': String(opts.retryAfterSeconds) } : {} },
        graphError: { code, message: `The service is temporarily unavailable (emulated ${status}).` },
      });
    },
    injectNext(count, response) {
      faults.push({ remaining: count, ...(response.path ? { path: response.path } : {}), response });
    },
    requestLog,
    get maxRequestsInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return emulator;
}

// ---------------------------------------------------------------- $filter on GET /users

/**
 * The part of Graph's $filter on /users the reader uses: startswith(userPrincipalName,'…') and
 * userPrincipalName eq '…' (default queries), not(…) and userPrincipalName eq null (advanced
 * queries), joined with and/or and parentheses. Strings compare case-insensitively, as Graph's do;
 * a null UPN makes startswith and eq unknown (OData's three-valued logic: not(unknown) is unknown,
 * and only true selects), so `not(startswith(…))` alone never selects a user without a UPN.
 */
export type UserFilter =
  | { op: 'startswith'; value: string }
  | { op: 'eq'; value: string | null }
  | { op: 'not'; arg: UserFilter }
  | { op: 'and' | 'or'; args: UserFilter[] };

export function parseUserFilter(raw: string): UserFilter {
  const unsupported = () => new GraphHttpError(400, 'Request_UnsupportedQuery', 'Unsupported or invalid query filter clause specified for property of resource \'User\'.');
  const tokens: string[] = [];
  const re = /\s*('(?:[^']|'')*'|\(|\)|,|[A-Za-z_][A-Za-z0-9_]*)/y;
  let at = 0;
  while (at < raw.length) {
    if (/^\s*$/.test(raw.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(raw);
    if (!m) throw unsupported();
    tokens.push(m[1]!);
    at = re.lastIndex;
  }
  let i = 0;
  const peek = () => tokens[i]?.toLowerCase();
  const expect = (t: string) => {
    if (peek() !== t) throw unsupported();
    i++;
  };
  const literal = (): string => {
    const t = tokens[i++];
    if (!t || !t.startsWith("'")) throw unsupported();
    return t.slice(1, -1).replace(/''/g, "'");
  };
  const or = (): UserFilter => {
    const args = [and()];
    while (peek() === 'or') {
      i++;
      args.push(and());
    }
    return args.length === 1 ? args[0]! : { op: 'or', args };
  };
  const and = (): UserFilter => {
    const args = [unary()];
    while (peek() === 'and') {
      i++;
      args.push(unary());
    }
    return args.length === 1 ? args[0]! : { op: 'and', args };
  };
  const unary = (): UserFilter => {
    const t = peek();
    if (t === 'not') {
      i++;
      expect('(');
      const arg = or();
      expect(')');
      return { op: 'not', arg };
    }
    if (t === '(') {
      i++;
      const inner = or();
      expect(')');
      return inner;
    }
    if (t === 'startswith') {
      i++;
      expect('(');
      expect('userprincipalname');
      expect(',');
      const value = literal();
      expect(')');
      return { op: 'startswith', value };
    }
    if (t === 'userprincipalname') {
      i++;
      expect('eq');
      if (peek() === 'null') {
        i++;
        return { op: 'eq', value: null };
      }
      return { op: 'eq', value: literal() };
    }
    throw unsupported();
  };
  const filter = or();
  if (i !== tokens.length) throw unsupported();
  return filter;
}

/** Graph runs not(…) and eq null only as advanced queries (ConsistencyLevel: eventual, $count=true). */
export function needsAdvancedQuery(f: UserFilter): boolean {
  if (f.op === 'not') return true;
  if (f.op === 'eq') return f.value === null;
  if (f.op === 'and' || f.op === 'or') return f.args.some(needsAdvancedQuery);
  return false;
}

/** true, false, or null (unknown), by OData's three-valued logic. */
export function evaluateUserFilter(f: UserFilter, user: GraphUser): boolean | null {
  return evaluate(f, user.userPrincipalName === null ? null : user.userPrincipalName.toLowerCase());
}

/** `upn` lower-cased once per user; the literals are lower-cased as they are compared. */
function evaluate(f: UserFilter, upn: string | null): boolean | null {
  switch (f.op) {
    case 'startswith':
      return upn === null ? null : upn.startsWith(lower(f.value));
    case 'eq':
      if (f.value === null) return upn === null;
      return upn === null ? null : upn === lower(f.value);
    case 'not': {
      const v = evaluate(f.arg, upn);
      return v === null ? null : !v;
    }
    case 'and': {
      let unknown = false;
      for (const a of f.args) {
        const v = evaluate(a, upn);
        if (v === false) return false;
        if (v === null) unknown = true;
      }
      return unknown ? null : true;
    }
    case 'or': {
      let unknown = false;
      for (const a of f.args) {
        const v = evaluate(a, upn);
        if (v === true) return true;
        if (v === null) unknown = true;
      }
      return unknown ? null : false;
    }
  }
}

const LOWER = new Map<string, string>();
function lower(s: string): string {
  let l = LOWER.get(s);
  if (l === undefined) {
    l = s.toLowerCase();
    if (LOWER.size < 10_000) LOWER.set(s, l);
  }
  return l;
}

// ---------------------------------------------------------------- helpers

const JSON_CONTENT_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

function key(id: string): string {
  return id.toLowerCase();
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The index of the first key > k in the sorted array. */
function upperBound(sorted: readonly string[], k: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of the first change numbered > v in the log (ordered by change number). */
function firstAfter(log: readonly Change[], v: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (log[mid]!.v <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isDeltaSegment(segment: string | undefined): boolean {
  const s = segment?.toLowerCase();
  return s === 'delta' || s === 'microsoft.graph.delta' || s === 'delta()' || s === 'microsoft.graph.delta()';
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

/** A new user's properties that hold a value (not null, not an empty collection): those count as set. */
function initiallySet(user: GraphUser, v: number): Map<string, number> {
  const set = new Map<string, number>();
  for (const p of MODELLED_USER_PROPERTIES) {
    const value = (user as unknown as Record<string, unknown>)[p];
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
    set.set(p, v);
  }
  return set;
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

function rejectUnsupported(url: URL, allowed: readonly string[] = []): void {
  for (const p of ['$filter', '$search', '$orderby', '$count', '$expand', '$skip']) {
    if (url.searchParams.has(p) && !allowed.includes(p)) throw new GraphHttpError(400, 'Request_UnsupportedQuery', `The Graph emulator does not support ${p}.`);
  }
}

/**
 * `$filter=id eq '…' or id eq '…'` on users/delta (the only filter Graph takes there), up to 50 ids;
 * null without a $filter.
 */
function filterIdsFrom(url: URL): string[] | null {
  const raw = url.searchParams.get('$filter');
  if (raw === null) return null;
  const ids: string[] = [];
  for (const term of raw.trim().split(/\s+or\s+/i)) {
    const m = /^\(?\s*id\s+eq\s+'([^']+)'\s*\)?$/i.exec(term.trim());
    if (!m) {
      throw new GraphHttpError(400, 'Request_UnsupportedQuery', "Unsupported query: users/delta takes $filter=id eq '{id}' (or-ed) only.");
    }
    if (!ids.some((i) => key(i) === key(m[1]!))) ids.push(m[1]!);
  }
  if (ids.length > MAX_FILTER_IDS) {
    throw new GraphHttpError(400, 'Request_UnsupportedQuery', `Number of included identifiers cannot exceed ${MAX_FILTER_IDS}.`);
  }
  return ids;
}

function valueOf(user: GraphUser, p: UserProperty): unknown {
  const v = (user as unknown as Record<string, unknown>)[p];
  if (v === undefined || v === null) return COLLECTION_PROPERTIES.has(p) ? [] : null;
  // Not copied: every answer is serialised (JSON.stringify) before anything can change the tenant,
  // so a page costs what its users cost to write out (structuredClone per array was most of it).
  return v;
}

/** GET /users and /users/{id}: every selected property, null (or []) when unset, as Graph sends. */
function project(user: GraphUser, select: readonly UserProperty[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of select) out[p] = valueOf(user, p);
  out.id = user.id;
  return out;
}

/**
 * A user in a delta answer: the selected properties that were ever set (a property never set is left
 * out); with `changedSince` > 0, only those set after that change number.
 */
function projectDelta(stored: StoredUser, select: readonly UserProperty[], changedSince: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of select) {
    if (p === 'id') continue;
    const at = stored.setAt.get(p);
    if (at === undefined || at <= changedSince) continue;
    out[p] = valueOf(stored.user, p);
  }
  out.id = stored.user.id;
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

const REQUEST_IDS = new WeakMap<IncomingMessage, { requestId: string; clientRequestId: string }>();

/**
 * One request-id per request (sent in the `request-id` header and any error's innerError), and the
 * client's `client-request-id` echoed (Graph uses the request-id when the client sent none).
 */
function requestIdsOf(req: IncomingMessage): { requestId: string; clientRequestId: string } {
  let ids = REQUEST_IDS.get(req);
  if (!ids) {
    const requestId = randomUUID();
    const sent = req.headers['client-request-id'];
    ids = { requestId, clientRequestId: typeof sent === 'string' && sent ? sent : requestId };
    REQUEST_IDS.set(req, ids);
  }
  return ids;
}

function graphErrorBody(code: string, message: string, ids: { requestId: string; clientRequestId: string }, now: Date): Record<string, unknown> {
  return {
    error: {
      code,
      message,
      innerError: {
        date: now.toISOString().replace(/\.\d+Z$/, ''),
        'request-id': ids.requestId,
        'client-request-id': ids.clientRequestId,
      },
    },
  };
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  const ids = requestIdsOf(req);
  res.writeHead(status, {
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'request-id': ids.requestId,
    'client-request-id': ids.clientRequestId,
    'cache-control': 'no-cache',
    ...headers,
  });
  res.end(text);
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
