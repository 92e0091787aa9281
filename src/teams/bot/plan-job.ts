/**
 * The directory read after `sync directory` (in the background: a Teams request must be answered
 * within seconds): "reading…" with progress, SyncService.createPlan on the admin's own reader, then
 * the plan card. Failures are told in the conversation (consent, an expired sign-in, the rest).
 */
import { ActivityTypes, CardFactory, type ConversationReference } from 'botbuilder';
import { isAppError } from '../../domain/errors.ts';
import type { Company, SafetyUser } from '../../domain/types.ts';
import type { DirectoryReader } from '../../directory/graph-reader.ts';
import type { StoredPlan } from '../../store/safety-store.ts';
import { consentCard, planCard } from '../cards.ts';
import { strings, type Lang } from '../i18n.ts';
import { isExpiredSignIn } from '../sso.ts';
import { supersedePrevious, refreshUsers } from './card-flow.ts';
import { adminConsentFallback, tabLink, tenantOf, type BotContext, type SsoSource } from './context.ts';
import { askSignIn } from './oauth.ts';

export interface Admin {
  company: Company;
  user: SafetyUser;
}

export async function planJob(ctx: BotContext, reference: Partial<ConversationReference>, admin: Admin, reader: DirectoryReader, lang: Lang): Promise<void> {
  const s = strings(lang);
  const started = ctx.clock().getTime();
  let progressId: string | undefined;
  await ctx.proactive(reference, async (c) => {
    progressId = (await c.sendActivity(s.reading))?.id;
  });
  let latest = 0;
  let shown = 0;
  let updating: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    if (!progressId || latest === shown) return;
    shown = latest;
    const text = s.readingProgress(latest);
    updating = updating.then(() =>
      ctx
        .proactive(reference, async (c) => {
          await c.updateActivity({ id: progressId, type: ActivityTypes.Message, text });
        })
        .catch((e: unknown) => ctx.log.warn('teams.progress_update_failed', { error: e })),
    );
  }, ctx.options.progressIntervalInMs ?? 3000);
  let plan: StoredPlan;
  try {
    plan = await ctx.sync.createPlan(admin.company.id, reader, {
      requestedBy: admin.user.loginName,
      source: 'teams',
      signal: ctx.stopping,
      onProgress: (n) => {
        latest = n;
      },
    });
  } catch (e) {
    clearInterval(timer);
    await updating;
    await reportPlanFailure(ctx, reference, e, lang, admin);
    return;
  } finally {
    clearInterval(timer);
  }
  await updating;
  const readMs = ctx.clock().getTime() - started;
  // What was read comes from the plan (the directory's size, and the changes after a delta read),
  // never from the progress counter, which counts the changes of a delta read.
  const read = { directoryUsers: plan.summary.directoryUsers ?? latest, changesRead: plan.summary.changesRead ?? null };
  const card = planCard(plan, {
    lang,
    companyName: admin.company.name,
    requestedByName: admin.user.name,
    readMs,
    tabUrl: tabLink(ctx.options),
    refreshUserIds: refreshUsers({ reference }),
  });
  const previous = await ctx.teamsStore.latestPlanCard(admin.company.id);
  await ctx.teamsStore.savePlanCard({
    planId: plan.id,
    companyId: admin.company.id,
    conversationId: reference.conversation?.id ?? '',
    reference,
    locale: lang,
  });
  await ctx.proactive(reference, async (c) => {
    if (progressId) {
      await c
        .updateActivity({ id: progressId, type: ActivityTypes.Message, text: s.readDone(read, readMs) })
        .catch((e: unknown) => ctx.log.warn('teams.progress_update_failed', { error: e }));
    }
    const sent = await c.sendActivity({ attachments: [CardFactory.adaptiveCard(card)] });
    if (sent?.id) await ctx.teamsStore.setPlanCardActivity(plan.id, sent.id);
  });
  await supersedePrevious(ctx, previous, plan, admin.company.name);
  ctx.log.info('teams.plan_card_sent', { companyId: admin.company.id, planId: plan.id, errors: plan.errors.length });
}

async function ssoOrNull(ctx: BotContext): Promise<SsoSource | null> {
  try {
    return await ctx.sso();
  } catch {
    return null; // logged by ctx.sso (SSO_UNAVAILABLE); the message below still tells the admin what happened
  }
}

async function reportPlanFailure(ctx: BotContext, reference: Partial<ConversationReference>, e: unknown, lang: Lang, admin: Admin): Promise<void> {
  const s = strings(lang);
  ctx.log.warn('teams.plan_failed', { companyId: admin.company.id, code: isAppError(e) ? e.code : 'INTERNAL', error: e });
  if (ctx.stopping.aborted) return;
  if (isAppError(e) && e.code === 'CONSENT_REQUIRED') {
    const url = typeof e.details.adminConsentUrl === 'string' ? e.details.adminConsentUrl : null;
    const source = url ? null : await ssoOrNull(ctx);
    const consentUrl = url ?? (source ? adminConsentFallback(source.settings) : null);
    await ctx.proactive(reference, async (c) => {
      if (consentUrl) await c.sendActivity({ attachments: [CardFactory.adaptiveCard(consentCard(lang, consentUrl))] });
      else await c.sendActivity(s.failure('CONSENT_REQUIRED', e.message));
    });
    return;
  }
  if (isExpiredSignIn(e)) {
    // The user's token expired during a long read: nothing was planned; ask for a new sign-in.
    const source = await ssoOrNull(ctx);
    await ctx.proactive(reference, async (c) => {
      if (source && !source.silentToken) {
        await askSignIn(ctx, c, reference, tenantOf(c.activity) ?? admin.company.entraTenantId ?? '', admin.user.entraObjectId ?? '', lang, source.settings, s.signInExpired);
      } else {
        await c.sendActivity(s.signInExpired);
      }
    });
    return;
  }
  await ctx.proactive(reference, async (c) => {
    await c.sendActivity(s.failure(isAppError(e) ? e.code : 'INTERNAL', isAppError(e) ? e.message : ''));
  });
}
