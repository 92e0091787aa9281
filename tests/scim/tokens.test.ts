/**
 * SCIM tokens through the admin API (S1, S12): issued once, stored only as a
 * SHA-256 hash, listed without secrets, revocable, per company, behind the
 * same API key as /api/v1.
 */
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { ScimTokenStore } from '../../src/store/scim-tokens.ts';
import { API_KEY, call, companyWithToken, startHarness, USER, type Harness } from './harness.ts';

describe('SCIM tokens (admin API)', () => {
  let h: Harness;
  let companyId: string;
  const path = () => `/api/v1/companies/${companyId}/scim-tokens`;
  const admin = (method: string, p: string, body?: unknown) =>
    call(h, method, p, { token: API_KEY, body, contentType: 'application/json' });

  before(async () => {
    h = await startHarness();
    companyId = (await h.store.createCompany({ name: 'Token Co', plan: 'premier', maxUsers: 10 })).id;
  });
  after(() => h.close());

  it('POST issues a token: 201 {id, token, label, createdAt}, shown once, stored only as its SHA-256 hash', async () => {
    const r = await admin('POST', path(), { label: 'Entra provisioning' });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(Object.keys(r.body).sort(), ['createdAt', 'id', 'label', 'token']);
    assert.equal(r.body.label, 'Entra provisioning');
    assert.ok(r.body.token.length >= 40);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const rows = await h.store.db.query<Record<string, unknown>>('select * from scim_tokens where id = $1', [r.body.id]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!['token_hash'], createHash('sha256').update(r.body.token).digest('hex'));
    assert.ok(!JSON.stringify(rows).includes(r.body.token), 'the secret itself is stored nowhere');
    const works = await call(h, 'GET', '/scim/v2/Users', { token: r.body.token });
    assert.equal(works.status, 200);
    const issued = h.logLines.find((l) => l['event'] === 'scim.token_issued');
    assert.ok(issued);
    assert.ok(!JSON.stringify(h.logLines).includes(r.body.token), 'never logged');
  });

  it('two tokens are different secrets; GET lists them without secrets, with last use', async () => {
    const a = await admin('POST', path(), { label: 'a' });
    const b = await admin('POST', path(), {});
    assert.notEqual(a.body.token, b.body.token);
    await call(h, 'GET', '/scim/v2/Users', { token: a.body.token });
    const list = await admin('GET', path());
    assert.equal(list.status, 200);
    assert.ok(!list.text.includes(a.body.token) && !list.text.includes(b.body.token));
    const ids = list.body.map((t: { id: string }) => t.id);
    assert.ok(ids.includes(a.body.id) && ids.includes(b.body.id));
    for (const t of list.body) assert.equal(t.token, undefined);
    assert.notEqual(list.body.find((t: { id: string }) => t.id === a.body.id).lastUsedAt, null);
    assert.equal(list.body.find((t: { id: string }) => t.id === b.body.id).lastUsedAt, null);
  });

  it('DELETE revokes: 204, then the token is refused with 401; revoking again is harmless; unknown ids are 404', async () => {
    const t = await admin('POST', path(), { label: 'to revoke' });
    assert.equal((await call(h, 'GET', '/scim/v2/Users', { token: t.body.token })).status, 200);
    const del = await admin('DELETE', `${path()}/${t.body.id}`);
    assert.equal(del.status, 204);
    const refused = await call(h, 'GET', '/scim/v2/Users', { token: t.body.token });
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal((await admin('DELETE', `${path()}/${t.body.id}`)).status, 204);
    const listed = (await admin('GET', path())).body.find((x: { id: string }) => x.id === t.body.id);
    assert.notEqual(listed.revokedAt, null);
    assert.equal((await admin('DELETE', `${path()}/${randomUUID()}`)).status, 404);
    assert.equal((await admin('DELETE', `${path()}/nope`)).status, 404);
  });

  it("a token of one company cannot be revoked through another company's path", async () => {
    const other = await companyWithToken(h, 'Other Co');
    assert.equal((await admin('DELETE', `${path()}/${other.tokenId}`)).status, 404);
    assert.equal((await call(h, 'GET', '/scim/v2/Users', { token: other.token })).status, 200);
  });

  it('the admin routes need the API key: none or a wrong one is 401; a SCIM token is not an API key', async () => {
    const scim = await admin('POST', path(), {});
    for (const token of [undefined, 'wrong-key', scim.body.token]) {
      for (const [m, p] of [['POST', path()], ['GET', path()], ['DELETE', `${path()}/${scim.body.id}`]] as const) {
        const r = await call(h, m, p, { token, body: m === 'POST' ? {} : undefined, contentType: 'application/json' });
        assert.equal(r.status, 401, `${m} ${p}`);
        assert.equal(r.body.error.code, 'UNAUTHORIZED');
      }
    }
    assert.equal((await call(h, 'GET', '/scim/v2/Users', { token: scim.body.token })).status, 200, 'still valid');
  });

  it('an unknown company is 404; a body with unknown fields is 400', async () => {
    assert.equal((await admin('POST', `/api/v1/companies/${randomUUID()}/scim-tokens`, {})).status, 404);
    assert.equal((await admin('GET', `/api/v1/companies/${randomUUID()}/scim-tokens`)).status, 404);
    const bad = await admin('POST', path(), { label: 'x', token: 'chosen-by-me' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
  });

  it('a token without a label acts as scim:<token id> in the change log', async () => {
    const t = await admin('POST', path(), {});
    const r = await call(h, 'POST', '/scim/v2/Users', { token: t.body.token, body: { schemas: [USER], userName: 'anon@x.jp', displayName: 'Anon' } });
    assert.equal(r.status, 201);
    const entry = (await h.store.listChanges(companyId)).find((c) => c.entityId === r.body.id);
    assert.equal(entry?.actor, `scim:${t.body.id}`);
  });

  it('the store compares by hash: a malformed, overlong or revoked secret authenticates nothing', async () => {
    const tokens = new ScimTokenStore(h.store.db);
    const { token, info } = await tokens.issue(companyId, 'direct', 'test');
    assert.equal((await tokens.authenticate(token))?.id, info.id);
    assert.equal(await tokens.authenticate(token.slice(0, -1)), null);
    assert.equal(await tokens.authenticate(''), null);
    assert.equal(await tokens.authenticate('x'.repeat(10_000)), null);
    await tokens.revoke(companyId, info.id);
    assert.equal(await tokens.authenticate(token), null);
  });
});
