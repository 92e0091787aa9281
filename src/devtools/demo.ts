/**
 * The demo: a seeded demo company in the safety service and the built-in
 * emulated Entra tenant (Graph emulator on loopback). What `npm start` runs.
 */
import { AppError } from '../domain/errors.ts';
import type { Company } from '../domain/types.ts';
import type { SafetyStore } from '../store/safety-store.ts';
import { randomBytes } from 'node:crypto';
import { DEMO_TENANT_ID, demoServiceSeed, loadDemoTenant, tokenUsersFromTenant } from './demo-tenant.ts';
import { createDemoTenantControl, loadSavedDemoTenant, type DemoTenantControl, type DemoTenantStorage } from './demo-tenant-control.ts';
import { startGraphEmulator } from './graph-emulator.ts';
import { deterministicGuid, startTokenEmulator } from './token-emulator.ts';

/** The initial password of the demo company; shown at start so the demo can be tried at once. */
export const DEMO_INITIAL_PASSWORD = 'Welcome#2026';

/** Creates the demo company once (idempotent: an existing company linked to the demo tenant is returned). */
export async function seedDemoCompany(store: SafetyStore): Promise<{ company: Company; created: boolean }> {
  const existing = await store.findCompanyByTenant(DEMO_TENANT_ID);
  if (existing) return { company: existing, created: false };
  const seed = demoServiceSeed;
  const company = await store.createCompany({ ...seed.company, entraTenantId: DEMO_TENANT_ID });
  await store.updateSettings(company.id, { initialPassword: DEMO_INITIAL_PASSWORD });
  const ids = new Map<string, string>();
  const pending = [...seed.departments];
  // Parents before children, whatever order the seed lists them in.
  while (pending.length > 0) {
    const i = pending.findIndex((d) => d.parentCode === null || ids.has(d.parentCode));
    if (i < 0) throw new AppError('INTERNAL', 'Demo seed departments refer to a missing parent.');
    const d = pending.splice(i, 1)[0]!;
    const parentId = d.parentCode === null ? company.rootDepartmentId : ids.get(d.parentCode)!;
    const dep = await store.createDepartment(company.id, { code: d.code, name: d.name, parentId }, 'demo-seed');
    if (d.source === 'entra') await store.db.query(`update departments set source = 'entra' where id = $1`, [dep.id]);
    ids.set(d.code, dep.id);
  }
  for (const u of seed.users) {
    const created = await store.createUser(
      company.id,
      {
        loginName: u.loginName,
        password: u.password,
        name: u.name,
        email: u.email,
        phone: u.phone,
        roles: u.roles,
        entraObjectId: u.entraObjectId,
        departmentIds: u.departmentCodes.map((c) => ids.get(c)!).filter(Boolean),
      },
      'demo-seed',
    );
    // Memberships in Entra departments came from an earlier import in the demo's story.
    await store.db.query(
      `update memberships m set source = 'entra' from departments d
        where m.user_id = $1 and d.id = m.department_id and d.source = 'entra'`,
      [created.id],
    );
  }
  return { company: await store.getCompany(company.id), created: true };
}

export interface DemoTenant {
  graphBaseUrl: string;
  /** The controls a newcomer changes the tenant with (the /demo/tenant page, its API, the CLI). */
  control: DemoTenantControl;
  /** Whether the tenant came from the saved file rather than the shipped fixture. */
  saved: boolean;
  /** Where changes are saved (null: nowhere, DATABASE_URL is set). */
  dataFile: string | null;
  close(): Promise<void>;
}

/**
 * Starts the emulated Entra tenant's Graph endpoint on loopback: the tenant saved in `storage`
 * (the demo's data dir) when there is one, else the shipped fixture.
 */
export async function startDemoTenant(options: { latencyMs?: number; storage?: DemoTenantStorage } = {}): Promise<DemoTenant> {
  const storage = options.storage ?? { file: null };
  const { tenant, saved } = loadSavedDemoTenant(storage);
  const emulator = await startGraphEmulator({ tenant, port: 0, latencyMs: options.latencyMs });
  return {
    graphBaseUrl: emulator.baseUrl,
    control: createDemoTenantControl(emulator, storage),
    saved,
    dataFile: storage.file,
    close: () => emulator.close(),
  };
}

/** The demo's Entra app registration (the bot's SSO app) as the token emulator knows it. */
export const DEMO_APP_CLIENT_ID = deterministicGuid('safety-sync-demo-app');

export interface DemoSso {
  /** What the bot's SSO code is configured with: the emulator instead of login.microsoftonline.com. */
  settings: {
    clientId: string;
    clientSecret: string;
    tenantId: string;
    authorityHost: string;
    audiences: string[];
    signInUrl: null;
    appIdUri: string;
  };
  /** A Teams-SSO-like token for a user of the emulated tenant (what Teams would hand the bot). */
  signUserToken(objectId: string): Promise<string>;
  /** Method and path of every request the emulator answered (tests count key fetches). */
  requestLog: { method: string; url: string }[];
  close(): Promise<void>;
}

/**
 * The demo's stand-in for Teams SSO and Entra: a token emulator on loopback that knows the emulated
 * tenant's users and their directory roles (wids), so the bot runs its real SSO verification and
 * on-behalf-of exchange without Entra (the Agents Playground has no SSO).
 */
export async function startDemoSso(): Promise<DemoSso> {
  const clientSecret = randomBytes(24).toString('base64url');
  const emulator = await startTokenEmulator({
    tenantId: DEMO_TENANT_ID,
    users: tokenUsersFromTenant(loadDemoTenant()),
    clientId: DEMO_APP_CLIENT_ID,
    clientSecret,
  });
  return {
    settings: {
      clientId: DEMO_APP_CLIENT_ID,
      clientSecret,
      tenantId: DEMO_TENANT_ID,
      authorityHost: emulator.url,
      audiences: [],
      signInUrl: null,
      appIdUri: `api://localhost/botid-${DEMO_APP_CLIENT_ID}`,
    },
    signUserToken: (objectId) => emulator.signUserToken(objectId),
    requestLog: emulator.requestLog,
    close: () => emulator.close(),
  };
}
