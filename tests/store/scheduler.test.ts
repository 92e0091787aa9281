/** B7: scheduled sync makes a plan at the cron's times, once per slot, never applies it. */
import assert from 'node:assert/strict';
import { startGraphEmulator, type GraphUser } from '../../src/devtools/graph-emulator.ts';
import { createGraphDirectoryReader, type DirectoryReader } from '../../src/directory/graph-reader.ts';
import { staticTokenProvider } from '../../src/directory/tokens.ts';
import { createLogger, silentLogger } from '../../src/log.ts';
import type { SafetyStore } from '../../src/store/safety-store.ts';
import { nextRunAfter, SyncScheduler } from '../../src/sync/scheduler.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
import { capture } from '../helpers/capture.ts';
import { engines } from '../helpers/databases.ts';

const reader: DirectoryReader = {
  read: async () => ({
    tenantId: 'tenant-schedule',
    users: [
      {
        id: 'oid-1',
        userPrincipalName: 'a@contoso.com',
        displayName: 'A',
        mail: 'a@contoso.com',
        businessPhones: [],
        department: null,
        accountEnabled: true,
        userType: 'Member',
        identityIssuers: [],
      },
    ],
  }),
};

describe('nextRunAfter', () => {
  it('follows the cron expression', () => {
    const after = new Date(2026, 10, 24, 2, 30, 0);
    assert.deepEqual(nextRunAfter('0 3 * * *', after), new Date(2026, 10, 24, 3, 0, 0));
    assert.deepEqual(nextRunAfter('*/15 * * * *', after), new Date(2026, 10, 24, 2, 45, 0));
  });

  it('defect: the schedule was read in the server\'s zone (03:00 UTC = 12:00 in Tokyo); now in the company time zone: 03:00 in Asia/Tokyo is 18:00 UTC the day before', () => {
    const after = new Date(Date.UTC(2026, 10, 23, 12, 0, 0));
    assert.equal(nextRunAfter('0 3 * * *', after, 'Asia/Tokyo')!.toISOString(), '2026-11-23T18:00:00.000Z');
    assert.equal(nextRunAfter('0 3 * * *', after, 'UTC')!.toISOString(), '2026-11-24T03:00:00.000Z');
  });
});

