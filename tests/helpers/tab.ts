/** The admin API and the configuration tab's API on one real server, reading the demo tenant, signed in by the demo SSO emulator. */
import type { DemoSso, DemoTenant } from '../../src/devtools/demo.ts';
import { DEMO_ADMIN_OBJECT_ID } from '../../src/devtools/demo-tenant.ts';
import { registerTabRoutes, type TabDeps } from '../../src/teams/tab/tab-routes.ts';
import { startTestServer, type TestServer } from './api.ts';

export function startTabTestServer(tenant: DemoTenant, sso: DemoSso, extra: Partial<TabDeps> = {}): Promise<TestServer> {
  return startTestServer(tenant.graphBaseUrl, (ctx) => [
    (server) =>
      registerTabRoutes(server, {
        store: ctx.store,
        sync: ctx.sync,
        log: ctx.log,
        graphBaseUrl: tenant.graphBaseUrl,
        sso: async () => ({ settings: sso.settings, silentToken: (oid) => sso.signUserToken(oid) }),
        demoAdminObjectId: DEMO_ADMIN_OBJECT_ID,
        ...extra,
      }),
  ]);
}
