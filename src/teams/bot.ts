/**
 * The Teams bot: a teams-ai Application over the CloudAdapter (./adapter.ts) on POST /api/messages.
 *
 *   `sync directory` -> R1–R3 checks -> Teams SSO (./sso.ts) -> on-behalf-of Graph read ->
 *   plan card (Confirm / Cancel) -> `confirmImport` -> SyncService.apply -> the card replaced for
 *   everyone ("importing…", then the result).
 *
 * Planning and applying go through SyncService only. What must outlive the turn (the card's
 * message id, pending sign-ins, verified admins) is in the database (./teams-store.ts); the
 * directory read and the import run in the background after the HTTP request is answered, and
 * talk to the conversation proactively (a Teams request must be answered within seconds).
 */
import { randomUUID } from 'node:crypto';
import {
  ActivityTypes,
  CardFactory,
  INVOKE_RESPONSE_KEY,
  TeamsInfo,
  TurnContext,
  type Activity,
  type ConversationReference,
  type InvokeResponse,
} from 'botbuilder';
import { Application, type TurnState } from '@microsoft/teams-ai';
import type { Request as RestifyRequest, Response as RestifyResponse, Server } from 'restify';
import { z } from 'zod';
import { isAppError } from '../domain/errors.ts';
import type { Company, Run, SafetyUser } from '../domain/types.ts';
import { readMemberOfRoles } from '../directory/admin-roles.ts';
import { createGraphDirectoryReader } from '../directory/graph-reader.ts';
import type { TokenProvider } from '../directory/tokens.ts';
import type { Logger } from '../log.ts';
import type { SafetyStore, StoredPlan } from '../store/safety-store.ts';
import type { SyncService } from '../sync/sync-service.ts';
import { decideAccess, findLinkedUser, type Refusal } from './access.ts';
import { createBotAdapter, type BotAuthSettings, type SafetyBotAdapter } from './adapter.ts';
import {
  closedCard,
  consentCard,
  helpCard,
  importingCard,
  planCard,
  resultCard,
  statusCard,
  type AdaptiveCardJson,
  type ClosedKind,
} from './cards.ts';
import { parseCommand } from './commands.ts';
import { langOf, strings, type Lang } from './i18n.ts';
import {
  graphTokenProviderFor,
  isExpiredSignIn,
  loginRequest,
  PRECONDITION_FAILED_CARD_ANSWER,
  signInCard,
  signInEndPage,
  signInStartLocation,
  SsoTokenError,
  verifySsoToken,
  type SsoSettings,
  type VerifiedUser,
} from './sso.ts';
import { TeamsStore, type PlanCardRecord } from './teams-store.ts';

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
}

type Answer = { status: number; body?: unknown };

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Card data is input from the client: only a known verb with a uuid planId is acted on. */
export const CardActionDataSchema = z.object({
  planId: z.string().regex(UUID_RE),
  confirmDeletions: z.union([z.enum(['true', 'false']), z.boolean()]).optional(),
});

export const CARD_VERBS = ['confirmImport', 'cancelImport'] as const;
export type CardVerb = (typeof CARD_VERBS)[number];

const TokenExchangeSchema = z.object({ id: z.string().min(1).max(200), token: z.string().min(1).max(20_000) }).passthrough();
const SignInFailureSchema = z.object({ code: z.string().max(100).optional(), message: z.string().max(2000).optional() }).passthrough();
const ActionAuthSchema = z.object({ token: z.string().min(1).max(20_000) }).passthrough();

const cardAnswer = (card: AdaptiveCardJson): Answer => ({
  status: 200,
  body: { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card },
});
const messageAnswer = (text: string): Answer => ({
  status: 200,
  body: { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text },
});
const badRequestAnswer = (message: string): Answer => ({
  status: 200,
  body: { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message } },
});

interface Admin {
  company: Company;
  user: SafetyUser;
}

function tenantOf(activity: Partial<Activity>): string | null {
  const fromChannel = (activity.channelData as { tenant?: { id?: unknown } } | undefined)?.tenant?.id;
  if (typeof fromChannel === 'string' && fromChannel) return fromChannel;
  const fromConversation = activity.conversation?.tenantId;
  return typeof fromConversation === 'string' && fromConversation ? fromConversation : null;
}

export class TeamsBot {
  readonly app: Application<TurnState>;
  readonly adapter: SafetyBotAdapter | null;
  readonly teamsStore: TeamsStore;
  private readonly jobs = new Set<Promise<unknown>>();
  /** Plans this instance is applying right now. */
  private readonly applying = new Set<string>();
  private readonly stopping = new AbortController();
  private readonly clock: () => Date;
  private readonly botId: string;

  constructor(private readonly options: TeamsBotOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.botId = options.auth.botId?.trim() ?? '';
    this.adapter = createBotAdapter(options.auth);
    this.teamsStore = new TeamsStore(options.store.db);
    this.app = new Application<TurnState>({
      ...(this.adapter ? { adapter: this.adapter } : {}),
      ...(this.botId ? { botAppId: this.botId } : {}),
      removeRecipientMention: true,
      startTypingTimer: false,
      longRunningMessages: false,
    });
    this.routes();
  }

  // ================================================================ HTTP

