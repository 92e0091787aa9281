/**
 * Sign-in (the teams.ts `app.oauth` part): the OAuthCard, the `signin/*` invokes, and the token
 * check that turns a Teams SSO token into an admin through the one decision every edge uses
 * (../sso-access.ts -> src/sync/authorize.ts). A verified check is recorded so the same admin may
 * confirm a card without another sign-in.
 */
import { randomUUID } from 'node:crypto';
import { CardFactory, type ConversationReference, type TurnContext } from 'botbuilder';
import { z } from 'zod';
import type { Refusal } from '../../domain/access.ts';
import type { Company } from '../../domain/types.ts';
import type { DirectoryReader } from '../../directory/graph-reader.ts';
import { consentCard } from '../cards.ts';
import { langOf, strings, type Lang } from '../i18n.ts';
import { authorizeSsoToken } from '../sso-access.ts';
import { signInCard, type SsoSettings } from '../sso.ts';
import { adminConsentFallback, sendAnswer, tenantOf, type BotContext, type SsoSource, turnLang } from './context.ts';
import { planJob, type Admin } from './plan-job.ts';
import { cachingProvider } from './token-cache.ts';

const TokenExchangeSchema = z.object({ id: z.string().min(1).max(200), token: z.string().min(1).max(20_000) }).passthrough();
const SignInFailureSchema = z.object({ code: z.string().max(100).optional(), message: z.string().max(2000).optional() }).passthrough();

export type TokenOutcome =
  | { kind: 'admin'; admin: Admin; reader: DirectoryReader }
  | { kind: 'refused'; reason: Refusal; company: Company | null }
  | { kind: 'consent'; adminConsentUrl: string }
  /** The token could not be used (invalid, expired, not exchangeable): Teams should sign in again. */
  | { kind: 'retry'; reason: string }
  /** The check itself could not run (database, Graph, the authority's keys): logged; try again. */
  | { kind: 'unavailable' };

/**
 * The token's whole check: signature and identity (the Teams sender's), then authorizeAdmin (R1–R3,
 * the Entra role from wids or /me/memberOf, the on-behalf-of exchange). On success the check is
 * recorded for card clicks.
 */
export async function checkToken(ctx: BotContext, token: string, settings: SsoSettings, tenantId: string, aadObjectId: string): Promise<TokenOutcome> {
  const access = await authorizeSsoToken(
    {
      ...ctx.authorizeDeps,
      wrapCredential: (p) => cachingProvider(p, ctx.clock),
      ...(ctx.options.signingKeys ? { keys: ctx.options.signingKeys } : {}),
    },
    token,
    settings,
    { tenantId, aadObjectId: aadObjectId || null },
    { signal: ctx.stopping },
  );
  if (!access.ok) {
    switch (access.code) {
      case 'SIGN_IN_INVALID':
        return access.reason === 'mismatch' ? { kind: 'refused', reason: 'IDENTITY_MISMATCH', company: null } : { kind: 'retry', reason: access.reason };
      case 'SIGN_IN_REQUIRED':
        return { kind: 'retry', reason: access.message };
      case 'CONSENT_REQUIRED':
        return { kind: 'consent', adminConsentUrl: access.adminConsentUrl ?? adminConsentFallback(settings) };
      case 'ACCOUNT_CHECK_FAILED':
        return { kind: 'unavailable' };
      default:
        return { kind: 'refused', reason: access.code, company: access.company };
    }
  }
  const now = ctx.clock();
  const ttl = ctx.options.adminSessionTtlInMs ?? 60 * 60_000;
  try {
    await ctx.teamsStore.saveAdminSession(access.verified.tenantId, access.verified.aadObjectId, {
      companyId: access.company.id,
      userId: access.user.id,
      verifiedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttl).toISOString(),
    });
  } catch (e) {
    ctx.log.error('access.check_failed', { reason: 'STORE_UNAVAILABLE', code: 'ADMIN_SESSION_NOT_SAVED', error: e });
    return { kind: 'unavailable' };
  }
  return { kind: 'admin', admin: { company: access.company, user: access.user }, reader: access.reader };
}

export async function askSignIn(
  ctx: BotContext,
  context: TurnContext,
  reference: Partial<ConversationReference>,
  tenantId: string,
  aadObjectId: string,
  lang: Lang,
  settings: SsoSettings,
  intro?: string,
): Promise<void> {
  const s = strings(lang);
  const id = randomUUID();
  const ttl = ctx.options.signInTtlInMs ?? 15 * 60_000;
  await ctx.teamsStore.savePendingSignIn({
    id,
    tenantId,
    aadObjectId,
    command: 'sync',
    reference,
    locale: lang,
    expiresAt: new Date(ctx.clock().getTime() + ttl).toISOString(),
  });
  await context.sendActivity({
    ...(intro ? { text: intro } : {}),
    attachments: [signInCard(id, settings, { title: s.signInText, button: s.signInButton })],
  });
}

