/** A real server on loopback for the REST tests: memory PGlite, the Graph emulator, real HTTP. */
import { createContext, startServer, type AppContext, type RunningServer } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/log.ts';
import type { RouteRegistrar } from '../../src/server.ts';

export const API_KEY = 'test-api-key-0123456789';

export interface TestServer {
  ctx: AppContext;
  running: RunningServer;
  call<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

export async function startTestServer(
  graphBaseUrl: string,
  registrars: (ctx: AppContext) => RouteRegistrar[] = () => [],
  options: { databaseUrl?: string; env?: Record<string, string> } = {},
): Promise<TestServer> {
  const config = loadConfig({
    DATABASE_URL: options.databaseUrl ?? 'memory:',
    PORT: '0',
    SAFETY_API_KEY: API_KEY,
    GRAPH_BASE_URL: graphBaseUrl,
    GRAPH_ACCESS_TOKEN: 'test-graph-token',
    ...options.env,
  });
  const ctx = await createContext(config, silentLogger);
  const running = await startServer(ctx, registrars(ctx));
  return {
    ctx,
    running,
    async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(`${running.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
    async close() {
      await running.close();
      await ctx.store.close();
    },
  };
}
