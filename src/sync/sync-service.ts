/**
 * Orchestration: read the directory -> plan (pure) -> hold the plan in the
 * store -> apply on confirmation. Teams, the tab, the REST API, the CLI and
 * the schedule all call this; nothing here knows about HTTP or cards.
 */
import { randomUUID } from 'node:crypto';
import { AppError, isAppError } from '../domain/errors.ts';
import { planImport } from '../domain/planner.ts';
import type { Plan, PlanSource, Run } from '../domain/types.ts';
import type { DirectoryReader } from '../directory/graph-reader.ts';
import { applyImportPlan } from '../store/applier.ts';
import { canReadDelta, incrementalReader } from './incremental-reader.ts';
import { planUndo } from '../domain/undo.ts';
import { applyUndoPlan, getUndoPlan, loadUndoInputs, saveUndoPlan, type StoredUndoPlan } from '../store/undo-store.ts';
import type { SafetyStore, StoredPlan } from '../store/safety-store.ts';

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

  constructor(
    readonly store: SafetyStore,
    options: SyncServiceOptions = {},
  ) {
    this.ttl = options.planTtlInMs ?? DEFAULT_PLAN_TTL_IN_MS;
    this.clock = options.clock ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    this.directoryRead = options.directoryRead ?? 'delta';
  }

  /** Reads the whole directory now and stores a pending plan (B1). */
  async createPlan(companyId: string, reader: DirectoryReader, request: PlanRequest): Promise<StoredPlan> {
    // The snapshot is taken before the directory read: a service change made during the
    // read bumps the data version and makes the plan stale instead of silently lost (B3).
    const snapshot = await this.store.snapshot(companyId);
    const source = this.directoryRead === 'delta' && canReadDelta(reader) ? incrementalReader(this.store.db, companyId, reader, { clock: this.clock }) : reader;
    const directory = await source.read({ signal: request.signal, onProgress: request.onProgress });
    const body = planImport(directory, snapshot);
    if (snapshot.company.entraTenantId === null) {
      const holder = await this.store.findCompanyByTenant(directory.tenantId);
      if (holder && holder.id !== companyId) {
        body.errors.push({
          code: 'TENANT_ALREADY_LINKED',
          message: 'This Entra tenant is already linked to another company; one tenant links to one company only.',
          tenantId: directory.tenantId,
        });
      }
    }
    const now = this.clock();
    const plan: Plan = {
      ...body,
      id: randomUUID(),
      companyId,
      status: 'pending',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.ttl).toISOString(),
      requestedBy: request.requestedBy,
      source: request.source,
    };
    await this.store.savePlan(plan);
    this.log('plan.created', {
      companyId,
      planId: plan.id,
      source: request.source,
      errors: plan.errors.map((e) => e.code),
      summary: plan.summary,
    });
    return { ...plan, runId: null, cancelledBy: null };
  }

  /** The plan with its current status: a pending plan past its time is expired, one whose company changed is stale. */
  async getPlan(companyId: string, planId: string): Promise<StoredPlan> {
    const plan = await this.store.getPlan(companyId, planId);
    if (plan.status !== 'pending') return plan;
    if (this.clock().getTime() > Date.parse(plan.expiresAt)) {
      await this.store.settlePlan(plan.id, 'expired');
      return { ...plan, status: 'expired' };
    }
    if ((await this.store.dataVersion(companyId)) !== plan.baseDataVersion) {
      await this.store.settlePlan(plan.id, 'stale');
      return { ...plan, status: 'stale' };
    }
    return plan;
  }

  /** B6: a preview of undoing the company's last successful import, held like a plan. */
  async createUndoPlan(companyId: string, requestedBy: string): Promise<StoredUndoPlan> {
    const inputs = await loadUndoInputs(this.store.db, companyId);
    const users = await this.store.listUsers(companyId);
    const body = planUndo(inputs.runId, inputs.changes, users, inputs.changedSince);
    const now = this.clock();
    const plan = {
      ...body,
      id: randomUUID(),
      companyId,
      status: 'pending' as const,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.ttl).toISOString(),
      requestedBy,
      baseDataVersion: inputs.dataVersion,
    };
    await saveUndoPlan(this.store.db, plan);
    this.log('undo.planned', { companyId, planId: plan.id, undoOfRunId: body.undoOfRunId, errors: body.errors.map((e) => e.code) });
    return { ...plan, runId: null };
  }

  getUndoPlan(companyId: string, planId: string): Promise<StoredUndoPlan> {
    return getUndoPlan(this.store.db, companyId, planId);
  }

  async apply(companyId: string, planId: string, request: ApplyRequest): Promise<{ run: Run; alreadyApplied: boolean }> {
    const plan = await this.store.getPlan(companyId, planId);
    if ((plan as unknown as { kind?: string }).kind === 'undo') {
      const undo = await getUndoPlan(this.store.db, companyId, planId);
      const result = await applyUndoPlan(this.store.db, undo, { confirmedBy: request.confirmedBy, now: this.clock() });
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

  async cancel(companyId: string, planId: string, by: string): Promise<StoredPlan> {
    const plan = await this.getPlan(companyId, planId);
    if (plan.status === 'applied') throw new AppError('CONFLICT', 'This plan was already applied.');
    if (plan.status === 'pending') await this.store.settlePlan(plan.id, 'cancelled', by);
    return this.store.getPlan(companyId, planId);
  }
}
