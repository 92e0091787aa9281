/** The admin REST API (`/api/v1`), exactly as DESIGN §2 names it. */
import { Cron } from 'croner';
import type { Server } from 'restify';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { TEXT_LIMITS } from '../domain/text.ts';
import { COMPANY_PLANS, ROLES } from '../domain/types.ts';
import type { DirectoryReader } from '../directory/graph-reader.ts';
import type { Logger } from '../log.ts';
import type { SafetyStore } from '../store/safety-store.ts';
import type { SyncService } from '../sync/sync-service.ts';
import { historyCsv } from '../sync/history.ts';
import { isTimeZone } from '../sync/scheduler.ts';
import { bearerToken, jsonBody, param, parse, route, secretsEqual } from './http.ts';
import { skippedUsersPage } from './skipped-users.ts';

export interface AdminApiDeps {
  store: SafetyStore;
  sync: SyncService;
  apiKey: string;
  /** The directory the REST API plans against (app-only credentials or a static token). */
  directoryFor: (companyId: string) => Promise<DirectoryReader>;
  log: Logger;
}

const text = (max: number) => z.string().trim().min(1).max(max);
const nullableText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .nullable()
    .transform((v) => (v === '' ? null : v));
const email = z
  .string()
  .trim()
  .max(TEXT_LIMITS.email)
  .nullable()
  .transform((v) => (v === '' ? null : v))
  .refine((v) => v === null || /^[^\s@]+@[^\s@]+$/.test(v), { message: 'must be an email address' });

const CompanyCreate = z
  .object({
    name: text(TEXT_LIMITS.companyName),
    plan: z.enum(COMPANY_PLANS),
    maxUsers: z.number().int().positive().max(10_000_000),
    entraTenantId: z.string().trim().min(1).max(100).nullable().optional(),
  })
  .strict();
const CompanyPatch = CompanyCreate.partial().strict();

const cron = z
  .string()
  .trim()
  .max(100)
  .nullable()
  .refine(
    (v) => {
      if (v === null) return true;
      try {
        new Cron(v, { paused: true }).stop();
        return true;
      } catch {
        return false;
      }
    },
    { message: 'must be a cron expression such as "0 3 * * *" or null' },
  );

const Settings = z
  .object({
    // The admin API is a machine interface for a trusted caller: any non-blank password is taken;
    // the tab asks people for at least 8 characters.
    initialPassword: z.string().min(1).max(128).refine((v) => v.trim() !== '', { message: 'must not be blank' }).optional(),
    deletionThreshold: z.number().int().min(0).max(10_000_000).optional(),
    schedule: cron.optional(),
    /** The company's time zone (IANA), the zone the schedule's cron is read in. Default Asia/Tokyo. */
    timeZone: z.string().trim().max(64).refine(isTimeZone, { message: 'must be an IANA time zone such as "Asia/Tokyo"' }).optional(),
  })
  .strict();

const DepartmentCreate = z
  .object({ code: text(TEXT_LIMITS.departmentCode), name: text(TEXT_LIMITS.department), parentId: z.string().uuid().nullable().optional() })
  .strict();

const userFields = {
  loginName: text(TEXT_LIMITS.loginName),
  name: text(TEXT_LIMITS.name),
  yomi: z.string().trim().max(TEXT_LIMITS.yomi).optional(),
  email: email.optional(),
  phone: nullableText(TEXT_LIMITS.phone).optional(),
  memo: z.string().max(TEXT_LIMITS.memo).optional(),
  sortOrder: z.number().int().min(0).max(1_000_000_000).nullable().optional(),
  departmentIds: z.array(z.string().uuid()).max(100).optional(),
  roles: z.array(z.enum(ROLES)).max(ROLES.length).optional(),
  status: z.enum(['active', 'suspended']).optional(),
};
const password = z.string().min(1).max(128).refine((v) => v.trim() !== '', { message: 'must not be blank' });
const UserCreate = z.object({ ...userFields, password }).strict();
const UserPatch = z
  .object({ ...userFields, password })
  .partial()
  .strict();
const ApplyBody = z.object({ confirmDeletions: z.boolean().optional() }).strict();
const EmptyBody = z.object({}).strict();

