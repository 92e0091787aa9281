/**
 * A Teams SSO token to an admin, the same way for the bot (sign-in, card clicks) and the tab:
 * verify the token (./sso.ts; keys only for tenants that belong to a company, defect 5), then the
 * one decision of src/sync/authorize.ts. Edges differ only in how they word the answer.
 */
import type { DirectoryReader } from '../directory/graph-reader.ts';
import type { TokenProvider } from '../directory/tokens.ts';
import type { Logger } from '../log.ts';
import type { SafetyStore } from '../store/safety-store.ts';
import { authorizeAdmin, type AccessRefusal, type AdminAccess } from '../sync/authorize.ts';
import { graphTokenProviderFor, SsoTokenError, verifySsoToken, type SigningKeyCache, type SsoFailure, type SsoSettings, type VerifiedUser } from './sso.ts';

export interface SsoAccessDeps {
  store: SafetyStore;
  log: Logger;
  graphBaseUrl: string;
  graphPageSize?: number;
  /** Wraps the on-behalf-of credential (the bot keeps its token between pages). Default: as is. */
  wrapCredential?: (provider: TokenProvider) => TokenProvider;
  keys?: SigningKeyCache;
}

export type SsoAccess =
  | (AdminAccess<DirectoryReader> & { verified: VerifiedUser })
  | AccessRefusal
  /** The token itself was refused (not ours, expired, another user's): nothing was read. */
  | { ok: false; code: 'SIGN_IN_INVALID'; reason: Exclude<SsoFailure, 'unavailable' | 'unknown_tenant'>; company: null };

export async function authorizeSsoToken(
  deps: SsoAccessDeps,
  token: string,
  settings: SsoSettings,
  expected: { tenantId: string; aadObjectId: string | null },
  options: { signal?: AbortSignal } = {},
): Promise<SsoAccess> {
  const { store, log } = deps;
  let verified: VerifiedUser;
  try {
    verified = await verifySsoToken(token, settings, expected, {
      isKnownTenant: async (tid) => (await store.findCompanyByTenant(tid)) !== null,
      ...(deps.keys ? { keys: deps.keys } : {}),
    });
  } catch (e) {
    if (e instanceof SsoTokenError) {
      if (e.reason === 'unknown_tenant') return { ok: false, code: 'TENANT_NOT_LINKED', company: null };
      if (e.reason === 'unavailable') {
        log.error('access.check_failed', { reason: 'SIGNING_KEYS_UNAVAILABLE', code: 'SIGNING_KEYS_UNAVAILABLE' });
        return { ok: false, code: 'ACCOUNT_CHECK_FAILED', company: null, reason: 'SIGNING_KEYS_UNAVAILABLE' };
      }
      return { ok: false, code: 'SIGN_IN_INVALID', reason: e.reason, company: null };
    }
    log.error('access.check_failed', { reason: 'STORE_UNAVAILABLE', code: 'STORE_UNAVAILABLE', error: e });
    return { ok: false, code: 'ACCOUNT_CHECK_FAILED', company: null, reason: 'STORE_UNAVAILABLE' };
  }
  const obo = graphTokenProviderFor(token, settings);
  const credential = deps.wrapCredential ? deps.wrapCredential(obo) : obo;
  const result = await authorizeAdmin(
    { store, log, graphBaseUrl: deps.graphBaseUrl, ...(deps.graphPageSize ? { graphPageSize: deps.graphPageSize } : {}) },
    { tenantId: verified.tenantId, aadObjectId: verified.aadObjectId, upn: verified.upn },
    { wids: verified.wids, credential },
    options,
  );
  return result.ok ? { ...result, verified } : result;
}
