/**
 * The plan card's flow: a click (Action.Execute `confirmImport` / `cancelImport`) is validated,
 * authorized by src/sync/authorize.ts (a recorded sign-in, the Universal Actions login token, or the
 * demo's emulated token), then dispatched through a typed handler map. What the card shows comes
 * from the plan as SyncService.getPlan() assesses it and its run; the card record (TeamsStore) only
 * adds what the plan cannot know: that this instance is importing it now, who clicked, a failure.
 */
import { ActivityTypes, CardFactory, type TurnContext } from 'botbuilder';
import { z } from 'zod';
import { isAppError } from '../../domain/errors.ts';
import type { Refusal } from '../../domain/access.ts';
import type { Company, Run } from '../../domain/types.ts';
import type { StoredPlan } from '../../store/safety-store.ts';
import { authorizeAdmin } from '../../sync/authorize.ts';
import { closedCard, consentCard, importingCard, planCard, resultCard, type AdaptiveCardJson, type ClosedKind } from '../cards.ts';
import { parseLang, strings, type Lang } from '../i18n.ts';
import { cardStatus, hasChanges } from '../../domain/plan-status.ts';
import { loginRequest, PRECONDITION_FAILED_CARD_ANSWER } from '../sso.ts';
import { badRequestAnswer, cardAnswer, messageAnswer, senderOf, tabLink, tenantOf, turnLang, type Answer, type BotContext, type CardRecord, type SsoSource } from './context.ts';
import { checkToken } from './oauth.ts';
import type { Admin } from './plan-job.ts';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Card data is input from the client: only a known verb with a uuid planId is acted on. */
export const CardActionDataSchema = z.object({
  planId: z.string().regex(UUID_RE),
  confirmDeletions: z.union([z.enum(['true', 'false']), z.boolean()]).optional(),
  /** The card's language, so a Japanese card answers in Japanese whatever locale the client sends. */
  lang: z.enum(['en', 'ja']).optional(),
});

export const CARD_VERBS = ['confirmImport', 'cancelImport', 'refresh'] as const;
export type CardVerb = (typeof CARD_VERBS)[number];

const ActionAuthSchema = z.object({ token: z.string().min(1).max(20_000) }).passthrough();

/** One authorized click on a plan card. */
export interface CardClick {
  record: CardRecord;
  /** The plan as SyncService.getPlan() assesses it now. */
  plan: StoredPlan;
  admin: Admin;
  lang: Lang;
  confirmDeletions: boolean;
}

export type CardHandler = (ctx: BotContext, click: CardClick) => Promise<Answer>;

/** Every verb has exactly one handler; a new verb does not compile until it has one. */
export const CARD_HANDLERS: { [V in Exclude<CardVerb, 'refresh'>]: CardHandler } = {
  confirmImport: confirm,
  cancelImport: cancel,
};

const isCardVerb = (v: unknown): v is CardVerb => typeof v === 'string' && (CARD_VERBS as readonly string[]).includes(v);

export async function onCardAction(ctx: BotContext, context: TurnContext, rawVerb: unknown, rawData: unknown): Promise<Answer> {
  const parsed = CardActionDataSchema.safeParse(rawData);
  let lang: Lang = (parsed.success ? parsed.data.lang : undefined) ?? turnLang(ctx, context.activity);
  let s = strings(lang);
  if (!parsed.success || !isCardVerb(rawVerb)) return badRequestAnswer('The card action data is not valid.');
  const { planId } = parsed.data;
  let record: CardRecord | null;
  try {
    record = await ctx.teamsStore.getPlanCard(planId);
  } catch (e) {
    // Defect 14: an outage is never "this card is no longer valid" nor a refusal.
    ctx.log.error('access.check_failed', { reason: 'STORE_UNAVAILABLE', code: 'PLAN_CARD_UNREADABLE', error: e });
    return messageAnswer(s.accountCheckFailed);
  }
  if (!record) return messageAnswer(s.unknownCard);
  if (record.conversationId !== (context.activity.conversation?.id ?? '')) return messageAnswer(s.clickRefused('NOT_IN_CONVERSATION'));
  // The card keeps the language it was sent in (the Agents Playground sends en-US on every click).
  lang = parseLang(record.locale) ?? lang;
  s = strings(lang);
  if (rawVerb === 'refresh') return refresh(ctx, record, lang);

  const who = await authorizeClick(ctx, context, record.companyId, lang);
  if ('answer' in who) return who.answer;
  const admin: Admin = { company: who.company, user: who.user };
  let plan: StoredPlan;
  try {
    plan = await ctx.sync.getPlan(admin.company.id, planId);
  } catch (e) {
    if (isAppError(e) && e.code === 'NOT_FOUND') return messageAnswer(s.unknownCard);
    throw e;
  }
  ctx.log.info('teams.card_action', { verb: rawVerb, planId, companyId: admin.company.id, state: record.state, planStatus: plan.status });
  const confirmDeletions = parsed.data.confirmDeletions === true || parsed.data.confirmDeletions === 'true';
  return CARD_HANDLERS[rawVerb](ctx, { record, plan, admin, lang, confirmDeletions });
}

