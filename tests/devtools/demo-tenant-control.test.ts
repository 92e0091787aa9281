/**
 * The demo tenant a newcomer can change (issue 8, item 8): the /demo/tenant page, its JSON API and
 * `safety-sync demo-tenant …` against a real demo (spawned, `node bin/safety-sync.mjs demo`), each
 * control checked by what the next plan shows; the change survives a restart; `serve` has none of it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { main } from '../../src/cli.ts';
import { DEMO_FIRST_PLAN_SUMMARY, DEMO_USERS } from '../../src/devtools/demo-tenant.ts';
import type { DemoTenantListing } from '../../src/devtools/demo-tenant-control.ts';
import type { Plan } from '../../src/domain/types.ts';
import { freePort } from '../helpers/net.ts';
import { spawnCli, type CliProcess } from '../helpers/spawn.ts';
import { capture } from '../helpers/capture.ts';

/** DESIGN §2's summary fields; the read counts (directoryUsers, changesRead) depend on full or delta reads and are checked elsewhere. */
function designSummary<S extends { directoryUsers?: unknown; changesRead?: unknown }>(summary: S): Omit<S, 'directoryUsers' | 'changesRead'> {
  const { directoryUsers: _size, changesRead: _changes, ...rest } = summary;
  return rest;
}

/** The real CLI command, in this process, finding the spawned demo through DATA_DIR's lock file. */
async function cli(dataDir: string, args: string[]) {
  const out = capture();
  const err = capture();
  const saved = process.env.DATA_DIR;
  process.env.DATA_DIR = dataDir;
  try {
    const code = await main(['demo-tenant', ...args], { out: out.stream, err: err.stream, interactive: false });
    return { code, out: out.text(), err: err.text() };
  } finally {
    if (saved === undefined) delete process.env.DATA_DIR;
    else process.env.DATA_DIR = saved;
  }
}

async function stop(p: CliProcess): Promise<number | null> {
  p.child.kill('SIGTERM');
  return p.exit();
}

