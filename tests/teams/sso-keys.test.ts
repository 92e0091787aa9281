/**
 * Defect 5: the authority's signing keys are fetched per tenant into a bounded cache, and a tenant
 * whose fetch failed is not fetched again until its backoff has passed. Counted on a real local
 * server; the clock is injected.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SigningKeyCache, SsoTokenError } from '../../src/teams/sso.ts';

describe('SSO signing keys (defect 5)', () => {
  let server: Server;
  let base = '';
  const requests: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"down"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const header = { alg: 'RS256', kid: 'k1' };
  const token = { payload: '', signature: '', protected: '' } as never;

  it('defect 5: the key cache keeps at most maxTenants tenants (least recently used dropped)', () => {
    const cache = new SigningKeyCache({ maxTenants: 3 });
    for (let i = 0; i < 200; i++) cache.keysFor(base, `tenant-${i}`);
    assert.equal(cache.size, 3);
  });

  it('defect 5: a failed key fetch backs off (doubling) before the authority is asked again', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const cache = new SigningKeyCache({ failureBackoffInMs: 1000, clock: () => new Date(now) });
    const keys = () => cache.keysFor(base, 'known-tenant');
    const refused = async () => {
      await assert.rejects(() => keys()(header, token), (e: unknown) => e instanceof SsoTokenError && e.reason === 'unavailable');
    };
    requests.length = 0;
    await refused();
    assert.equal(requests.length, 1);
    for (let i = 0; i < 50; i++) await refused();
    assert.equal(requests.length, 1, 'no fetch during the backoff');
    now += 1001;
    await refused();
    assert.equal(requests.length, 2);
    now += 1001;
    await refused();
    assert.equal(requests.length, 2, 'the second backoff is twice as long');
    now += 1000;
    await refused();
    assert.equal(requests.length, 3);
  });
});
