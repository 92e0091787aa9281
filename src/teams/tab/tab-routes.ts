/**
 * The configuration tab: the page at /tab and its API under /api/tab/*.
 * Initial password, deletion guard, schedule, SCIM tokens, history, preview
 * with the full lists, undo, and disconnect — each call authenticated by the
 * Teams SSO token and the R1–R3 decision (tab-auth.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import { jsonBody, param, parse, route } from '../../api/http.ts';
import { skippedUsersPage } from '../../api/skipped-users.ts';
import { AppError } from '../../domain/errors.ts';
import type { Logger } from '../../log.ts';
import { inlineSkippedUsers, type SafetyStore } from '../../store/safety-store.ts';
import { ScimTokenStore } from '../../store/scim-tokens.ts';
import { historyCsv, type CsvLanguage } from '../../sync/history.ts';
import { isTimeZone, nextRunAfter } from '../../sync/scheduler.ts';
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
  /** For the next scheduled run. Default: the wall clock. */
  clock?: () => Date;
}

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');
/** The page's bundle (React, Fluent UI, teams-js), built by `npm run build:tab` (scripts/build-tab.ts). */
export const TAB_BUILD_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'build', 'tab');
const STATIC_FILES: Record<string, string> = {
  'tab.js': 'text/javascript; charset=utf-8',
};

const Settings = z
  .object({
    initialPassword: z.string().min(8).max(128).optional(),
    deletionThreshold: z.number().int().min(0).max(10_000_000).optional(),
    schedule: z.string().trim().max(100).nullable().optional(),
    timeZone: z.string().trim().max(64).refine(isTimeZone, 'must be an IANA time zone such as "Asia/Tokyo"').optional(),
  })
  .strict();
const CsvQuery = z.object({
  lang: z.enum(['en', 'ja']).optional(),
  tz: z.string().max(64).refine(isTimeZone, 'must be an IANA time zone such as "Asia/Tokyo"').optional(),
});
const ApplyBody = z.object({ confirmDeletions: z.boolean().optional() }).strict();
const TokenBody = z.object({ label: z.string().trim().max(100).default('') }).strict();
const Empty = z.object({}).strict();

/** Who did something, as the page names them. */
export interface Actor {
  kind: 'person' | 'schedule' | 'scim' | 'api' | 'cli' | 'unknown';
  name: string | null;
}

