/** B7: scheduled sync makes a plan at the cron's times, once per slot, never applies it. */
import assert from 'node:assert/strict';
import type { DirectoryReader } from '../../src/directory/graph-reader.ts';
import { silentLogger } from '../../src/log.ts';
import type { SafetyStore } from '../../src/store/safety-store.ts';
import { nextRunAfter, SyncScheduler } from '../../src/sync/scheduler.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
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
  });
}
