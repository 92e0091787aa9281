/**
 * SCIM 2.0 for Entra ID user provisioning (DESIGN §2 "SCIM 2.0", §4 S1–S14):
 * /scim/v2/Users, /ServiceProviderConfig, /Schemas, /ResourceTypes. The
 * bearer token decides the company; every change is logged with origin 'scim'.
 */
import type { Request, Response, Server } from 'restify';
import type { Logger } from '../../log.ts';
import type { SafetyStore } from '../../store/safety-store.ts';
import { ScimTokenStore, tokenActor, type ScimToken } from '../../store/scim-tokens.ts';
import { ScimUserStore } from '../../store/scim-users.ts';
import { param } from '../http.ts';
import { LIST_RESPONSE } from './constants.ts';
import { normalisePatch, normaliseUserBody, parseFilter, isObject, type JsonObject } from './dialect.ts';
import { listOf, resourceTypes, schemas, serviceProviderConfig } from './discovery.ts';
import { authenticate, baseUrl, listParams, readJson, scimRoute, sendScim, type ListParams } from './edge.ts';
import { ScimError } from './errors.ts';
import { matches, toUserQuery } from './filter.ts';
import { fieldsOf, ignoredInBody, ignoredInPatch, patchWriteOf, toResource, writeOf, type ScimFields } from './mapping.ts';
import { applyPatch } from './patch.ts';
import { parseAttributeList, project } from './projection.ts';

export interface ScimDeps {
  store: SafetyStore;
  log: Logger;
}

const BASE = '/scim/v2';

