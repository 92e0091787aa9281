/**
 * Issue 7 defect 4, the bound on the wait: a write that cannot get the company row (an import
 * holds it) gives up with DATABASE_BUSY (503 + Retry-After at the edges) instead of hanging or
 * answering 500. PostgreSQL only (PGlite has one connection, so no second holder exists).
 */
import assert from 'node:assert/strict';
import { lockCompanyForWrite } from '../../src/store/company-lock.ts';
import { guard } from '../../src/store/rows.ts';
import { withHeldCompany } from '../helpers/databases.ts';

describe('company write lock (defect 4)', function () {
  before(function () {
    if (!process.env.TEST_DATABASE_URL) {
      console.log('      (skipped: TEST_DATABASE_URL is not set)');
      this.skip();
    }
  });

  it('defect 4: a write that cannot get the company row in time answers DATABASE_BUSY (503), not 500, and keeps the transaction\'s own lock_timeout', async () => {
    await withHeldCompany(process.env.TEST_DATABASE_URL!, async ({ store, company, hold, release }) => {
      await hold(); // as an import does
      await assert.rejects(
        guard(store.db.transaction((tx) => lockCompanyForWrite(tx, company.id, 'id', { waitMs: 50 }))),
        (e: { code?: string; status?: number }) => e.code === 'DATABASE_BUSY' && e.status === 503,
      );
      await release();
      const setting = await store.db.transaction(async (tx) => {
        await tx.query(`set local lock_timeout = '7s'`);
        await lockCompanyForWrite(tx, company.id);
        return (await tx.query<{ v: string }>(`select current_setting('lock_timeout') as v`))[0]!.v;
      });
      assert.equal(setting, '7s');
    });
  });
});
