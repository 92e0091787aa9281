/**
 * The Teams part's one entry point for the start-up wiring. Everything teams-ai / botbuilder
 * specific stays under src/teams/ (a move to the newer Teams SDK touches this folder only).
 */
import type { AppContext } from '../app.ts';
import type { RouteRegistrar } from '../server.ts';
import type { BotAuthSettings } from './adapter.ts';
import { TeamsBot, type SsoSource, type TeamsBotOptions } from './bot.ts';
import type { SsoSettings } from './sso.ts';

export { TeamsBot, type SsoSource, type TeamsBotOptions } from './bot.ts';
export type { BotAuthSettings } from './adapter.ts';
export type { SsoSettings } from './sso.ts';

/** The application ID URI of the bot's SSO app (teamsapp.yml / aad.manifest.json use the same form). */
export function appIdUriFor(botId: string, publicBaseUrl: string | undefined): string {
  if (!publicBaseUrl) return `api://botid-${botId}`;
  return `api://${new URL(publicBaseUrl).host}/botid-${botId}`;
}

/** SSO settings from the Teams Toolkit variables (AAD_APP_*, BOT_ID, PUBLIC_BASE_URL); null when incomplete. */
export function ssoSettingsFromConfig(ctx: AppContext): SsoSettings | null {
  const { clientId, clientSecret, tenantId, authorityHost } = ctx.config.aad;
  const botId = ctx.config.bot.id;
  if (!clientId || !clientSecret || !tenantId) return null;
  const publicBaseUrl = ctx.config.publicBaseUrl?.replace(/\/+$/, '');
  const appIdUri = appIdUriFor(botId ?? clientId, publicBaseUrl);
  return {
    clientId,
    clientSecret,
    tenantId,
    authorityHost,
    audiences: [...new Set([appIdUri, `api://${clientId}`, ...(botId ? [`api://botid-${botId}`] : [])])],
    signInUrl: publicBaseUrl ? `${publicBaseUrl}/auth/start` : null,
    appIdUri,
  };
}

export interface TeamsWiring {
  demo: boolean;
  /** Demo mode without BOT_ID: where the emulated tenant's tokens come from (started on first use). */
  demoSso?: () => Promise<SsoSource>;
  /** Overrides for tests (a local OpenID metadata, a local connector's credentials, shorter waits). */
  overrides?: Partial<Omit<TeamsBotOptions, 'store' | 'sync' | 'log' | 'auth'>> & { auth?: Partial<BotAuthSettings> };
}

export function createTeamsBot(ctx: AppContext, wiring: TeamsWiring): TeamsBot {
  const botId = ctx.config.bot.id;
  const emulated = wiring.demo && !botId && wiring.demoSso !== undefined;
  const fromConfig = ssoSettingsFromConfig(ctx);
  const sso = emulated ? wiring.demoSso! : async (): Promise<SsoSource | null> => (fromConfig ? { settings: fromConfig } : null);
  const { auth: authOverrides, ...rest } = wiring.overrides ?? {};
  return new TeamsBot({
    store: ctx.store,
    sync: ctx.sync,
    log: ctx.log,
    graphBaseUrl: ctx.config.graphBaseUrl,
    publicBaseUrl: ctx.config.publicBaseUrl,
    ...(ctx.config.botLocale ? { locale: ctx.config.botLocale } : {}),
    ...(ctx.config.teamsAppId ?? botId ? { teamsAppId: (ctx.config.teamsAppId ?? botId) as string } : {}),
    sso,
    ...rest,
    auth: {
      botId,
      botPassword: ctx.config.bot.password,
      botTenantId: ctx.config.bot.tenantId,
      allowAnonymous: wiring.demo && !botId,
      ...authOverrides,
    },
  });
}

export function teamsRegistrar(bot: TeamsBot): RouteRegistrar {
  return (server) => bot.register(server);
}