  register(server: Server): void {
    server.post('/api/messages', async (req, res) => this.handleHttp(req, res));
    server.get('/auth/start', async (req, res) => this.signInStart(req, res));
    server.get('/auth/end', async (req, res) => {
      const ok = typeof req.query?.code === 'string' && !req.query?.error;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(signInEndPage(ok));
    });
    server.on('close', () => this.stopping.abort(new Error('server closed')));
  }

  private async handleHttp(req: RestifyRequest, res: RestifyResponse): Promise<void> {
    if (!this.adapter) {
      res.send(401, { error: { code: 'UNAUTHORIZED', message: 'The bot is not configured: set BOT_ID (anonymous requests are accepted only in demo mode).' } });
      return;
    }
    const raw: unknown = req.body;
    let body: unknown;
    try {
      body = JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '');
    } catch {
      res.send(400, { error: { code: 'BAD_REQUEST', message: 'The body must be a JSON activity.' } });
      return;
    }
    const request = { method: req.method, headers: req.headers, body: body as Record<string, unknown> };
    try {
      await this.adapter.process(request, res as never, async (context) => {
        await this.app.run(context);
      });
    } catch (e) {
      this.options.log.error('teams.process_failed', { error: e });
      if (!res.headersSent) res.send(500, { error: { code: 'INTERNAL', message: 'An unexpected error occurred.' } });
    }
  }

  private async signInStart(req: RestifyRequest, res: RestifyResponse): Promise<void> {
    const source = await this.options.sso().catch(() => null);
    if (!source || !this.options.publicBaseUrl) {
      res.send(404, { error: { code: 'NOT_FOUND', message: 'Sign-in is not configured.' } });
      return;
    }
    res.redirect(302, signInStartLocation(source.settings, this.options.publicBaseUrl, randomUUID()), () => undefined);
  }

  /** Resolves when every background read and import has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.jobs.size > 0) await Promise.allSettled([...this.jobs]);
  }

  async close(): Promise<void> {
    this.stopping.abort(new Error('closing'));
    await this.idle();
  }

  private track(job: Promise<unknown>): void {
    const p = job.catch((e: unknown) => this.options.log.error('teams.job_failed', { error: e })).finally(() => this.jobs.delete(p));
    this.jobs.add(p);
  }

  // ================================================================ routes

  private routes(): void {
    const app = this.app;
    app.error(async (context, error) => {
      this.options.log.error('teams.turn_failed', { type: context.activity.type, name: context.activity.name, error });
      if (context.activity.type === ActivityTypes.Invoke && !context.turnState.get(INVOKE_RESPONSE_KEY)) {
        await this.answer(context, { status: 500 });
      }
    });
    app.conversationUpdate('membersAdded', async (context) => {
      const added = context.activity.membersAdded ?? [];
      if (added.some((m) => m.id === context.activity.recipient?.id)) {
        await context.sendActivity({ attachments: [CardFactory.adaptiveCard(helpCard(langOf(context.activity.locale)))] });
      }
    });
    app.addRoute(async (c) => isInvoke(c, 'signin/tokenExchange'), (c) => this.onTokenExchange(c), true);
    app.addRoute(async (c) => isInvoke(c, 'signin/verifyState'), (c) => this.onVerifyState(c), true);
    app.addRoute(async (c) => isInvoke(c, 'signin/failure'), (c) => this.onSignInFailure(c), true);
    app.adaptiveCards.actionExecute([...CARD_VERBS], async (context, _state, data) => {
      const verb = (context.activity.value as { action?: { verb?: unknown } }).action?.verb as CardVerb;
      await this.answer(context, await this.onCardAction(context, verb, data));
      return '';
    });
    // Any other card action (an unknown verb, a forged invoke) is refused.
    app.addRoute(async (c) => isInvoke(c, 'adaptiveCard/action'), async (c) => this.answer(c, badRequestAnswer('Unknown card action.')), true);
    app.activity(ActivityTypes.Message, async (context) => this.onMessage(context));
  }

  private async answer(context: TurnContext, answer: Answer): Promise<void> {
    const value: InvokeResponse = { status: answer.status, body: answer.body };
    await context.sendActivity({ type: ActivityTypes.InvokeResponse, value });
  }

  // ================================================================ messages

  private async onMessage(context: TurnContext): Promise<void> {
    const activity = context.activity;
    const lang = langOf(activity.locale);
    const s = strings(lang);
    const command = parseCommand(activity.text);
    try {
      if (command === 'sync') return await this.onSync(context, lang);
      if (command === 'status') return await this.onStatus(context, lang);
      await context.sendActivity({ attachments: [CardFactory.adaptiveCard(helpCard(lang))] });
    } catch (e) {
      this.options.log.error('teams.message_failed', { command, error: e });
      await context.sendActivity(s.failure(isAppError(e) ? e.code : 'INTERNAL', isAppError(e) ? e.message : ''));
    }
  }

  /** The sender's UPN as the Teams roster knows it (only needed when no user is linked by object id). */
  private async rosterUpn(context: TurnContext): Promise<string | null> {
    try {
      const member = await TeamsInfo.getMember(context, context.activity.from.id);
      return member.userPrincipalName ?? null;
    } catch {
      return null;
    }
  }

  /** R1, R3 and the service side of R2 (systemAdmin), before anything is read from Entra. */
  private async serviceSideCheck(
    context: TurnContext,
  ): Promise<{ ok: true; company: Company; users: SafetyUser[]; user: SafetyUser } | { ok: false; reason: Refusal; company: Company | null }> {
    const tenantId = tenantOf(context.activity);
    const company = tenantId ? await this.options.store.findCompanyByTenant(tenantId) : null;
    if (!company) return { ok: false, reason: 'TENANT_NOT_LINKED', company: null };
    const users = await this.options.store.listUsers(company.id);
    const oid = context.activity.from.aadObjectId ?? null;
    const upn = findLinkedUser(users, oid, null) ? null : await this.rosterUpn(context);
    const decision = decideAccess({ company, users, aadObjectId: oid, upn, roleTemplateIds: null });
    if (!decision.allowed) return { ok: false, reason: decision.reason, company };
    return { ok: true, company, users, user: decision.user };
  }

  private async onStatus(context: TurnContext, lang: Lang): Promise<void> {
    const check = await this.serviceSideCheck(context);
    if (!check.ok) {
      await context.sendActivity(strings(lang).refusal(check.reason, check.company?.name ?? null));
      return;
    }
    const runs = await this.options.store.listRuns(check.company.id, 5);
    const names = new Map(check.users.map((u) => [u.loginName, u.name]));
    await context.sendActivity({ attachments: [CardFactory.adaptiveCard(statusCard(lang, check.company.name, runs, names))] });
  }

  private async onSync(context: TurnContext, lang: Lang): Promise<void> {
    const s = strings(lang);
    const check = await this.serviceSideCheck(context);
    const log = this.options.log;
    if (!check.ok) {
      log.info('teams.sync_refused', { reason: check.reason });
      await context.sendActivity(s.refusal(check.reason, check.company?.name ?? null));
      return;
    }
    const source = await this.options.sso();
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
      } catch {
        await context.sendActivity(s.refusal('NOT_A_SERVICE_USER', check.company.name));
        return;
      }
      await this.withToken(context, reference, source, token, lang);
      return;
    }
    await this.askSignIn(context, reference, tenantId, oid, lang, source.settings);
  }

  private async askSignIn(
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
    const ttl = this.options.signInTtlInMs ?? 15 * 60_000;
    await this.teamsStore.savePendingSignIn({
      id,
      tenantId,
      aadObjectId,
      command: 'sync',
      reference,
      locale: lang,
      expiresAt: new Date(this.clock().getTime() + ttl).toISOString(),
    });
    await context.sendActivity({
      ...(intro ? { text: intro } : {}),
      attachments: [signInCard(id, settings, { title: s.signInText, button: s.signInButton })],
    });
  }

  // ================================================================ sign-in invokes

  private async onTokenExchange(context: TurnContext): Promise<void> {
    const parsed = TokenExchangeSchema.safeParse(context.activity.value);
    if (!parsed.success) {
      await this.answer(context, { status: 400, body: { failureDetail: 'The token exchange request is not valid.' } });
      return;
    }
    const { id, token } = parsed.data;
    const body = { id, connectionName: '' };
    const tenantId = tenantOf(context.activity);
    const oid = context.activity.from.aadObjectId ?? '';
    const pending = await this.teamsStore.getPendingSignIn(id, this.clock());
    const source = await this.options.sso();
    if (!pending || !source || !tenantId || pending.tenantId.toLowerCase() !== tenantId.toLowerCase() || pending.aadObjectId.toLowerCase() !== oid.toLowerCase()) {
      // Unknown, expired, already used (Teams on two devices exchanges twice) or someone else's.
      await this.answer(context, { status: 200, body });
      return;
    }
    const lang = langOf(pending.locale);
    const outcome = await this.checkToken(token, source.settings, tenantId, oid);
    if (outcome.kind === 'retry') {
      // 412: Teams shows the sign-in button (the fallback), which ends in signin/verifyState.
      await this.answer(context, { status: 412, body: { ...body, failureDetail: 'The token could not be exchanged.' } });
      return;
    }
    if (!(await this.teamsStore.deletePendingSignIn(id))) {
      await this.answer(context, { status: 200, body });
      return;
    }
    await this.answer(context, { status: 200, body });
    await this.afterTokenCheck(context, pending.reference, outcome, lang);
  }

  private async onVerifyState(context: TurnContext): Promise<void> {
    await this.answer(context, { status: 200 });
    const source = await this.options.sso();
    const tenantId = tenantOf(context.activity);
    const oid = context.activity.from.aadObjectId ?? '';
    if (!source || !tenantId) return;
    const pending = await this.teamsStore.latestPendingSignIn(tenantId, oid, this.clock());
    if (!pending || !(await this.teamsStore.deletePendingSignIn(pending.id))) return;
    // The fallback sign-in gave consent: try the silent exchange again.
    await this.askSignIn(context, pending.reference, tenantId, oid, langOf(pending.locale), source.settings);
  }

  private async onSignInFailure(context: TurnContext): Promise<void> {
    await this.answer(context, { status: 200 });
    const parsed = SignInFailureSchema.safeParse(context.activity.value);
    const code = parsed.success && parsed.data.code ? parsed.data.code.replace(/[^A-Za-z0-9_.-]/g, '') : 'unknown';
    this.options.log.warn('teams.signin_failure', { code });
    await context.sendActivity(strings(langOf(context.activity.locale)).signInFailed(code));
  }

  private async withToken(
    context: TurnContext,
    reference: Partial<ConversationReference>,
    source: SsoSource,
    token: string,
    lang: Lang,
  ): Promise<void> {
    const tenantId = tenantOf(context.activity) ?? '';
    const outcome = await this.checkToken(token, source.settings, tenantId, context.activity.from.aadObjectId ?? '');
    if (outcome.kind === 'retry') {
      await context.sendActivity(strings(lang).failure('TOKEN_UNAVAILABLE', outcome.reason));
      return;
    }
    await this.afterTokenCheck(context, reference, outcome, lang);
  }

  private async afterTokenCheck(context: TurnContext, reference: Partial<ConversationReference>, outcome: TokenOutcome, lang: Lang): Promise<void> {
    const s = strings(lang);
    switch (outcome.kind) {
      case 'refused':
        this.options.log.info('teams.sync_refused', { reason: outcome.reason });
        await context.sendActivity(s.refusal(outcome.reason, outcome.company?.name ?? null));
        return;
      case 'consent':
        await context.sendActivity({ attachments: [CardFactory.adaptiveCard(consentCard(lang, outcome.adminConsentUrl))] });
        return;
      case 'failed':
        await context.sendActivity(s.failure(outcome.code, outcome.message));
        return;
      case 'admin':
        this.track(this.planJob(reference, outcome.admin, outcome.provider, lang));
        return;
      case 'retry':
        return;
    }
  }

  /**
   * The token's whole check: signature and identity, the on-behalf-of exchange (consent), the Entra
   * role (wids, else /me/memberOf) and the service side of R2. On success the check is recorded so
   * the same admin may confirm without another sign-in.
   */
  private async checkToken(token: string, settings: SsoSettings, tenantId: string, aadObjectId: string): Promise<TokenOutcome> {
    let verified: VerifiedUser;
    try {
      verified = await verifySsoToken(token, settings, { tenantId, aadObjectId: aadObjectId || null });
    } catch (e) {
      if (e instanceof SsoTokenError && e.reason === 'mismatch') return { kind: 'refused', reason: 'IDENTITY_MISMATCH', company: null };
      return { kind: 'retry', reason: e instanceof SsoTokenError ? e.reason : 'invalid' };
    }
    const company = await this.options.store.findCompanyByTenant(verified.tenantId);
    if (!company) return { kind: 'refused', reason: 'TENANT_NOT_LINKED', company: null };
    const users = await this.options.store.listUsers(company.id);
    const pre = decideAccess({ company, users, aadObjectId: verified.aadObjectId, upn: verified.upn, roleTemplateIds: null });
    if (!pre.allowed) return { kind: 'refused', reason: pre.reason, company };
    const provider = cachingProvider(graphTokenProviderFor(token, settings));
    let wids = verified.wids;
    try {
      await provider.getToken({ signal: this.stopping.signal });
      if (wids === null) wids = await readMemberOfRoles(this.options.graphBaseUrl, provider, { signal: this.stopping.signal });
    } catch (e) {
      if (isAppError(e) && e.code === 'CONSENT_REQUIRED' && typeof e.details.adminConsentUrl === 'string') {
        return { kind: 'consent', adminConsentUrl: e.details.adminConsentUrl };
      }
      if (isAppError(e) && e.code === 'CONSENT_REQUIRED') {
        return { kind: 'consent', adminConsentUrl: adminConsentFallback(settings) };
      }
      if (isAppError(e) && e.code === 'TOKEN_UNAVAILABLE') return { kind: 'retry', reason: e.message };
      return { kind: 'failed', code: isAppError(e) ? e.code : 'INTERNAL', message: isAppError(e) ? e.message : '' };
    }
    const decision = decideAccess({ company, users, aadObjectId: verified.aadObjectId, upn: verified.upn, roleTemplateIds: wids });
    if (!decision.allowed) return { kind: 'refused', reason: decision.reason, company };
    const now = this.clock();
    const ttl = this.options.adminSessionTtlInMs ?? 60 * 60_000;
    await this.teamsStore.saveAdminSession(verified.tenantId, verified.aadObjectId, {
      companyId: company.id,
      userId: decision.user.id,
      verifiedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttl).toISOString(),
    });
    return { kind: 'admin', admin: { company, user: decision.user }, provider };
  }

  // ================================================================ the directory read (background)

  private async proactive(reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    if (!this.adapter) return;
    await this.adapter.continueConversationAsync(this.botId, reference, logic);
  }

  private async planJob(reference: Partial<ConversationReference>, admin: Admin, provider: TokenProvider, lang: Lang): Promise<void> {
    const s = strings(lang);
    const log = this.options.log;
    const started = Date.now();
    let progressId: string | undefined;
    await this.proactive(reference, async (ctx) => {
      progressId = (await ctx.sendActivity(s.reading))?.id;
    });
    let latest = 0;
    let shown = 0;
    let updating: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      if (!progressId || latest === shown) return;
      shown = latest;
      const text = s.readingProgress(latest);
      updating = updating.then(() =>
        this.proactive(reference, async (ctx) => {
          await ctx.updateActivity({ id: progressId, type: ActivityTypes.Message, text });
        }).catch(() => undefined),
      );
    }, this.options.progressIntervalInMs ?? 3000);
    let plan: StoredPlan;
    try {
      const reader = createGraphDirectoryReader({
        graphBaseUrl: this.options.graphBaseUrl,
        tokenProvider: provider,
        ...(this.options.graphPageSize ? { pageSize: this.options.graphPageSize } : {}),
      });
      plan = await this.options.sync.createPlan(admin.company.id, reader, {
        requestedBy: admin.user.loginName,
        source: 'teams',
        signal: this.stopping.signal,
        onProgress: (n) => {
          latest = n;
        },
      });
    } catch (e) {
      clearInterval(timer);
      await updating;
      await this.reportPlanFailure(reference, e, lang, admin);
      return;
    } finally {
      clearInterval(timer);
    }
    await updating;
    const usersRead = latest;
    const readMs = Date.now() - started;
    const card = planCard(plan, {
      lang,
      companyName: admin.company.name,
      requestedByName: admin.user.name,
      usersRead,
      readMs,
    });
    await this.teamsStore.savePlanCard({
      planId: plan.id,
      companyId: admin.company.id,
      conversationId: reference.conversation?.id ?? '',
      reference,
      locale: lang,
    });
    await this.proactive(reference, async (ctx) => {
      if (progressId) {
        await ctx.updateActivity({ id: progressId, type: ActivityTypes.Message, text: s.readDone(usersRead, readMs) }).catch(() => undefined);
      }
      const sent = await ctx.sendActivity({ attachments: [CardFactory.adaptiveCard(card)] });
      if (sent?.id) await this.teamsStore.setPlanCardActivity(plan.id, sent.id);
    });
    log.info('teams.plan_card_sent', { companyId: admin.company.id, planId: plan.id, errors: plan.errors.length });
  }

  /**
   * B7: a plan the schedule made is posted for approval in the conversation where the company's
   * last plan card went (the administrators' chat). Returns false when the company has never had a
   * plan card: the plan is then only recorded (GET …/sync/plans) and a warning is logged.
   */
  async postScheduledPlan(plan: StoredPlan): Promise<boolean> {
    const last = await this.teamsStore.latestPlanCard(plan.companyId);
    if (!last || !this.adapter) {
      this.options.log.warn('teams.schedule_no_conversation', { companyId: plan.companyId, planId: plan.id });
      return false;
    }
    const company = await this.options.store.getCompany(plan.companyId);
    const lang: Lang = last.locale === 'ja' ? 'ja' : 'en';
    const card = planCard(plan, { lang, companyName: company.name, requestedByName: strings(lang).scheduleName, usersRead: null, readMs: null });
    await this.teamsStore.savePlanCard({
      planId: plan.id,
      companyId: plan.companyId,
      conversationId: last.conversationId,
      reference: last.reference,
      locale: lang,
    });
    await this.proactive(last.reference, async (ctx) => {
      const sent = await ctx.sendActivity({ attachments: [CardFactory.adaptiveCard(card)] });
      if (sent?.id) await this.teamsStore.setPlanCardActivity(plan.id, sent.id);
    });
    this.options.log.info('teams.scheduled_plan_posted', { companyId: plan.companyId, planId: plan.id });
    return true;
  }

  private async reportPlanFailure(reference: Partial<ConversationReference>, e: unknown, lang: Lang, admin: Admin): Promise<void> {
    const s = strings(lang);
    this.options.log.warn('teams.plan_failed', { companyId: admin.company.id, code: isAppError(e) ? e.code : 'INTERNAL', error: e });
    if (this.stopping.signal.aborted) return;
    if (isAppError(e) && e.code === 'CONSENT_REQUIRED') {
      const url = typeof e.details.adminConsentUrl === 'string' ? e.details.adminConsentUrl : null;
      const source = await this.options.sso().catch(() => null);
      const consentUrl = url ?? (source ? adminConsentFallback(source.settings) : null);
      await this.proactive(reference, async (ctx) => {
        if (consentUrl) await ctx.sendActivity({ attachments: [CardFactory.adaptiveCard(consentCard(lang, consentUrl))] });
        else await ctx.sendActivity(s.failure('CONSENT_REQUIRED', e.message));
      });
      return;
    }
    if (isExpiredSignIn(e)) {
      // The user's token expired during a long read: nothing was planned; ask for a new sign-in.
      const source = await this.options.sso().catch(() => null);
      await this.proactive(reference, async (ctx) => {
        if (source && !source.silentToken) {
          await this.askSignIn(
            ctx,
            reference,
            tenantOf(ctx.activity) ?? admin.company.entraTenantId ?? '',
            admin.user.entraObjectId ?? '',
            lang,
            source.settings,
            s.signInExpired,
          );
        } else {
          await ctx.sendActivity(s.signInExpired);
        }
      });
      return;
    }
    await this.proactive(reference, async (ctx) => {
      await ctx.sendActivity(s.failure(isAppError(e) ? e.code : 'INTERNAL', isAppError(e) ? e.message : ''));
    });
  }

  // ================================================================ card actions

  private async onCardAction(context: TurnContext, verb: CardVerb, rawData: unknown): Promise<Answer> {
    const lang = langOf(context.activity.locale);
    const s = strings(lang);
    const parsed = CardActionDataSchema.safeParse(rawData);
    if (!parsed.success || !CARD_VERBS.includes(verb)) return badRequestAnswer('The card action data is not valid.');
    const { planId } = parsed.data;
    const confirmDeletions = parsed.data.confirmDeletions === true || parsed.data.confirmDeletions === 'true';
    const card = await this.teamsStore.getPlanCard(planId);
    const plan = card ? await this.options.store.findPlan(planId) : null;
    if (!card || !plan) return messageAnswer(s.unknownCard);
    if (card.conversationId !== (context.activity.conversation?.id ?? '')) return messageAnswer(s.clickRefused('NOT_IN_CONVERSATION'));
    const tenantId = tenantOf(context.activity);
    const company = tenantId ? await this.options.store.findCompanyByTenant(tenantId) : null;
    if (!company) return messageAnswer(s.clickRefused('TENANT_NOT_LINKED'));
    if (company.id !== plan.companyId || company.id !== card.companyId) return messageAnswer(s.clickRefused('OTHER_COMPANY'));

    const who = await this.authorizeClick(context, company, lang);
    if ('answer' in who) return who.answer;
    const admin: Admin = { company, user: who.user };
    this.options.log.info('teams.card_action', { verb, planId, companyId: company.id, state: card.state });
    return verb === 'confirmImport' ? this.confirm(card, plan, admin, lang, confirmDeletions) : this.cancel(card, plan, admin, lang);
  }

  /**
   * R2 for a click: a check recorded from a verified SSO token (the admin who planned), the token
   * Teams sends after a Universal Actions login request, or, in the demo, the emulated token.
   */
  private async authorizeClick(context: TurnContext, company: Company, lang: Lang): Promise<{ user: SafetyUser } | { answer: Answer }> {
    const s = strings(lang);
    const tenantId = tenantOf(context.activity) ?? '';
    const oid = context.activity.from.aadObjectId ?? '';
    const value = (context.activity.value ?? {}) as { authentication?: unknown; state?: unknown };
    const source = await this.options.sso();
    const refuse = (reason: Refusal | 'OTHER_COMPANY'): { answer: Answer } => ({ answer: messageAnswer(s.clickRefused(reason)) });

    const fromToken = async (token: string): Promise<{ user: SafetyUser } | { answer: Answer }> => {
      if (!source) return refuse('NOT_SYSTEM_ADMIN');
      const outcome = await this.checkToken(token, source.settings, tenantId, oid);
      switch (outcome.kind) {
        case 'admin':
          return outcome.admin.company.id === company.id ? { user: outcome.admin.user } : refuse('OTHER_COMPANY');
        case 'retry':
          return { answer: { status: 200, body: PRECONDITION_FAILED_CARD_ANSWER } };
        case 'consent':
          return { answer: cardAnswer(consentCard(lang, outcome.adminConsentUrl)) };
        case 'refused':
          return refuse(outcome.reason);
        case 'failed':
          return { answer: messageAnswer(s.failure(outcome.code, outcome.message)) };
      }
    };

    const auth = ActionAuthSchema.safeParse(value.authentication);
    if (auth.success) return fromToken(auth.data.token);

    const session = await this.teamsStore.getAdminSession(tenantId, oid, this.clock());
    if (session && session.companyId === company.id) {
      // Roles can change after the check: the service side is read again now.
      const users = await this.options.store.listUsers(company.id);
      const user = users.find((u) => u.id === session.userId);
      if (user && user.roles.includes('systemAdmin') && user.status === 'active') return { user };
      return refuse('NOT_SYSTEM_ADMIN');
    }
    // Without a recorded check, someone who is not a system administrator in the service is told
    // so at once, before any sign-in is asked for.
    const users = await this.options.store.listUsers(company.id);
    const linked = findLinkedUser(users, oid, null) ?? findLinkedUser(users, oid, await this.rosterUpn(context));
    if (!linked) return refuse('NOT_A_SERVICE_USER');
    if (!linked.roles.includes('systemAdmin') || linked.status !== 'active') return refuse('NOT_SYSTEM_ADMIN');
    if (source?.silentToken) {
      try {
        return await fromToken(await source.silentToken(oid));
      } catch {
        return refuse('NOT_A_SERVICE_USER');
      }
    }
    if (!source) return refuse('NOT_SYSTEM_ADMIN');
    return { answer: { status: 200, body: loginRequest(source.settings, { title: s.signInText, button: s.signInButton }) } };
  }

  /**
   * A card left "importing" by an instance that stopped (restart, crash): when the plan was applied
   * the result is shown; when it is still pending long after the click, the transaction rolled back
   * (R5) and the card says so.
   */
  private async recoverInterrupted(card: PlanCardRecord, plan: StoredPlan, admin: Admin, lang: Lang): Promise<PlanCardRecord> {
    if (card.state !== 'importing' || this.applying.has(card.planId)) return card;
    const current = await this.options.store.findPlan(card.planId);
    if (current?.status === 'applied' && current.runId) {
      const moved = await this.teamsStore.transition(card.planId, ['importing'], 'done', { runId: current.runId });
      if (moved) await this.updateForEveryone(moved, await this.currentCard(moved, current, lang, admin.company.name));
      return moved ?? card;
    }
    const since = card.actedAt ? Date.parse(card.actedAt) : 0;
    if (this.clock().getTime() - since < (this.options.interruptedAfterInMs ?? 30 * 60_000)) return card;
    const s = strings(lang);
    const moved = await this.teamsStore.transition(card.planId, ['importing'], 'failed', {
      error: { code: 'INTERRUPTED', message: s.importFailure('INTERRUPTED', '') },
    });
    if (moved) await this.updateForEveryone(moved, closedCard('failed', plan, lang, admin.company.name, { reason: s.importFailure('INTERRUPTED', '') }));
    return moved ?? card;
  }

  private async confirm(card: PlanCardRecord, plan: StoredPlan, admin: Admin, lang: Lang, confirmDeletions: boolean): Promise<Answer> {
    card = await this.recoverInterrupted(card, plan, admin, lang);
    if (card.state !== 'shown') return cardAnswer(await this.currentCard(card, plan, lang, admin.company.name));
    const current = await this.options.sync.getPlan(admin.company.id, plan.id);
    if (current.status !== 'pending') {
      return cardAnswer(await this.settleOutside(card, current, lang, admin));
    }
    if (current.errors.length > 0) return messageAnswer(strings(lang).unknownCard);
    if (current.requiresDeletionConfirmation && !confirmDeletions) {
      // Only the clicker sees this: the same plan card with a note at the top of the warnings.
      return cardAnswer(
        planCard(current, {
          lang,
          companyName: admin.company.name,
          requestedByName: await this.nameOf(admin.company.id, current.requestedBy),
          usersRead: null,
          readMs: null,
          notice: strings(lang).deletionsNotConfirmed,
        }),
      );
    }
    const moved = await this.teamsStore.transition(card.planId, ['shown'], 'importing', { actedBy: admin.user.loginName, actedByName: admin.user.name });
    if (!moved) {
      // Someone else's click won (another instance, a double-click): show what is current.
      const again = await this.teamsStore.getPlanCard(card.planId);
      return cardAnswer(await this.currentCard(again ?? card, current, lang, admin.company.name));
    }
    const importing = importingCard(current, lang, admin.company.name, admin.user.name);
    await this.updateForEveryone(moved, importing);
    let finished: AdaptiveCardJson | null = null;
    const job = this.applyJob(moved, current, admin, lang, confirmDeletions).then((c) => {
      finished = c;
    });
    this.track(job);
    const wait = this.options.clickWaitInMs ?? 2000;
    await Promise.race([job, new Promise((r) => setTimeout(r, wait).unref())]);
    return cardAnswer(finished ?? importing);
  }

  /** Applies through SyncService, then replaces the card for everyone with the result. */
  private async applyJob(card: PlanCardRecord, plan: StoredPlan, admin: Admin, lang: Lang, confirmDeletions: boolean): Promise<AdaptiveCardJson> {
    const s = strings(lang);
    let next: AdaptiveCardJson;
    this.applying.add(plan.id);
    try {
      const { run } = await this.options.sync.apply(admin.company.id, plan.id, { confirmedBy: admin.user.loginName, confirmDeletions });
      const done = await this.teamsStore.transition(card.planId, ['importing'], 'done', { runId: run.id });
      next = resultCard(plan, run, lang, admin.company.name, admin.user.name);
      this.options.log.info('teams.import_done', { planId: plan.id, runId: run.id, counts: run.counts });
      if (done) await this.updateForEveryone(done, next);
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
      this.options.log.warn('teams.import_failed', { planId: plan.id, code, error: e });
      const moved = await this.teamsStore.transition(card.planId, ['importing'], state, { error: { code, message: isAppError(e) ? e.message : 'unexpected' } });
      next = closedCard(kind, plan, lang, admin.company.name, { reason: failedReason, byName: card.actedByName ?? admin.user.name });
      if (moved) await this.updateForEveryone(moved, next);
      return next;
    } finally {
      this.applying.delete(plan.id);
    }
  }

  private async cancel(card: PlanCardRecord, plan: StoredPlan, admin: Admin, lang: Lang): Promise<Answer> {
    card = await this.recoverInterrupted(card, plan, admin, lang);
    if (card.state !== 'shown') return cardAnswer(await this.currentCard(card, plan, lang, admin.company.name));
    let current: StoredPlan;
    try {
      current = await this.options.sync.cancel(admin.company.id, plan.id, admin.user.loginName);
    } catch (e) {
      if (isAppError(e) && e.code === 'CONFLICT') {
        const applied = await this.options.sync.getPlan(admin.company.id, plan.id);
        return cardAnswer(await this.settleOutside(card, applied, lang, admin));
      }
      throw e;
    }
    if (current.status !== 'cancelled') return cardAnswer(await this.settleOutside(card, current, lang, admin));
    const moved = await this.teamsStore.transition(card.planId, ['shown'], 'cancelled', { actedBy: admin.user.loginName, actedByName: admin.user.name });
    const next = closedCard('cancelled', current, lang, admin.company.name, { byName: admin.user.name });
    if (moved) await this.updateForEveryone(moved, next);
    else return cardAnswer(await this.currentCard((await this.teamsStore.getPlanCard(card.planId)) ?? card, current, lang, admin.company.name));
    return cardAnswer(next);
  }

  /** The plan was settled elsewhere (expired, stale, applied or cancelled through the API): the card follows. */
  private async settleOutside(card: PlanCardRecord, plan: StoredPlan, lang: Lang, admin: Admin): Promise<AdaptiveCardJson> {
    let moved: PlanCardRecord | null = null;
    if (plan.status === 'expired' || plan.status === 'stale') {
      moved = await this.teamsStore.transition(card.planId, ['shown'], 'closed');
    } else if (plan.status === 'cancelled') {
      moved = await this.teamsStore.transition(card.planId, ['shown'], 'cancelled', {
        actedBy: plan.cancelledBy ?? 'api',
        actedByName: await this.nameOf(admin.company.id, plan.cancelledBy ?? ''),
      });
    } else if (plan.status === 'applied') {
      moved = await this.teamsStore.transition(card.planId, ['shown'], 'done', { runId: plan.runId });
    }
    const next = await this.currentCard(moved ?? (await this.teamsStore.getPlanCard(card.planId)) ?? card, plan, lang, admin.company.name);
    if (moved) await this.updateForEveryone(moved, next);
    return next;
  }

  /** The card for a record's state (a double-click, a second admin, a click after the end). */
  private async currentCard(card: PlanCardRecord, plan: StoredPlan, lang: Lang, companyName: string): Promise<AdaptiveCardJson> {
    switch (card.state) {
      case 'importing':
        return importingCard(plan, lang, companyName, card.actedByName ?? card.actedBy ?? '');
      case 'done': {
        const run = card.runId ? await this.options.store.getRun(card.runId) : plan.runId ? await this.options.store.getRun(plan.runId) : null;
        if (run) return resultCard(plan, run as Run, lang, companyName, card.actedByName ?? (await this.nameOf(plan.companyId, run.confirmedBy)));
        return closedCard('failed', plan, lang, companyName, { reason: '' });
      }
      case 'failed':
        return closedCard('failed', plan, lang, companyName, { reason: card.error?.message ?? '' });
      case 'cancelled':
        return closedCard('cancelled', plan, lang, companyName, { byName: card.actedByName ?? card.actedBy ?? '' });
      case 'closed':
        return closedCard(plan.status === 'stale' ? 'stale' : 'expired', plan, lang, companyName);
      case 'shown':
        return planCard(plan, {
          lang,
          companyName,
          requestedByName: await this.nameOf(plan.companyId, plan.requestedBy),
          usersRead: null,
          readMs: null,
        });
    }
  }

  private async nameOf(companyId: string, loginName: string): Promise<string> {
    if (!loginName) return '';
    const users = await this.options.store.listUsers(companyId).catch(() => [] as SafetyUser[]);
    return users.find((u) => u.loginName.toLowerCase() === loginName.toLowerCase())?.name ?? loginName;
  }

  /** Replaces the plan card's message for everyone in the conversation. */
  private async updateForEveryone(card: PlanCardRecord, content: AdaptiveCardJson): Promise<void> {
    if (!card.activityId) return;
    try {
      await this.proactive(card.reference, async (ctx) => {
        await ctx.updateActivity({ id: card.activityId!, type: ActivityTypes.Message, attachments: [CardFactory.adaptiveCard(content)] });
      });
    } catch (e) {
      this.options.log.warn('teams.card_update_failed', { planId: card.planId, error: e });
    }
  }
}

