/**
 * Per-company SCIM bearer tokens (DESIGN S1, S12): a random secret shown once,
 * stored only as its SHA-256 hash, looked up by hash and compared in constant
 * time; revoked tokens are refused.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../domain/errors.ts';
import type { Sql } from './database.ts';
import { iso } from './rows.ts';

export interface ScimToken {
  id: string;
  companyId: string;
  label: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

interface TokenRow {
  id: string;
  company_id: string;
  token_hash: string;
  label: string;
  created_at: Date | string;
  created_by: string;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
}

const toToken = (r: TokenRow): ScimToken => ({
  id: r.id,
  companyId: r.company_id,
  label: r.label,
  createdAt: iso(r.created_at),
  createdBy: r.created_by,
  lastUsedAt: r.last_used_at === null ? null : iso(r.last_used_at),
  revokedAt: r.revoked_at === null ? null : iso(r.revoked_at),
});

const TOKEN_PREFIX = 'scim_';
const MAX_TOKEN_LENGTH = 512;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The token that identifies the company behind a SCIM request, and the actor its changes are recorded as. */
export const tokenActor = (t: ScimToken): string => `scim:${t.label.trim() || t.id}`;

export class ScimTokenStore {
  constructor(private readonly db: Sql) {}

  /** A new token: the secret is returned here once and never stored. */
  async issue(companyId: string, label: string, createdBy: string): Promise<{ token: string; info: ScimToken }> {
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const [row] = await this.db.query<TokenRow>(
      `insert into scim_tokens (company_id, token_hash, label, created_by) values ($1, $2, $3, $4) returning *`,
      [companyId, hashToken(token), label, createdBy],
    );
    return { token, info: toToken(row!) };
  }

  async list(companyId: string): Promise<ScimToken[]> {
    const rows = await this.db.query<TokenRow>(
      'select * from scim_tokens where company_id = $1 order by created_at, id',
      [companyId],
    );
    return rows.map(toToken);
  }

  /** Revokes a token of this company (revoking twice is harmless); unknown ids are NOT_FOUND. */
  async revoke(companyId: string, tokenId: string): Promise<ScimToken> {
    if (!UUID_RE.test(tokenId)) throw new AppError('NOT_FOUND', 'SCIM token not found.');
    const [row] = await this.db.query<TokenRow>(
      `update scim_tokens set revoked_at = coalesce(revoked_at, now()) where company_id = $1 and id = $2 returning *`,
      [companyId, tokenId],
    );
    if (!row) throw new AppError('NOT_FOUND', 'SCIM token not found.');
    return toToken(row);
  }

  /**
   * The live token a presented secret belongs to, or null (unknown, revoked, malformed). One indexed
   * statement per request, never cached: a revocation on any instance is seen by the next request.
   * It also records the last use, at most one write a minute per token, not one per request.
   */
  async authenticate(presented: string): Promise<ScimToken | null> {
    if (presented.length === 0 || presented.length > MAX_TOKEN_LENGTH) return null;
    const hash = hashToken(presented);
    const [row] = await this.db.query<TokenRow>(
      `with t as (select id, company_id, token_hash, label, created_at, created_by, last_used_at, revoked_at
                   from scim_tokens where token_hash = $1),
            touched as (update scim_tokens s set last_used_at = now() from t
                         where s.id = t.id and t.revoked_at is null
                           and (t.last_used_at is null or t.last_used_at < now() - interval '1 minute'))
       select * from t`,
      [hash],
      { name: 'scim-token-authenticate' },
    );
    if (!row) return null;
    const stored = Buffer.from(row.token_hash, 'hex');
    const given = Buffer.from(hash, 'hex');
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return null;
    if (row.revoked_at !== null) return null;
    return toToken(row);
  }
}
