/**
 * Who is calling the configuration tab's API: the Teams SSO token in the
 * Authorization header, verified (signature, issuer, audience, expiry), then
 * the same R1–R3 decision as the bot. Nothing is read before that passes.
 */
import { decodeJwt } from 'jose';
import { AppError } from '../../domain/errors.ts';
import type { Company, SafetyUser } from '../../domain/types.ts';
import type { SafetyStore } from '../../store/safety-store.ts';
import { decideAccess, type Refusal } from '../access.ts';
import type { SsoSource } from '../bot.ts';
import { SsoTokenError, verifySsoToken, type VerifiedUser } from '../sso.ts';

export interface TabCaller {
  company: Company;
  user: SafetyUser;
  verified: VerifiedUser;
  /** The SSO token itself, for the on-behalf-of exchange; never logged or returned. */
  ssoToken: string;
}

const REFUSAL_TEXT: Record<Refusal, string> = {
  TENANT_NOT_LINKED: 'Your Entra tenant is not linked to a company in the safety service.',
  PLAN_NOT_ELIGIBLE: 'Directory import needs the premier plan or above.',
  NOT_A_SERVICE_USER: 'You are not a user of the safety service.',
  NOT_SYSTEM_ADMIN: 'Only system administrators of the safety service can use this page.',
  NO_ENTRA_ROLE: 'You need the Cloud Application Administrator role (or higher) in Entra ID.',
  IDENTITY_MISMATCH: 'The sign-in does not match your Teams identity.',
};

export async function authenticateTabCaller(
  authorization: string | undefined,
  deps: { store: SafetyStore; sso: () => Promise<SsoSource | null> },
): Promise<TabCaller> {
  const m = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? '');
  if (!m) throw new AppError('UNAUTHORIZED', 'Sign in with Teams to use this page.');
  const token = m[1]!;
  const source = await deps.sso();
  if (!source) throw new AppError('UNAUTHORIZED', 'Teams single sign-on is not configured on this server (AAD_APP_*).');
  let tid: string;
  try {
    const claims = decodeJwt(token);
    if (typeof claims.tid !== 'string' || !claims.tid) throw new Error('no tid');
    tid = claims.tid;
  } catch {
    throw new AppError('UNAUTHORIZED', 'The sign-in token is not valid.');
  }
  let verified: VerifiedUser;
  try {
    verified = await verifySsoToken(token, source.settings, { tenantId: tid, aadObjectId: null });
  } catch (e) {
    if (e instanceof SsoTokenError) {
      throw new AppError('UNAUTHORIZED', e.reason === 'expired' ? 'Your sign-in has expired; reload the tab.' : 'The sign-in token is not valid.', {
        reason: e.reason,
      });
    }
    throw e;
  }
  const company = await deps.store.findCompanyByTenant(verified.tenantId);
  const users = company ? await deps.store.listUsers(company.id) : [];
  const decision = decideAccess({
    company,
    users,
    aadObjectId: verified.aadObjectId,
    upn: verified.upn,
    // Teams SSO tokens carry wids when the app registration asks for DirectoryRole claims (R2).
    roleTemplateIds: verified.wids ?? [],
  });
  if (!decision.allowed) {
    throw new AppError('FORBIDDEN', REFUSAL_TEXT[decision.reason], { reason: decision.reason });
  }
  return { company: company!, user: decision.user, verified, ssoToken: token };
}