describe('demo tenant a newcomer can change (page, API and CLI against a spawned demo)', function () {
  this.timeout(400_000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  describe('demo with a data dir', () => {
    let dataDir = '';
    let demo: CliProcess;
    let url = '';
    const apiKey = `demo-tenant-key-${randomBytes(12).toString('hex')}`;
    let companyId = '';

    const start = async () => {
      const port = await freePort();
      demo = spawnCli(['demo'], { DATA_DIR: dataDir, PORT: String(port), SAFETY_API_KEY: apiKey, LOG_LEVEL: 'warn' });
      await demo.waitFor(/Safety Sync demo is running[\s\S]*Stop with Ctrl\+C/);
      url = `http://127.0.0.1:${port}`;
    };
    const admin = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> => {
      const res = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as T };
    };
    const tenantApi = async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await fetch(`${url}/demo/tenant/api${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as T };
    };
    const plan = async (): Promise<Plan> => {
      const r = await admin<Plan>('POST', `/companies/${companyId}/sync/plans`, {});
      assert.equal(r.status, 201, JSON.stringify(r.json).slice(0, 300));
      return r.json;
    };

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'safety-sync-demo-tenant-'));
      dirs.push(dataDir);
      await start();
      const companies = await admin<{ id: string }[]>('GET', '/companies');
      companyId = companies.json[0]!.id;
    });
    after(async () => {
      if (demo && demo.child.exitCode === null) await stop(demo);
    });

    it('the start-up banner names the page, the CLI and where the demo keeps its data', () => {
      const out = demo.out();
      assert.match(out, new RegExp(`change tenant +${url.replace(/[.]/g, '\\.')}/demo/tenant`));
      assert.match(out, /npx safety-sync demo-tenant --help/);
      assert.ok(out.includes(join(dataDir, 'demo-tenant.json')), out);
      assert.ok(out.includes(`${dataDir} (database)`), out);
    });

    it('the page lists the tenant in English, and in Japanese by ?lang=ja or Accept-Language', async () => {
      const en = await fetch(`${url}/demo/tenant`);
      assert.equal(en.status, 200);
      assert.match(en.headers.get('content-type') ?? '', /text\/html/);
      assert.match(en.headers.get('content-security-policy') ?? '', /script-src 'nonce-/);
      const enHtml = await en.text();
      assert.match(enHtml, /<html lang="en">/);
      assert.match(enHtml, /Demo tenant: Contoso Demo \(emulated\)/);
      assert.match(enHtml, /Users in the tenant \(200\)/);
      for (const s of ['Add a user', 'Make a duplicate email', 'Make 60 deletions', 'Add a guest', 'Reset the tenant', '#5B5FC7', 'Segoe UI']) {
        assert.ok(enHtml.includes(s), s);
      }
      const ja = await (await fetch(`${url}/demo/tenant?lang=ja`)).text();
      assert.match(ja, /<html lang="ja">/);
      assert.match(ja, /デモ テナント/);
      for (const s of ['テナントのユーザー（200 人）', '氏名', 'メールアドレス', '部署', '削除ガード', '読み込まれないユーザー', 'テナントを元に戻す']) {
        assert.ok(ja.includes(s), s);
      }
      const byHeader = await (await fetch(`${url}/demo/tenant`, { headers: { 'accept-language': 'ja-JP,ja;q=0.9,en;q=0.5' } })).text();
      assert.match(byHeader, /<html lang="ja">/);
      const visible = (html: string) => html.replace(/<script[\s\S]*?<\/script>/g, '').replace(/<style[\s\S]*?<\/style>/g, '');
      assert.ok(!/undefined|\[object Object\]|\{\w+\}/.test(visible(enHtml) + visible(ja)), 'no raw placeholder in the page');
    });

    it('refuses bad input with {error:{code,message}}: validation, unknown user, not JSON, another origin', async () => {
      const empty = await tenantApi<{ error: { code: string; message: string } }>('POST', '/users', { displayName: '' });
      assert.equal(empty.status, 400);
      assert.equal(empty.json.error.code, 'VALIDATION_FAILED');
      assert.match(empty.json.error.message, /displayName/);
      const extra = await tenantApi<{ error: { code: string } }>('POST', '/users', { displayName: 'X', admin: true });
      assert.equal(extra.json.error.code, 'VALIDATION_FAILED');
      const badMail = await tenantApi<{ error: { code: string } }>('POST', '/guests', { displayName: 'G', mail: 'not-an-address' });
      assert.equal(badMail.json.error.code, 'VALIDATION_FAILED');
      const nothing = await tenantApi<{ error: { code: string } }>('PATCH', `/users/${DEMO_USERS.leeGu}`, {});
      assert.equal(nothing.json.error.code, 'VALIDATION_FAILED');
      const unknown = await tenantApi<{ error: { code: string; message: string } }>('DELETE', '/users/nobody@contoso.onmicrosoft.com');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.error.code, 'NOT_FOUND');
      const form = await fetch(`${url}/demo/tenant/api/reset`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
      assert.equal(form.status, 400);
      assert.equal(((await form.json()) as { error: { code: string } }).error.code, 'BAD_REQUEST');
      const crossSite = await tenantApi<{ error: { code: string } }>('POST', '/reset', {}, { origin: 'http://evil.example' });
      assert.equal(crossSite.status, 403);
      assert.equal(crossSite.json.error.code, 'FORBIDDEN');
      const badJson = await fetch(`${url}/demo/tenant/api/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
      assert.equal(badJson.status, 400);
      const body = await badJson.text();
      assert.ok(!/at .*\.ts:\d+/.test(body), 'no stack trace');
      // Nothing above changed the tenant.
      const list = await tenantApi<DemoTenantListing>('GET', '/users');
      assert.equal(list.json.users.length, 200);
      assert.equal(existsSync(join(dataDir, 'demo-tenant.json')), false);
    });

    it('CLI duplicate-email -> the next plan has a DUPLICATE_EMAIL blocking error; reset -> back to the fixture', async () => {
      const dup = await cli(dataDir, ['duplicate-email', 'aya.hayashi@contoso.onmicrosoft.com']);
      assert.equal(dup.code, 0, dup.err);
      assert.match(dup.out, /林 彩 now has the email AlexW@contoso\.onmicrosoft\.com/);
      const p1 = await plan();
      const e = p1.errors.find((x) => x.code === 'DUPLICATE_EMAIL');
      assert.ok(e, JSON.stringify(p1.errors));
      assert.match(e.message, /AlexW@contoso\.onmicrosoft\.com/i);
      assert.ok(existsSync(join(dataDir, 'demo-tenant.json')), 'the change is saved in the data dir');

      // With another Entra user's mail, through the API.
      const viaApi = await tenantApi<{ user: { mail: string } }>('POST', '/duplicate-email', {
        user: 'aoi.inoue@contoso.onmicrosoft.com',
        email: 'aya.suzuki@contoso.onmicrosoft.com',
      });
      assert.equal(viaApi.status, 200);
      const p2 = await plan();
      assert.ok(p2.errors.some((x) => x.code === 'DUPLICATE_EMAIL' && /aya\.suzuki@contoso\.onmicrosoft\.com/i.test(x.message)), JSON.stringify(p2.errors));

      const reset = await cli(dataDir, ['reset']);
      assert.equal(reset.code, 0, reset.err);
      assert.match(reset.out, /back to the shipped one \(200 users\)/);
      assert.equal(existsSync(join(dataDir, 'demo-tenant.json')), false, 'reset removes the saved tenant');
      const p3 = await plan();
      assert.deepEqual(p3.errors, []);
      assert.deepEqual(designSummary(p3.summary), DEMO_FIRST_PLAN_SUMMARY);
    });

    it('add a disabled user -> skipped disabledNew; add an enabled one -> created; rename and move a linked user -> updated', async () => {
      const disabled = await cli(dataDir, ['add', '新人 花子', '--department', '開発部', '--disabled', '--nickname', 'hanako.shinjin']);
      assert.equal(disabled.code, 0, disabled.err);
      const enabled = await tenantApi<{ user: { id: string; userPrincipalName: string } }>('POST', '/users', {
        displayName: 'Newcomer Ken',
        mailNickname: 'ken.newcomer',
        department: 'Onboarding',
      });
      assert.equal(enabled.status, 201);
      const renamed = await cli(dataDir, ['rename', DEMO_USERS.alexWilber, 'Alex Wilber-Tanaka']);
      assert.equal(renamed.code, 0, renamed.err);
      const moved = await cli(dataDir, ['department', 'AlexW@contoso.onmicrosoft.com', '開発部']);
      assert.equal(moved.code, 0, moved.err);

      const p = await plan();
      assert.equal(p.summary.skipped.disabledNew, DEMO_FIRST_PLAN_SUMMARY.skipped.disabledNew + 1);
      assert.ok(p.skippedUsers.some((s) => s.userPrincipalName === 'hanako.shinjin@contoso.onmicrosoft.com' && s.reason === 'disabledNew'));
      assert.equal(p.summary.usersToCreate, DEMO_FIRST_PLAN_SUMMARY.usersToCreate + 1);
      assert.ok(p.changes.createUsers.some((u) => u.loginName === 'ken.newcomer@contoso.onmicrosoft.com'));
      assert.equal(p.summary.departmentsToCreate, DEMO_FIRST_PLAN_SUMMARY.departmentsToCreate + 1, 'Onboarding is a new department');
      const alex = p.changes.updateUsers.find((u) => u.entraObjectId?.toLowerCase() === DEMO_USERS.alexWilber.toLowerCase());
      assert.ok(alex, 'Alex is updated');
      assert.equal(p.summary.usersUnchanged, DEMO_FIRST_PLAN_SUMMARY.usersUnchanged - 1);
      // Enable the disabled newcomer: it is created, no longer skipped.
      const enable = await cli(dataDir, ['enable', 'hanako.shinjin@contoso.onmicrosoft.com']);
      assert.equal(enable.code, 0, enable.err);
      const p2 = await plan();
      assert.equal(p2.summary.skipped.disabledNew, DEMO_FIRST_PLAN_SUMMARY.skipped.disabledNew);
      assert.equal(p2.summary.usersToCreate, DEMO_FIRST_PLAN_SUMMARY.usersToCreate + 2);
    });

    it('delete a linked user -> deleteUsers; add a guest -> skipped guest', async () => {
      const del = await cli(dataDir, ['delete', DEMO_USERS.supportMisaki]);
      assert.equal(del.code, 0, del.err);
      const guest = await cli(dataDir, ['add-guest', 'Guest Partner', 'partner@fabrikam.example']);
      assert.equal(guest.code, 0, guest.err);
      const p = await plan();
      assert.ok(p.changes.deleteUsers.some((u) => u.entraObjectId?.toLowerCase() === DEMO_USERS.supportMisaki.toLowerCase()), JSON.stringify(p.changes.deleteUsers));
      assert.equal(p.summary.skipped.guest, DEMO_FIRST_PLAN_SUMMARY.skipped.guest + 1);
      const list = await cli(dataDir, ['list']);
      assert.equal(list.code, 0, list.err);
      assert.match(list.out, /Guest Partner <partner_fabrikam\.example#EXT#@contoso\.onmicrosoft\.com>/);
      assert.ok(!list.out.includes(DEMO_USERS.supportMisaki), 'the deleted user is no longer listed');
    });

    it('the changed tenant survives a restart of the demo; reset after it brings back the fixture', async () => {
      const before = (await tenantApi<DemoTenantListing>('GET', '/users')).json;
      assert.equal(before.dataFile, join(dataDir, 'demo-tenant.json'));
      const saved = JSON.parse(readFileSync(join(dataDir, 'demo-tenant.json'), 'utf8')) as { users: unknown[] };
      assert.equal(saved.users.length, before.users.length);
      assert.equal(await stop(demo), 0);
      await start();
      assert.match(demo.out(), /emulated Graph at .*\(your changed tenant\)/);
      const after = (await tenantApi<DemoTenantListing>('GET', '/users')).json;
      assert.deepEqual(after.users, before.users);
      const p = await plan();
      assert.ok(p.changes.createUsers.some((u) => u.loginName === 'ken.newcomer@contoso.onmicrosoft.com'));
      const reset = await tenantApi<{ users: number }>('POST', '/reset', {});
      assert.equal(reset.json.users, 200);
      assert.deepEqual(designSummary((await plan()).summary), DEMO_FIRST_PLAN_SUMMARY);
    });

    it('make 60 deletions after the first import -> the plan deletes 60 users and needs the deletion guard confirmation', async () => {
      const first = await plan();
      assert.deepEqual(designSummary(first.summary), DEMO_FIRST_PLAN_SUMMARY);
      const applied = await admin<{ run: { status: string } } & { status?: string }>('POST', `/companies/${companyId}/sync/plans/${first.id}/apply`, {
        confirmDeletions: false,
      });
      assert.equal(applied.status, 200, JSON.stringify(applied.json).slice(0, 300));
      const mass = await cli(dataDir, ['mass-deletion']);
      assert.equal(mass.code, 0, mass.err);
      assert.match(mass.out, /Deleted 60 users/);
      const p = await plan();
      assert.equal(p.summary.usersToDelete, 60);
      assert.equal(p.requiresDeletionConfirmation, true);
      assert.ok(p.warnings.some((w) => /threshold/.test(w.message)), JSON.stringify(p.warnings.map((w) => w.code)));
      // The administrators the demo signs in with are never among them.
      assert.ok(!p.changes.deleteUsers.some((u) => u.entraObjectId?.toLowerCase() === DEMO_USERS.alexWilber.toLowerCase()));
    });

    it('CLI: usage errors answer 2; an unknown user is NOT_FOUND', async () => {
      const unknownAction = await cli(dataDir, ['explode']);
      assert.equal(unknownAction.code, 2);
      assert.match(unknownAction.err, /Unknown demo-tenant action "explode"/);
      const arity = await cli(dataDir, ['rename', 'only-one']);
      assert.equal(arity.code, 2);
      const missing = await cli(dataDir, ['disable', 'ghost@contoso.onmicrosoft.com']);
      assert.equal(missing.code, 2);
      assert.match(missing.err, /NOT_FOUND: No user ghost@contoso\.onmicrosoft\.com/);
    });
  });

  it('without a running demo the CLI says how to start one (exit 2)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'safety-sync-demo-tenant-none-'));
    dirs.push(empty);
    const r = await cli(empty, ['list']);
    assert.equal(r.code, 2);
    assert.match(r.err, /No running demo found in .*npm start/);
  });

  it('serve answers 404 on /demo/tenant and its API: nothing of it exists outside demo mode', async () => {
    const port = await freePort();
    const serve = spawnCli(['serve'], {
      DATABASE_URL: 'memory:',
      PORT: String(port),
      HOST: '127.0.0.1',
      SAFETY_API_KEY: `serve-key-${randomBytes(12).toString('hex')}`,
      LOG_LEVEL: 'warn',
    });
    try {
      await serve.waitFor(/safety-sync listening on/);
      for (const [method, path] of [
        ['GET', '/demo/tenant'],
        ['GET', '/demo/tenant/api/users'],
        ['POST', '/demo/tenant/api/reset'],
      ] as const) {
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
        assert.equal(res.status, 404, `${method} ${path}`);
        const json = (await res.json()) as { error: { code: string } };
        assert.equal(json.error.code, 'NOT_FOUND');
      }
    } finally {
      await stop(serve);
    }
  });
});