/**
 * Universal Actions `refresh`: the card's current state for whoever sees it in the conversation
 * (read-only, so no sign-in is asked for): the plan card while it may still be confirmed, the
 * result, the closed card, or "superseded" once a newer plan card was posted.
 */
async function refresh(ctx: BotContext, record: CardRecord, lang: Lang): Promise<Answer> {
  let plan: StoredPlan;
  let company: Company;
  try {
    company = await ctx.store.getCompany(record.companyId);
    plan = await ctx.sync.getPlan(record.companyId, record.planId);
  } catch (e) {
    if (isAppError(e) && e.code === 'NOT_FOUND') return messageAnswer(strings(lang).unknownCard);
    throw e;
  }
  return cardAnswer(await cardFor(ctx, record, plan, lang, company.name));
}

/** The newest plan card of the company (what decides `superseded`, domain cardStatus). */
async function newestCardPlanId(ctx: BotContext, companyId: string): Promise<string | null> {
  return (await ctx.teamsStore.latestPlanCard(companyId))?.planId ?? null;
}

/**
 * A new plan card was posted: the company's previous card, still showing Confirm, turns read-only
 * for everyone ("replaced by a newer preview"), in its own language.
 */
export async function supersedePrevious(ctx: BotContext, previous: CardRecord | null, next: Pick<StoredPlan, 'id' | 'tenantId' | 'tenantName'>, companyName: string): Promise<void> {
  if (!previous || previous.planId === next.id || previous.state !== 'shown') return;
  const moved = await ctx.teamsStore.transition(previous.planId, ['shown'], 'closed');
  if (moved) await updateForEveryone(ctx, moved, closedCard('superseded', next, parseLang(moved.locale) ?? 'en', companyName));
}

type ClickAuthorization = { company: Company; user: Admin['user'] } | { answer: Answer };

/**
 * R1–R3 for a click, by authorizeAdmin only: the service side now, and R2's Entra part from a check
 * recorded at sign-in (the admin who planned), the token Teams sends after a Universal Actions login
 * request, or, in the demo, the emulated token. Someone who is not a system administrator in the
 * service is told so at once, before any sign-in is asked for.
 */
async function authorizeClick(ctx: BotContext, context: TurnContext, cardCompanyId: string, lang: Lang): Promise<ClickAuthorization> {
  const s = strings(lang);
  const refuse = (reason: Refusal | 'OTHER_COMPANY'): { answer: Answer } => ({ answer: messageAnswer(s.clickRefused(reason)) });
  const unavailable = { answer: messageAnswer(s.accountCheckFailed) };
  const tenantId = tenantOf(context.activity) ?? '';
  const oid = context.activity.from.aadObjectId ?? '';
  const value = (context.activity.value ?? {}) as { authentication?: unknown };
  let source: SsoSource | null;
  try {
    source = await ctx.sso();
  } catch {
    return unavailable; // logged by ctx.sso
  }

  const fromToken = async (token: string): Promise<ClickAuthorization> => {
    if (!source) return refuse('NOT_SYSTEM_ADMIN');
    const outcome = await checkToken(ctx, token, source.settings, tenantId, oid);
    switch (outcome.kind) {
      case 'admin':
        return outcome.admin.company.id === cardCompanyId ? outcome.admin : refuse('OTHER_COMPANY');
      case 'retry':
        return { answer: { status: 200, body: PRECONDITION_FAILED_CARD_ANSWER } };
      case 'consent':
        return { answer: cardAnswer(consentCard(lang, outcome.adminConsentUrl)) };
      case 'refused':
        return refuse(outcome.reason);
      case 'unavailable':
        return unavailable;
    }
  };

  const serviceSide = await authorizeAdmin(ctx.authorizeDeps, senderOf(context), null);
  if (!serviceSide.ok) {
    if (serviceSide.code === 'ACCOUNT_CHECK_FAILED') return unavailable;
    if (serviceSide.code === 'CONSENT_REQUIRED' || serviceSide.code === 'SIGN_IN_REQUIRED') return unavailable;
    return refuse(serviceSide.code);
  }
  if (serviceSide.company.id !== cardCompanyId) return refuse('OTHER_COMPANY');

  const auth = ActionAuthSchema.safeParse(value.authentication);
  if (auth.success) return fromToken(auth.data.token);

  let session;
  try {
    session = await ctx.teamsStore.getAdminSession(tenantId, oid, ctx.clock());
  } catch (e) {
    ctx.log.error('access.check_failed', { reason: 'STORE_UNAVAILABLE', code: 'ADMIN_SESSION_UNREADABLE', error: e });
    return unavailable;
  }
  // A recorded check covers R2's Entra part; the service side was decided again just now.
  if (session && session.companyId === cardCompanyId && session.userId === serviceSide.user.id) {
    return { company: serviceSide.company, user: serviceSide.user };
  }
  if (source?.silentToken) {
    let token: string;
    try {
      token = await source.silentToken(oid);
    } catch (e) {
      ctx.log.error('access.check_failed', { reason: 'SILENT_TOKEN_UNAVAILABLE', code: 'SILENT_TOKEN_UNAVAILABLE', error: e });
      return unavailable;
    }
    return fromToken(token);
  }
  if (!source) return refuse('NOT_SYSTEM_ADMIN');
  return { answer: { status: 200, body: loginRequest(source.settings, { title: s.signInText, button: s.signInButton }) } };
}

