/**
 * B7: a plan the schedule made is posted for approval in the conversation where the company's last
 * plan card went (the administrators' chat).
 */
import { CardFactory } from 'botbuilder';
import type { StoredPlan } from '../../store/safety-store.ts';
import { planCard } from '../cards.ts';
import { strings, type Lang } from '../i18n.ts';
import type { BotContext } from './context.ts';

/** Returns false when the company has never had a plan card: the plan is only recorded and a warning logged. */
export async function postScheduledPlan(ctx: BotContext, plan: StoredPlan): Promise<boolean> {
  const last = await ctx.teamsStore.latestPlanCard(plan.companyId);
  if (!last || !ctx.adapter) {
    ctx.log.warn('teams.schedule_no_conversation', { companyId: plan.companyId, planId: plan.id });
    return false;
  }
  const company = await ctx.store.getCompany(plan.companyId);
  const lang: Lang = last.locale === 'ja' ? 'ja' : 'en';
  const card = planCard(plan, { lang, companyName: company.name, requestedByName: strings(lang).scheduleName, usersRead: null, readMs: null });
  await ctx.teamsStore.savePlanCard({
    planId: plan.id,
    companyId: plan.companyId,
    conversationId: last.conversationId,
    reference: last.reference,
    locale: lang,
  });
  await ctx.proactive(last.reference, async (c) => {
    const sent = await c.sendActivity({ attachments: [CardFactory.adaptiveCard(card)] });
    if (sent?.id) await ctx.teamsStore.setPlanCardActivity(plan.id, sent.id);
  });
  ctx.log.info('teams.scheduled_plan_posted', { companyId: plan.companyId, planId: plan.id });
  return true;
}
