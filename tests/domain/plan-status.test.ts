/** B3: a plan's validity decided once (assessPlan), and R3's tenant rule (sameTenant, assertLinkedTenant). */
import assert from 'node:assert/strict';
import { AppError } from '../../src/domain/errors.ts';
import { assessPlan, cardStatus, hasChanges, planRefusal, type AssessablePlan } from '../../src/domain/plan-status.ts';
import { assertLinkedTenant, sameTenant } from '../../src/domain/tenant.ts';
import type { PlanStatus } from '../../src/domain/types.ts';

const created = Date.parse('2026-11-24T09:00:00Z');
const expiresAt = new Date(created + 15 * 60_000).toISOString();
const at = (minutes: number) => new Date(created + minutes * 60_000);

describe('assessPlan (B3)', () => {
  const cases: { name: string; plan: AssessablePlan; now: Date; dataVersion: number; want: PlanStatus }[] = [
    { name: 'pending, in time, nothing changed', plan: { status: 'pending', expiresAt, baseDataVersion: 7 }, now: at(5), dataVersion: 7, want: 'pending' },
    { name: 'pending at the very instant it expires', plan: { status: 'pending', expiresAt, baseDataVersion: 7 }, now: at(15), dataVersion: 7, want: 'pending' },
    { name: 'pending past its time', plan: { status: 'pending', expiresAt, baseDataVersion: 7 }, now: at(16), dataVersion: 7, want: 'expired' },
    { name: 'pending, company data changed', plan: { status: 'pending', expiresAt, baseDataVersion: 7 }, now: at(5), dataVersion: 8, want: 'stale' },
    { name: 'past its time and changed: expired wins', plan: { status: 'pending', expiresAt, baseDataVersion: 7 }, now: at(16), dataVersion: 8, want: 'expired' },
    { name: 'applied stays applied (its run answers)', plan: { status: 'applied', expiresAt, baseDataVersion: 7 }, now: at(60), dataVersion: 9, want: 'applied' },
    { name: 'cancelled stays cancelled', plan: { status: 'cancelled', expiresAt, baseDataVersion: 7 }, now: at(1), dataVersion: 7, want: 'cancelled' },
    { name: 'stale stays stale even when the version comes back', plan: { status: 'stale', expiresAt, baseDataVersion: 7 }, now: at(1), dataVersion: 7, want: 'stale' },
    { name: 'expired stays expired', plan: { status: 'expired', expiresAt, baseDataVersion: 7 }, now: at(1), dataVersion: 7, want: 'expired' },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(assessPlan(c.plan, { now: c.now, dataVersion: c.dataVersion }), c.want));
  }

  it('names the refusal of every status that cannot be applied, and none for pending or applied', () => {
    assert.equal(planRefusal('expired')?.code, 'PLAN_EXPIRED');
    assert.equal(planRefusal('stale')?.code, 'PLAN_STALE');
    assert.equal(planRefusal('cancelled')?.code, 'PLAN_CANCELLED');
    assert.equal(planRefusal('pending'), null);
    assert.equal(planRefusal('applied'), null);
  });
});

describe('R3: the linked tenant', () => {
  it('compares tenant ids without case or blanks', () => {
    assert.ok(sameTenant('AAAA-1', ' aaaa-1 '));
    assert.ok(!sameTenant('aaaa-1', 'aaaa-2'));
  });
  it('a company not linked yet accepts any tenant', () => {
    assert.doesNotThrow(() => assertLinkedTenant(null, 'aaaa-1'));
    assert.doesNotThrow(() => assertLinkedTenant(undefined, 'aaaa-1'));
  });
  it('a linked company refuses another tenant with TENANT_MISMATCH naming both', () => {
    assert.doesNotThrow(() => assertLinkedTenant('AAAA-1', 'aaaa-1'));
    assert.throws(
      () => assertLinkedTenant('bbbb-2', 'aaaa-1'),
      (e) => e instanceof AppError && e.code === 'TENANT_MISMATCH' && e.status === 409 && /bbbb-2/.test(e.message) && /aaaa-1/.test(e.message),
    );
  });
});

describe('hasChanges: whether a plan offers Confirm (cards, bot)', () => {
  const summary = { usersToCreate: 0, usersToUpdate: 0, usersToDelete: 0, usersUnchanged: 194, departmentsToCreate: 0, skipped: { guest: 3, external: 1, disabledNew: 3, noUserPrincipalName: 0 } };
  it('defect: a plan with nothing to change offered Confirm (and recorded an empty run): nothing to change', () => {
    assert.equal(hasChanges({ summary, warnings: [] }), false);
    assert.equal(hasChanges({ summary, warnings: [{ code: 'EMAIL_KEPT' }] }), false);
  });
  it('any user or department to write, or a tenant to link, is a change', () => {
    for (const k of ['usersToCreate', 'usersToUpdate', 'usersToDelete', 'departmentsToCreate'] as const) {
      assert.equal(hasChanges({ summary: { ...summary, [k]: 1 }, warnings: [] }), true, k);
    }
    assert.equal(hasChanges({ summary, warnings: [{ code: 'TENANT_WILL_BE_LINKED' }] }), true);
  });
});

describe('cardStatus: a plan card superseded by a newer one', () => {
  it('a pending plan is superseded once the company has a newer plan card; settled plans keep their status', () => {
    assert.equal(cardStatus({ id: 'p1', status: 'pending' }, 'p1'), 'pending');
    assert.equal(cardStatus({ id: 'p1', status: 'pending' }, null), 'pending');
    assert.equal(cardStatus({ id: 'p1', status: 'pending' }, 'p2'), 'superseded');
    for (const status of ['applied', 'cancelled', 'expired', 'stale'] as const) assert.equal(cardStatus({ id: 'p1', status }, 'p2'), status);
  });
});
