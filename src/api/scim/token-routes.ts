/**
 * SCIM tokens in the admin API (DESIGN S1, S12), behind the same API key as
 * /api/v1: issue (the secret is shown once), list (never the secret), revoke.
 */
import type { Server } from 'restify';
import { z } from 'zod';
import { AppError } from '../../domain/errors.ts';
import type { Logger } from '../../log.ts';
import type { SafetyStore } from '../../store/safety-store.ts';
import { ScimTokenStore, type ScimToken } from '../../store/scim-tokens.ts';
import { bearerToken, jsonBody, param, parse, route, secretsEqual } from '../http.ts';

export interface ScimTokenRouteDeps {
  store: SafetyStore;
  apiKey: string;
  log: Logger;
}

const IssueBody = z.object({ label: z.string().trim().max(100).optional() }).strict();

const publicToken = (t: ScimToken) => ({
  id: t.id,
  label: t.label,
  createdAt: t.createdAt,
  createdBy: t.createdBy,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
});

export function registerScimTokenRoutes(server: Server, deps: ScimTokenRouteDeps): void {
  const { store, log } = deps;
  const tokens = new ScimTokenStore(store.db);
  const base = '/api/v1/companies/:cid/scim-tokens';
  const h = (fn: Parameters<typeof route>[1]) =>
    route(log, async (req, res) => {
      const key = bearerToken(req);
      if (!key || !secretsEqual(key, deps.apiKey)) {
        throw new AppError('UNAUTHORIZED', 'A valid API key is required (Authorization: Bearer …).');
      }
      await fn(req, res);
    });

  server.post(base, h(async (req, res) => {
    const cid = param(req, 'cid');
    const body = parse(IssueBody, jsonBody(req));
    await store.getCompany(cid);
    const { token, info } = await tokens.issue(cid, body.label ?? '', 'api');
    log.info('scim.token_issued', { companyId: cid, credentialId: info.id, label: info.label });
    res.setHeader('cache-control', 'no-store');
    res.send(201, { id: info.id, token, label: info.label, createdAt: info.createdAt });
  }));

  server.get(base, h(async (req, res) => {
    const cid = param(req, 'cid');
    await store.getCompany(cid);
    res.send(200, (await tokens.list(cid)).map(publicToken));
  }));

  server.del(`${base}/:tid`, h(async (req, res) => {
    const cid = param(req, 'cid');
    await store.getCompany(cid);
    const revoked = await tokens.revoke(cid, param(req, 'tid'));
    log.info('scim.token_revoked', { companyId: cid, credentialId: revoked.id });
    res.send(204);
  }));
}
