/**
 * The demo tenant page (`GET /demo/tenant`) and its JSON API (`/demo/tenant/api/*`), registered by
 * the `demo` command only: `serve` never has them (it answers 404).
 *
 *   GET    /demo/tenant/api/users                   the users and the duplicate-email choices
 *   POST   /demo/tenant/api/users                   add a user          {displayName, mailNickname?, department?, accountEnabled?}
 *   PATCH  /demo/tenant/api/users/:user             rename, department, disable/enable {displayName?, department?, accountEnabled?}
 *   DELETE /demo/tenant/api/users/:user             delete (Graph's soft delete)
 *   POST   /demo/tenant/api/duplicate-email         {user, email}
 *   POST   /demo/tenant/api/mass-deletion           {count?} (default 60: more than the deletion guard)
 *   POST   /demo/tenant/api/guests                  {displayName, mail}
 *   POST   /demo/tenant/api/reset                   back to the shipped fixture
 *
 * The demo listens on loopback and answers only loopback Host names (server.ts); a change must
 * also come as JSON from the page's own origin (or from no page at all, the CLI), so another
 * web page the newcomer has open cannot change the tenant with a form post.
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response, Server } from 'restify';
import { jsonBody, param, parse, route } from '../api/http.ts';
import { AppError } from '../domain/errors.ts';
import type { Logger } from '../log.ts';
import {
  addGuestSchema,
  addUserSchema,
  duplicateEmailSchema,
  massDeletionSchema,
  updateUserSchema,
  type DemoTenantControl,
} from './demo-tenant-control.ts';
import { renderDemoTenantPage, pageLanguage } from './demo-tenant-page.ts';

export interface DemoTenantRouteDeps {
  control: DemoTenantControl;
  log: Logger;
}

/** A change comes as JSON, and from this origin when a browser sends one. */
function refuseCrossSite(req: Request): void {
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/json')) {
    throw new AppError('BAD_REQUEST', 'Send the change as JSON (Content-Type: application/json).');
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) {
    throw new AppError('FORBIDDEN', 'Only the demo tenant page itself may change the demo tenant.');
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new AppError('FORBIDDEN', 'Only the demo tenant page itself may change the demo tenant.');
  }
}

export function registerDemoTenantRoutes(server: Server, deps: DemoTenantRouteDeps): void {
  const { control, log } = deps;
  const change = (fn: (req: Request) => unknown, status = 200) =>
    route(log, async (req: Request, res: Response) => {
      refuseCrossSite(req);
      const result = fn(req);
      log.info('demo_tenant.changed', { path: req.path(), method: req.method });
      res.send(status, result);
    });

  server.get('/demo/tenant', (req: Request, res: Response, next: () => void) => {
    const lang = pageLanguage(req.query?.lang, req.headers['accept-language']);
    const nonce = randomBytes(16).toString('base64');
    const html = renderDemoTenantPage(control.list(), lang, nonce);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(html);
    next();
  });

  server.get(
    '/demo/tenant/api/users',
    route(log, async (_req, res) => {
      res.send(200, control.list());
    }),
  );
  server.post(
    '/demo/tenant/api/users',
    change((req) => ({ user: control.addUser(parse(addUserSchema, jsonBody(req))) }), 201),
  );
  server.patch(
    '/demo/tenant/api/users/:user',
    change((req) => ({ user: control.updateUser(param(req, 'user'), parse(updateUserSchema, jsonBody(req))) })),
  );
  server.del(
    '/demo/tenant/api/users/:user',
    change((req) => ({ user: control.deleteUser(param(req, 'user')) })),
  );
  server.post(
    '/demo/tenant/api/duplicate-email',
    change((req) => {
      const body = parse(duplicateEmailSchema, jsonBody(req));
      return { user: control.duplicateEmail(body.user, body.email) };
    }),
  );
  server.post(
    '/demo/tenant/api/mass-deletion',
    change((req) => ({ deleted: control.massDeletion(parse(massDeletionSchema, jsonBody(req)).count) })),
  );
  server.post(
    '/demo/tenant/api/guests',
    change((req) => ({ user: control.addGuest(parse(addGuestSchema, jsonBody(req))) }), 201),
  );
  server.post(
    '/demo/tenant/api/reset',
    change((req) => {
      parse(massDeletionSchema.pick({}), jsonBody(req));
      return control.reset();
    }),
  );
}