/**
 * A card left "importing" by an instance that stopped (restart, crash): when the plan was applied
 * the result is shown; when it is still pending long after the click, the transaction rolled back
 * (R5) and the card says so.
 */
async function recoverInterrupted(ctx: BotContext, click: CardClick): Promise<CardRecord> {
  const { record, plan, admin, lang } = click;
  if (record.state !== 'importing' || ctx.applying.has(record.planId)) return record;
  if (plan.status === 'applied' && plan.runId) {
    const moved = await ctx.teamsStore.transition(record.planId, ['importing'], 'done', { runId: plan.runId });
    if (moved) await updateForEveryone(ctx, moved, await cardFor(ctx, moved, plan, lang, admin.company.name));
    return moved ?? record;
  }
  const since = record.actedAt ? Date.parse(record.actedAt) : 0;
  if (ctx.clock().getTime() - since < (ctx.options.interruptedAfterInMs ?? 30 * 60_000)) return record;
  const s = strings(lang);
  const moved = await ctx.teamsStore.transition(record.planId, ['importing'], 'failed', {
    error: { code: 'INTERRUPTED', message: s.importFailure('INTERRUPTED', '') },
  });
  if (moved) await updateForEveryone(ctx, moved, closedCard('failed', plan, lang, admin.company.name, { reason: s.importFailure('INTERRUPTED', '') }));
  return moved ?? record;
}

async function confirm(ctx: BotContext, click: CardClick): Promise<Answer> {
  const { plan, admin, lang, confirmDeletions } = click;
  const record = await recoverInterrupted(ctx, click);
  if (record.state !== 'shown') return cardAnswer(await cardFor(ctx, record, plan, lang, admin.company.name));
  if (plan.status !== 'pending') return cardAnswer(await settleOutside(ctx, record, plan, lang, admin));
  if (plan.errors.length > 0) return messageAnswer(strings(lang).unknownCard);
  if (cardStatus(plan, await newestCardPlanId(ctx, plan.companyId)) === 'superseded') {
    const moved = await ctx.teamsStore.transition(record.planId, ['shown'], 'closed');
    const next = closedCard('superseded', plan, lang, admin.company.name);
    if (moved) await updateForEveryone(ctx, moved, next);
    return cardAnswer(next);
  }
  // Nothing to change: the card never offers Confirm, and a forged click records no empty run.
  if (!hasChanges(plan)) return cardAnswer(await cardFor(ctx, record, plan, lang, admin.company.name));
  if (plan.requiresDeletionConfirmation && !confirmDeletions) {
    // Only the clicker sees this: the same plan card with a note at the top of the warnings.
    return cardAnswer(
      planCard(plan, {
        lang,
        companyName: admin.company.name,
        requestedByName: await nameOf(ctx, admin.company.id, plan.requestedBy),
        readMs: null,
        tabUrl: tabLink(ctx.options),
        notice: strings(lang).deletionsNotConfirmed,
      }),
    );
  }
  const moved = await ctx.teamsStore.transition(record.planId, ['shown'], 'importing', { actedBy: admin.user.loginName, actedByName: admin.user.name });
  if (!moved) {
    // Someone else's click won (another instance, a double-click): show what is current.
    const again = await ctx.teamsStore.getPlanCard(record.planId);
    return cardAnswer(await cardFor(ctx, again ?? record, plan, lang, admin.company.name));
  }
  const importing = importingCard(plan, lang, admin.company.name, admin.user.name);
  await updateForEveryone(ctx, moved, importing);
  let finished: AdaptiveCardJson | null = null;
  const job = applyJob(ctx, moved, plan, admin, lang, confirmDeletions).then((c) => {
    finished = c;
  });
  ctx.track(job);
  const wait = ctx.options.clickWaitInMs ?? 2000;
  await Promise.race([job, new Promise((r) => setTimeout(r, wait).unref())]);
  return cardAnswer(finished ?? importing);
}

