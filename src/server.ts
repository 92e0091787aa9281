/** One restify server wiring every route: health, readiness, admin API, SCIM, bot and tab. */
import { isIP } from 'node:net';
import restify, { type Request, type Response, type Server } from 'restify';
import { requestIdFrom, withRequestId, type Logger } from './log.ts';
import { migrationStatus } from './store/migrations.ts';
import type { SafetyStore } from './store/safety-store.ts';

export type RouteRegistrar = (server: Server) => void;

export interface ServerOptions {
  store: SafetyStore;
  log: Logger;
  registrars: RouteRegistrar[];
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes?: number;
  /**
   * 'loopback': answer only requests whose Host is localhost, 127.0.0.1 or [::1] (the demo hands
   * its administrator's token to the tab page; a DNS-rebinding page must not reach it). Default 'any'.
   */
  allowedHosts?: 'any' | 'loopback';
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether a Host header names this machine's loopback (any port, or none). */
export function isLoopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase());
  return m !== null && LOOPBACK_NAMES.has(m[1]!);
}

export function createHttpServer(options: ServerOptions): Server {
  const server = restify.createServer({
    name: 'safety-sync',
    handleUncaughtExceptions: false,
    // SCIM answers are JSON under their own media type (RFC 7644 §8.1).
    formatters: {
      'application/scim+json': (_req, res, body) => {
        const data = body instanceof Error ? (body as Error & { toJSON?: () => unknown }).toJSON?.() ?? { detail: body.message } : body;
        const text = Buffer.isBuffer(data) ? data.toString('utf8') : JSON.stringify(data ?? null);
        res.setHeader('content-length', Buffer.byteLength(text));
        return text;
      },
    },
  });
  // A request id on every answer: the caller's x-request-id when well-formed, else a new one.
  server.pre((req: Request, res: Response, next: () => void) => {
    const requestId = requestIdFrom(req.header('x-request-id') || undefined);
    (req as Request & { requestId?: string }).requestId = requestId;
    res.setHeader('x-request-id', requestId);
    next();
  });
  if (options.allowedHosts === 'loopback') {
    server.pre((req: Request, res: Response, next: (err?: false) => void) => {
      const port = req.socket.localPort;
      const host = req.headers.host;
      const m = host ? /:(\d{1,5})$/.exec(host.replace(/^\[[^\]]+\]/, '')) : null;
      if (!isLoopbackHost(host) || (m && Number(m[1]) !== port)) {
        options.log.warn('http.host_refused', { host: String(host ?? '').slice(0, 100), path: req.path() });
        res.send(403, { error: { code: 'HOST_NOT_ALLOWED', message: 'The demo answers only http://localhost, http://127.0.0.1 or http://[::1] on its own port.' } });
        return next(false);
      }
      next();
    });
  }
  server.pre(restify.plugins.pre.sanitizePath());
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(restify.plugins.bodyReader({ maxBodySize: options.maxBodyBytes ?? 1024 * 1024 }));
  // Everything a route does from here (sync, store, the bot's turn) logs under the request id.
  server.use((req: Request, _res: Response, next: () => void) => {
    withRequestId((req as Request & { requestId?: string }).requestId ?? requestIdFrom(undefined), next);
  });

  // Liveness: the process is up and serving HTTP.
  server.get('/healthz', (_req: Request, res: Response, next: () => void) => {
    res.send(200, { status: 'ok' });
    next();
  });
  // Readiness: the database answers and its schema is what this build expects.
  server.get('/readyz', async (_req: Request, res: Response) => {
    let pending: number[];
    try {
      ({ pending } = await migrationStatus(options.store.db));
    } catch (e) {
      options.log.error('readyz.database_unavailable', { code: 'DATABASE_UNAVAILABLE', error: e });
      res.send(503, { error: { code: 'DATABASE_UNAVAILABLE', message: 'The database does not answer.' } });
      return;
    }
    if (pending.length > 0) {
      res.send(503, { error: { code: 'MIGRATIONS_PENDING', message: `Database migrations not applied: ${pending.join(', ')}.` } });
      return;
    }
    res.send(200, { status: 'ready', database: options.store.db.kind });
  });

  for (const register of options.registrars) register(server);

  // Restify's own errors (404, 405, 413, bad content) in the product's error shape.
  server.on('restifyError', (req, res, err, callback) => {
    const status: number = err.statusCode ?? 500;
    const code =
      status === 404 ? 'NOT_FOUND' : status === 405 ? 'METHOD_NOT_ALLOWED' : status === 413 ? 'PAYLOAD_TOO_LARGE' : status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
    const message = status >= 500 ? 'An unexpected error occurred.' : String(err.message || code);
    if (status >= 500) options.log.error('http.restify_error', { path: req.path(), error: err });
    const scim = req.path().startsWith('/scim/');
    if (scim) res.setHeader('content-type', 'application/scim+json');
    err.toJSON = () =>
      scim
        ? { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), detail: message }
        : { error: { code, message } };
    return callback();
  });
  return server;
}

export interface Bound {
  /** The address really bound, as the operating system reports it ('0.0.0.0', '::', '127.0.0.1', …). */
  host: string;
  port: number;
  /** `host:port` with IPv6 in brackets, plus "(all interfaces)" for a wildcard address. */
  description: string;
  /** A URL this machine can reach the server at: loopback for a wildcard bind. */
  url: string;
}

const bracket = (h: string) => (isIP(h) === 6 ? `[${h}]` : h);

/** Listens; answers a URL this machine reaches the server at. */
export async function listen(server: Server, port: number, host = '0.0.0.0'): Promise<string> {
  return (await bind(server, port, host)).url;
}

/** Listens and reports what is really bound (defect 12: never a loopback URL for a wildcard bind). */
export function bind(server: Server, port: number, host = '0.0.0.0'): Promise<Bound> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      const addr = server.address() as { address: string; port: number };
      const wildcard = addr.address === '0.0.0.0' || addr.address === '::';
      const reach = wildcard ? (addr.address === '::' ? '[::1]' : '127.0.0.1') : bracket(addr.address);
      resolve({
        host: addr.address,
        port: addr.port,
        description: `${bracket(addr.address)}:${addr.port}${wildcard ? ' (all interfaces)' : ''}`,
        url: `http://${reach}:${addr.port}`,
      });
    });
  });
}
