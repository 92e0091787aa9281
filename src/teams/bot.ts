/**
 * The Teams bot: a teams-ai Application over the CloudAdapter (./adapter.ts) on POST /api/messages.
 *
 *   `sync directory` -> src/sync/authorize.ts (R1–R3) -> Teams SSO (./sso.ts) -> on-behalf-of Graph
 *   read -> plan card (Confirm / Cancel) -> `confirmImport` -> SyncService.apply -> the card replaced
 *   for everyone ("importing…", then the result).
 *
 * This class only assembles the parts, split by job the way teams.ts splits its App:
 *   bot/process.ts    the HTTP edge          bot/routing.ts     which handler takes which activity
 *   bot/messages.ts   commands               bot/oauth.ts       sign-in and the token check
 *   bot/plan-job.ts   the directory read     bot/scheduled.ts   scheduled plans posted for approval
 *   bot/card-flow.ts  card clicks            bot/token-cache.ts the admin's Graph token between pages
 * Planning, applying and deciding access go through src/sync only. What must outlive the turn (the
 * card's message id, pending sign-ins, verified admins) is in the database (src/store/teams-store.ts).
 */
import type { ConversationReference, TurnContext } from 'botbuilder';
import { Application, type TurnState } from '@microsoft/teams-ai';
import type { Server } from 'restify';
import { isAppError } from '../domain/errors.ts';
import type { StoredPlan } from '../store/safety-store.ts';
import { createBotAdapter, type SafetyBotAdapter } from './adapter.ts';
import type { BotContext, BotTeamsStore, TeamsBotOptions } from './bot/context.ts';
import { registerHttp } from './bot/process.ts';
import { registerRoutes } from './bot/routing.ts';
import { postScheduledPlan } from './bot/scheduled.ts';
import { TeamsStore } from '../store/teams-store.ts';

export type { SsoSource, TeamsBotOptions } from './bot/context.ts';
export { CARD_HANDLERS, CARD_VERBS, CardActionDataSchema, type CardVerb } from './bot/card-flow.ts';

export class TeamsBot {
  readonly app: Application<TurnState>;
  readonly adapter: SafetyBotAdapter | null;
  readonly teamsStore: BotTeamsStore;
  private readonly jobs = new Set<Promise<unknown>>();
  private readonly stopping = new AbortController();
  private readonly ctx: BotContext;

  constructor(options: TeamsBotOptions) {
    const botId = options.auth.botId?.trim() ?? '';
    this.adapter = createBotAdapter(options.auth);
    this.teamsStore = new TeamsStore<Partial<ConversationReference>>(options.store.db);
    this.app = new Application<TurnState>({
      ...(this.adapter ? { adapter: this.adapter } : {}),
      ...(botId ? { botAppId: botId } : {}),
      removeRecipientMention: true,
      startTypingTimer: false,
      longRunningMessages: false,
    });
    const adapter = this.adapter;
    const log = options.log;
    this.ctx = {
      options,
      log,
      store: options.store,
      sync: options.sync,
      teamsStore: this.teamsStore,
      adapter,
      botId,
      clock: options.clock ?? (() => new Date()),
      stopping: this.stopping.signal,
      applying: new Set<string>(),
      track: (job) => this.track(job),
      proactive: async (reference: Partial<ConversationReference>, logic: (context: TurnContext) => Promise<void>) => {
        if (!adapter) return;
        await adapter.continueConversationAsync(botId, reference, logic);
      },
      sso: async () => {
        try {
          return await options.sso();
        } catch (e) {
          log.error('teams.sso_unavailable', { code: isAppError(e) ? e.code : 'SSO_UNAVAILABLE', error: e });
          throw e;
        }
      },
      authorizeDeps: {
        store: options.store,
        log,
        graphBaseUrl: options.graphBaseUrl,
        ...(options.graphPageSize ? { graphPageSize: options.graphPageSize } : {}),
      },
    };
    registerRoutes(this.app, this.ctx);
  }

  register(server: Server): void {
    registerHttp(server, this.ctx, this.app);
    server.on('close', () => this.stopping.abort(new Error('server closed')));
  }

  /** B7: posts a scheduled plan for approval where the company's last plan card went; false when there is none. */
  postScheduledPlan(plan: StoredPlan): Promise<boolean> {
    return postScheduledPlan(this.ctx, plan);
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
    const p = job.catch((e: unknown) => this.ctx.log.error('teams.job_failed', { error: e })).finally(() => this.jobs.delete(p));
    this.jobs.add(p);
  }
}
