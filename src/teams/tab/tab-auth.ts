/**
 * Who is calling the configuration tab's API: the Teams SSO token in the Authorization header,
 * verified and decided exactly as the bot does (../sso-access.ts -> src/sync/authorize.ts: R1–R3,
 * the Entra role from `wids` or /me/memberOf). Nothing is read before that passes.
 */
import { decodeJwt } from 'jose';
import { AppError } from '../../domain/errors.ts';
import type { Refusal } from '../../domain/access.ts';
import type { Company, SafetyUser } from '../../domain/types.ts';
import type { DirectoryReader } from '../../directory/graph-reader.ts';
import type { Logger } from '../../log.ts';
import type { SafetyStore } from '../../store/safety-store.ts';
import type { SsoSource } from '../bot/context.ts';
import { authorizeSsoToken } from '../sso-access.ts';
import type { SigningKeyCache, VerifiedUser } from '../sso.ts';

export interface TabCaller {
  company: Company;
  user: SafetyUser;
  verified: VerifiedUser;
  /** The directory, read as the caller (on-behalf-of). */
  reader: DirectoryReader;
}

const REFUSAL_TEXT: Record<Refusal, string> = {
  TENANT_NOT_LINKED: 'Your Entra tenant is not linked to a company in the safety service.',
  PLAN_NOT_ELIGIBLE: 'Directory import needs the premier plan or above.',
  NOT_A_SERVICE_USER: 'You are not a user of the safety service.',
  NOT_SYSTEM_ADMIN: 'Only system administrators of the safety service can use this page.',
  NO_ENTRA_ROLE: 'You need the Cloud Application Administrator role (or higher) in Entra ID.',
  IDENTITY_MISMATCH: 'The sign-in does not match your Teams identity.',
};

export interface TabAuthDeps {
  store: SafetyStore;
  log: Logger;
  graphBaseUrl: string;
  sso: () => Promise<SsoSource | null>;
  keys?: SigningKeyCache;
}

export async function authenticateTabCaller(authorization: string | undefined, deps: TabAuthDeps): Promise<TabCaller> {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (!m) throw new AppError('UNAUTHORIZED', 'Sign in with Teams to use this page.');
  const token = m[1]!;
  let source: SsoSource | null;
  try {
    source = await deps.sso();
  } catch (e) {
    deps.log.error('access.check_failed', { reason: 'SSO_UNAVAILABLE', code: 'SSO_UNAVAILABLE', error: e });
    throw new AppError('ACCOUNT_CHECK_FAILED', 'Your account could not be checked right now; try again.');
  }
  if (!source) throw new AppError('UNAUTHORIZED', 'Teams single sign-on is not configured on this server (AAD_APP_*).');
  let tid: string;
  try {
    const claims = decodeJwt(token);
    if (typeof claims.tid !== 'string' || !claims.tid) throw new Error('no tid');
    tid = claims.tid;
  } catch {
    throw new AppError('UNAUTHORIZED', 'The sign-in token is not valid.');
  }
  const access = await authorizeSsoToken(
    { store: deps.store, log: deps.log, graphBaseUrl: deps.graphBaseUrl, ...(deps.keys ? { keys: deps.keys } : {}) },
    token,
    source.settings,
    { tenantId: tid, aadObjectId: null },
  );
  if (access.ok) return { company: access.company, user: access.user, verified: access.verified, reader: access.reader };
  switch (access.code) {
    case 'SIGN_IN_INVALID':
      throw new AppError('UNAUTHORIZED', access.reason === 'expired' ? 'Your sign-in has expired; reload the tab.' : 'The sign-in token is not valid.', {
        reason: access.reason,
      });
    case 'SIGN_IN_REQUIRED':
      throw new AppError('UNAUTHORIZED', 'Your sign-in could not be used to read the directory; reload the tab.', { reason: 'SIGN_IN_REQUIRED' });
    case 'CONSENT_REQUIRED':
      throw new AppError('CONSENT_REQUIRED', 'An Entra administrator must grant Safety Sync admin consent first.', {
        reason: 'CONSENT_REQUIRED',
        ...(access.adminConsentUrl ? { adminConsentUrl: access.adminConsentUrl } : {}),
      });
    case 'ACCOUNT_CHECK_FAILED':
      throw new AppError('ACCOUNT_CHECK_FAILED', 'Your account could not be checked right now; try again.', { reason: 'ACCOUNT_CHECK_FAILED' });
    default:
      throw new AppError('FORBIDDEN', REFUSAL_TEXT[access.code], { reason: access.code });
  }
}
