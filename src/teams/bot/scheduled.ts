/**
 * B7: a plan the schedule made is posted for approval in the conversation where the company's last
 * plan card went (the administrators' chat).
 */
import { CardFactory } from 'botbuilder';
import type { StoredPlan } from '../../store/safety-store.ts';
import { planCard } from '../cards.ts';
import { parseLang, strings, type Lang } from '../i18n.ts';
import { refreshUsers, supersedePrevious } from './card-flow.ts';
import { tabLink, type BotContext } from './context.ts';

/** Returns false when the company has never had a plan card: the plan is only recorded and a warning logged. */
export async function postScheduledPlan(ctx: BotContext, plan: StoredPlan): Promise<boolean> {
  const last = await ctx.teamsStore.latestPlanCard(plan.companyId);
  if (!last || !ctx.adapter) {
    ctx.log.warn('teams.schedule_no_conversation', { companyId: plan.companyId, planId: plan.id });
    return false;
  }
  const company = await ctx.store.getCompany(plan.companyId);
  const lang: Lang = parseLang(last.locale) ?? 'en';
  const card = planCard(plan, {
    lang,
    companyName: company.name,
    requestedByName: strings(lang).scheduleName,
    readMs: null,
    tabUrl: tabLink(ctx.options),
    refreshUserIds: refreshUsers(last),
  });
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
  await supersedePrevious(ctx, last, plan, company.name);
  ctx.log.info('teams.scheduled_plan_posted', { companyId: plan.companyId, planId: plan.id });
  return true;
}
