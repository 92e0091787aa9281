/**
 * Issue 9 item 5: a plan after a delta round, in time proportional to the change. Starts from the
 * company's latest plan P0 when judgeBaseline allows, seeds the closure with the mirror's change
 * records since P0 (and P0's own users when it was applied), closes over the key graph by indexed
 * lookups and re-plans only that (domain/replan.ts). Anything it cannot prove it handles answers
 * a fallback reason: the caller then plans in full. No rule is decided here.
 */
import { KeySet, closeOver, closureLimit, judgeBaseline, replan, seedsOfAppliedPlan, serviceUsersNow } from '../domain/replan.ts';
import type { PlanBody } from '../domain/types.ts';
import type { Db } from '../store/database.ts';
import { withReplanView } from '../store/replan-view.ts';

export type IncrementalPlan =
  | { planning: 'incremental'; body: PlanBody; closureSize: number; mirror: { generation: number; seq: number }; serviceUsers: number }
  | { planning: 'full'; reason: string };

export async function planIncrementally(db: Db, companyId: string, tenantId: string, changesRead: number): Promise<IncrementalPlan> {
  return withReplanView(db, companyId, tenantId, async (view) => {
    const full = (reason: string): IncrementalPlan => ({ planning: 'full', reason });
    const head = await view.head();
    if (!head) return full('company not found');
    const now = { linkedTenantId: head.company.entraTenantId, tenantId, dataVersion: head.dataVersion, mirror: head.mirror };
    // The first plan judgeBaseline accepts (the latest position first); else the latest one's reason.
    const judged = (head.baselines.length > 0 ? head.baselines : [null]).map((b) => ({ b, verdict: judgeBaseline(b, now) }));
    const chosen = judged.find((j) => j.verdict.use) ?? judged[0]!;
    const verdict = chosen.verdict;
    if (!verdict.use) return full(verdict.reason);
    if (!head.objectIdsIndexable) return full('a service user has an object id the index cannot key');
    const baseline = chosen.b!;
    const items = await view.baselineItems(baseline.id);
    const seeds = new KeySet();
    for (const c of await view.changesSince(head.mirror.generation, baseline.mirror!.seq)) {
      seeds.add({ id: c.entraKey, login: c.oldUpnKey, mail: c.oldMailKey });
    }
    if (verdict.applied) seedsOfAppliedPlan(seeds, items);
    const serviceUsers = serviceUsersNow(baseline, verdict.applied, items) ?? (await view.countServiceUsers());
    const limit = closureLimit(head.directoryUsers + serviceUsers);
    if (seeds.size > limit) return full('too many changes: the full plan is cheaper');
    const closure = await closeOver(seeds, view, limit);
    if (!closure) return full('the changed users are connected to too many others: the full plan is cheaper');
    const service = await view.loadService(closure.service.map((s) => s.id));
    const body = replan(items, closure, service, {
      tenantId,
      company: head.company,
      settings: head.settings,
      departments: head.departments,
      dataVersion: head.dataVersion,
      serviceUsers,
      directoryUsers: head.directoryUsers,
      changesRead,
    });
    return {
      planning: 'incremental',
      body,
      closureSize: closure.directory.length + closure.service.length,
      mirror: { generation: head.mirror.generation, seq: head.mirror.seq },
      serviceUsers,
    };
  });
}
