/**
 * Keeps the admin's Graph token between pages and asks the on-behalf-of provider again only when it
 * is within two minutes of expiry, so a long read renews it in time (msal renews from the SSO token;
 * once that has expired too, the read stops with TOKEN_UNAVAILABLE and the admin is asked to sign in).
 */
import type { TokenProvider } from '../../directory/tokens.ts';

const RENEW_BEFORE_EXPIRY_IN_MS = 120_000;

export function cachingProvider(inner: TokenProvider, clock: () => Date = () => new Date()): TokenProvider {
  let token: string | null = null;
  let expiresAt = 0;
  return {
    async getToken(options) {
      if (token && clock().getTime() < expiresAt - RENEW_BEFORE_EXPIRY_IN_MS) return token;
      const next = await inner.getToken(options);
      token = next;
      expiresAt = expiryOf(next);
      return next;
    },
  };
}

/** The `exp` of a JWT in milliseconds; 0 when it has none (then it is asked for again each time). */
function expiryOf(jwt: string): number {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}