export function registerAdminRoutes(server: Server, deps: AdminApiDeps): void {
  const { store, sync, log } = deps;
  const base = '/api/v1';
  const h = (fn: Parameters<typeof route>[1]) => route(log, async (req, res) => {
    const token = bearerToken(req);
    if (!token || !secretsEqual(token, deps.apiKey)) {
      throw new AppError('UNAUTHORIZED', 'A valid API key is required (Authorization: Bearer …).');
    }
    await fn(req, res);
  });
  const actor = () => 'api';

  server.post(`${base}/companies`, h(async (req, res) => {
    res.send(201, await store.createCompany(parse(CompanyCreate, jsonBody(req))));
  }));
  server.get(`${base}/companies`, h(async (_req, res) => {
    res.send(200, await store.listCompanies());
  }));
  server.get(`${base}/companies/:cid`, h(async (req, res) => {
    res.send(200, await store.getCompany(param(req, 'cid')));
  }));
  server.patch(`${base}/companies/:cid`, h(async (req, res) => {
    res.send(200, await store.updateCompany(param(req, 'cid'), parse(CompanyPatch, jsonBody(req))));
  }));
  server.get(`${base}/companies/:cid/settings`, h(async (req, res) => {
    const cid = param(req, 'cid');
    res.send(200, { ...(await store.getSettings(cid)), timeZone: await store.getTimeZone(cid) });
  }));
  server.patch(`${base}/companies/:cid/settings`, h(async (req, res) => {
    const cid = param(req, 'cid');
    const { timeZone, ...body } = parse(Settings, jsonBody(req));
    const settings = await store.updateSettings(cid, body);
    res.send(200, { ...settings, timeZone: timeZone === undefined ? await store.getTimeZone(cid) : await store.setTimeZone(cid, timeZone) });
  }));

  server.get(`${base}/companies/:cid/departments`, h(async (req, res) => {
    res.send(200, await store.listDepartments(param(req, 'cid')));
  }));
  server.post(`${base}/companies/:cid/departments`, h(async (req, res) => {
    res.send(201, await store.createDepartment(param(req, 'cid'), parse(DepartmentCreate, jsonBody(req)), actor()));
  }));

  server.get(`${base}/companies/:cid/users`, h(async (req, res) => {
    res.send(200, await store.listUsers(param(req, 'cid')));
  }));
  server.get(`${base}/companies/:cid/users/:uid`, h(async (req, res) => {
    res.send(200, await store.getUser(param(req, 'cid'), param(req, 'uid')));
  }));
  server.post(`${base}/companies/:cid/users`, h(async (req, res) => {
    const cid = param(req, 'cid');
    await store.getCompany(cid);
    res.send(201, await store.createUser(cid, parse(UserCreate, jsonBody(req)), actor()));
  }));
  server.patch(`${base}/companies/:cid/users/:uid`, h(async (req, res) => {
    res.send(200, await store.updateUser(param(req, 'cid'), param(req, 'uid'), parse(UserPatch, jsonBody(req)), actor()));
  }));
  server.del(`${base}/companies/:cid/users/:uid`, h(async (req, res) => {
    await store.deleteUser(param(req, 'cid'), param(req, 'uid'), actor());
    res.send(204);
  }));

  server.post(`${base}/companies/:cid/sync/plans`, h(async (req, res) => {
    const cid = param(req, 'cid');
    parse(EmptyBody, jsonBody(req));
    await store.getCompany(cid);
    const reader = await deps.directoryFor(cid);
    res.send(201, await sync.createPlan(cid, reader, { requestedBy: actor(), source: 'api' }));
  }));
  server.get(`${base}/companies/:cid/sync/plans`, h(async (req, res) => {
    res.send(200, await store.listPlans(param(req, 'cid')));
  }));
  server.get(`${base}/companies/:cid/sync/plans/:pid`, h(async (req, res) => {
    res.send(200, await sync.readPlan(param(req, 'cid'), param(req, 'pid')));
  }));
  // Issue 9 item 5: a plan stores a bounded body (the first skipped users); the full list, by page.
  server.get(`${base}/companies/:cid/sync/plans/:pid/skipped-users`, h(async (req, res) => {
    res.send(200, await skippedUsersPage(store, param(req, 'cid'), param(req, 'pid'), req.query));
  }));
  server.post(`${base}/companies/:cid/sync/plans/:pid/apply`, h(async (req, res) => {
    const body = parse(ApplyBody, jsonBody(req));
    const { run } = await sync.apply(param(req, 'cid'), param(req, 'pid'), {
      confirmedBy: actor(),
      confirmDeletions: body.confirmDeletions,
    });
    res.send(200, run);
  }));
  server.post(`${base}/companies/:cid/sync/plans/:pid/cancel`, h(async (req, res) => {
    res.send(200, await sync.cancelPlan(param(req, 'cid'), param(req, 'pid'), actor()));
  }));
  server.post(`${base}/companies/:cid/sync/undo-plans`, h(async (req, res) => {
    const cid = param(req, 'cid');
    parse(EmptyBody, jsonBody(req));
    await store.getCompany(cid);
    res.send(201, await sync.createUndoPlan(cid, actor()));
  }));
  server.get(`${base}/companies/:cid/sync/runs`, h(async (req, res) => {
    res.send(200, await store.listRuns(param(req, 'cid')));
  }));
  server.get(`${base}/companies/:cid/history`, h(async (req, res) => {
    const cid = param(req, 'cid');
    await store.getCompany(cid);
    res.send(200, await store.listChanges(cid, { limit: 1000 }));
  }));
  server.get(`${base}/companies/:cid/history.csv`, h(async (req, res) => {
    const cid = param(req, 'cid');
    await store.getCompany(cid);
    const csv = historyCsv(await store.listChanges(cid, { limit: 100_000 }));
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('content-disposition', 'attachment; filename="safety-sync-history.csv"');
    res.sendRaw(200, csv);
  }));
}
