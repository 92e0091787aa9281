/**
 * B7: scheduled sync, off by default. A company's `schedule` (cron) makes a
 * plan at those times with app-only credentials; the plan is held for an
 * administrator's approval (the bot posts its card), never applied unattended.
 * Several instances may tick: a conditional update claims each due slot once.
 */
import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { DirectoryReader } from '../directory/graph-reader.ts';
import { isAppError } from '../domain/errors.ts';
import { withRequestId, type Logger } from '../log.ts';
import type { SafetyStore, StoredPlan } from '../store/safety-store.ts';
import type { SyncService } from './sync-service.ts';

export interface SchedulerDeps {
  store: SafetyStore;
  sync: SyncService;
  directoryFor: (companyId: string) => Promise<DirectoryReader>;
  log: Logger;
  clock?: () => Date;
  /** Called with each plan the schedule made (the bot posts the approval card). */
  onScheduledPlan?: (plan: StoredPlan) => Promise<void>;
  /** The log context id of one scheduled run. Default: `schedule-` and a random UUID. */
  runId?: () => string;
}

/**
 * The first time after `after` that the cron expression names, or null. The expression is read in
 * `timeZone` (IANA name; the company's, default Asia/Tokyo in the store); without one, in the
 * process's local time. The scheduler and the tab's "next run" both call this, so they agree.
 */
export function nextRunAfter(schedule: string, after: Date, timeZone?: string): Date | null {
  return new Cron(schedule, { paused: true, ...(timeZone ? { timezone: timeZone } : {}) }).nextRun(after);
}

/** Whether `timeZone` is an IANA time zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  if (!timeZone || timeZone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export class SyncScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly clock: () => Date;
  private readonly runId: () => string;

  constructor(private readonly deps: SchedulerDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.runId = deps.runId ?? (() => `schedule-${randomUUID()}`);
  }

  /** Plans for every company whose schedule is due; returns the plans made. */
  async tick(): Promise<StoredPlan[]> {
    const now = this.clock();
    const made: StoredPlan[] = [];
    const due = await this.deps.store.db.query<{ id: string; schedule: string; time_zone: string; last: Date | string | null }>(
      `select c.id, c.schedule, c.time_zone, s.last_scheduled_at as last
         from companies c left join sync_state s on s.company_id = c.id
        where c.schedule is not null`,
    );
    for (const c of due) {
      const last = c.last === null ? null : new Date(c.last);
      if (last === null) {
        // A schedule just switched on starts counting now; it never fires for times already past.
        await this.claim(c.id, null, now);
        continue;
      }
      const next = nextRunAfter(c.schedule, last, c.time_zone);
      if (!next || next > now) continue;
      // Each scheduled run has its own id in the log context (src/log.ts), as an HTTP request has:
      // the claim, the directory read, the plan and the card posted for approval carry it.
      const plan = await withRequestId(this.runId(), () => this.run(c.id, last, now, next));
      if (plan) made.push(plan);
    }
    return made;
  }

  /** One due slot of one company: claim it (once across instances), plan, hand the plan on. */
  private async run(companyId: string, last: Date, now: Date, slot: Date): Promise<StoredPlan | null> {
    if (!(await this.claim(companyId, last, now))) return null; // another instance took this slot
    this.deps.log.info('schedule.run_started', { companyId, slot: slot.toISOString() });
    let plan: StoredPlan;
    try {
      plan = await this.deps.sync.createPlan(companyId, await this.deps.directoryFor(companyId), {
        requestedBy: 'schedule',
        source: 'schedule',
      });
    } catch (e) {
      // A refusal (TENANT_MISMATCH: the app credential belongs to another tenant) is logged by its code;
      // nothing was read, stored or posted.
      this.deps.log.error('schedule.plan_failed', { companyId, code: isAppError(e) ? e.code : 'INTERNAL', error: e });
      return null;
    }
    this.deps.log.info('schedule.plan_made', { companyId, planId: plan.id, errors: plan.errors.length });
    try {
      await this.deps.onScheduledPlan?.(plan);
    } catch (e) {
      // The plan is made and held; only its card could not be posted (the tab still shows it).
      this.deps.log.error('schedule.post_failed', { companyId, planId: plan.id, code: isAppError(e) ? e.code : 'INTERNAL', error: e });
    }
    return plan;
  }

  private async claim(companyId: string, last: Date | null, now: Date): Promise<boolean> {
    await this.deps.store.db.query('insert into sync_state (company_id) values ($1) on conflict do nothing', [companyId]);
    const rows = await this.deps.store.db.query(
      `update sync_state set last_scheduled_at = $2
        where company_id = $1 and last_scheduled_at is not distinct from $3 returning company_id`,
      [companyId, now, last],
    );
    return rows.length === 1;
  }

  start(intervalInMs = 60_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = true;
      this.tick()
        .catch((e) => this.deps.log.error('schedule.tick_failed', { error: e }))
        .finally(() => (this.running = false));
    }, intervalInMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
