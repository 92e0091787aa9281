/**
 * The one-statement company lock SCIM writes take (issue 9 item 7) keeps defect 4's semantics:
 * the wait for a company row an import holds is bounded (DATABASE_BUSY, 503 on SCIM), and once the
 * caller's next statement (the user read) ran, the transaction's own lock_timeout is back.
 * PostgreSQL only (PGlite has one connection, so no second holder exists).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { lockCompanyForScimWrite } from '../../src/store/company-lock.ts';
import { guard } from '../../src/store/rows.ts';
import { readScimUser, ScimUserStore } from '../../src/store/scim-users.ts';
import { withHeldCompany } from '../helpers/databases.ts';

describe('SCIM company write lock in one statement (defect 4 kept)', function () {
  this.timeout(60_000);
  before(function () {
    if (!process.env.TEST_DATABASE_URL) {
      console.log('      (skipped: TEST_DATABASE_URL is not set)');
      this.skip();
    }
  });

  it('defect 4: the one-statement company lock waits a bounded time for a row an import holds (DATABASE_BUSY, not 500), and the user read puts the transaction\'s lock_timeout back', async () => {
    await withHeldCompany(process.env.TEST_DATABASE_URL!, async ({ store, company, hold, release }) => {
      const users = new ScimUserStore(store.db);
      const { user } = await users.create(company.id, { loginName: 'a@x.jp', name: 'A', entraObjectId: randomUUID() }, 'test');
      await hold(); // as an import does
      await assert.rejects(
        guard(store.db.transaction((tx) => lockCompanyForScimWrite(tx, company.id, ['id'], { waitMs: 50 }))),
        (e: { code?: string; status?: number }) => e.code === 'DATABASE_BUSY' && e.status === 503,
      );
      await release();
      // Unheld: the same statement locks at once and reports the transaction's own lock_timeout.
      const previous = await store.db.transaction(async (tx) => {
        await tx.query(`set local lock_timeout = '7s'`);
        const { previousLockTimeout } = await lockCompanyForScimWrite(tx, company.id, ['id'], { userId: user.id });
        const bounded = (await tx.query<{ v: string }>(`select current_setting('lock_timeout') as v`))[0]!.v;
        await readScimUser(tx, company.id, user.id, true, previousLockTimeout);
        const restored = (await tx.query<{ v: string }>(`select current_setting('lock_timeout') as v`))[0]!.v;
        return { previousLockTimeout, bounded, restored };
      });
      assert.deepEqual(previous, { previousLockTimeout: '7s', bounded: '15s', restored: '7s' });
      // And a PATCH goes through once the import is gone.
      const after = await users.update(company.id, user.id, { name: 'A2' }, 'test');
      assert.equal(after.name, 'A2');
    });
  });
});
