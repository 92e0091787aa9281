/**
 * The HTTP edge (the teams.ts `app.process` part): POST /api/messages through the Bot Framework
 * adapter into the teams-ai Application, and the fallback sign-in pages.
 */
import { randomUUID } from 'node:crypto';
import type { Application, TurnState } from '@microsoft/teams-ai';
import type { Request as RestifyRequest, Response as RestifyResponse, Server } from 'restify';
import { signInEndPage, signInStartLocation } from '../sso.ts';
import type { BotContext, SsoSource } from './context.ts';

export function registerHttp(server: Server, ctx: BotContext, app: Application<TurnState>): void {
  server.post('/api/messages', async (req, res) => handleHttp(ctx, app, req, res));
  server.get('/auth/start', async (req, res) => signInStart(ctx, req, res));
  server.get('/auth/end', async (req, res) => {
    const ok = typeof req.query?.code === 'string' && !req.query?.error;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(signInEndPage(ok));
  });
}

async function handleHttp(ctx: BotContext, app: Application<TurnState>, req: RestifyRequest, res: RestifyResponse): Promise<void> {
  if (!ctx.adapter) {
    res.send(401, { error: { code: 'UNAUTHORIZED', message: 'The bot is not configured: set BOT_ID (anonymous requests are accepted only in demo mode).' } });
    return;
  }
  const raw: unknown = req.body;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '');
  } catch {
    res.send(400, { error: { code: 'BAD_REQUEST', message: 'The body must be a JSON activity.' } });
    return;
  }
  const request = { method: req.method, headers: req.headers, body: body as Record<string, unknown> };
  try {
    await ctx.adapter.process(request, res as never, async (context) => {
      await app.run(context);
    });
  } catch (e) {
    ctx.log.error('teams.process_failed', { error: e });
    if (!res.headersSent) res.send(500, { error: { code: 'INTERNAL', message: 'An unexpected error occurred.' } });
  }
}

async function signInStart(ctx: BotContext, _req: RestifyRequest, res: RestifyResponse): Promise<void> {
  let source: SsoSource | null;
  try {
    source = await ctx.sso();
  } catch {
    res.send(503, { error: { code: 'SSO_UNAVAILABLE', message: 'Sign-in is not available right now; try again.' } }); // logged by ctx.sso
    return;
  }
  if (!source || !ctx.options.publicBaseUrl) {
    res.send(404, { error: { code: 'NOT_FOUND', message: 'Sign-in is not configured.' } });
    return;
  }
  res.redirect(302, signInStartLocation(source.settings, ctx.options.publicBaseUrl, randomUUID()), () => undefined);
}
