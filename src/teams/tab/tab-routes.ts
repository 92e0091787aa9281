/**
 * The configuration tab: the page at /tab and its API under /api/tab/*.
 * Initial password, deletion guard, schedule, SCIM tokens, history, preview
 * with the full lists, undo, and disconnect — each call authenticated by the
 * Teams SSO token and the R1–R3 decision (tab-auth.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import { jsonBody, param, parse, route } from '../../api/http.ts';
import { AppError } from '../../domain/errors.ts';
import type { Logger } from '../../log.ts';
import type { SafetyStore } from '../../store/safety-store.ts';
import { ScimTokenStore } from '../../store/scim-tokens.ts';
import { historyCsv } from '../../sync/history.ts';
import type { SyncService } from '../../sync/sync-service.ts';
import type { SsoSource } from '../bot/context.ts';
import type { SigningKeyCache } from '../sso.ts';
import { authenticateTabCaller, type TabCaller } from './tab-auth.ts';

export interface TabDeps {
  store: SafetyStore;
  sync: SyncService;
  log: Logger;
  graphBaseUrl: string;
  sso: () => Promise<SsoSource | null>;
  /** Demo only: hands the page a token for the demo administrator when it runs outside Teams. */
  demoAdminObjectId?: string;
  publicBaseUrl?: string;
  /** The authority's signing keys (default: the process's bounded cache). */
  signingKeys?: SigningKeyCache;
}

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');
const STATIC_FILES: Record<string, string> = {
  'tab.js': 'text/javascript; charset=utf-8',
  'tab.css': 'text/css; charset=utf-8',
};

const Settings = z
  .object({
    initialPassword: z.string().min(8).max(128).optional(),
    deletionThreshold: z.number().int().min(0).max(10_000_000).optional(),
    schedule: z.string().trim().max(100).nullable().optional(),
  })
  .strict();
const ApplyBody = z.object({ confirmDeletions: z.boolean().optional() }).strict();
const TokenBody = z.object({ label: z.string().trim().max(100).default('') }).strict();
const Empty = z.object({}).strict();

function teamsJsPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@microsoft/teams-js/package.json')), 'dist', 'umd', 'MicrosoftTeams.min.js');
}