export async function onTokenExchange(ctx: BotContext, context: TurnContext): Promise<void> {
  const parsed = TokenExchangeSchema.safeParse(context.activity.value);
  if (!parsed.success) {
    await sendAnswer(context, { status: 400, body: { failureDetail: 'The token exchange request is not valid.' } });
    return;
  }
  const { id, token } = parsed.data;
  const body = { id, connectionName: '' };
  const tenantId = tenantOf(context.activity);
  const oid = context.activity.from.aadObjectId ?? '';
  const pending = await ctx.teamsStore.getPendingSignIn(id, ctx.clock());
  const source = await ctx.sso();
  if (!pending || !source || !tenantId || pending.tenantId.toLowerCase() !== tenantId.toLowerCase() || pending.aadObjectId.toLowerCase() !== oid.toLowerCase()) {
    // Unknown, expired, already used (Teams on two devices exchanges twice) or someone else's.
    await sendAnswer(context, { status: 200, body });
    return;
  }
  const lang = langOf(pending.locale);
  const outcome = await checkToken(ctx, token, source.settings, tenantId, oid);
  if (outcome.kind === 'retry') {
    // 412: Teams shows the sign-in button (the fallback), which ends in signin/verifyState.
    await sendAnswer(context, { status: 412, body: { ...body, failureDetail: 'The token could not be exchanged.' } });
    return;
  }
  if (!(await ctx.teamsStore.deletePendingSignIn(id))) {
    await sendAnswer(context, { status: 200, body });
    return;
  }
  await sendAnswer(context, { status: 200, body });
  await afterTokenCheck(ctx, context, pending.reference, outcome, lang);
}

export async function onVerifyState(ctx: BotContext, context: TurnContext): Promise<void> {
  await sendAnswer(context, { status: 200 });
  const source = await ctx.sso();
  const tenantId = tenantOf(context.activity);
  const oid = context.activity.from.aadObjectId ?? '';
  if (!source || !tenantId) return;
  const pending = await ctx.teamsStore.latestPendingSignIn(tenantId, oid, ctx.clock());
  if (!pending || !(await ctx.teamsStore.deletePendingSignIn(pending.id))) return;
  // The fallback sign-in gave consent: try the silent exchange again.
  await askSignIn(ctx, context, pending.reference, tenantId, oid, langOf(pending.locale), source.settings);
}

export async function onSignInFailure(ctx: BotContext, context: TurnContext): Promise<void> {
  await sendAnswer(context, { status: 200 });
  const parsed = SignInFailureSchema.safeParse(context.activity.value);
  const code = parsed.success && parsed.data.code ? parsed.data.code.replace(/[^A-Za-z0-9_.-]/g, '') : 'unknown';
  ctx.log.warn('teams.signin_failure', { code });
  await context.sendActivity(strings(turnLang(ctx, context.activity)).signInFailed(code));
}

/** The demo's path: the emulated token is checked at once, without a sign-in card. */
export async function withToken(
  ctx: BotContext,
  context: TurnContext,
  reference: Partial<ConversationReference>,
  source: SsoSource,
  token: string,
  lang: Lang,
): Promise<void> {
  const tenantId = tenantOf(context.activity) ?? '';
  const outcome = await checkToken(ctx, token, source.settings, tenantId, context.activity.from.aadObjectId ?? '');
  if (outcome.kind === 'retry') {
    await context.sendActivity(strings(lang).failure('TOKEN_UNAVAILABLE', outcome.reason));
    return;
  }
  await afterTokenCheck(ctx, context, reference, outcome, lang);
}

async function afterTokenCheck(ctx: BotContext, context: TurnContext, reference: Partial<ConversationReference>, outcome: TokenOutcome, lang: Lang): Promise<void> {
  const s = strings(lang);
  switch (outcome.kind) {
    case 'refused':
      ctx.log.info('teams.sync_refused', { reason: outcome.reason });
      await context.sendActivity(s.refusal(outcome.reason, outcome.company?.name ?? null));
      return;
    case 'consent':
      await context.sendActivity({ attachments: [CardFactory.adaptiveCard(consentCard(lang, outcome.adminConsentUrl))] });
      return;
    case 'unavailable':
      await context.sendActivity(s.accountCheckFailed);
      return;
    case 'admin':
      ctx.track(planJob(ctx, reference, outcome.admin, outcome.reader, lang));
      return;
    case 'retry':
      return;
  }
}
