/**
 * Orchestration: read the directory -> plan (pure) -> hold the plan in the
 * store -> apply on confirmation. Teams, the tab, the REST API, the CLI and
 * the schedule all call this; nothing here knows about HTTP or cards.
 */
import { randomUUID } from 'node:crypto';
import { AppError, isAppError } from '../domain/errors.ts';
import { planImport } from '../domain/planner.ts';
import { assessPlan } from '../domain/plan-status.ts';
import { assertLinkedTenant } from '../domain/tenant.ts';
import { planError, type Plan, type PlanSource, type Run } from '../domain/types.ts';
import type { DirectoryReader } from '../directory/graph-reader.ts';
import { applyImportPlan } from '../store/applier.ts';
import { canReadDelta, incrementalReader } from './incremental-reader.ts';
import { planIncrementally } from './incremental-plan.ts';
import type { PlanBody } from '../domain/types.ts';
import { planUndo, type UndoPlan } from '../domain/undo.ts';
import { applyUndoPlan, loadUndoInputs, saveUndoPlan } from '../store/undo-store.ts';
import { TenantNames } from './tenant-names.ts';
import type { AnyStoredPlan, SafetyStore, StoredPlan, StoredUndoPlan } from '../store/safety-store.ts';

export interface SyncServiceOptions {
  /**
   * B7: 'delta' (default) reads only what changed since the last read and keeps a directory
   * mirror; 'full' reads every user every time.
   */
  directoryRead?: 'delta' | 'full';
  /** How long a plan may wait for confirmation (B3). Default 15 minutes. */
  planTtlInMs?: number;
  clock?: () => Date;
  log?: (event: string, fields: Record<string, unknown>) => void;
  /** The tenants' display names (default: a cache on this service's clock and log). */
  tenantNames?: TenantNames;
}

export interface PlanRequest {
  requestedBy: string;
  source: PlanSource;
  onProgress?: (usersRead: number) => void;
  signal?: AbortSignal;
}

export interface ApplyRequest {
  confirmedBy: string;
  confirmDeletions?: boolean;
}

export const DEFAULT_PLAN_TTL_IN_MS = 15 * 60 * 1000;

/** A plan body and how it was made. */
type Made = { body: PlanBody; linked: string | null; mirror: { generation: number; seq: number } | null; serviceUsers: number } & (
  | { planning: 'incremental'; closureSize: number }
  | { planning: 'full'; reason: string }
);

/** Answers that refuse to start an import; anything else thrown while applying is a failed run. */
const REFUSALS = new Set<string>([
  'NOT_FOUND',
  'PLAN_HAS_ERRORS',
  'PLAN_STALE',
  'PLAN_EXPIRED',
  'PLAN_CANCELLED',
  'DELETIONS_NOT_CONFIRMED',
  'IMPORT_IN_PROGRESS',
]);

export class SyncService {
  private readonly ttl: number;
  private readonly clock: () => Date;
  private readonly log: NonNullable<SyncServiceOptions['log']>;
  private readonly directoryRead: 'delta' | 'full';
  private readonly tenantNames: TenantNames;

  constructor(
    readonly store: SafetyStore,
    options: SyncServiceOptions = {},
  ) {
    this.ttl = options.planTtlInMs ?? DEFAULT_PLAN_TTL_IN_MS;
    this.clock = options.clock ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    this.directoryRead = options.directoryRead ?? 'delta';
    this.tenantNames = options.tenantNames ?? new TenantNames({ clock: this.clock, log: this.log });
  }

  /**
   * The display name of the tenant `reader` reads (cached per tenant; null when it cannot be read,
   * logged): what the plan records and the tab's header shows. `tenantId` must be the reader's own
   * tenant, proven by the caller.
   */
  tenantName(tenantId: string, reader: DirectoryReader, options: { signal?: AbortSignal } = {}): Promise<string | null> {
    return this.tenantNames.nameOf(tenantId, reader, options);
  }