/** Applies through SyncService, then replaces the card for everyone with the result. */
async function applyJob(ctx: BotContext, record: CardRecord, plan: StoredPlan, admin: Admin, lang: Lang, confirmDeletions: boolean): Promise<AdaptiveCardJson> {
  const s = strings(lang);
  let next: AdaptiveCardJson;
  ctx.applying.add(plan.id);
  try {
    const { run } = await ctx.sync.apply(admin.company.id, plan.id, { confirmedBy: admin.user.loginName, confirmDeletions });
    const done = await ctx.teamsStore.transition(record.planId, ['importing'], 'done', { runId: run.id });
    next = resultCard(plan, run, lang, admin.company.name, admin.user.name);
    ctx.log.info('teams.import_done', { planId: plan.id, runId: run.id, counts: run.counts });
    if (done) await updateForEveryone(ctx, done, next);
    return next;
  } catch (e) {
    const code = isAppError(e) ? e.code : 'INTERNAL';
    let kind: ClosedKind = 'failed';
    let state: 'failed' | 'closed' | 'cancelled' = 'failed';
    if (code === 'PLAN_STALE' || code === 'PLAN_EXPIRED') {
      kind = code === 'PLAN_STALE' ? 'stale' : 'expired';
      state = 'closed';
    } else if (code === 'PLAN_CANCELLED') {
      kind = 'cancelled';
      state = 'cancelled';
    }
    const failedReason = s.importFailure(code, isAppError(e) ? e.message : '');
    ctx.log.warn('teams.import_failed', { planId: plan.id, code, error: e });
    const moved = await ctx.teamsStore.transition(record.planId, ['importing'], state, { error: { code, message: isAppError(e) ? e.message : 'unexpected' } });
    next = closedCard(kind, plan, lang, admin.company.name, { reason: failedReason, byName: record.actedByName ?? admin.user.name });
    if (moved) await updateForEveryone(ctx, moved, next);
    return next;
  } finally {
    ctx.applying.delete(plan.id);
  }
}

async function cancel(ctx: BotContext, click: CardClick): Promise<Answer> {
  const { plan, admin, lang } = click;
  const record = await recoverInterrupted(ctx, click);
  if (record.state !== 'shown') return cardAnswer(await cardFor(ctx, record, plan, lang, admin.company.name));
  let current: StoredPlan;
  try {
    current = await ctx.sync.cancel(admin.company.id, plan.id, admin.user.loginName);
  } catch (e) {
    if (isAppError(e) && e.code === 'CONFLICT') {
      const applied = await ctx.sync.getPlan(admin.company.id, plan.id);
      return cardAnswer(await settleOutside(ctx, record, applied, lang, admin));
    }
    throw e;
  }
  if (current.status !== 'cancelled') return cardAnswer(await settleOutside(ctx, record, current, lang, admin));
  const moved = await ctx.teamsStore.transition(record.planId, ['shown'], 'cancelled', { actedBy: admin.user.loginName, actedByName: admin.user.name });
  const next = closedCard('cancelled', current, lang, admin.company.name, { byName: admin.user.name });
  if (moved) await updateForEveryone(ctx, moved, next);
  else return cardAnswer(await cardFor(ctx, (await ctx.teamsStore.getPlanCard(record.planId)) ?? record, current, lang, admin.company.name));
  return cardAnswer(next);
}

