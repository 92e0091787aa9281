/**
 * Who may plan or confirm an import (R1–R3), for every edge: the bot's `sync directory` and
 * `status`, every card click, and every call of the tab's API. The edge verifies the Teams SSO
 * token (signature, issuer, audience, that it is the sender's) and hands over the identity; this
 * reads what the decision needs — the company by tenant, the at most two service users linked to
 * the sender (an indexed query, never the roster), the Entra roles from the token's `wids` or,
 * when the token has none, from Graph `/me/memberOf` on-behalf-of — and lets the pure decision
 * (src/domain/access.ts) decide.
 *
 * A failure to read (database down, Graph unreachable, the Teams roster unreachable) is never a
 * refusal: it is logged with a code and answered ACCOUNT_CHECK_FAILED ("could not check your
 * account, try again"), so an outage never tells an administrator that they are not one.
 */
import { decideAccess, findLinkedUser, type Refusal } from '../domain/access.ts';
import { isAppError } from '../domain/errors.ts';
import type { Company, SafetyUser } from '../domain/types.ts';
import { readMemberOfRoles } from '../directory/admin-roles.ts';
import { createGraphDirectoryReader, type DirectoryReader } from '../directory/graph-reader.ts';
import type { TokenProvider } from '../directory/tokens.ts';
import type { Logger } from '../log.ts';
import type { SafetyStore } from '../store/safety-store.ts';

export interface AdminIdentity {
  /** The sender's Entra tenant (from the verified token or the authenticated activity). */
  tenantId: string | null;
  aadObjectId: string | null;
  /**
   * The sender's UPN (R18), or how to learn it (the Teams roster) — asked only when no user is
   * linked by object id. A lookup that throws is an ACCOUNT_CHECK_FAILED, not "not a user".
   */
  upn: string | null | (() => Promise<string | null>);
}

/** What the edge learnt from a Teams SSO token it verified. The token itself is never logged or stored. */
export interface VerifiedSso {
  /** Directory role template ids of the `wids` claim; null when the token has no such claim. */
  wids: readonly string[] | null;
  /** The admin's Graph credential, exchanged on-behalf-of from the token. */
  credential: TokenProvider;
}

export interface AuthorizeDeps {
  store: SafetyStore;
  log: Logger;
  graphBaseUrl: string;
  /** $top of the reader's Graph user pages. Default: the reader's (999). */
  graphPageSize?: number;
}

export interface AdminAccess<R> {
  ok: true;
  company: Company;
  user: SafetyUser;
  /** The directory read as the admin (on-behalf-of); null when only the service side was checked. */
  reader: R;
  /** The admin's Graph credential behind `reader`; null with it. */
  tokenProvider: R extends null ? null : TokenProvider;
}

export type AccessRefusal =
  | { ok: false; code: Refusal; company: Company | null }
  /** AADSTS65001: an Entra administrator must consent to the app first; no sign-in fixes it. */
  | { ok: false; code: 'CONSENT_REQUIRED'; company: Company; adminConsentUrl: string | null }
  /** The SSO token could not be exchanged (expired, revoked): sign in again. */
  | { ok: false; code: 'SIGN_IN_REQUIRED'; company: Company; message: string }
  /** Something the check needs could not be read; logged with `reason`. Try again. */
  | { ok: false; code: 'ACCOUNT_CHECK_FAILED'; company: Company | null; reason: string };

export type AuthorizeResult<R> = AdminAccess<R> | AccessRefusal;

export type AccessCode = AccessRefusal['code'];

/** Service side only (R1, R3, systemAdmin): before a sign-in is asked for, or a recorded check re-read. */
export async function authorizeAdmin(deps: AuthorizeDeps, who: AdminIdentity, sso: null, options?: { signal?: AbortSignal }): Promise<AuthorizeResult<null>>;
/** The whole decision, with R2's Entra part read from the verified token (or /me/memberOf). */
export async function authorizeAdmin(
  deps: AuthorizeDeps,
  who: AdminIdentity,
  sso: VerifiedSso,
  options?: { signal?: AbortSignal },
): Promise<AuthorizeResult<DirectoryReader>>;
export async function authorizeAdmin(
  deps: AuthorizeDeps,
  who: AdminIdentity,
  sso: VerifiedSso | null,
  options: { signal?: AbortSignal } = {},
): Promise<AuthorizeResult<DirectoryReader | null>> {
  const { store, log } = deps;
  if (!who.tenantId) return { ok: false, code: 'TENANT_NOT_LINKED', company: null };
  const failed = (company: Company | null, reason: string, e: unknown): AccessRefusal => {
    log.error('access.check_failed', { reason, code: isAppError(e) ? e.code : 'INTERNAL', companyId: company?.id ?? null, error: e });
    return { ok: false, code: 'ACCOUNT_CHECK_FAILED', company, reason };
  };

  let company: Company | null;
  let candidates: SafetyUser[];
  let upn: string | null = typeof who.upn === 'function' ? null : who.upn;
  try {
    company = await store.findCompanyByTenant(who.tenantId);
  } catch (e) {
    return failed(null, 'STORE_UNAVAILABLE', e);
  }
  if (!company) return { ok: false, code: 'TENANT_NOT_LINKED', company: null };
  try {
    candidates = await store.findLinkCandidates(company.id, { aadObjectId: who.aadObjectId, upn });
  } catch (e) {
    return failed(company, 'STORE_UNAVAILABLE', e);
  }
  if (typeof who.upn === 'function' && !findLinkedUser(candidates, who.aadObjectId, null)) {
    try {
      upn = await who.upn();
    } catch (e) {
      return failed(company, 'ROSTER_UNAVAILABLE', e);
    }
    if (upn) {
      try {
        candidates = await store.findLinkCandidates(company.id, { aadObjectId: who.aadObjectId, upn });
      } catch (e) {
        return failed(company, 'STORE_UNAVAILABLE', e);
      }
    }
  }
  const identity = { company, users: candidates, aadObjectId: who.aadObjectId, upn };
  const serviceSide = decideAccess({ ...identity, roleTemplateIds: null });
  if (!serviceSide.allowed) return { ok: false, code: serviceSide.reason, company };
  if (!sso) return { ok: true, company, user: serviceSide.user, reader: null, tokenProvider: null };

  const tokenProvider = sso.credential;
  let wids: readonly string[];
  try {
    // The exchange is tried now, so missing consent or an unusable sign-in shows before anything is read.
    await tokenProvider.getToken(options.signal ? { signal: options.signal } : {});
    wids = sso.wids ?? (await readMemberOfRoles(deps.graphBaseUrl, tokenProvider, options.signal ? { signal: options.signal } : {}));
  } catch (e) {
    if (isAppError(e) && e.code === 'CONSENT_REQUIRED') {
      const url = typeof e.details.adminConsentUrl === 'string' ? e.details.adminConsentUrl : null;
      return { ok: false, code: 'CONSENT_REQUIRED', company, adminConsentUrl: url };
    }
    if (isAppError(e) && e.code === 'TOKEN_UNAVAILABLE') return { ok: false, code: 'SIGN_IN_REQUIRED', company, message: e.message };
    return failed(company, 'ENTRA_ROLES_UNAVAILABLE', e);
  }
  const decision = decideAccess({ ...identity, roleTemplateIds: wids });
  if (!decision.allowed) return { ok: false, code: decision.reason, company };
  const reader = createGraphDirectoryReader({
    graphBaseUrl: deps.graphBaseUrl,
    tokenProvider,
    ...(deps.graphPageSize ? { pageSize: deps.graphPageSize } : {}),
  });
  return { ok: true, company, user: decision.user, reader, tokenProvider };
}