type TokenOutcome =
  | { kind: 'admin'; admin: Admin; provider: TokenProvider }
  | { kind: 'refused'; reason: Refusal; company: Company | null }
  | { kind: 'consent'; adminConsentUrl: string }
  | { kind: 'retry'; reason: string }
  | { kind: 'failed'; code: string; message: string };

function isInvoke(context: TurnContext, name: string): boolean {
  return context.activity.type === ActivityTypes.Invoke && context.activity.name === name;
}

function adminConsentFallback(settings: SsoSettings): string {
  const host = new URL(settings.authorityHost).origin;
  return `${host}/${encodeURIComponent(settings.tenantId)}/adminconsent?client_id=${encodeURIComponent(settings.clientId)}`;
}

/**
 * Keeps the Graph token between pages and asks the on-behalf-of provider again only when it is
 * within two minutes of expiry, so a long read renews it in time (msal renews from the SSO token;
 * once that has expired too, the read stops with TOKEN_UNAVAILABLE and the admin is asked to sign in).
 */
function cachingProvider(inner: TokenProvider): TokenProvider {
  let token: string | null = null;
  let expiresAt = 0;
  return {
    async getToken(options) {
      if (token && Date.now() < expiresAt - 120_000) return token;
      const next = await inner.getToken(options);
      token = next;
      expiresAt = expiryOf(next);
      return next;
    },
  };
}

function expiryOf(jwt: string): number {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