/** The plan was settled elsewhere (expired, stale, applied or cancelled through the API): the record follows the plan. */
async function settleOutside(ctx: BotContext, record: CardRecord, plan: StoredPlan, lang: Lang, admin: Admin): Promise<AdaptiveCardJson> {
  let moved: CardRecord | null = null;
  if (plan.status === 'expired' || plan.status === 'stale') {
    moved = await ctx.teamsStore.transition(record.planId, ['shown'], 'closed');
  } else if (plan.status === 'cancelled') {
    moved = await ctx.teamsStore.transition(record.planId, ['shown'], 'cancelled', {
      actedBy: plan.cancelledBy ?? 'api',
      actedByName: await nameOf(ctx, admin.company.id, plan.cancelledBy ?? ''),
    });
  } else if (plan.status === 'applied') {
    moved = await ctx.teamsStore.transition(record.planId, ['shown'], 'done', { runId: plan.runId });
  }
  const next = await cardFor(ctx, moved ?? (await ctx.teamsStore.getPlanCard(record.planId)) ?? record, plan, lang, admin.company.name);
  if (moved) await updateForEveryone(ctx, moved, next);
  return next;
}

/**
 * The card for a plan (a double-click, a second admin, a click after the end): the plan's assessed
 * status and its run decide; the record adds only the in-flight import and a failure's reason.
 */
async function cardFor(ctx: BotContext, record: CardRecord, plan: StoredPlan, lang: Lang, companyName: string): Promise<AdaptiveCardJson> {
  if (plan.status === 'applied') {
    const run = plan.runId ? await ctx.store.getRun(plan.runId) : null;
    if (run) return resultCard(plan, run as Run, lang, companyName, record.actedByName ?? (await nameOf(ctx, plan.companyId, run.confirmedBy)));
    return closedCard('failed', plan, lang, companyName, { reason: '' });
  }
  if (record.state === 'importing') return importingCard(plan, lang, companyName, record.actedByName ?? record.actedBy ?? '');
  switch (plan.status) {
    case 'cancelled':
      return closedCard('cancelled', plan, lang, companyName, { byName: record.actedByName ?? (await nameOf(ctx, plan.companyId, plan.cancelledBy ?? '')) });
    case 'expired':
    case 'stale':
      return closedCard(plan.status, plan, lang, companyName);
    case 'pending':
      if (record.state === 'failed') return closedCard('failed', plan, lang, companyName, { reason: failureOf(record, lang) });
      if (cardStatus(plan, await newestCardPlanId(ctx, plan.companyId)) === 'superseded' || (record.state === 'closed' && !record.error)) {
        return closedCard('superseded', plan, lang, companyName);
      }
      if (record.state === 'closed' || record.state === 'cancelled' || record.state === 'done') {
        return closedCard('failed', plan, lang, companyName, { reason: failureOf(record, lang) });
      }
      return planCard(plan, {
        lang,
        companyName,
        requestedByName: await nameOf(ctx, plan.companyId, plan.requestedBy),
        readMs: null,
        tabUrl: tabLink(ctx.options),
        refreshUserIds: refreshUsers(record),
      });
  }
}

/** A failure recorded on the card, in the card's language (the record keeps the code and the English message). */
function failureOf(record: CardRecord, lang: Lang): string {
  return record.error ? strings(lang).importFailure(record.error.code, record.error.message) : '';
}

/** Who refreshes the card automatically: the person it was posted for (Universal Actions userIds). */
export function refreshUsers(record: Pick<CardRecord, 'reference'>): string[] {
  const id = record.reference.user?.id;
  return typeof id === 'string' && id ? [id] : [];
}

/** A person's name for a card, by an indexed lookup of their login name; the login name when unknown. */
async function nameOf(ctx: BotContext, companyId: string, loginName: string): Promise<string> {
  if (!loginName) return '';
  try {
    return (await ctx.store.findUserByLoginName(companyId, loginName))?.name ?? loginName;
  } catch (e) {
    // Only a label: the card still shows the login name, and the outage is logged.
    ctx.log.warn('teams.name_lookup_failed', { code: 'STORE_UNAVAILABLE', error: e });
    return loginName;
  }
}

/** Replaces the plan card's message for everyone in the conversation. */
async function updateForEveryone(ctx: BotContext, record: CardRecord, content: AdaptiveCardJson): Promise<void> {
  if (!record.activityId) return;
  try {
    await ctx.proactive(record.reference, async (c) => {
      await c.updateActivity({ id: record.activityId!, type: ActivityTypes.Message, attachments: [CardFactory.adaptiveCard(content)] });
    });
  } catch (e) {
    ctx.log.warn('teams.card_update_failed', { planId: record.planId, error: e });
  }
}
