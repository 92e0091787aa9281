/**
 * B3: a plan's validity, decided once. Every edge (REST, tab, cards, CLI), the
 * sync service, the applier and undo ask this function what a plan's status is
 * now; none of them re-derives it.
 */
import type { ErrorCode } from './errors.ts';
import type { PlanStatus, PlanSummary } from './types.ts';

/** What the assessment needs of a plan, import or undo alike. */
export interface AssessablePlan {
  /** The status last recorded in the store. */
  status: PlanStatus;
  expiresAt: string;
  /** The company's data version the plan was computed against. */
  baseDataVersion: number;
}

export interface PlanAssessmentInputs {
  now: Date;
  /** The company's data version now: every input of the planner bumps it. */
  dataVersion: number;
}

/**
 * The effective status: a settled plan (applied, cancelled, expired, stale) stays settled; a pending
 * plan past its time is expired (checked first: an old plan is expired whatever changed meanwhile);
 * a pending plan whose company data changed since it was made is stale; otherwise pending.
 */
export function assessPlan(plan: AssessablePlan, inputs: PlanAssessmentInputs): PlanStatus {
  if (plan.status !== 'pending') return plan.status;
  if (inputs.now.getTime() > Date.parse(plan.expiresAt)) return 'expired';
  if (inputs.dataVersion !== plan.baseDataVersion) return 'stale';
  return 'pending';
}

export type PlanRefusalCode = Extract<ErrorCode, 'PLAN_EXPIRED' | 'PLAN_STALE' | 'PLAN_CANCELLED'>;

/** Why a plan with this status cannot be applied; null when it is pending (or applied: answered with its run). */
export function planRefusal(status: PlanStatus): { code: PlanRefusalCode; message: string } | null {
  switch (status) {
    case 'expired':
      return { code: 'PLAN_EXPIRED', message: 'This plan has expired; plan again.' };
    case 'stale':
      return { code: 'PLAN_STALE', message: 'The company data changed after this plan was made; plan again.' };
    case 'cancelled':
      return { code: 'PLAN_CANCELLED', message: 'This plan was cancelled; plan again.' };
    default:
      return null;
  }
}

/**
 * Whether applying the plan would change anything: users or departments to create, update or
 * delete, or a tenant to link (the first import). The cards and the bot offer Confirm only when
 * it does; a plan without changes is "already up to date".
 */
export function hasChanges(plan: { summary: PlanSummary; warnings: readonly { code: string }[] }): boolean {
  const s = plan.summary;
  return s.usersToCreate + s.usersToUpdate + s.usersToDelete + s.departmentsToCreate > 0 || plan.warnings.some((w) => w.code === 'TENANT_WILL_BE_LINKED');
}

/** What a plan card shows: the plan's assessed status, or `superseded` when a newer plan replaced it. */
export type CardStatus = PlanStatus | 'superseded';

/**
 * A plan card's state, decided once (cards, the refresh answer, the update of an older card): a
 * pending plan is superseded as soon as the company has a newer import plan, whatever became of
 * it (pending, applied, cancelled): only the newest preview may be confirmed from a card, and an
 * older card turns read-only. Settled plans keep their own status.
 */
export function cardStatus(plan: { id: string; status: PlanStatus }, newestPlanId: string | null): CardStatus {
  if (plan.status === 'pending' && newestPlanId !== null && newestPlanId !== plan.id) return 'superseded';
  return plan.status;
}