for (const engine of engines()) {
  describe(`scheduled sync (B7) on ${engine.name}`, () => {
    let store: SafetyStore;
    before(async () => {
      store = await engine.open();
    });
    after(async () => store.close());

    it('is off by default, starts counting when switched on, plans once per due slot across instances', async () => {
      let now = new Date(2026, 10, 24, 2, 30, 0);
      const clock = () => now;
      const sync = new SyncService(store, { clock });
      const posted: string[] = [];
      const make = () =>
        new SyncScheduler({ store, sync, directoryFor: async () => reader, log: silentLogger, clock, onScheduledPlan: async (p) => void posted.push(p.id) });
      const a = make();
      const b = make();
      const company = await store.createCompany({ name: 'Scheduled', plan: 'premier', maxUsers: 10 });
      assert.equal(await store.getTimeZone(company.id), 'Asia/Tokyo', 'the default company time zone');
      // The times below are the process's local times: read the cron in the same zone.
      await store.setTimeZone(company.id, Intl.DateTimeFormat().resolvedOptions().timeZone);
      assert.deepEqual(await a.tick(), [], 'no schedule: nothing happens');

      await store.updateSettings(company.id, { schedule: '0 3 * * *', initialPassword: 'Welcome#2026' });
      assert.deepEqual(await a.tick(), [], 'switching on does not fire for past times');
      now = new Date(2026, 10, 24, 2, 59, 0);
      assert.deepEqual(await a.tick(), []);
      now = new Date(2026, 10, 24, 3, 0, 30);
      const [fromA, fromB] = await Promise.all([a.tick(), b.tick()]);
      assert.equal(fromA!.length + fromB!.length, 1, 'two instances, one plan');
      const plan = [...fromA!, ...fromB!][0]!;
      assert.equal(plan.source, 'schedule');
      assert.equal(plan.status, 'pending', 'held for approval, never applied');
      assert.deepEqual(posted, [plan.id]);
      assert.deepEqual(await a.tick(), [], 'the same slot never fires twice');
      assert.equal((await store.listRuns(company.id)).length, 0);
      now = new Date(2026, 10, 25, 3, 0, 5);
      assert.equal((await b.tick()).length, 1, 'the next day fires again');
    });

    it('defect: a scheduled plan fired at the server\'s 03:00; now at 03:00 of the company time zone (default Asia/Tokyo), whatever the server zone', async () => {
      let now = new Date('2026-11-23T10:00:00Z');
      const sync = new SyncService(store, { clock: () => now });
      const scheduler = new SyncScheduler({ store, sync, directoryFor: async () => reader, log: silentLogger, clock: () => now });
      const company = await store.createCompany({ name: 'Tokyo', plan: 'premier', maxUsers: 10 });
      await store.updateSettings(company.id, { schedule: '0 3 * * *', initialPassword: 'Welcome#2026' });
      assert.deepEqual(await scheduler.tick(), [], 'switching on does not fire');
      now = new Date('2026-11-23T17:59:00Z'); // 02:59 in Tokyo
      assert.deepEqual(await scheduler.tick(), []);
      now = new Date('2026-11-23T18:00:30Z'); // 03:00:30 in Tokyo
      const made = await scheduler.tick();
      assert.equal(made.filter((p) => p.companyId === company.id).length, 1);
      await store.updateSettings(company.id, { schedule: null });
    });

    it('defect: scheduled runs logged without a request id; now each run (claim, read, plan, the card posted) has its own, as a bot message has', async () => {
      let now = new Date(2026, 10, 24, 2, 30, 0);
      const clock = () => now;
      const out = capture();
      const log = createLogger('debug', (line) => out.stream.write(`${line}\n`));
      const sync = new SyncService(store, { clock, log: (event, fields) => log.info(event, fields) });
      let n = 0;
      const scheduler = new SyncScheduler({
        store,
        sync,
        directoryFor: async () => reader,
        log,
        clock,
        // The bot posts the card: its log lines are part of the run.
        onScheduledPlan: async (p) => log.info('teams.scheduled_plan_posted', { companyId: p.companyId, planId: p.id }),
        runId: () => `schedule-run-${++n}`,
      });
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      const companies: Array<{ id: string }> = [];
      for (const name of ['Logged A', 'Logged B']) {
        const c = await store.createCompany({ name, plan: 'premier', maxUsers: 10 });
        await store.updateSettings(c.id, { schedule: '0 3 * * *', initialPassword: 'Welcome#2026' });
        await store.setTimeZone(c.id, zone);
        companies.push(c);
      }
      await scheduler.tick();
      now = new Date(2026, 10, 24, 3, 0, 30);
      const made = (await scheduler.tick()).filter((p) => companies.some((c) => c.id === p.companyId));
      assert.equal(made.length, 2);
      for (const c of companies) await store.updateSettings(c.id, { schedule: null });

      const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as { event: string; requestId?: string; companyId?: string; planId?: string });
      const ids = new Set<string>();
      for (const plan of made) {
        const own = lines.filter((l) => l.companyId === plan.companyId);
        const [id, ...others] = new Set(own.map((l) => l.requestId));
        assert.ok(id?.startsWith('schedule-run-'), `the run's lines carry its id: ${JSON.stringify(own)}`);
        assert.deepEqual(others, [], 'one id for the whole run');
        assert.deepEqual(
          own.map((l) => l.event),
          ['schedule.run_started', 'plan.created', 'schedule.plan_made', 'teams.scheduled_plan_posted'],
          JSON.stringify(own),
        );
        assert.ok(own.slice(1).every((l) => l.planId === plan.id), 'the plan is named, so its later confirmation can be found');
        ids.add(id!);
      }
      assert.equal(ids.size, 2, 'each company\'s run has its own id');
    });

    it('a company reads only its own tenant: a scheduled plan of company B (linked to tenant B) on a server whose Graph credential belongs to tenant A reads no user, is refused with TENANT_MISMATCH, mirrors and posts nothing', async () => {
      const TENANT_A = 'aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa';
      const TENANT_B = 'bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb';
      const ga = (n: number): GraphUser => ({
        id: `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`,
        userPrincipalName: `a-secret-${n}@tenant-a.example`,
        displayName: `Tenant A person ${n}`,
        mail: `a-secret-${n}@tenant-a.example`,
        otherMails: [],
        businessPhones: [`090-0000-${String(n).padStart(4, '0')}`],
        mobilePhone: null,
        department: 'A only',
        jobTitle: null,
        accountEnabled: true,
        userType: 'Member',
        identities: [],
      });
      // The server's app credential (and so its Graph) belongs to tenant A.
      const tenantA = await startGraphEmulator({
        tenant: { tenantId: TENANT_A, displayName: 'Tenant A', directoryRoles: {}, users: Array.from({ length: 195 }, (_, i) => ga(i + 1)) },
      });
      try {
        let now = new Date(2026, 10, 24, 2, 30, 0);
        const clock = () => now;
        const lines: string[] = [];
        const log = createLogger('debug', (line) => lines.push(line));
        const sync = new SyncService(store, { clock, log: (event, fields) => log.info(event, fields) });
        const posted: string[] = [];
        const scheduler = new SyncScheduler({
          store,
          sync,
          directoryFor: async () => createGraphDirectoryReader({ graphBaseUrl: tenantA.baseUrl, tokenProvider: staticTokenProvider('app-token-of-tenant-a') }),
          log,
          clock,
          onScheduledPlan: async (p) => void posted.push(p.id),
        });
        const companyB = await store.createCompany({ name: 'Company B', plan: 'premier', maxUsers: 500, entraTenantId: TENANT_B });
        await store.updateSettings(companyB.id, { schedule: '0 3 * * *', initialPassword: 'Welcome#2026' });
        await store.setTimeZone(companyB.id, Intl.DateTimeFormat().resolvedOptions().timeZone);
        await scheduler.tick();
        now = new Date(2026, 10, 24, 3, 0, 30);
        const before = tenantA.requestLog.length;

        assert.deepEqual(await scheduler.tick(), [], 'the plan is refused');
        assert.deepEqual(posted, [], 'nothing is posted');
        assert.deepEqual(await store.listPlans(companyB.id), [], 'no plan holds a user of tenant A');
        const reads = tenantA.requestLog.slice(before).map((r) => r.url);
        assert.ok(reads.length > 0 && reads.every((u) => !u.startsWith('/v1.0/users')), `no user was read: ${reads.join(', ')}`);
        const [mirror] = await store.db.query<{ n: string | number }>('select count(*) as n from directory_mirror where company_id = $1', [companyB.id]);
        assert.equal(Number(mirror!.n), 0, 'the mirror has no row of tenant A');
        const [state] = await store.db.query<{ delta_link: string | null; mirror_tenant_id: string | null }>(
          'select delta_link, mirror_tenant_id from sync_state where company_id = $1',
          [companyB.id],
        );
        assert.equal(state?.delta_link ?? null, null);
        assert.equal(state?.mirror_tenant_id ?? null, null);
        const failed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'schedule.plan_failed' || l['event'] === 'schedule.plan_failed');
        assert.ok(failed, lines.join('\n'));
        assert.match(JSON.stringify(failed), /TENANT_MISMATCH/);
        assert.doesNotMatch(lines.join('\n'), /a-secret-|Tenant A person|090-0000/, 'no user of tenant A in any log');
        assert.equal((await store.listUsers(companyB.id)).length, 0);
      } finally {
        await tenantA.close();
      }
    });
  });
}
