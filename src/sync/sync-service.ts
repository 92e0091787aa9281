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
import type { SafetyStore, StoredPlan } from '../store/safety-store.ts';

export interface SyncServiceOptions {
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

export class SyncService {
  private readonly ttl: number;
  private readonly clock: () => Date;
  private readonly log: NonNullable<SyncServiceOptions['log']>;

  constructor(
    readonly store: SafetyStore,
    options: SyncServiceOptions = {},
  ) {
    this.ttl = options.planTtlInMs ?? DEFAULT_PLAN_TTL_IN_MS;
    this.clock = options.clock ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
  }

  /** Reads the whole directory now and stores a pending plan (B1). */
  async createPlan(companyId: string, reader: DirectoryReader, request: PlanRequest): Promise<StoredPlan> {
    // The snapshot is taken before the directory read: a service change made during the
    // read bumps the data version and makes the plan stale instead of silently lost (B3).
    const snapshot = await this.store.snapshot(companyId);
    const directory = await reader.read({ signal: request.signal, onProgress: request.onProgress });
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

  async apply(companyId: string, planId: string, request: ApplyRequest): Promise<{ run: Run; alreadyApplied: boolean }> {
    const plan = await this.store.getPlan(companyId, planId);
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
      if (isAppError(e) && e.code !== 'INTERNAL') throw e;
      // Unexpected: the transaction rolled back (R5); record the failed run so history shows it.
      const message = 'The import failed and nothing was changed.';
      const run = await this.store.recordFailedRun(plan, request.confirmedBy, { code: 'IMPORT_FAILED', message });
      this.log('plan.failed', { companyId, planId, runId: run.id, error: e instanceof Error ? e.name : 'unknown' });
      throw new AppError('INTERNAL', message, { runId: run.id }, { cause: e });
    }
  }

  async cancel(companyId: string, planId: string, by: string): Promise<StoredPlan> {
    const plan = await this.getPlan(companyId, planId);
    if (plan.status === 'applied') throw new AppError('CONFLICT', 'This plan was already applied.');
    if (plan.status === 'pending') await this.store.settlePlan(plan.id, 'cancelled', by);
    return this.store.getPlan(companyId, planId);
  }
}
