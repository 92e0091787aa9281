/**
 * The configuration tab's API over HTTP: Teams SSO tokens signed by the local
 * token emulator, the demo tenant on the Graph emulator, a real store.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { SignJWT, generateKeyPair } from 'jose';
import { seedDemoCompany, startDemoSso, startDemoTenant, type DemoSso, type DemoTenant } from '../../src/devtools/demo.ts';
import { DEMO_ADMIN_OBJECT_ID, DEMO_TENANT_ID, DEMO_USERS } from '../../src/devtools/demo-tenant.ts';
import type { Plan, Run } from '../../src/domain/types.ts';
import { SigningKeyCache } from '../../src/teams/sso.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildTab } from '../../scripts/build-tab.ts';
import { TAB_BUILD_DIR } from '../../src/teams/tab/tab-routes.ts';
import type { TestServer } from '../helpers/api.ts';
import { startTabTestServer } from '../helpers/tab.ts';

const DEMO_ADMIN_NAME = 'Alex Wilber';

describe('configuration tab API', function () {
  this.timeout(60_000);
  let tenant: DemoTenant;
  let sso: DemoSso;
  let t: TestServer;
  let admin: string;
  const signingKeys = new SigningKeyCache({ maxTenants: 8 });
  const keyFetches = () => sso.requestLog.filter((r) => r.url.endsWith('/discovery/v2.0/keys')).length;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const call = <T>(method: string, path: string, body?: unknown, token = admin) => t.call<T>(method, path, body, as(token));

  before(async () => {
    tenant = await startDemoTenant();
    sso = await startDemoSso();
    t = await startTabTestServer(tenant, sso, { signingKeys });
    await seedDemoCompany(t.ctx.store);
    admin = await sso.signUserToken(DEMO_ADMIN_OBJECT_ID);
  });
  after(async () => {
    await t?.close();
    await sso?.close();
    await tenant?.close();
  });

  it('serves the page and its bundle (React, Fluent UI and teams-js built by npm run build:tab)', async () => {
    if (!existsSync(join(TAB_BUILD_DIR, 'tab.js'))) await buildTab();
    const page = await fetch(`${t.running.url}/tab`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<div id="root">/);
    for (const [, src] of html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)) assert.match(src!, /^\/tab\//, `served here, not from a CDN: ${src}`);
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors/);
    const bundle = await fetch(`${t.running.url}/tab/static/tab.js`);
    assert.equal(bundle.status, 200);
    const js = await bundle.text();
    assert.ok(js.length > 100_000);
    assert.match(js, /FluentProvider|fui-FluentProvider/, 'Fluent UI is in the bundle');
    assert.equal((await fetch(`${t.running.url}/tab/static/..%2Fpackage.json`)).status, 404);
    assert.equal((await fetch(`${t.running.url}/tab/static/tab.css`)).status, 404);
    const guide = await fetch(`${t.running.url}/tab/scim-guide`);
    assert.equal(guide.status, 200);
    assert.match(await guide.text(), /SCIM/);
  });

  it('refuses callers without a valid Teams SSO token, and non-administrators (R2)', async () => {
    assert.equal((await t.call('GET', '/api/tab/context', undefined, { authorization: '' })).status, 401);
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({ tid: DEMO_TENANT_ID, oid: DEMO_ADMIN_OBJECT_ID, wids: ['62e90394-69f5-4237-9190-012177145e10'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'forged' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .setAudience(sso.settings.clientId)
      .setIssuer(`${sso.settings.authorityHost.replace('http:', 'https:')}/${DEMO_TENANT_ID}/v2.0`)
      .sign(privateKey);
    assert.equal((await call('GET', '/api/tab/context', undefined, forged)).status, 401);
    // Megan is a service user (R18) with an Entra role below Cloud Application Administrator and no systemAdmin.
    const megan = await sso.signUserToken(DEMO_USERS.meganBowen);
    const refused = await call<{ error: { code: string; details: { reason: string } } }>('GET', '/api/tab/context', undefined, megan);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.details.reason, 'NOT_SYSTEM_ADMIN');
  });

  it('defect 5: 200 forged tokens with random tenant ids make no key fetch, and the key cache stays bounded', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const issuerHost = sso.settings.authorityHost.replace('http:', 'https:');
    const before = keyFetches();
    for (let i = 0; i < 200; i++) {
      const tid = randomUUID();
      const forged = await new SignJWT({ tid, oid: randomUUID(), wids: ['62e90394-69f5-4237-9190-012177145e10'] })
        .setProtectedHeader({ alg: 'RS256', kid: `forged-${i}` })
        .setIssuedAt()
        .setExpirationTime('1h')
        .setAudience(sso.settings.clientId)
        .setIssuer(`${issuerHost}/${tid}/v2.0`)
        .sign(privateKey);
      const res = await call('GET', '/api/tab/context', undefined, forged);
      assert.ok(res.status === 401 || res.status === 403, `forged token ${i}: ${res.status}`);
    }
    assert.equal(keyFetches() - before, 0, 'no JWKS was fetched for a tenant that belongs to no company');
    assert.ok(signingKeys.size <= 1, `the key cache holds ${signingKeys.size} tenants`);
  });

  it('settings, preview with the full lists, confirm, history and CSV', async () => {
    const ctx = await call<{ company: { name: string }; settings: { initialPasswordSet: boolean } }>('GET', '/api/tab/context');
    assert.equal(ctx.status, 200);
    assert.equal(ctx.body.company.name, 'Contoso Demo');
    assert.equal((await call('PATCH', '/api/tab/settings', { deletionThreshold: 5, schedule: '0 3 * * *' })).status, 200);
    const badCron = await call<{ error: { code: string } }>('PATCH', '/api/tab/settings', { schedule: 'every day' });
    assert.equal(badCron.status, 400);
    const plan = await call<Plan>('POST', '/api/tab/plans', {});
    assert.equal(plan.status, 201, JSON.stringify(plan.body));
    assert.equal(plan.body.changes.createUsers.length, plan.body.summary.usersToCreate, 'the tab gets every user, not samples');
    assert.ok(plan.body.summary.usersToCreate > 100);
    const run = await call<Run>('POST', `/api/tab/plans/${plan.body.id}/apply`, {});
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.equal(run.body.confirmedBy, 'teams:AlexW@contoso.onmicrosoft.com');
    const runs = await call<Run[]>('GET', '/api/tab/runs');
    assert.equal(runs.body[0]!.id, run.body.id);
    const csv = await fetch(`${t.running.url}/api/tab/history.csv`, { headers: as(admin) });
    assert.match(await csv.text(), /Alex Wilber|teams:AlexW@contoso\.onmicrosoft\.com/);
  });

  it('status: the tenant by name, the last import by who and its result, the next run in the company time zone, SCIM activity', async () => {
    assert.equal((await call('PATCH', '/api/tab/settings', { schedule: '0 3 * * *', timeZone: 'Asia/Tokyo' })).status, 200);
    const st = await call<{
      company: { plan: string };
      tenant: { id: string; name: string | null };
      lastRun: { status: string; confirmedByActor: { kind: string; name: string } } | null;
      timeZone: string;
      nextRunAt: string | null;
      scimLastUsedAt: string | null;
    }>('GET', '/api/tab/status');
    assert.equal(st.status, 200, JSON.stringify(st.body));
    assert.equal(st.body.tenant.id, DEMO_TENANT_ID);
    assert.ok(st.body.tenant.name && !/^[0-9a-f-]{36}$/i.test(st.body.tenant.name), `tenant by name: ${st.body.tenant.name}`);
    assert.equal(st.body.lastRun?.status, 'succeeded');
    assert.deepEqual(st.body.lastRun?.confirmedByActor, { kind: 'person', name: DEMO_ADMIN_NAME });
    assert.equal(st.body.timeZone, 'Asia/Tokyo');
    // 03:00 in Tokyo is 18:00 UTC.
    assert.match(st.body.nextRunAt ?? '', /T18:00:00\.000Z$/);
    const bad = await call<{ error: { code: string } }>('PATCH', '/api/tab/settings', { timeZone: 'Mars/Olympus' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'VALIDATION_FAILED');
    assert.equal((await call<{ timeZone: string }>('PATCH', '/api/tab/settings', { timeZone: 'UTC' })).body.timeZone, 'UTC');
    assert.match((await call<{ nextRunAt: string }>('GET', '/api/tab/status')).body.nextRunAt, /T03:00:00\.000Z$/);
    assert.equal((await call('PATCH', '/api/tab/settings', { timeZone: 'Asia/Tokyo', schedule: null })).status, 200);
  });

  it('status: SCIM last activity is the last time any token of the company was used', async () => {
    const before = await call<{ scimLastUsedAt: string | null; scimActiveTokens: number }>('GET', '/api/tab/status');
    const issued = await call<{ id: string; token: string }>('POST', '/api/tab/scim-tokens', { label: 'activity check' });
    const scim = await fetch(`${t.running.url}/scim/v2/Users?count=1`, { headers: { authorization: `Bearer ${issued.body.token}` } });
    assert.equal(scim.status, 200);
    const after = await call<{ scimLastUsedAt: string | null; scimActiveTokens: number }>('GET', '/api/tab/status');
    assert.ok(after.body.scimLastUsedAt, 'a SCIM request is recorded');
    assert.ok(!before.body.scimLastUsedAt || after.body.scimLastUsedAt >= before.body.scimLastUsedAt);
    assert.equal(after.body.scimActiveTokens, before.body.scimActiveTokens + 1);
    assert.equal((await call('DELETE', `/api/tab/scim-tokens/${issued.body.id}`)).status, 204);
  });

  it('defect: history showed teams:AlexW@… and no run detail; now the run by the person\'s name, with its field-level changes; another company\'s or an unknown run is 404', async () => {
    const runs = await call<{ id: string; confirmedByActor: { name: string } }[]>('GET', '/api/tab/runs');
    assert.equal(runs.body[0]!.confirmedByActor.name, DEMO_ADMIN_NAME);
    const detail = await call<{ run: { id: string }; changes: { entity: string; action: string }[] }>('GET', `/api/tab/runs/${runs.body[0]!.id}`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.run.id, runs.body[0]!.id);
    assert.ok(detail.body.changes.some((c) => c.entity === 'user' && c.action === 'create'));
    assert.ok(detail.body.changes.some((c) => c.action === 'update'));
    assert.equal((await call('GET', `/api/tab/runs/${randomUUID()}`)).status, 404);
    assert.equal((await call('GET', '/api/tab/runs/not-a-run')).status, 404);
  });

  it('defect: the CSV was English and UTC only; now history CSV in the admin\'s language and time zone (?lang=ja&tz=Asia/Tokyo), people by name, formulas neutralised', async () => {
    const res = await fetch(`${t.running.url}/api/tab/history.csv?lang=ja&tz=Asia/Tokyo`, { headers: as(admin) });
    assert.equal(res.status, 200);
    const text = await res.text();
    const [header, first] = text.replace(/^\ufeff/, '').split('\n');
    assert.equal(header, '日時 (Asia/Tokyo),種類,実行 ID,実行した人,対象,操作,名前,項目,変更前,変更後');
    assert.match(first!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},/);
    assert.match(text, new RegExp(DEMO_ADMIN_NAME));
    assert.doesNotMatch(text, /teams:AlexW/);
    assert.match(text, /,読み込み,/);
    const bad = await fetch(`${t.running.url}/api/tab/history.csv?tz=Nowhere/City`, { headers: as(admin) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'VALIDATION_FAILED');
  });

  it('undo: preview, then confirm, reverses the import', async () => {
    const before = (await t.ctx.store.listUsers((await t.ctx.store.findCompanyByTenant(DEMO_TENANT_ID))!.id)).length;
    const undo = await call<Plan & { summary: { usersToRemove: number } }>('POST', '/api/tab/undo-plans', {});
    assert.equal(undo.status, 201, JSON.stringify(undo.body));
    assert.ok(undo.body.summary.usersToRemove > 100);
    const applied = await call<Run>('POST', `/api/tab/plans/${undo.body.id}/apply`, {});
    assert.equal(applied.status, 200, JSON.stringify(applied.body));
    const after = (await t.ctx.store.listUsers((await t.ctx.store.findCompanyByTenant(DEMO_TENANT_ID))!.id)).length;
    assert.equal(before - after, undo.body.summary.usersToRemove - (applied.body.counts.created ?? 0));
  });

  it('defect 11: the tab\'s SCIM-token answer (the secret, shown once) carries Cache-Control: no-store', async () => {
    const res = await fetch(`${t.running.url}/api/tab/scim-tokens`, {
      method: 'POST',
      headers: { ...as(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ label: 'cache check' }),
    });
    assert.equal(res.status, 201);
    assert.match(((await res.json()) as { token: string }).token, /^scim_/);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    // The demo page's administrator token too.
    const demo = await fetch(`${t.running.url}/api/tab/demo-token`);
    assert.equal(demo.status, 200);
    assert.equal(demo.headers.get('cache-control'), 'no-store');
  });

  it('defect 2: a NUL character in a tab body or path is 400 INVALID_CHARACTERS, never a 500', async () => {
    const before = (await call<{ settings: { deletionThreshold: number } }>('GET', '/api/tab/context')).body.settings;
    for (const [method, path, body] of [
      ['PATCH', '/api/tab/settings', { initialPassword: 'Welcome\u0000#2026' }],
      ['PATCH', '/api/tab/settings', { schedule: '0 3 * * *\u0000' }],
      ['POST', '/api/tab/scim-tokens', { label: 'Entra\u0000' }],
      ['GET', '/api/tab/plans/abc%00', undefined],
    ] as const) {
      const r = await call<{ error: { code: string } }>(method, path, body);
      assert.equal(r.status, 400, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'INVALID_CHARACTERS');
    }
    assert.deepEqual((await call<{ settings: unknown }>('GET', '/api/tab/context')).body.settings, before);
  });

  it('SCIM tokens: issued once, listed without the secret, revoked; disconnect unlinks the tenant', async () => {
    const issued = await call<{ id: string; token: string }>('POST', '/api/tab/scim-tokens', { label: 'Entra provisioning' });
    assert.equal(issued.status, 201);
    assert.match(issued.body.token, /^scim_/);
    const list = await call<{ id: string; revokedAt: string | null }[]>('GET', '/api/tab/scim-tokens');
    assert.ok(!JSON.stringify(list.body).includes(issued.body.token));
    assert.equal((await call('DELETE', `/api/tab/scim-tokens/${issued.body.id}`)).status, 204);
    const dis = await call<{ entraTenantId: string | null }>('POST', '/api/tab/disconnect', {});
    assert.equal(dis.status, 200);
    assert.equal(dis.body.entraTenantId, null);
    const gone = await call<{ error: { details: { reason: string } } }>('GET', '/api/tab/context');
    assert.equal(gone.status, 403);
    assert.equal(gone.body.error.details.reason, 'TENANT_NOT_LINKED');
  });
});