export function registerTabRoutes(server: Server, deps: TabDeps): void {
  const { store, sync, log } = deps;
  const now = deps.clock ?? (() => new Date());
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
  // The SCIM setup guide the tab links to (docs/scim.md), as text the browser shows.
  const guide = join(TAB_BUILD_DIR, '..', '..', 'docs', 'scim.md');
  server.get('/tab/scim-guide', async (_req, res) => {
    if (!existsSync(guide)) {
      res.send(404, { error: { code: 'NOT_FOUND', message: 'Not found.' } });
      return;
    }
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.sendRaw(200, readFileSync(guide));
  });
  server.get('/tab/static/:file', async (req, res) => {
    const file = String(req.params.file ?? '');
    const type = STATIC_FILES[file];
    if (!type) {
      res.send(404, { error: { code: 'NOT_FOUND', message: 'Not found.' } });
      return;
    }
    const path = join(TAB_BUILD_DIR, file);
    if (!existsSync(path)) {
      res.send(503, { error: { code: 'TAB_NOT_BUILT', message: 'The tab is not built: run npm run build:tab.' } });
      return;
    }
    res.setHeader('content-type', type);
    res.sendRaw(200, readFileSync(path));
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

  /**
   * People by name, not by their recorded actor: `teams:AlexW@…` and `api:AlexW@…` become the service
   * user's display name; the schedule, SCIM and the CLI keep a kind the page words itself.
   */
  const actorNames = (companyId: string) => {
    const cache = new Map<string, Promise<string | null>>();
    const lookup = (loginName: string) => {
      let p = cache.get(loginName.toLowerCase());
      if (!p) {
        p = store.findUserByLoginName(companyId, loginName).then((u) => u?.name ?? null, () => null);
        cache.set(loginName.toLowerCase(), p);
      }
      return p;
    };
    return async (actor: string | null): Promise<Actor> => {
      if (!actor) return { kind: 'unknown', name: null };
      if (actor === 'schedule') return { kind: 'schedule', name: null };
      const m = /^(teams|api|cli|scim):(.*)$/.exec(actor);
      if (!m) return { kind: 'person', name: (await lookup(actor)) ?? actor };
      const kind = m[1] as 'teams' | 'api' | 'cli' | 'scim';
      if (kind === 'scim') return { kind: 'scim', name: m[2] || null };
      return { kind: kind === 'teams' ? 'person' : kind, name: (await lookup(m[2]!)) ?? (m[2] || null) };
    };
  };
  const withNames = async (companyId: string, runs: Awaited<ReturnType<SafetyStore['listRuns']>>) => {
    const name = actorNames(companyId);
    return Promise.all(runs.map(async (r) => ({ ...r, confirmedByActor: await name(r.confirmedBy), requestedByActor: await name(r.requestedBy) })));
  };

  server.get('/api/tab/demo-token', route(log, async (_req, res) => {
    const source = await deps.sso();
    if (!deps.demoAdminObjectId || !source?.silentToken) throw new AppError('NOT_FOUND', 'Not found.');
    res.setHeader('cache-control', 'no-store');
    res.send(200, { token: await source.silentToken(deps.demoAdminObjectId) });
  }));

  server.get('/api/tab/context', h(async (c, _req, res) => {
    res.send(200, {
      company: c.company,
      settings: { ...(await store.getSettings(c.company.id)), timeZone: await store.getTimeZone(c.company.id) },
      user: { name: c.user.name, loginName: c.user.loginName },
      scimUrl: deps.publicBaseUrl ? `${deps.publicBaseUrl.replace(/\/+$/, '')}/scim/v2` : '/scim/v2',
    });
  }));
  server.patch('/api/tab/settings', h(async (c, req, res) => {
    const { timeZone, ...body } = parse(Settings, jsonBody(req));
    if (body.schedule) {
      try {
        nextRunAfter(body.schedule, new Date());
      } catch {
        throw new AppError('VALIDATION_FAILED', 'schedule: must be a cron expression such as "0 3 * * *"', { field: 'schedule' });
      }
    }
    const settings = await store.updateSettings(c.company.id, body);
    const tz = timeZone === undefined ? await store.getTimeZone(c.company.id) : await store.setTimeZone(c.company.id, timeZone);
    res.send(200, { ...settings, timeZone: tz });
  }));
  // The header of the page: tenant by name, last import, next scheduled run, SCIM activity.
  server.get('/api/tab/status', h(async (c, _req, res) => {
    const [settings, timeZone, runs, scim] = await Promise.all([
      store.getSettings(c.company.id),
      store.getTimeZone(c.company.id),
      store.listRuns(c.company.id, 50),
      tokens.list(c.company.id),
    ]);
    // The caller's token is of the linked tenant (R3, checked above), so its reader names that tenant.
    // The same cached read the plans record for the cards; a failure is logged there and shows the id.
    const tenantName = c.company.entraTenantId ? await sync.tenantName(c.company.entraTenantId, c.reader) : null;
    let nextRunAt: string | null = null;
    if (settings.schedule) {
      try {
        nextRunAt = nextRunAfter(settings.schedule, now(), timeZone)?.toISOString() ?? null;
      } catch {
        nextRunAt = null;
      }
    }
    const used = scim.map((t) => t.lastUsedAt).filter((x): x is string => x !== null).sort();
    // The last import (an undo or a SCIM change is not one).
    const [last] = await withNames(c.company.id, runs.filter((r) => r.kind === 'import').slice(0, 1));
    res.send(200, {
      company: { name: c.company.name, plan: c.company.plan },
      tenant: { id: c.company.entraTenantId, name: tenantName },
      lastRun: last ?? null,
      schedule: settings.schedule,
      timeZone,
      nextRunAt,
      scimLastUsedAt: used.at(-1) ?? null,
      scimActiveTokens: scim.filter((t) => !t.revokedAt).length,
    });
  }));
  server.post('/api/tab/plans', h(async (c, req, res) => {
    parse(Empty, jsonBody(req));
    const plan = await sync.createPlan(c.company.id, c.reader, { requestedBy: who(c), source: 'tab' });
    // The page gets the plan as it is stored (and as GET answers it): the first skipped users, the rest by page.
    res.send(201, { ...plan, skippedUsers: inlineSkippedUsers(plan.skippedUsers) });
  }));
  server.get('/api/tab/plans/:pid', h(async (c, req, res) => {
    res.send(200, await sync.getPlan(c.company.id, param(req, 'pid')));
  }));
  // The plan's body keeps the first skipped users; the preview pages through the rest (issue 9 item 5).
  server.get('/api/tab/plans/:pid/skipped-users', h(async (c, req, res) => {
    res.send(200, await skippedUsersPage(store, c.company.id, param(req, 'pid'), req.query));
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
    res.send(200, await withNames(c.company.id, await store.listRuns(c.company.id, 50)));
  }));
  // One run and its field-level changes from the change log.
  server.get('/api/tab/runs/:rid', h(async (c, req, res) => {
    const run = await store.getRun(param(req, 'rid'), c.company.id);
    if (!run) throw new AppError('NOT_FOUND', 'Run not found.');
    const [named] = await withNames(c.company.id, [run]);
    res.send(200, { run: named, changes: await store.listChanges(c.company.id, { runId: run.id, limit: 5000 }) });
  }));
  server.get('/api/tab/history', h(async (c, _req, res) => {
    res.send(200, await store.listChanges(c.company.id, { limit: 200 }));
  }));
  // ?lang=ja&tz=Asia/Tokyo: columns and words in the admin's language, times in their zone, people by name.
  server.get('/api/tab/history.csv', h(async (c, req, res) => {
    const q = parse(CsvQuery, (req.query ?? {}) as unknown);
    const changes = await store.listChanges(c.company.id, { limit: 100_000 });
    const name = actorNames(c.company.id);
    const names = new Map<string, string | null>();
    for (const a of new Set(changes.map((x) => x.actor))) {
      const n = await name(a);
      names.set(a, n.kind === 'person' ? n.name : null);
    }
    const lang: CsvLanguage | undefined = q.lang;
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', 'attachment; filename="safety-sync-history.csv"');
    res.sendRaw(200, historyCsv(changes, {
      ...(lang ? { lang } : {}),
      ...(q.tz ? { timeZone: q.tz } : {}),
      actorName: (a) => names.get(a) ?? null,
    }));
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
