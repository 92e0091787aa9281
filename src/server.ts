/** One restify server wiring every route: health, admin API, SCIM, bot and tab. */
import restify, { type Server } from 'restify';
import type { Logger } from './log.ts';
import type { SafetyStore } from './store/safety-store.ts';

export type RouteRegistrar = (server: Server) => void;

export interface ServerOptions {
  store: SafetyStore;
  log: Logger;
  registrars: RouteRegistrar[];
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes?: number;
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
  server.pre(restify.plugins.pre.sanitizePath());
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(restify.plugins.bodyReader({ maxBodySize: options.maxBodyBytes ?? 1024 * 1024 }));

  server.get('/healthz', async (_req, res) => {
    try {
      await options.store.db.query('select 1');
      res.send(200, { status: 'ok', database: options.store.db.kind });
    } catch {
      res.send(503, { status: 'unavailable', database: options.store.db.kind });
    }
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

export function listen(server: Server, port: number, host = '0.0.0.0'): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`);
    });
  });
}
