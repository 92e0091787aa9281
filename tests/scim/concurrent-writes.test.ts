/**
 * Issue 9 item 7: SCIM writes of one company share its lock (src/store/company-lock.ts) and run side
 * by side, while an import still never interleaves with them. On a real PostgreSQL server only (PGlite
 * has one connection: nothing runs side by side there). Every overlap below is made certain by a
 * second connection that holds a user row and by polling the catalogue for who waits on whom (never a
 * timer), then judged from the change log and the data version:
 * - two SCIM writes of different users do not wait for one another;
 * - an import waits for the SCIM writes in flight, and SCIM writes that arrive meanwhile wait for the
 *   import (they neither overtake it nor starve it), so in the change log every SCIM write is wholly
 *   before or wholly after the import's run;
 * - under a burst of concurrent PATCHes and POSTs beside an import, the data version (B3) only grows,
 *   by at least one per committed write, and two concurrent PATCHes of the same user both take effect.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import type { Company, Plan } from '../../src/domain/types.ts';
import { companyCreateLock } from '../../src/store/company-lock.ts';
import { startGraphEmulator, type GraphUserInput } from '../../src/devtools/graph-emulator.ts';
import { postgresSchemaUrl } from '../helpers/databases.ts';
import { startTestServer, type TestServer } from '../helpers/api.ts';

const TENANT = '91919191-2222-4333-8444-555555555555';
const APP = `conc_${process.pid}`;
const USERS = 60;
const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const oid = (n: number) => `00000000-0000-4000-9100-${String(n).padStart(12, '0')}`;
const entraUser = (n: number, round: number): GraphUserInput => ({
  id: oid(n),
  userPrincipalName: `conc${n}@conc.example`,
  displayName: `Conc ${n} r${round}`,
  mail: `conc${n}@conc.example`,
  department: `Team ${n % 3}`,
  businessPhones: [`03-0000-${String(n).padStart(4, '0')}`],
  accountEnabled: true,
  userType: 'Member',
});

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { id?: string; preferredLanguage?: string; timezone?: string } & Record<string, unknown>;
  text: string;
}

interface LogRow {
  id: string;
  origin: string;
  run_id: string | null;
  entity_id: string;
  action: string;
}

describe('SCIM writes of one company side by side, never across an import (issue 9 item 7, PostgreSQL)', function () {
  this.timeout(180_000);
  let emu: Awaited<ReturnType<typeof startGraphEmulator>>;
  let t: TestServer;
  let company: Company;
  let scimToken: string;
  let side: pg.Client;
  let watcher: pg.Client;
  let users: Array<{ id: string; loginName: string }>;
  let round = 0;
  const P = () => `/api/v1/companies/${company.id}`;

  const scim = (method: string, path: string, body?: unknown): Promise<Answer> =>
    fetch(`${t.running.url}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${scimToken}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (r) => {
      const text = await r.text();
      return { status: r.status, retryAfter: r.headers.get('retry-after'), body: text ? JSON.parse(text) : {}, text };
    });
  const patch = (userId: string, ops: Array<Record<string, unknown>>) => scim('PATCH', `/Users/${userId}`, { schemas: [PATCH_OP], Operations: ops });
  const post = (name: string) =>
    scim('POST', '/Users', {
      schemas: [CORE, ENTERPRISE],
      userName: `${name}@conc.example`,
      displayName: name,
      emails: [{ type: 'work', primary: true, value: `${name}@conc.example` }],
      [ENTERPRISE]: { department: 'Team 1' },
    });

  /** Polls the catalogue (a fresh snapshot each time) until `sql` finds a row; fails if `gaveUp()` first. */
  const until = async (what: string, sql: string, params: unknown[], gaveUp: () => string | null = () => null) => {
    for (;;) {
      const { rows } = await watcher.query(sql, params);
      if (rows.length > 0) return;
      const reason = gaveUp();
      if (reason) assert.fail(`${what}: ${reason}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  /** Some backend waits on a lock that `pid` holds. */
  const someoneWaitsOn = (what: string, pid: number, gaveUp?: () => string | null) =>
    until(what, 'select 1 from pg_stat_activity where $1::int = any(pg_blocking_pids(pid))', [pid], gaveUp);
  /** The backend running the import's company lock waits (for the SCIM write in flight). */
  const importWaits = (gaveUp: () => string | null) =>
    until(
      'the import waits for the company gate',
      `select pid from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock' and query like 'select pg_advisory_xact_lock(%'`,
      [APP],
      gaveUp,
    );
  const importPid = async () =>
    Number(
      (
        await watcher.query<{ pid: number }>(
          `select pid from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock' and query like 'select pg_advisory_xact_lock(%'`,
          [APP],
        )
      ).rows[0]!.pid,
    );
  const holdUserRow = async (userId: string) => {
    await side.query('begin');
    await side.query('select id from users where id = $1 for update', [userId]);
  };
  const changeLog = async () =>
    (await watcher.query<LogRow>('select id, origin, run_id, entity_id, action from change_log where company_id = $1 order by id', [company.id])).rows;
  const dataVersion = async () =>
    Number((await watcher.query<{ v: string }>('select company_data_version($1) as v', [company.id])).rows[0]!.v);
  /** A plan renaming every user (the import then writes every user row). */
  const planRenameAll = async () => {
    round++;
    for (let n = 1; n <= USERS; n++) emu.updateUser(oid(n), { displayName: `Conc ${n} r${round}` });
    const plan = await t.call<Plan>('POST', `${P()}/sync/plans`, {});
    assert.equal(plan.status, 201, JSON.stringify(plan.body));
    assert.equal(plan.body.summary.usersToUpdate, USERS);
    return plan.body;
  };

  before(async function () {
    if (!process.env.TEST_DATABASE_URL) {
      console.log('      (skipped: TEST_DATABASE_URL is not set)');
      this.skip();
    }
    emu = await startGraphEmulator({
      tenant: { tenantId: TENANT, displayName: 'Conc', directoryRoles: {}, users: Array.from({ length: USERS }, (_, i) => entraUser(i + 1, 0)) },
    });
    const databaseUrl = await postgresSchemaUrl(process.env.TEST_DATABASE_URL);
    // The server's own backends carry this name, so the catalogue polls below see only them.
    t = await startTestServer(emu.baseUrl, () => [], { databaseUrl: `${databaseUrl}&application_name=${APP}` });
    side = new pg.Client({ connectionString: databaseUrl });
    watcher = new pg.Client({ connectionString: databaseUrl });
    await side.connect();
    await watcher.connect();
    company = (await t.call<Company>('POST', '/api/v1/companies', { name: 'Conc Co', plan: 'premier', maxUsers: 10_000, entraTenantId: TENANT })).body;
    await t.call('PATCH', `${P()}/settings`, { initialPassword: 'Welcome#2026' });
    scimToken = (await t.call<{ token: string }>('POST', `${P()}/scim-tokens`, { label: 'Entra' })).body.token;
    const first = await t.call<Plan>('POST', `${P()}/sync/plans`, {});
    assert.equal((await t.call('POST', `${P()}/sync/plans/${first.body.id}/apply`, {})).status, 200);
    users = (await t.call<Array<{ id: string; loginName: string }>>('GET', `${P()}/users`)).body;
    assert.equal(users.length, USERS);
  });
  after(async () => {
    await side?.end();
    await watcher?.end();
    await t?.close();
    await emu?.close();
  });

  it('issue 9 item 7: a SCIM write of one user does not wait for a SCIM write of another user of the same company', async () => {
    const [x, y] = [users[0]!, users[1]!];
    await holdUserRow(x.id);
    let xDone = false;
    const px = patch(x.id, [{ op: 'replace', path: 'displayName', value: 'X waits' }]).finally(() => (xDone = true));
    try {
      // The PATCH of x holds its share of the company lock and waits for x's row.
      await someoneWaitsOn('the PATCH of x waits for the held row', (side as unknown as { processID: number }).processID, () =>
        xDone ? 'the PATCH of x answered instead of waiting' : null,
      );
      const py = await patch(y.id, [{ op: 'replace', path: 'displayName', value: 'Y goes by' }]);
      assert.equal(py.status, 200, py.text);
      assert.equal(xDone, false, 'x is still waiting: y went by it');
    } finally {
      await side.query('rollback');
    }
    const ax = await px;
    assert.equal(ax.status, 200, ax.text);
  });

  it('issue 9 item 7: two PATCHes of one user waiting on its row both see what the other wrote (never two SCIM roles, no lost department)', async () => {
    const u = users[5]!;
    await holdUserRow(u.id);
    const answers: Array<Promise<Answer>> = [];
    try {
      // Both queue on the user's row; whichever goes second must read the user as the first left it.
      answers.push(patch(u.id, [{ op: 'replace', path: 'roles[primary eq "True"].value', value: 'GUEST' }, { op: 'replace', path: `${ENTERPRISE}:department`, value: 'Side A' }]));
      await someoneWaitsOn('the first PATCH waits for the held row', (side as unknown as { processID: number }).processID);
      answers.push(patch(u.id, [{ op: 'replace', path: 'roles[primary eq "True"].value', value: 'ADMIN' }]));
      await until(
        'both PATCHes wait',
        `select count(*)::int from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock' having count(*) >= 2`,
        [APP],
      );
    } finally {
      await side.query('rollback');
    }
    for (const a of await Promise.all(answers)) assert.equal(a.status, 200, a.text);
    const [row] = (await t.call<Array<{ id: string; roles: string[]; departments: Array<{ code: string; source: string }> }>>('GET', `${P()}/users`)).body.filter((x) => x.id === u.id);
    const managed = row!.roles.filter((r) => r === 'guest' || r === 'systemAdmin');
    assert.equal(managed.length, 1, `one SCIM role, not ${JSON.stringify(row!.roles)}`);
    assert.deepEqual(row!.departments.filter((d) => d.source === 'entra').map((d) => d.code), ['Side A']);
  });

  it('an import waits for the SCIM write in flight, and SCIM writes arriving meanwhile wait for the import: never interleaved, never starved', async () => {
    const [x, y] = [users[2]!, users[3]!];
    assert.equal((await patch(x.id, [{ op: 'replace', path: 'preferredLanguage', value: 'ja-JP' }])).status, 200);
    const plan = await planRenameAll();
    const logBefore = await changeLog();
    await holdUserRow(x.id);
    let xDone = false;
    let importDone = false;
    // The write in flight changes nothing (x has this language already), so the plan stays valid (B3)
    // and the import really runs once it has the company.
    const px = patch(x.id, [{ op: 'replace', path: 'preferredLanguage', value: 'ja-JP' }]).finally(() => (xDone = true));
    let apply: Promise<{ status: number; body: unknown }> | undefined;
    const later: Array<Promise<Answer>> = [];
    try {
      await someoneWaitsOn('the PATCH of x waits for the held row', (side as unknown as { processID: number }).processID, () =>
        xDone ? 'the PATCH of x answered instead of waiting' : null,
      );
      // The PATCH of x was applied first: the plan (made before it commits) is not stale yet.
      apply = t.call('POST', `${P()}/sync/plans/${plan.id}/apply`, {}).finally(() => (importDone = true));
      await importWaits(() => (importDone ? 'the import answered while a SCIM write was in flight' : null));
      const pid = await importPid();
      later.push(patch(y.id, [{ op: 'replace', path: 'preferredLanguage', value: 'en-US' }]), post('after-import'));
      // Both queue behind the waiting import (they do not overtake it).
      await until(
        'the later SCIM writes queue behind the import',
        `select count(*)::int as n from pg_stat_activity where $1::int = any(pg_blocking_pids(pid)) having count(*) >= 2`,
        [pid],
      );
      assert.equal(importDone, false);
    } finally {
      await side.query('rollback');
    }
    assert.equal((await px).status, 200);
    const imported = await apply!;
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    for (const a of await Promise.all(later)) assert.ok([200, 201].includes(a.status), a.text);

    const log = (await changeLog()).filter((r) => BigInt(r.id) > BigInt(logBefore.at(-1)?.id ?? '0'));
    const importIds = log.filter((r) => r.origin === 'import').map((r) => BigInt(r.id));
    assert.equal(importIds.length, USERS, 'the import renamed every user');
    const first = importIds.reduce((a, b) => (a < b ? a : b));
    const last = importIds.reduce((a, b) => (a > b ? a : b));
    const scim = log.filter((r) => r.origin === 'scim');
    assert.deepEqual(scim.filter((r) => r.entity_id === x.id), [], 'the write in flight changed nothing');
    assert.ok(scim.some((r) => r.entity_id === y.id), 'the PATCH that arrived meanwhile is in the change log');
    assert.ok(scim.some((r) => r.action === 'create'), 'so is the POST');
    for (const r of scim) assert.ok(BigInt(r.id) > last, `SCIM entry ${r.id} (${r.action}) is not wholly after the import's run (${first}..${last})`);
  });

  it('a burst of SCIM PATCHes and POSTs beside an import: the data version only grows, by one per write at least, and concurrent PATCHes of one user both take effect', async () => {
    const plan = await planRenameAll();
    const v0 = await dataVersion();
    const versions: number[] = [v0];
    let running = true;
    const poller = (async () => {
      while (running) versions.push(await dataVersion());
    })();
    const targets = users.slice(10, 30);
    const burst: Array<Promise<Answer & { kind: string; userId?: string; value?: string }>> = [];
    for (const [i, u] of targets.entries()) {
      // Two PATCHes of the same user at once, on attributes the import never writes (S3; R24).
      const lang = `ja-JP-x-${round}-${i}`;
      const zone = i % 2 === 0 ? 'Asia/Tokyo' : 'Asia/Osaka';
      burst.push(patch(u.id, [{ op: 'replace', path: 'preferredLanguage', value: lang }]).then((a) => ({ ...a, kind: 'lang', userId: u.id, value: lang })));
      burst.push(patch(u.id, [{ op: 'replace', path: 'timezone', value: `${zone}-${round}` }]).then((a) => ({ ...a, kind: 'zone', userId: u.id, value: `${zone}-${round}` })));
      if (i % 4 === 0) burst.push(post(`burst-${round}-${i}`).then((a) => ({ ...a, kind: 'post' })));
    }
    const apply = t.call('POST', `${P()}/sync/plans/${plan.id}/apply`, {});
    const answers = await Promise.all(burst);
    const imported = await apply;
    running = false;
    await poller;
    versions.push(await dataVersion());

    assert.deepEqual(answers.filter((a) => ![200, 201, 503].includes(a.status)).map((a) => `${a.status} ${a.text}`), []);
    for (const a of answers) if (a.status === 503) assert.ok(a.retryAfter, 'a 503 says when to retry');
    assert.ok(imported.status === 200 || (imported.status === 409 && /PLAN_STALE/.test(JSON.stringify(imported.body))), JSON.stringify(imported.body));
    for (let i = 1; i < versions.length; i++) assert.ok(versions[i]! >= versions[i - 1]!, `the data version went back: ${versions[i - 1]} -> ${versions[i]}`);
    const committed = answers.filter((a) => a.status === 200 || a.status === 201).length;
    assert.ok(committed > 0);
    assert.ok(versions.at(-1)! - v0 >= committed + (imported.status === 200 ? 1 : 0), `version ${v0} -> ${versions.at(-1)} for ${committed} writes`);

    // No lost update: each user shows what both of its PATCHes wrote (those that answered 200).
    for (const u of targets) {
      const now = await scim('GET', `/Users/${u.id}`);
      assert.equal(now.status, 200);
      for (const a of answers.filter((x) => x.userId === u.id && x.status === 200)) {
        if (a.kind === 'lang') assert.equal(now.body.preferredLanguage, a.value, `${u.loginName}: the language PATCH was lost`);
        if (a.kind === 'zone') assert.equal(now.body.timezone, a.value, `${u.loginName}: the time-zone PATCH was lost`);
      }
    }
    // And no SCIM entry lies inside the import's run in the change log.
    if (imported.status === 200) {
      const runId = (imported.body as { id: string }).id;
      const log = await changeLog();
      const mine = log.filter((r) => r.run_id === runId).map((r) => BigInt(r.id));
      const first = mine.reduce((a, b) => (a < b ? a : b));
      const last = mine.reduce((a, b) => (a > b ? a : b));
      assert.deepEqual(log.filter((r) => r.origin === 'scim' && BigInt(r.id) > first && BigInt(r.id) < last), []);
    }
  });

  /** The side connection holds the company's create lock, as a POST between its insert and its commit does. */
  const holdCreateLock = async () => {
    await side.query('begin');
    await side.query(`select ${companyCreateLock('$1')} is null`, [company.id]);
  };
  const sidePid = () => (side as unknown as { processID: number }).processID;

  it('two POSTs of the same userName at once: the second links to the user the first created (S6), as one after the other would', async () => {
    await holdCreateLock();
    const answers: Array<Promise<Answer>> = [];
    try {
      let settled = 0;
      answers.push(post('twice').finally(() => settled++));
      await someoneWaitsOn('the first POST waits at its commit', sidePid(), () => (settled > 0 ? 'the first POST answered without the create lock' : null));
      answers.push(post('twice').finally(() => settled++));
      // The second queues on the first (the userName's key), not on the held lock.
      await until(
        'the second POST waits for the first',
        `select 1 from pg_stat_activity w join pg_stat_activity f on f.pid = any(pg_blocking_pids(w.pid))
          where w.application_name = $1 and $2::int = any(pg_blocking_pids(f.pid))`,
        [APP, sidePid()],
        () => (settled > 0 ? 'a POST answered while the first waited' : null),
      );
    } finally {
      await side.query('rollback');
    }
    const [first, second] = await Promise.all(answers);
    assert.equal(first!.status, 201, first!.text);
    assert.equal(second!.status, 201, second!.text);
    assert.equal(second!.body.id, first!.body.id, 'one user, linked by the second POST');
  });

  it('R29: POSTs racing for the last place under the user limit create exactly one user', async () => {
    const count = (await t.call<unknown[]>('GET', `${P()}/users`)).body.length;
    assert.equal((await t.call('PATCH', P(), { maxUsers: count + 1 })).status, 200);
    try {
      await holdCreateLock();
      const answers: Array<Promise<Answer>> = [];
      try {
        let settled = 0;
        for (let i = 0; i < 4; i++) answers.push(post(`last-place-${i}`).finally(() => settled++));
        // All four have inserted their user and wait for the create lock: none was refused early.
        await until(
          'four POSTs wait at their commit',
          `select count(*) from pg_stat_activity where application_name = $1 and $2::int = any(pg_blocking_pids(pid)) having count(*) >= 4`,
          [APP, sidePid()],
          () => (settled > 0 ? 'a POST answered without waiting for the create lock' : null),
        );
      } finally {
        await side.query('rollback');
      }
      const done = await Promise.all(answers);
      assert.equal(done.filter((a) => a.status === 201).length, 1, done.map((a) => `${a.status} ${a.text}`).join('\n'));
      assert.equal(done.filter((a) => a.status === 403).length, 3);
      assert.equal((await t.call<unknown[]>('GET', `${P()}/users`)).body.length, count + 1);
    } finally {
      await t.call('PATCH', P(), { maxUsers: 10_000 });
    }
  });
});
