/**
 * `npm run bench:skipped`: one page of a plan's users not imported (what the tab's "Show more" and
 * GET …/skipped-users ask for), on a first-import plan whose body lists 100,000 users to create and
 * whose 5,000 skipped users are stored by row. Each figure beside its limit, measured in the same run:
 *   bare   the page's own query alone (select … from plan_skipped_users … offset … limit 100)
 *   now    SafetyStore.skippedUsersPage: the plan's summary and inline list, then the page
 *   before the previous listSkippedUsers: the whole plan (getPlan), then the page
 * Medians of PAGES pages at offsets spread over the list. PGlite (memory) always; PostgreSQL when
 * BENCH_DATABASE_URL, TEST_DATABASE_URL or DATABASE_URL is a postgres:// URL (own schema, dropped).
 */
import { openBenchStore, pgUrl } from './databases.ts';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { SkippedUser, UserCreate } from '../src/domain/types.ts';
import type { StoredPlan } from '../src/store/safety-store.ts';

const CREATES = Number(process.env.BENCH_CREATES ?? 100_000);
const SKIPPED = Number(process.env.BENCH_SKIPPED ?? 5_000);
const PAGES = Number(process.env.BENCH_PAGES ?? 30);
const LIMIT = 100;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function run(engine: 'pglite' | 'postgres'): Promise<void> {
  const { store, drop } = await openBenchStore(engine);
  try {
    const company = await store.createCompany({ name: 'Bench', plan: 'enterprise', maxUsers: 10_000_000 });
    const createUsers: UserCreate[] = Array.from({ length: CREATES }, (_, i) => ({
      entraObjectId: randomUUID(),
      loginName: `user${i}@bench.example`,
      name: `User ${i}`,
      email: `user${i}@bench.example`,
      phone: null,
      departmentCode: `Dept ${i % 50}`,
    }));
    const skippedUsers: SkippedUser[] = Array.from({ length: SKIPPED }, (_, i) => ({
      entraObjectId: randomUUID(),
      userPrincipalName: `guest${i}_x#EXT#@bench.example`,
      displayName: `Guest ${i}`,
      reason: 'guest',
    }));
    const now = new Date();
    const plan: StoredPlan = {
      id: randomUUID(),
      companyId: company.id,
      kind: 'import',
      status: 'pending',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + 900_000).toISOString(),
      requestedBy: 'bench',
      source: 'api',
      tenantId: 'bench-tenant',
      baseDataVersion: 1,
      runId: null,
      cancelledBy: null,
      summary: {
        usersToCreate: CREATES,
        usersToUpdate: 0,
        usersToDelete: 0,
        usersUnchanged: 0,
        departmentsToCreate: 50,
        skipped: { guest: SKIPPED, external: 0, disabledNew: 0, noUserPrincipalName: 0 },
        directoryUsers: CREATES + SKIPPED,
        changesRead: null,
      },
      changes: { createDepartments: [], createUsers, updateUsers: [], deleteUsers: [] },
      errors: [],
      warnings: [],
      skippedUsers,
      requiresDeletionConfirmation: false,
    };
    await store.savePlan(plan);
    const offsets = Array.from({ length: PAGES }, (_, i) => Math.floor((i * (SKIPPED - LIMIT)) / Math.max(1, PAGES - 1)));
    const time = async (fn: (offset: number) => Promise<unknown>) => {
      await fn(0); // warm
      const ms: number[] = [];
      for (const offset of offsets) {
        const t0 = performance.now();
        await fn(offset);
        ms.push(performance.now() - t0);
      }
      return median(ms);
    };
    const bare = await time((offset) =>
      store.db.query('select doc from plan_skipped_users where plan_id = $1 order by n offset $2 limit $3', [plan.id, offset, LIMIT]),
    );
    const now_ = await time((offset) => store.skippedUsersPage(company.id, plan.id, { offset, limit: LIMIT }));
    const before = await time(async (offset) => {
      await store.getPlan(company.id, plan.id);
      return store.db.query('select doc from plan_skipped_users where plan_id = $1 order by n offset $2 limit $3', [plan.id, offset, LIMIT]);
    });
    const page = await store.skippedUsersPage(company.id, plan.id, { offset: SKIPPED - LIMIT, limit: LIMIT });
    if (page.total !== SKIPPED || page.users.length !== LIMIT) throw new Error(`wrong page: total ${page.total}, ${page.users.length} users`);
    const f = (x: number) => `${x.toFixed(1)} ms`;
    console.log(
      `${engine.padEnd(8)} ${CREATES.toLocaleString('en')} creates, ${SKIPPED.toLocaleString('en')} skipped, page of ${LIMIT}: ` +
        `bare ${f(bare)} | now ${f(now_)} (${(now_ / bare).toFixed(1)}x) | before ${f(before)} (${(before / bare).toFixed(1)}x)`,
    );
  } finally {
    await store.close();
    await drop();
  }
}

for (const engine of ['pglite', ...(pgUrl() ? ['postgres' as const] : [])] as const) await run(engine);
