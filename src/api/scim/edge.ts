/**
 * SCIM at the HTTP edge: bearer-token authentication, bounded JSON bodies,
 * list parameters, and answers in application/scim+json (errors included).
 */
import type { Request, Response } from 'restify';
import type { Logger } from '../../log.ts';
import type { ScimToken, ScimTokenStore } from '../../store/scim-tokens.ts';
import { bearerToken, refuseForbiddenCharacters, refuseForbiddenInput } from '../http.ts';
import { DEFAULT_PAGE, MAX_PAGE, MAX_SCIM_BODY_BYTES, SCIM_CONTENT_TYPE } from './constants.ts';
import { errorBody, ScimError, toScimError } from './errors.ts';

/** Retry-After on a 503 (database lost or busy): short, the fault is usually gone by then. */
const SCIM_RETRY_AFTER_SECONDS = 5;

export function sendScim(res: Response, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body === undefined) {
    res.sendRaw(status, '');
    return;
  }
  res.setHeader('content-type', SCIM_CONTENT_TYPE);
  res.sendRaw(status, JSON.stringify(body));
}

/** Wraps a handler: every failure becomes a SCIM error; unknown ones a logged 500 without details. */
export function scimRoute(log: Logger, fn: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      refuseForbiddenInput(req);
      await fn(req, res);
    } catch (e) {
      if (res.headersSent) return;
      const { error, unexpected } = toScimError(e);
      if (unexpected) log.error('scim.unexpected', { method: req.method, path: req.path(), error: e });
      const headers: Record<string, string> = error.status === 401 ? { 'www-authenticate': 'Bearer realm="scim"' } : {};
      // Entra's provisioning service retries a 503 (honouring Retry-After) instead of quarantining the job.
      if (error.status === 503) headers['retry-after'] = String(SCIM_RETRY_AFTER_SECONDS);
      sendScim(res, error.status, errorBody(error), headers);
    }
  };
}

export async function authenticate(req: Request, tokens: ScimTokenStore): Promise<ScimToken> {
  const presented = bearerToken(req);
  if (!presented) throw new ScimError(401, 'A SCIM bearer token is required (Authorization: Bearer <token>).');
  const token = await tokens.authenticate(presented);
  if (!token) throw new ScimError(401, 'The SCIM token is not valid or has been revoked.');
  return token;
}

/** The request body as JSON; too large, empty or malformed bodies, or text that cannot be stored (U+0000), are SCIM errors. */
export function readJson(req: Request): unknown {
  const raw: unknown = req.body;
  const buf = Buffer.isBuffer(raw) ? raw : typeof raw === 'string' ? Buffer.from(raw, 'utf8') : undefined;
  if (buf === undefined) {
    if (raw !== undefined && raw !== null) {
      refuseForbiddenCharacters(raw, 'request body');
      return raw;
    }
    throw new ScimError(400, 'A JSON body is required.', 'invalidSyntax');
  }
  if (buf.length > MAX_SCIM_BODY_BYTES) throw new ScimError(413, `The body is larger than ${MAX_SCIM_BODY_BYTES} bytes.`);
  const text = buf.toString('utf8');
  if (text.trim() === '') throw new ScimError(400, 'A JSON body is required.', 'invalidSyntax');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ScimError(400, 'The body is not valid JSON.', 'invalidSyntax');
  }
  refuseForbiddenCharacters(parsed, 'request body');
  return parsed;
}

/** Where this server is reached, as the client sees it (for meta.location and Location). */
export function baseUrl(req: Request): string {
  const proto = String(req.header('x-forwarded-proto') || (req.isSecure() ? 'https' : 'http')).split(',')[0]!.trim();
  const host = String(req.header('x-forwarded-host') || req.header('host') || 'localhost').split(',')[0]!.trim();
  return `${proto}://${host}`;
}

export interface ListParams {
  filter?: string;
  startIndex: number;
  count: number;
  attributes?: unknown;
  excludedAttributes?: unknown;
}

const single = (v: unknown, name: string): string | undefined => {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new ScimError(400, `${name} must be given once.`, name === 'filter' ? 'invalidFilter' : 'invalidValue');
};

const integer = (v: string | undefined, name: string, fallback: number): number => {
  if (v === undefined || v.trim() === '') return fallback;
  if (!/^-?\d+$/.test(v.trim())) throw new ScimError(400, `${name} must be an integer.`, 'invalidValue');
  return Number(v);
};

/** filter, startIndex (1-based, below 1 is 1) and count (capped at MAX_PAGE, below 0 is 0). */
export function listParams(source: Record<string, unknown>): ListParams {
  const filter = single(source['filter'], 'filter');
  const startIndex = Math.max(1, integer(single(source['startIndex'], 'startIndex'), 'startIndex', 1));
  const count = Math.min(MAX_PAGE, Math.max(0, integer(single(source['count'], 'count'), 'count', DEFAULT_PAGE)));
  return {
    ...(filter !== undefined && filter.trim() !== '' ? { filter } : {}),
    startIndex,
    count,
    attributes: source['attributes'],
    excludedAttributes: source['excludedAttributes'],
  };
}