  /**
   * Reads the whole directory now and stores a pending plan (B1). A company linked to a tenant reads
   * only that tenant (R3): the reader proves the credential's tenant before any user is read and the
   * plan is refused with TENANT_MISMATCH otherwise; nothing of the other tenant is stored or shown.
   */
  async createPlan(companyId: string, reader: DirectoryReader, request: PlanRequest): Promise<StoredPlan> {
    const made = this.directoryRead === 'delta' && canReadDelta(reader) ? await this.planFromRound(companyId, reader, request) : await this.planFromFullRead(companyId, reader, request);
    const { body, linked } = made;
    // Only a label for the cards, read once the read has proven the tenant: never fails the plan.
    const tenantName = await this.tenantName(body.tenantId, reader, request.signal ? { signal: request.signal } : {});
    if (linked === null) {
      const holder = await this.store.findCompanyByTenant(body.tenantId);
      if (holder && holder.id !== companyId) {
        body.errors.push(
          planError('TENANT_ALREADY_LINKED', {
            message: 'This Entra tenant is already linked to another company; one tenant links to one company only.',
            tenantId: body.tenantId,
          }),
        );
      }
    }
    const now = this.clock();
    const plan: Plan = {
      ...body,
      kind: 'import',
      id: randomUUID(),
      companyId,
      status: 'pending',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.ttl).toISOString(),
      requestedBy: request.requestedBy,
      source: request.source,
      tenantName,
    };
    await this.store.savePlan(plan, { mirror: made.mirror, serviceUsers: made.serviceUsers });
    this.log('plan.created', {
      companyId,
      planId: plan.id,
      source: request.source,
      errors: plan.errors.map((e) => e.code),
      summary: plan.summary,
      // Item 5: which way it was planned, how many users the re-plan read, or why it planned in full.
      planning: made.planning,
      ...(made.planning === 'incremental' ? { closureSize: made.closureSize } : { fullBecause: made.reason }),
    });
    return { ...plan, runId: null, cancelledBy: null };
  }

  /** A reader without delta support (or directoryRead 'full'): the whole directory, the full planner. */
  private async planFromFullRead(companyId: string, reader: DirectoryReader, request: PlanRequest): Promise<Made> {
    // The snapshot is taken before the directory read: a service change made during the
    // read bumps the data version and makes the plan stale instead of silently lost (B3).
    const snapshot = await this.store.snapshot(companyId);
    const linked = snapshot.company.entraTenantId;
    const directory = await reader.read({
      signal: request.signal,
      onProgress: request.onProgress,
      ...(linked ? { expectedTenantId: linked } : {}),
    });
    // A reader that could not prove the tenant up front is still held to it before anything is kept.
    assertLinkedTenant(linked, directory.tenantId);
    return { body: planImport(directory, snapshot), linked, planning: 'full', reason: 'full directory read', mirror: null, serviceUsers: snapshot.users.length };
  }

  /**
   * B7 and item 5: a delta round, then the incremental re-plan when it can prove its answer
   * (sync/incremental-plan.ts), else the full planner over the mirror. The service side is read
   * after the directory here, in one transaction with its data version: nothing changed meanwhile is lost.
   */
  private async planFromRound(companyId: string, reader: Parameters<typeof incrementalReader>[2], request: PlanRequest): Promise<Made> {
    const linked = (await this.store.getCompany(companyId)).entraTenantId;
    const source = incrementalReader(this.store.db, companyId, reader, { clock: this.clock });
    // A first read's mirror switch may still run in the database while the planner runs here
    // (round.position settles when it is done, and is awaited before the plan is kept).
    const round = await source.readRound({
      signal: request.signal,
      onProgress: request.onProgress,
      ...(linked ? { expectedTenantId: linked } : {}),
      defer: () => undefined,
    });
    const tenantId = round.kind === 'full' ? round.snapshot.tenantId : round.tenantId;
    assertLinkedTenant(linked, tenantId);
    let reason = 'full directory read';
    if (round.kind === 'delta') {
      const inc = await planIncrementally(this.store.db, companyId, tenantId, round.changesRead);
      if (inc.planning === 'incremental') {
        return { body: inc.body, linked, planning: 'incremental', closureSize: inc.closureSize, mirror: inc.mirror, serviceUsers: inc.serviceUsers };
      }
      reason = inc.reason;
    }
    const directory = round.kind === 'full' ? round.snapshot : await source.mirrorSnapshot(tenantId, round.changesRead);
    const snapshot = await this.store.snapshot(companyId);
    const body = planImport(directory, snapshot);
    return {
      body,
      linked: snapshot.company.entraTenantId,
      planning: 'full',
      reason,
      mirror: round.kind === 'full' ? await round.position : round.position,
      serviceUsers: snapshot.users.length,
    };
  }

  /**
   * A plan of either kind with its status now (assessPlan): a pending plan past its time is recorded
   * as expired, one whose company data changed since as stale.
   */
  async readPlan(companyId: string, planId: string): Promise<AnyStoredPlan> {
    const plan = await this.store.getAnyPlan(companyId, planId);
    if (plan.status !== 'pending') return plan;
    const status = assessPlan(plan, { now: this.clock(), dataVersion: await this.store.dataVersion(companyId) });
    if (status === 'expired' || status === 'stale') {
      if (await this.store.settlePlan(plan.id, status)) return { ...plan, status };
      return this.store.getAnyPlan(companyId, planId);
    }
    return plan;
  }

  /** An import plan with its status now (the cards, the tab). An undo plan's id is not found here. */
  async getPlan(companyId: string, planId: string): Promise<StoredPlan> {
    const plan = await this.readPlan(companyId, planId);
    if (plan.kind === 'undo') throw new AppError('NOT_FOUND', 'Plan not found.');
    return plan;
  }

  /** B6: a preview of undoing the company's last successful import, held like a plan. */
  async createUndoPlan(companyId: string, requestedBy: string): Promise<StoredUndoPlan> {
    const inputs = await loadUndoInputs(this.store.db, companyId);
    const users = await this.store.listUsers(companyId);
    const body = planUndo(inputs.runId, inputs.changes, users, inputs.changedSince);
    const now = this.clock();
    const plan: UndoPlan = {
      ...body,
      id: randomUUID(),
      companyId,
      status: 'pending',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.ttl).toISOString(),
      requestedBy,
      baseDataVersion: inputs.dataVersion,
    };
    await saveUndoPlan(this.store.db, plan);
    this.log('undo.planned', { companyId, planId: plan.id, undoOfRunId: body.undoOfRunId, errors: body.errors.map((e) => e.code) });
    return { ...plan, runId: null, cancelledBy: null };
  }

  /** An undo plan with its status now. */
  async getUndoPlan(companyId: string, planId: string): Promise<StoredUndoPlan> {
    const plan = await this.readPlan(companyId, planId);
    if (plan.kind !== 'undo') throw new AppError('NOT_FOUND', 'Undo plan not found.');
    return plan;
  }

  async apply(companyId: string, planId: string, request: ApplyRequest): Promise<{ run: Run; alreadyApplied: boolean }> {
    const plan = await this.store.getAnyPlan(companyId, planId);
    if (plan.kind === 'undo') {
      const result = await applyUndoPlan(this.store.db, plan, { confirmedBy: request.confirmedBy, now: this.clock() });
      if (!result.alreadyApplied) this.log('undo.applied', { companyId, planId, runId: result.run.id, counts: result.run.counts });
      return result;
    }
    try {
      const result = await applyImportPlan(this.store.db, plan, {
        confirmedBy: request.confirmedBy,
        confirmDeletions: request.confirmDeletions,
        now: this.clock(),
      });
      if (!result.alreadyApplied) {
        this.log('plan.applied', { companyId, planId, runId: result.run.id, counts: result.run.counts });
      }
      return result;
    } catch (e) {
      if (isAppError(e) && REFUSALS.has(e.code)) throw e;
      // The import itself failed: the transaction rolled back (R5); the failed run goes into history (B5).
      const known = isAppError(e) && e.code !== 'INTERNAL';
      const error = known
        ? { code: e.code, message: `${e.message} The import was rolled back; nothing was changed.` }
        : { code: 'IMPORT_FAILED', message: 'The import failed and was rolled back; nothing was changed.' };
      const run = await this.store.recordFailedRun(plan, request.confirmedBy, error);
      this.log('plan.failed', { companyId, planId, runId: run.id, error: known ? e.code : e instanceof Error ? e.name : 'unknown' });
      if (known) throw new AppError(e.code, error.message, { ...e.details, runId: run.id });
      throw new AppError('INTERNAL', error.message, { runId: run.id }, { cause: e });
    }
  }

  /** Cancels a pending plan of either kind; an applied plan cannot be cancelled. */
  async cancelPlan(companyId: string, planId: string, by: string): Promise<AnyStoredPlan> {
    const plan = await this.readPlan(companyId, planId);
    if (plan.status === 'applied') throw new AppError('CONFLICT', 'This plan was already applied.');
    if (plan.status === 'pending') await this.store.settlePlan(plan.id, 'cancelled', by);
    return this.store.getAnyPlan(companyId, planId);
  }

  /** Cancels a pending import plan (the cards, the tab). */
  async cancel(companyId: string, planId: string, by: string): Promise<StoredPlan> {
    await this.getPlan(companyId, planId);
    const plan = await this.cancelPlan(companyId, planId, by);
    if (plan.kind === 'undo') throw new AppError('NOT_FOUND', 'Plan not found.');
    return plan;
  }
}
