/**
 * The linked tenant's display name (issues 8/9 leftover: the plan card's subtitle showed the tenant's
 * GUID). One cache per tenant on an injected clock; a failure is logged with a code and falls back to
 * the last name known or to none (the id is shown), and never fails a plan.
 */
import assert from 'node:assert/strict';
import type { DirectoryReader } from '../../src/directory/graph-reader.ts';
import { AppError } from '../../src/domain/errors.ts';
import type { DirectorySnapshot } from '../../src/domain/types.ts';
import { engines } from '../helpers/databases.ts';
import { SyncService } from '../../src/sync/sync-service.ts';
import { TenantNames } from '../../src/sync/tenant-names.ts';
import type { SafetyStore } from '../../src/store/safety-store.ts';

const T1 = '11111111-1111-4111-8111-111111111111';
const T2 = '22222222-2222-4222-8222-222222222222';

/** A reader whose /organization answers from `answers` in turn (a string, null, or an error to throw). */
function namer(answers: Array<string | null | Error>): Pick<DirectoryReader, 'tenantName'> & { calls: number } {
  const r = {
    calls: 0,
    async tenantName() {
      const a = answers[Math.min(r.calls++, answers.length - 1)];
      if (a instanceof Error) throw a;
      return a ?? null;
    },
  };
  return r;
}

describe('TenantNames: the tenant display name, cached per tenant on an injected clock', () => {
  let now = new Date('2026-04-01T00:00:00Z');
  const clock = () => now;
  const lines: Array<{ event: string; fields: Record<string, unknown> }> = [];
  const log = (event: string, fields: Record<string, unknown>) => void lines.push({ event, fields });

  beforeEach(() => {
    now = new Date('2026-04-01T00:00:00Z');
    lines.length = 0;
  });

  it('reads once per tenant within the TTL, again after it', async () => {
    const names = new TenantNames({ clock, ttlMs: 60_000, log });
    const a = namer(['Contoso', 'Contoso Ltd']);
    assert.equal(await names.nameOf(T1, a), 'Contoso');
    now = new Date(now.getTime() + 59_999);
    assert.equal(await names.nameOf(T1, a), 'Contoso');
    assert.equal(a.calls, 1, 'cached within the TTL');
    const b = namer(['Fabrikam']);
    assert.equal(await names.nameOf(T2, b), 'Fabrikam', 'per tenant');
    now = new Date(now.getTime() + 1);
    assert.equal(await names.nameOf(T1, a), 'Contoso Ltd', 'read again after the TTL');
    assert.equal(a.calls, 2);
    assert.deepEqual(lines, []);
  });

  it('a failure is logged with its code and falls back to the last name known, or to none', async () => {
    const names = new TenantNames({ clock, ttlMs: 1000, log });
    const failing = namer([new AppError('DIRECTORY_UNAVAILABLE', 'Graph said 503')]);
    assert.equal(await names.nameOf(T1, failing), null);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.event, 'directory.tenant_name_unavailable');
    assert.equal(lines[0]!.fields['code'], 'DIRECTORY_UNAVAILABLE');
    assert.equal(lines[0]!.fields['tenantId'], T1);
    // A failure is not remembered: the next call reads again, and a name read is kept.
    const flaky = namer(['Contoso', new Error('socket hang up')]);
    assert.equal(await names.nameOf(T1, flaky), 'Contoso');
    now = new Date(now.getTime() + 5000);
    assert.equal(await names.nameOf(T1, flaky), 'Contoso', 'the last name known');
    assert.equal(lines.at(-1)!.fields['code'], 'INTERNAL');
    // A reader that cannot name its tenant (a test double, an older reader) gives none, quietly.
    assert.equal(await names.nameOf(T2, {}), null);
  });

  it('remembers a bounded number of tenants, forgetting the oldest read first', async () => {
    const names = new TenantNames({ clock, maxTenants: 2, log });
    const r = namer(['x']);
    for (const t of [T1, T2, '33333333-3333-4333-8333-333333333333']) await names.nameOf(t, r);
    assert.equal(r.calls, 3);
    await names.nameOf(T2, r);
    assert.equal(r.calls, 3, 'T2 is still known');
    await names.nameOf(T1, r);
    assert.equal(r.calls, 4, 'T1 was forgotten');
  });
});

for (const engine of engines()) describe(`SyncService.createPlan records the tenant name for the cards, and never fails for it (${engine.name})`, () => {
  let store: SafetyStore;
  before(async () => {
    store = await engine.open();
  });
  after(async () => store.close());

  const snapshot: DirectorySnapshot = {
    tenantId: T1,
    users: [
      { id: 'oid-1', userPrincipalName: 'a@contoso.com', displayName: 'A', mail: 'a@contoso.com', businessPhones: [], department: null, accountEnabled: true, userType: 'Member', identityIssuers: [] },
    ],
  };

  it('the plan carries the name read after the tenant was proven; a failure leaves it null (the card shows the id) and the plan is made', async () => {
    const lines: string[] = [];
    const sync = new SyncService(store, { directoryRead: 'full', log: (event, fields) => lines.push(`${event} ${JSON.stringify(fields)}`) });
    const company = await store.createCompany({ name: 'Named', plan: 'premier', maxUsers: 10, entraTenantId: T1 });
    await store.updateSettings(company.id, { initialPassword: 'Welcome#2026' });
    const named: DirectoryReader = { read: async () => snapshot, tenantName: async () => 'Contoso' };
    const plan = await sync.createPlan(company.id, named, { requestedBy: 'x', source: 'api' });
    assert.equal(plan.tenantName, 'Contoso');
    assert.equal((await store.getPlan(company.id, plan.id)).tenantName, 'Contoso', 'stored with the plan: a card rebuilt anywhere names it');

    const other = await store.createCompany({ name: 'Unnamed', plan: 'premier', maxUsers: 10, entraTenantId: T2 });
    await store.updateSettings(other.id, { initialPassword: 'Welcome#2026' });
    const failing: DirectoryReader = {
      read: async () => ({ ...snapshot, tenantId: T2 }),
      tenantName: async () => {
        throw new AppError('DIRECTORY_UNAVAILABLE', 'Graph said 503');
      },
    };
    const unnamed = await sync.createPlan(other.id, failing, { requestedBy: 'x', source: 'api' });
    assert.equal(unnamed.status, 'pending');
    assert.equal(unnamed.tenantName, null);
    assert.ok(lines.some((l) => l.startsWith('directory.tenant_name_unavailable') && l.includes('DIRECTORY_UNAVAILABLE')), lines.join('\n'));
  });
});