export function registerScimRoutes(server: Server, deps: ScimDeps): void {
  const { store, log } = deps;
  const tokens = new ScimTokenStore(store.db);
  const users = new ScimUserStore(store.db);

  type Ctx = { token: ScimToken; companyId: string; actor: string; usersUrl: string };
  const authed = (fn: (ctx: Ctx, req: Request, res: Response) => Promise<void>) =>
    scimRoute(log, async (req, res) => {
      const token = await authenticate(req, tokens);
      const ctx = { token, companyId: token.companyId, actor: tokenActor(token), usersUrl: `${baseUrl(req)}${BASE}/Users` };
      await fn(ctx, req, res);
    });
  const open = (fn: (req: Request, res: Response) => Promise<void>) => scimRoute(log, fn);

  const shape = (req: Request | JsonObject, resource: JsonObject) => {
    const q = isQuery(req) ? (req.query as Record<string, unknown> | undefined) ?? {} : req;
    return project(
      resource,
      parseAttributeList(q['attributes'], 'attributes'),
      parseAttributeList(q['excludedAttributes'], 'excludedAttributes'),
    );
  };

  const logIgnored = (ctx: Ctx, userId: string | null, names: string[], fields?: ScimFields) => {
    if (names.length > 0) log.info('scim.attributes_ignored', { companyId: ctx.companyId, userId, attributes: names });
    if (fields?.unknownRole) {
      log.warn('scim.role_unknown', { companyId: ctx.companyId, userId, role: fields.unknownRole, readAs: 'USER' });
    }
  };

  // ------------------------------------------------------------ discovery (no company data: no token needed)

  server.get(`${BASE}/ServiceProviderConfig`, open(async (req, res) => {
    sendScim(res, 200, serviceProviderConfig(baseUrl(req)));
  }));
  server.get(`${BASE}/Schemas`, open(async (req, res) => {
    sendScim(res, 200, listOf(schemas(baseUrl(req))));
  }));
  server.get(`${BASE}/Schemas/:id`, open(async (req, res) => {
    const id = param(req, 'id').toLowerCase();
    const found = schemas(baseUrl(req)).find((s) => String(s['id']).toLowerCase() === id);
    if (!found) throw new ScimError(404, 'Schema not found.');
    sendScim(res, 200, found);
  }));
  server.get(`${BASE}/ResourceTypes`, open(async (req, res) => {
    sendScim(res, 200, listOf(resourceTypes(baseUrl(req))));
  }));
  server.get(`${BASE}/ResourceTypes/:id`, open(async (req, res) => {
    const found = resourceTypes(baseUrl(req)).find((r) => String(r['id']).toLowerCase() === param(req, 'id').toLowerCase());
    if (!found) throw new ScimError(404, 'Resource type not found.');
    sendScim(res, 200, found);
  }));

  // ------------------------------------------------------------ Users

  const list = async (ctx: Ctx, p: ListParams, shapeFrom: Request | JsonObject, res: Response) => {
    const filter = p.filter === undefined ? null : parseFilter(p.filter);
    const query = filter === null ? { op: 'all' as const } : toUserQuery(filter);
    let total: number;
    let resources: JsonObject[];
    if (query) {
      const page = await users.page(ctx.companyId, query, p.startIndex - 1, p.count);
      total = page.total;
      resources = page.users.map((u) => toResource(u, ctx.usersUrl));
    } else {
      const all = (await users.all(ctx.companyId)).map((u) => toResource(u, ctx.usersUrl)).filter((r) => matches(r, filter!));
      total = all.length;
      resources = all.slice(p.startIndex - 1, p.startIndex - 1 + p.count);
    }
    sendScim(res, 200, {
      schemas: [LIST_RESPONSE],
      totalResults: total,
      startIndex: p.startIndex,
      itemsPerPage: resources.length,
      Resources: resources.map((r) => shape(shapeFrom, r)),
    });
  };

  server.get(`${BASE}/Users`, authed(async (ctx, req, res) => {
    await list(ctx, listParams((req.query as Record<string, unknown> | undefined) ?? {}), req, res);
  }));

  server.post(`${BASE}/Users/.search`, authed(async (ctx, req, res) => {
    const body = readJson(req);
    if (!isObject(body)) throw new ScimError(400, 'A search body must be a JSON object.', 'invalidSyntax');
    await list(ctx, listParams(body), body, res);
  }));

  server.get(`${BASE}/Users/:id`, authed(async (ctx, req, res) => {
    const user = await users.get(ctx.companyId, param(req, 'id'));
    sendScim(res, 200, shape(req, toResource(user, ctx.usersUrl)));
  }));

  server.post(`${BASE}/Users`, authed(async (ctx, req, res) => {
    const doc = normaliseUserBody(readJson(req));
    const fields = fieldsOf(doc);
    const write = writeOf(doc, fields);
    const { user, linked } = await users.create(ctx.companyId, write, ctx.actor);
    log.info(linked ? 'scim.user_linked' : 'scim.user_created', { companyId: ctx.companyId, userId: user.id, actor: ctx.actor });
    logIgnored(ctx, user.id, ignoredInBody(doc), fields);
    const resource = toResource(user, ctx.usersUrl);
    sendScim(res, 201, shape(req, resource), { location: `${ctx.usersUrl}/${user.id}` });
  }));

  server.put(`${BASE}/Users/:id`, authed(async (ctx, req, res) => {
    const id = param(req, 'id');
    const doc = normaliseUserBody(readJson(req));
    const fields = fieldsOf(doc);
    const write = writeOf(doc, fields);
    // The user is read (404 first) and written in one transaction.
    const user = await users.patch(ctx.companyId, id, () => {
      if (typeof doc['id'] === 'string' && doc['id'].toLowerCase() !== id.toLowerCase()) {
        throw new ScimError(400, 'id is assigned by the service and cannot be changed.', 'mutability');
      }
      return write;
    }, ctx.actor);
    logIgnored(ctx, id, ignoredInBody(doc), fields);
    sendScim(res, 200, shape(req, toResource(user, ctx.usersUrl)));
  }));

  server.patch(`${BASE}/Users/:id`, authed(async (ctx, req, res) => {
    const id = param(req, 'id');
    const ops = normalisePatch(readJson(req));
    let afterFields: ScimFields | undefined;
    // Read under the row lock and written in the same transaction: concurrent PATCHes never lose one another.
    const user = await users.patch(ctx.companyId, id, (current) => {
      const before = toResource(current, ctx.usersUrl);
      afterFields = fieldsOf(applyPatch(before, ops));
      return patchWriteOf(fieldsOf(before), afterFields);
    }, ctx.actor);
    logIgnored(ctx, id, ignoredInPatch(ops), afterFields);
    sendScim(res, 200, shape(req, toResource(user, ctx.usersUrl)));
  }));

  server.del(`${BASE}/Users/:id`, authed(async (ctx, req, res) => {
    const id = param(req, 'id');
    await store.deleteUser(ctx.companyId, id, ctx.actor, 'scim');
    log.info('scim.user_deleted', { companyId: ctx.companyId, userId: id, actor: ctx.actor });
    sendScim(res, 204);
  }));
}

const isQuery = (v: Request | JsonObject): v is Request => typeof (v as Request).header === 'function';
