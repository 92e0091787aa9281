/**
 * Edge helpers shared by every route: JSON bodies read and validated once,
 * AppError turned into `{error: {code, message}}` with its status, unknown
 * errors into a 500 without a stack trace.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'restify';
import { z } from 'zod';
import { AppError, isAppError } from '../domain/errors.ts';
import { findForbiddenCharacters } from '../domain/text.ts';
import type { Logger } from '../log.ts';

export type Handler = (req: Request, res: Response) => Promise<void>;

/** Wraps an async handler: every failure becomes a JSON error answer. */
export function route(log: Logger, fn: Handler): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    try {
      refuseForbiddenInput(req);
      await fn(req, res);
    } catch (e) {
      sendError(res, e, log, req);
    }
  };
}

export function sendError(res: Response, e: unknown, log: Logger, req?: Request): void {
  if (res.headersSent) return;
  if (isAppError(e)) {
    if (e.status >= 500) log.error('http.error', { path: req?.path(), code: e.code, cause: e.cause });
    // 503 (the database lost or busy, defect 1 and 4): nothing was written; say when to try again.
    const headers = e.status === 503 ? { 'retry-after': '5' } : undefined;
    res.send(e.status, { error: { code: e.code, message: e.message, ...publicDetails(e.details) } }, headers);
    return;
  }
  log.error('http.unexpected', { path: req?.path(), error: e });
  res.send(500, { error: { code: 'INTERNAL', message: 'An unexpected error occurred.' } });
}

function publicDetails(details: Record<string, unknown>): Record<string, unknown> {
  return Object.keys(details).length ? { details } : {};
}

/**
 * Refuses a value holding a character the service cannot store (U+0000; domain/text.ts)
 * with 400 INVALID_CHARACTERS naming where it is, before any handler or the database sees it.
 */
export function refuseForbiddenCharacters(value: unknown, where: string): void {
  const found = findForbiddenCharacters(value);
  if (found === null) return;
  const at = found.replace(/\u0000/g, '\\u0000'); // a key may hold it: never echo it back
  const place = at === '' ? where : `${where} ${at}`;
  throw new AppError('INVALID_CHARACTERS', `The ${place} contains a NUL character (U+0000), which cannot be stored.`, {
    location: where,
    ...(at !== '' ? { path: at } : {}),
  });
}

/** The path, its parameters and the query string, checked once for every route (defect 2). */
export function refuseForbiddenInput(req: Request): void {
  let path: string;
  try {
    path = decodeURIComponent(req.path());
  } catch {
    path = req.path();
  }
  refuseForbiddenCharacters(path, 'request path');
  refuseForbiddenCharacters(req.params ?? {}, 'path parameter');
  refuseForbiddenCharacters(req.query ?? {}, 'query parameter');
}

/** The raw body (restify bodyReader) parsed as JSON; an empty body is {}. Text that cannot be stored is 400. */
export function jsonBody(req: Request): unknown {
  const raw: unknown = req.body;
  if (raw === undefined || raw === null) return {};
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : undefined;
  if (text === undefined) {
    refuseForbiddenCharacters(raw, 'request body');
    return raw;
  }
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AppError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
  refuseForbiddenCharacters(parsed, 'request body');
  return parsed;
}

export function parse<T extends z.ZodTypeAny>(schema: T, value: unknown): z.infer<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    const first = issues[0];
    throw new AppError(
      'VALIDATION_FAILED',
      first ? `${first.path || 'body'}: ${first.message}` : 'The request is not valid.',
      { issues },
    );
  }
  return r.data;
}

export function param(req: Request, name: string): string {
  const v: unknown = req.params?.[name];
  if (typeof v !== 'string' || v.length === 0) throw new AppError('NOT_FOUND', 'Not found.');
  return v;
}

/** Constant-time comparison of a presented secret with the expected one. */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export function bearerToken(req: Request): string | null {
  const h = req.header('authorization');
  if (!h) return null;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? m[1]!.trim() : null;
}
