/** Route registrars beyond the admin API: SCIM, the bot and the tab. Filled in as those parts land. */
import type { AppContext } from './app.ts';
import type { RouteRegistrar } from './server.ts';

export function extraRegistrars(_ctx: AppContext, _options: { demo?: boolean } = {}): RouteRegistrar[] {
  return [];
}
