/**
 * What every part of the bot shares: its options, the stores, the job runner, proactive messages,
 * and the small invoke-answer helpers. The parts (./process.ts, ./routing.ts, ./messages.ts,
 * ./oauth.ts, ./plan-job.ts, ./scheduled.ts, ./card-flow.ts) are functions over this context, the
 * way teams.ts splits its App into app.process / app.routing / app.oauth.
 */
import { ActivityTypes, TeamsInfo, type Activity, type ConversationReference, type InvokeResponse, type TurnContext } from 'botbuilder';
import type { Logger } from '../../log.ts';
import type { SafetyStore } from '../../store/safety-store.ts';
import type { AdminIdentity, AuthorizeDeps } from '../../sync/authorize.ts';
import type { SyncService } from '../../sync/sync-service.ts';
import type { BotAuthSettings, SafetyBotAdapter } from '../adapter.ts';
import type { AdaptiveCardJson } from '../cards.ts';
import type { SigningKeyCache, SsoSettings } from '../sso.ts';
import type { PlanCardRecord, TeamsStore } from '../../store/teams-store.ts';
import { langOf, type Lang } from '../i18n.ts';

/** The bot's records in the database, with Teams conversation references. */
export type BotTeamsStore = TeamsStore<Partial<ConversationReference>>;
export type CardRecord = PlanCardRecord<Partial<ConversationReference>>;

/** Where SSO tokens come from: Teams (settings only), or, in the demo, minted locally for the sender. */
export interface SsoSource {
  settings: SsoSettings;
  /** Demo only: the emulated tenant's token for this user, without a sign-in. */
  silentToken?: (aadObjectId: string) => Promise<string>;
}

export interface TeamsBotOptions {
  store: SafetyStore;
  sync: SyncService;
  log: Logger;
  graphBaseUrl: string;
  auth: BotAuthSettings;
  /** Resolves the SSO configuration; null when the bot has none (no AAD_APP_* outside the demo). */
  sso: () => Promise<SsoSource | null>;
  publicBaseUrl?: string;
  /** BOT_LOCALE: answer in this language whatever the client's locale (the Agents Playground always sends en-US). */
  locale?: string;
  /** The Teams app id for "Open in Safety Sync tab" (https://teams.microsoft.com/l/entity/<appId>/<entityId>). */
  teamsAppId?: string;
  /** $top of the Graph user pages. Default 999. */
  graphPageSize?: number;
  clock?: () => Date;
  /** How long a Confirm click's answer waits for the import before answering "importing…". Default 2 000. */
  clickWaitInMs?: number;
  /** How often the "reading…" message shows progress. Default 3 000. */
  progressIntervalInMs?: number;
  /** How long a sign-in the bot asked for stays valid. Default 15 minutes. */
  signInTtlInMs?: number;
  /** How long a verified R2 check lets the same admin confirm without a new sign-in. Default 60 minutes. */
  adminSessionTtlInMs?: number;
  /** A card still "importing" this long after the click, with the plan not applied, was interrupted. Default 30 minutes. */
  interruptedAfterInMs?: number;
  /** The authority's signing keys, shared with the tab (default: the process's bounded cache). */
  signingKeys?: SigningKeyCache;
}

export interface BotContext {
  readonly options: TeamsBotOptions;
  readonly log: Logger;
  readonly store: SafetyStore;
  readonly sync: SyncService;
  readonly teamsStore: BotTeamsStore;
  readonly adapter: SafetyBotAdapter | null;
  readonly botId: string;
  readonly clock: () => Date;
  /** Aborted when the server closes: background reads and imports stop. */
  readonly stopping: AbortSignal;
  /** Plans this instance is applying right now. */
  readonly applying: Set<string>;
  /** Runs a job after the turn is answered; failures are logged. */
  track(job: Promise<unknown>): void;
  /** Talks to a conversation outside a turn (the card update, the plan card). */
  proactive(reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void>;
  /** The SSO configuration; a failure to resolve it is logged (SSO_UNAVAILABLE) and rethrown. */
  sso(): Promise<SsoSource | null>;
  /** What src/sync/authorize.ts needs from the bot. */
  readonly authorizeDeps: AuthorizeDeps;
}

export type Answer = { status: number; body?: unknown };

export const cardAnswer = (card: AdaptiveCardJson): Answer => ({
  status: 200,
  body: { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card },
});
export const messageAnswer = (text: string): Answer => ({
  status: 200,
  body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text },
});
export const badRequestAnswer = (message: string): Answer => ({
  status: 200,
  body: { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message } },
});

export async function sendAnswer(context: TurnContext, answer: Answer): Promise<void> {
  const value: InvokeResponse = { status: answer.status, body: answer.body };
  await context.sendActivity({ type: ActivityTypes.InvokeResponse, value });
}

export function tenantOf(activity: Partial<Activity>): string | null {
  const fromChannel = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  if (typeof fromChannel === 'string' && fromChannel) return fromChannel;
  const fromConversation = activity.conversation?.tenantId;
  return typeof fromConversation === 'string' && fromConversation ? fromConversation : null;
}

export function isInvoke(context: TurnContext, name: string): boolean {
  return context.activity.type === ActivityTypes.Invoke && context.activity.name === name;
}

export function adminConsentFallback(settings: SsoSettings): string {
  const host = new URL(settings.authorityHost).origin;
  return `${host}/${encodeURIComponent(settings.tenantId)}/adminconsent?client_id=${encodeURIComponent(settings.clientId)}`;
}

/**
 * The sender as src/sync/authorize.ts takes it: the activity's tenant and object id (the activity is
 * authenticated by the Bot Framework), the UPN from the Teams roster only when needed (R18).
 */
export function senderOf(context: TurnContext): AdminIdentity {
  return {
    tenantId: tenantOf(context.activity),
    aadObjectId: context.activity.from.aadObjectId ?? null,
    upn: () => rosterUpn(context),
  };
}

/**
 * The sender's UPN as the Teams roster knows it. A member Teams does not know (404) has none; any
 * other failure throws, so the check answers "could not check your account" (defect 14).
 */
async function rosterUpn(context: TurnContext): Promise<string | null> {
  try {
    const member = await TeamsInfo.getMember(context, context.activity.from.id);
    return member.userPrincipalName ?? null;
  } catch (e) {
    if ((e as { statusCode?: unknown }).statusCode === 404) return null;
    throw e;
  }
}

/**
 * The language the bot answers a turn in, decided once: the demo setting BOT_LOCALE when set (the
 * Agents Playground always sends en-US), otherwise the activity's locale. A card's own language
 * (stored with the card, carried in its Action.Execute data) wins over both: see card-flow.ts.
 */
export function turnLang(ctx: Pick<BotContext, 'options'>, activity: Partial<Activity>): Lang {
  return langOf(ctx.options.locale ?? activity.locale);
}

/** The static tab's entity id (appPackage/manifest.json staticTabs[0].entityId). */
export const TAB_ENTITY_ID = 'safety-sync-settings';

/**
 * "Open in Safety Sync tab": the Teams deep link to the static tab when the Teams app id is known,
 * otherwise the tab's public URL (outside Teams), otherwise none.
 */
export function tabLink(options: Pick<TeamsBotOptions, 'teamsAppId' | 'publicBaseUrl'>): string | null {
  if (options.teamsAppId) return `https://teams.microsoft.com/l/entity/${encodeURIComponent(options.teamsAppId)}/${TAB_ENTITY_ID}`;
  if (options.publicBaseUrl && /^https?:\/\//.test(options.publicBaseUrl)) return `${options.publicBaseUrl.replace(/\/+$/, '')}/tab`;
  return null;
}
