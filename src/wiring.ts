/** Route registrars beyond the admin API and SCIM: the Teams bot and the configuration tab. */
import type { AppContext } from './app.ts';
import type { RouteRegistrar } from './server.ts';
import { startDemoSso } from './devtools/demo.ts';
import { DEMO_ADMIN_OBJECT_ID } from './devtools/demo-tenant.ts';
import { createTeamsBot, ssoSettingsFromConfig, teamsRegistrar, type SsoSource } from './teams/index.ts';
import { SigningKeyCache } from './teams/sso.ts';
import { registerTabRoutes } from './teams/tab/tab-routes.ts';

export function extraRegistrars(ctx: AppContext, options: { demo?: boolean } = {}): RouteRegistrar[] {
  const demo = options.demo === true;
  const registrars: RouteRegistrar[] = [];

  // In the demo without BOT_ID, SSO tokens come from a local token emulator that knows the
  // emulated tenant's users (started on first use, closed with the server). Otherwise from the
  // Entra app registration (AAD_APP_*).
  const emulated = demo && !ctx.config.bot.id;
  let demoSso: Promise<Awaited<ReturnType<typeof startDemoSso>>> | undefined;
  const demoSource = async (): Promise<SsoSource> => {
    demoSso ??= startDemoSso();
    const d = await demoSso;
    return { settings: d.settings, silentToken: (oid) => d.signUserToken(oid) };
  };
  const fromConfig = ssoSettingsFromConfig(ctx);
  const sso = emulated ? demoSource : async (): Promise<SsoSource | null> => (fromConfig ? { settings: fromConfig } : null);

  // One bounded cache of the authority's signing keys for the bot and the tab (defect 5).
  const signingKeys = new SigningKeyCache();

  // The Teams bot on POST /api/messages; it also posts scheduled plans for approval (B7).
  const bot = createTeamsBot(ctx, { demo, demoSso: demoSource, overrides: { signingKeys } });
  ctx.hooks.onScheduledPlan = async (plan) => {
    await bot.postScheduledPlan(plan);
  };
  registrars.push(teamsRegistrar(bot));

  // The configuration tab at /tab and its API under /api/tab/*.
  registrars.push((server) =>
    registerTabRoutes(server, {
      store: ctx.store,
      sync: ctx.sync,
      log: ctx.log,
      graphBaseUrl: ctx.config.graphBaseUrl,
      sso,
      demoAdminObjectId: emulated ? DEMO_ADMIN_OBJECT_ID : undefined,
      publicBaseUrl: ctx.config.publicBaseUrl,
      signingKeys,
    }),
  );

  ctx.hooks.drain = () => bot.idle();
  ctx.hooks.close = async () => {
    await bot.close();
    await demoSso?.then((d) => d.close());
  };
  return registrars;
}
