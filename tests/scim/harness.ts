/**
 * The SCIM conformance harness: the real restify server (createHttpServer)
 * on loopback, a SafetyStore on in-memory PGlite, the SCIM and token routes.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'restify';
import { registerScimRoutes } from '../../src/api/scim/routes.ts';
import { registerScimTokenRoutes } from '../../src/api/scim/token-routes.ts';
import type { Company } from '../../src/domain/types.ts';
import { createLogger } from '../../src/log.ts';
import { createHttpServer, listen } from '../../src/server.ts';
import { openDatabase } from '../../src/store/database.ts';
import { SafetyStore } from '../../src/store/safety-store.ts';

export const API_KEY = 'test-api-key-0123456789abcdef';

export interface Reply {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export interface Harness {
  base: string;
  store: SafetyStore;
  server: Server;
  logLines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** `open` picks the engine (tests/helpers/databases.ts); in-memory PGlite by default. */
export async function startHarness(open?: () => Promise<SafetyStore>): Promise<Harness> {
  const store = open ? await open() : await SafetyStore.open(await openDatabase('memory:'));
  const logLines: Array<Record<string, unknown>> = [];
  const log = createLogger('debug', (line) => logLines.push(JSON.parse(line) as Record<string, unknown>));
  const server = createHttpServer({
    store,
    log,
    registrars: [
      (s) => registerScimRoutes(s, { store, log }),
      (s) => registerScimTokenRoutes(s, { store, apiKey: API_KEY, log }),
    ],
  });
  const base = await listen(server, 0, '127.0.0.1');
  return {
    base,
    store,
    server,
    logLines,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // fetch keeps connections alive; do not wait for them to time out.
      (server.server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await closed;
      await store.close();
    },
  };
}

export async function call(
  h: Harness,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; raw?: string; contentType?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/scim+json' };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/scim+json';
  const r = await fetch(h.base + path, { method, headers, body });
  const text = await r.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: r.status, headers: r.headers, body: parsed, text };
}

/** A premier company with a SCIM token issued through the admin API. */
export async function companyWithToken(
  h: Harness,
  name: string,
  options: { initialPassword?: string; maxUsers?: number; label?: string } = {},
): Promise<{ company: Company; token: string; tokenId: string }> {
  const company = await h.store.createCompany({ name, plan: 'premier', maxUsers: options.maxUsers ?? 1000 });
  if (options.initialPassword) await h.store.updateSettings(company.id, { initialPassword: options.initialPassword });
  const r = await call(h, 'POST', `/api/v1/companies/${company.id}/scim-tokens`, {
    token: API_KEY,
    body: { label: options.label ?? `${name} provisioning` },
    contentType: 'application/json',
  });
  if (r.status !== 201) throw new Error(`token issue failed: ${r.status} ${r.text}`);
  return { company, token: r.body.token as string, tokenId: r.body.id as string };
}

const FIXTURES = new URL('./fixtures/', import.meta.url);

/** An Entra-shaped JSON fixture, with {{placeholders}} replaced. */
export function fixture(name: string, vars: Record<string, string> = {}): any {
  let text = readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.split(`{{${k}}}`).join(v);
  return JSON.parse(text);
}

export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
