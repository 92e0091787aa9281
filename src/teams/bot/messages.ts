/**
 * Messages: `sync directory`, `status`, help. Who may ask is decided by src/sync/authorize.ts only;
 * what it cannot check (an outage) is told as "could not check your account" (defect 14), never as
 * a refusal.
 */
import { CardFactory, TurnContext } from 'botbuilder';
import { isAppError } from '../../domain/errors.ts';
import { authorizeAdmin, type AccessRefusal } from '../../sync/authorize.ts';
import { helpCard, statusCard } from '../cards.ts';
import { parseCommand } from '../commands.ts';
import { strings, type Lang } from '../i18n.ts';
import { senderOf, tenantOf, turnLang, type BotContext, type SsoSource } from './context.ts';
import { askSignIn, withToken } from './oauth.ts';

export async function onMessage(ctx: BotContext, context: TurnContext): Promise<void> {
  const lang = turnLang(ctx, context.activity);
  const s = strings(lang);
  const command = parseCommand(context.activity.text);
  try {
    if (command === 'sync') return await onSync(ctx, context, lang);
    if (command === 'status') return await onStatus(ctx, context, lang);
    await context.sendActivity({ attachments: [CardFactory.adaptiveCard(helpCard(lang))] });
  } catch (e) {
    ctx.log.error('teams.message_failed', { command, code: isAppError(e) ? e.code : 'INTERNAL', error: e });
    await context.sendActivity(s.failure(isAppError(e) ? e.code : 'INTERNAL', isAppError(e) ? e.message : ''));
  }
}

/** The words for a refusal of the service-side check (before any sign-in). */
export function refusalText(lang: Lang, refusal: AccessRefusal): string {
  const s = strings(lang);
  switch (refusal.code) {
    case 'ACCOUNT_CHECK_FAILED':
      return s.accountCheckFailed;
    case 'CONSENT_REQUIRED':
      return s.failure('CONSENT_REQUIRED', '');
    case 'SIGN_IN_REQUIRED':
      return s.failure('TOKEN_UNAVAILABLE', refusal.message);
    default:
      return s.refusal(refusal.code, refusal.company?.name ?? null);
  }
}

async function onStatus(ctx: BotContext, context: TurnContext, lang: Lang): Promise<void> {
  const check = await authorizeAdmin(ctx.authorizeDeps, senderOf(context), null);
  if (!check.ok) {
    await context.sendActivity(refusalText(lang, check));
    return;
  }
  const runs = await ctx.store.listRuns(check.company.id, 5);
  // Only the few people named on the card are looked up (indexed), never the roster.
  const names = new Map<string, string>();
  for (const login of new Set(runs.map((r) => r.confirmedBy).filter(Boolean))) {
    const user = await ctx.store.findUserByLoginName(check.company.id, login);
    if (user) names.set(login, user.name);
  }
  await context.sendActivity({ attachments: [CardFactory.adaptiveCard(statusCard(lang, check.company.name, runs, names))] });
}

async function onSync(ctx: BotContext, context: TurnContext, lang: Lang): Promise<void> {
  const s = strings(lang);
  const check = await authorizeAdmin(ctx.authorizeDeps, senderOf(context), null);
  if (!check.ok) {
    ctx.log.info('teams.sync_refused', { reason: check.code });
    await context.sendActivity(refusalText(lang, check));
    return;
  }
  let source: SsoSource | null;
  try {
    source = await ctx.sso();
  } catch {
    await context.sendActivity(s.accountCheckFailed); // logged by ctx.sso
    return;
  }
  if (!source) {
    await context.sendActivity(s.notConfigured);
    return;
  }
  const reference = TurnContext.getConversationReference(context.activity);
  const tenantId = tenantOf(context.activity)!;
  const oid = context.activity.from.aadObjectId ?? '';
  if (source.silentToken) {
    let token: string;
    try {
      token = await source.silentToken(oid);
    } catch (e) {
      ctx.log.error('access.check_failed', { reason: 'SILENT_TOKEN_UNAVAILABLE', code: isAppError(e) ? e.code : 'SILENT_TOKEN_UNAVAILABLE', error: e });
      await context.sendActivity(s.accountCheckFailed);
      return;
    }
    await withToken(ctx, context, reference, source, token, lang);
    return;
  }
  await askSignIn(ctx, context, reference, tenantId, oid, lang, source.settings);
}
