/**
 * Issue 7 defect 6: Graph requests have a per-request timeout and a read an
 * overall deadline. The fault is real: a local HTTP server that holds a page's
 * socket open without answering (or answers the headers and never the body,
 * or pages forever). The tests assert the error code, not a duration: the
 * bounds are generous, the configured timeouts small.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createGraphDirectoryReader } from '../../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import { isAppError } from '../../src/domain/errors.ts';
import type { Company } from '../../src/domain/types.ts';
import { startTestServer } from '../helpers/api.ts';

const TENANT = 'bbbbbbbb-1111-2222-3333-444444444444';
const userJson = (n: number) => ({
  id: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`,
  userPrincipalName: `user${n}@contoso.com`,
  displayName: `User ${n}`,
  mail: null,
  businessPhones: [],
  department: null,
  accountEnabled: true,
  userType: 'Member',
  identities: [],
});

type Behaviour = 'hang-page-2' | 'hang-body-page-2' | 'page-forever' | 'hang-organization' | 'hang-one-partition';

/** A Graph stand-in on loopback; `held` counts the requests it keeps open and never answers. */
async function startStubbornGraph(behaviour: Behaviour): Promise<{ baseUrl: string; held: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let held = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1.0`;
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/v1.0/organization') {
      if (behaviour === 'hang-organization') return void held++;
      return json({ value: [{ id: TENANT }] });
    }
    if (url.pathname === '/v1.0/users' && behaviour === 'hang-one-partition') {
      // The first page names two UPN prefixes (so the read splits); the partition of 'user2' never answers.
      const filter = url.searchParams.get('$filter');
      if (filter === null) return json({ value: [userJson(1), userJson(2)], '@odata.nextLink': `${base}/users?page=2` });
      if (filter.includes("'user2'") && !filter.includes('not(')) return void held++;
      return json({ value: [] });
    }
    if (url.pathname === '/v1.0/users') {
      const page = Number(url.searchParams.get('page') ?? '1');
      if (page === 2 && behaviour === 'hang-page-2') return void held++; // the socket stays open, nothing is sent
      if (page === 2 && behaviour === 'hang-body-page-2') {
        held++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"value":[');
        return; // headers and a first chunk, then nothing
      }
      return json({ value: [userJson(page)], '@odata.nextLink': `${base}/users?page=${page + 1}` });
    }
    res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1.0`,
    held: () => held,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isAppError(e), `expected AppError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe('Graph reader timeouts (a real server that never answers)', function () {
  // Generous: the configured timeouts are a fraction of a second; only a hang would take this long.
  this.timeout(30_000);
  let graph: Awaited<ReturnType<typeof startStubbornGraph>> | undefined;
  afterEach(async () => {
    await graph?.close();
    graph = undefined;
  });
  const reader = (baseUrl: string, o: { requestTimeoutInMs?: number; readDeadlineInMs?: number } = {}) =>
    createGraphDirectoryReader({ graphBaseUrl: baseUrl, tokenProvider: staticTokenProvider('t'), retryDelayInMs: 5, pageSize: 1, ...o });

  it('defect 6: a page that never answers fails the read with DIRECTORY_TIMEOUT within the request timeout, never hangs', async () => {
    graph = await startStubbornGraph('hang-page-2');
    await rejectsWithCode(reader(graph.baseUrl, { requestTimeoutInMs: 300 }).read(), 'DIRECTORY_TIMEOUT');
    assert.equal(graph.held(), 1, 'the timed-out request is not retried into the same hole');
  });

  it('defect 6: a page whose body never ends fails with DIRECTORY_TIMEOUT', async () => {
    graph = await startStubbornGraph('hang-body-page-2');
    await rejectsWithCode(reader(graph.baseUrl, { requestTimeoutInMs: 300 }).read(), 'DIRECTORY_TIMEOUT');
  });

  it('defect 6 in a parallel read: a partition whose page never answers fails the read with DIRECTORY_TIMEOUT', async () => {
    graph = await startStubbornGraph('hang-one-partition');
    await rejectsWithCode(reader(graph.baseUrl, { requestTimeoutInMs: 300 }).read(), 'DIRECTORY_TIMEOUT');
    assert.equal(graph.held(), 1, 'the timed-out partition is not retried into the same hole');
  });

  it('defect 6: /organization that never answers fails with DIRECTORY_TIMEOUT', async () => {
    graph = await startStubbornGraph('hang-organization');
    await rejectsWithCode(reader(graph.baseUrl, { requestTimeoutInMs: 300 }).read(), 'DIRECTORY_TIMEOUT');
  });

  it('defect 6: a read that pages forever stops at the read deadline with DIRECTORY_TIMEOUT', async () => {
    graph = await startStubbornGraph('page-forever');
    await rejectsWithCode(reader(graph.baseUrl, { requestTimeoutInMs: 10_000, readDeadlineInMs: 300 }).read(), 'DIRECTORY_TIMEOUT');
  });

  it("the caller's AbortSignal still wins over the timeouts: its reason, not DIRECTORY_TIMEOUT", async () => {
    graph = await startStubbornGraph('hang-page-2');
    const controller = new AbortController();
    const read = reader(graph.baseUrl, { requestTimeoutInMs: 20_000 }).read({
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('stopped by the caller')),
    });
    await assert.rejects(read, /stopped by the caller/);
  });

  it('defect 6: the admin API answers a plan whose Graph page never answers with 504 DIRECTORY_TIMEOUT', async () => {
    graph = await startStubbornGraph('hang-page-2');
    const t = await startTestServer(graph.baseUrl, undefined, { env: { GRAPH_REQUEST_TIMEOUT_MS: '300', DIRECTORY_READ: 'full' } });
    try {
      const company = (await t.call<Company>('POST', '/api/v1/companies', { name: 'Slow', plan: 'premier', maxUsers: 5, entraTenantId: TENANT })).body;
      await t.call('PATCH', `/api/v1/companies/${company.id}/settings`, { initialPassword: 'Welcome#2026' });
      const r = await t.call<{ error: { code: string; message: string } }>('POST', `/api/v1/companies/${company.id}/sync/plans`, {});
      assert.equal(r.status, 504, JSON.stringify(r.body));
      assert.equal(r.body.error.code, 'DIRECTORY_TIMEOUT');
      const again = await t.call<unknown[]>('GET', `/api/v1/companies/${company.id}/sync/plans`);
      assert.equal(again.status, 200, 'the server still answers');
    } finally {
      await t.close();
    }
  });
});