export function registerTabRoutes(server: Server, deps: TabDeps): void {
  const { store, sync, log } = deps;
  const tokens = new ScimTokenStore(store.db);
  const html = readFileSync(join(STATIC_DIR, 'index.html'), 'utf8');

  const page = async (_req: Request, res: Response) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    // Teams hosts the tab in an iframe; only Teams and this server may frame it.
    res.setHeader('content-security-policy', "frame-ancestors 'self' https://teams.microsoft.com https://*.teams.microsoft.com https://*.cloud.microsoft https://*.office.com");
    res.sendRaw(200, html);
  };
  server.get('/tab', page);
  server.get('/tab/', page);
  server.get('/tab/static/:file', async (req, res) => {
    const file = String(req.params.file ?? '');
    const type = STATIC_FILES[file];
    if (!type) {
      res.send(404, { error: { code: 'NOT_FOUND', message: 'Not found.' } });
      return;
    }
    res.setHeader('content-type', type);
    res.sendRaw(200, readFileSync(join(STATIC_DIR, file)));
  });
  server.get('/tab/static/teams-js.js', async (_req, res) => {
    res.setHeader('content-type', 'text/javascript; charset=utf-8');
    res.sendRaw(200, readFileSync(teamsJsPath()));
  });

  const h = (fn: (caller: TabCaller, req: Request, res: Response) => Promise<void>) =>
    route(log, async (req, res) => {
      const caller = await authenticateTabCaller(req.header('authorization'), {
        store,
        log,
        graphBaseUrl: deps.graphBaseUrl,
        sso: deps.sso,
        ...(deps.signingKeys ? { keys: deps.signingKeys } : {}),
      });
      await fn(caller, req, res);
    });
  const who = (c: TabCaller) => `teams:${c.user.loginName}`;

  server.get('/api/tab/demo-token', route(log, async (_req, res) => {
    const source = await deps.sso();
    if (!deps.demoAdminObjectId || !source?.silentToken) throw new AppError('NOT_FOUND', 'Not found.');
    res.setHeader('cache-control', 'no-store');
    res.send(200, { token: await source.silentToken(deps.demoAdminObjectId) });
  }));

  server.get('/api/tab/context', h(async (c, _req, res) => {
    res.send(200, {
      company: c.company,
      settings: await store.getSettings(c.company.id),
      user: { name: c.user.name, loginName: c.user.loginName },
      scimUrl: deps.publicBaseUrl ? `${deps.publicBaseUrl.replace(/\/+$/, '')}/scim/v2` : '/scim/v2',
    });
  }));
  server.patch('/api/tab/settings', h(async (c, req, res) => {
    const body = parse(Settings, jsonBody(req));
    if (body.schedule) {
      const { nextRunAfter } = await import('../../sync/scheduler.ts');
      try {
        nextRunAfter(body.schedule, new Date());
      } catch {
        throw new AppError('VALIDATION_FAILED', 'schedule: must be a cron expression such as "0 3 * * *"');
      }
    }
    res.send(200, await store.updateSettings(c.company.id, body));
  }));
  server.post('/api/tab/plans', h(async (c, req, res) => {
    parse(Empty, jsonBody(req));
    res.send(201, await sync.createPlan(c.company.id, c.reader, { requestedBy: who(c), source: 'tab' }));
  }));
  server.get('/api/tab/plans/:pid', h(async (c, req, res) => {
    res.send(200, await sync.getPlan(c.company.id, param(req, 'pid')));
  }));
  server.post('/api/tab/plans/:pid/apply', h(async (c, req, res) => {
    const body = parse(ApplyBody, jsonBody(req));
    const { run } = await sync.apply(c.company.id, param(req, 'pid'), { confirmedBy: who(c), confirmDeletions: body.confirmDeletions });
    res.send(200, run);
  }));
  server.post('/api/tab/plans/:pid/cancel', h(async (c, req, res) => {
    res.send(200, await sync.cancel(c.company.id, param(req, 'pid'), who(c)));
  }));
  server.post('/api/tab/undo-plans', h(async (c, req, res) => {
    parse(Empty, jsonBody(req));
    res.send(201, await sync.createUndoPlan(c.company.id, who(c)));
  }));
  server.get('/api/tab/runs', h(async (c, _req, res) => {
    res.send(200, await store.listRuns(c.company.id, 20));
  }));
  server.get('/api/tab/history', h(async (c, _req, res) => {
    res.send(200, await store.listChanges(c.company.id, { limit: 200 }));
  }));
  server.get('/api/tab/history.csv', h(async (c, _req, res) => {
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', 'attachment; filename="safety-sync-history.csv"');
    res.sendRaw(200, historyCsv(await store.listChanges(c.company.id, { limit: 100_000 })));
  }));
  server.get('/api/tab/scim-tokens', h(async (c, _req, res) => {
    res.send(200, await tokens.list(c.company.id));
  }));
  server.post('/api/tab/scim-tokens', h(async (c, req, res) => {
    const { label } = parse(TokenBody, jsonBody(req));
    const { token, info } = await tokens.issue(c.company.id, label, who(c));
    // The secret is shown once: no browser or proxy cache may keep it.
    res.setHeader('cache-control', 'no-store');
    res.send(201, { ...info, token });
  }));
  server.del('/api/tab/scim-tokens/:tid', h(async (c, req, res) => {
    await tokens.revoke(c.company.id, param(req, 'tid'));
    res.send(204);
  }));
  // Disconnect: the company forgets its tenant, the schedule stops, SCIM tokens are revoked.
  // User links stay (R20): reconnecting the same tenant finds the same people.
  server.post('/api/tab/disconnect', h(async (c, req, res) => {
    parse(Empty, jsonBody(req));
    for (const t of await tokens.list(c.company.id)) if (!t.revokedAt) await tokens.revoke(c.company.id, t.id);
    await store.updateSettings(c.company.id, { schedule: null });
    const company = await store.updateCompany(c.company.id, { entraTenantId: null });
    log.info('tab.disconnected', { companyId: c.company.id, by: who(c) });
    res.send(200, company);
  }));
}
