/** The `safety-sync` command (DESIGN §2): plan and apply against the built-in demo tenant. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli.ts';
import { DEMO_FIRST_PLAN_SUMMARY } from '../src/devtools/demo-tenant.ts';
import { openDatabase } from '../src/store/database.ts';
import { SafetyStore } from '../src/store/safety-store.ts';
import { capture } from './helpers/capture.ts';

async function run(args: string[]) {
  const out = capture();
  const err = capture();
  const code = await main(args, { out: out.stream, err: err.stream, interactive: false });
  return { code, out: out.text(), err: err.text() };
}

describe('safety-sync CLI', function () {
  this.timeout(120_000);
  const saved = { ...process.env };
  let dir = '';

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'safety-sync-cli-'));
    for (const k of ['DATABASE_URL', 'GRAPH_BASE_URL', 'GRAPH_ACCESS_TOKEN', 'AAD_APP_CLIENT_ID', 'AAD_APP_CLIENT_SECRET', 'AAD_APP_TENANT_ID', 'SAFETY_API_KEY']) {
      delete process.env[k];
    }
    process.env.DATA_DIR = dir;
    process.env.LOG_LEVEL = 'silent';
  });
  after(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('plan --json prints the plan the rules predict for the demo tenant and stores it', async () => {
    const r = await run(['plan', '--json']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /built-in emulated demo tenant/);
    const plan = JSON.parse(r.out);
    assert.equal(plan.status, 'pending');
    assert.equal(plan.tenantId, '00000000-0000-0000-0000-0000000000001');
    // DESIGN's summary fields, then the two extra read counts (a first read is a full read).
    const { directoryUsers, changesRead, ...designSummary } = plan.summary;
    assert.deepEqual(designSummary, DEMO_FIRST_PLAN_SUMMARY);
    assert.equal(typeof directoryUsers, 'number');
    assert.equal(changesRead, null);
    assert.deepEqual(plan.changes.deleteUsers.map((u: { loginName: string }) => u.loginName), ['taro.taishoku@contoso.onmicrosoft.com']);
  });

  it('apply --yes imports; the next plan has nothing to change and prints a readable table', async () => {
    const applied = await run(['apply', '--yes']);
    assert.equal(applied.code, 0, applied.err);
    assert.match(applied.out, /Import succeeded\n\s+created 188, updated 4, deleted 1, departments created 11/);
    const again = await run(['plan']);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /users to create\s+0/);
    assert.match(again.out, /users unchanged\s+193/);
    assert.match(again.out, /Skipped \(7\)/);
  });

  it('apply with nothing to change says so; with changes but no terminal to ask on, applies nothing', async () => {
    const nothing = await run(['apply']);
    assert.equal(nothing.code, 0, nothing.err);
    assert.match(nothing.out, /Nothing to change/);
    // Someone deletes an imported user in the service: the next plan re-creates it.
    const store = await SafetyStore.open(await openDatabase(undefined, { dataDir: dir }));
    const [company] = await store.listCompanies();
    const adele = (await store.listUsers(company!.id)).find((u) => u.loginName === 'AdeleV@contoso.onmicrosoft.com')!;
    await store.deleteUser(company!.id, adele.id, 'test');
    await store.close();
    const refused = await run(['apply']);
    assert.equal(refused.code, 1);
    assert.match(refused.out, /users to create\s+1/);
    assert.match(refused.err, /Not applied: no terminal to ask on/);
    const check = await SafetyStore.open(await openDatabase(undefined, { dataDir: dir }));
    assert.equal((await check.listUsers(company!.id)).some((u) => u.loginName === 'AdeleV@contoso.onmicrosoft.com'), false);
    await check.close();
  });

  it('usage and configuration errors exit 2 with a message, never a stack trace', async () => {
    const bogus = await run(['bogus']);
    assert.equal(bogus.code, 2);
    assert.match(bogus.err, /Unknown command "bogus"/);
    const serve = await run(['serve']);
    assert.equal(serve.code, 2);
    assert.match(serve.err, /SAFETY_API_KEY is required/);
    process.env.PORT = 'not-a-port';
    const badEnv = await run(['plan']);
    delete process.env.PORT;
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.err, /PORT: must be a port number/);
    const unknownCompany = await run(['plan', '--company', '00000000-0000-4000-8000-000000000000']);
    assert.equal(unknownCompany.code, 2, unknownCompany.err);
    assert.match(unknownCompany.err, /NOT_FOUND/);
    assert.doesNotMatch(bogus.err + serve.err + badEnv.err + unknownCompany.err, /\bat .+:\d+:\d+/);
  });
});
