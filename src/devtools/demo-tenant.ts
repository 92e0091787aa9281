/**
 * The demo company: an emulated Entra tenant ("Contoso Demo (emulated)", fixture
 * ./fixtures/demo-tenant.json, generated deterministically by scripts/generate-demo-tenant.ts)
 * and the state of the same company in the safety service BEFORE its first import
 * (`demoServiceSeed`, pure data).
 *
 * Regenerate the fixture with `npx tsx scripts/generate-demo-tenant.ts` (same output every time).
 *
 * ------------------------------------------------------------------ the scenario
 * Entra (200 users, 12 departments: 営業部 総務部 開発部 人事部 経理部 サポートチーム 品質保証部 広報部
 * Sales Engineering Marketing "Customer Success"; ids are 00000000-0000-0000-0000-NNNNNNNNNNNNN — note
 * the 13-digit last group, like the tenant id 00000000-0000-0000-0000-0000000000001; do not "fix" them):
 *   - Alex Wilber (…0020, AlexW@contoso.onmicrosoft.com, 総務部) holds Cloud Application Administrator
 *     (directoryRoles) -> may plan and confirm (R2). MOD Administrator (…0010, no department) holds
 *     Global Administrator. Megan Bowen (…0021) holds User Administrator only -> NOT enough for R2.
 *   - 3 guests (userType Guest, #EXT# UPNs; issuers ExternalAzureAD, MicrosoftAccount, mail) -> skipped.guest = 3 (R13).
 *   - 1 member whose identity issuer is ExternalAzureAD (…0034, #EXT# UPN) -> skipped.external = 1 (R14).
 *   - 4 disabled users: 3 new ones (…0035–…0037) -> skipped.disabledNew = 3 (R15); the 4th (…0033,
 *     鈴木 大輔) is already linked -> still updated, with a DISABLED_USER_UPDATED warning.
 *   - Some users have blank businessPhones; some (MOD Administrator and a few others) have no department
 *     -> created without a department (R23).
 *   - Miriam Graham (…0023) has a unique `mail` and an `otherMails` address; Lee Gu (…0024) has no `mail`
 *     but an `otherMails` address -> created with no email: otherMails is never used (R21).
 *   - Renamed department: the support team is "サポートチーム" in Entra today; the service still has
 *     "サポートT" from an earlier import.
 *
 * Safety service before the first import (demoServiceSeed; company "Contoso Demo", enterprise, maxUsers 500):
 *   departments: root; 安全対策本部 (service only, manual: untouched, R12); 総務部 (manual, top level:
 *     reused for Entra's 総務部, never duplicated or moved, R10); MicrosoftEntraID読み込み部署 (entra, the
 *     container of an earlier import, R8) with child サポートT (entra).
 *   users:
 *     - Alex Wilber, systemAdmin, linked by entraObjectId (R17), in 総務部 and 安全対策本部 -> unchanged.
 *     - 佐藤 美咲 (…0032) and 鈴木 大介 (…0033) in サポートT, linked (R17): 佐藤's phone changed in Entra; 鈴木's
 *       name is 鈴木 大輔 in Entra and the account is disabled. Both move to the new サポートチーム
 *       (the Entra-sourced department is overwritten, R24); サポートT itself stays (R11).
 *     - 退職 太郎, linked to …0099 which no longer exists in Entra -> deleted (R26).
 *     - 防災 担当 (bousai.tantou, crisisManager, 安全対策本部, no entraObjectId, not in Entra) -> untouched (R16).
 *     - loginName MeganB@contoso.onmicrosoft.com = Megan Bowen's UPN -> linked by R18, email/phone/department filled.
 *     - diego.s whose email DiegoS@contoso.onmicrosoft.com = Diego Siciliani's mail -> linked by R19, renamed.
 *
 * So the first plan should show (no errors; the demo company's initial password must be set):
 *   departmentsToCreate 11 (every Entra department except 総務部, which is reused; the container exists),
 *   usersToCreate 188 (200 read − 7 skipped − 5 linked), usersToUpdate 4 (佐藤, 鈴木, Megan, Diego),
 *   usersUnchanged 1 (Alex), usersToDelete 1 (退職 太郎),
 *   skipped {guest: 3, external: 1, disabledNew: 3, noUserPrincipalName: 0}; 194 users afterwards.
 *   DEMO_FIRST_PLAN_SUMMARY below says the same; tests/devtools/demo-tenant.test.ts checks it
 *   against the planner run on the fixture.
 */
import { readFileSync } from 'node:fs';
import type { DepartmentSource, PlanSummary, Role } from '../domain/types.ts';
import type { EmulatedTenant } from './graph-emulator.ts';
import type { EmulatedEntraUser } from './token-emulator.ts';

export const DEMO_TENANT_ID = '00000000-0000-0000-0000-0000000000001';
export const DEMO_TENANT_NAME = 'Contoso Demo (emulated)';
export const DEMO_DOMAIN = 'contoso.onmicrosoft.com';

/** The object id the demo uses for user number n (13-digit last group, like the tenant id). */
export function demoObjectId(n: number): string {
  return `00000000-0000-0000-0000-${String(n).padStart(13, '0')}`;
}

/** What the demo company's first plan shows (the scenario above). */
export const DEMO_FIRST_PLAN_SUMMARY: Readonly<PlanSummary> = Object.freeze({
  usersToCreate: 188,
  usersToUpdate: 4,
  usersToDelete: 1,
  usersUnchanged: 1,
  departmentsToCreate: 11,
  skipped: Object.freeze({ guest: 3, external: 1, disabledNew: 3, noUserPrincipalName: 0 }),
});

/** Alex Wilber: Cloud Application Administrator in Entra, systemAdmin in the service. */
export const DEMO_ADMIN_OBJECT_ID = '00000000-0000-0000-0000-0000000000020';

/** Object ids of the users the scenario is about. */
export const DEMO_USERS = {
  modAdministrator: demoObjectId(10),
  alexWilber: DEMO_ADMIN_OBJECT_ID,
  meganBowen: demoObjectId(21),
  diegoSiciliani: demoObjectId(22),
  miriamGraham: demoObjectId(23),
  leeGu: demoObjectId(24),
  guestExternalAzureAD: demoObjectId(25),
  guestMicrosoftAccount: demoObjectId(26),
  guestEmailOtp: demoObjectId(27),
  supportMisaki: demoObjectId(32),
  supportDaisukeDisabled: demoObjectId(33),
  externalMember: demoObjectId(34),
  disabledNew: [demoObjectId(35), demoObjectId(36), demoObjectId(37)],
  /** Linked in the service, gone from Entra. */
  departed: demoObjectId(99),
} as const;

export const DEMO_DEPARTMENTS = [
  '営業部',
  '総務部',
  '開発部',
  '人事部',
  '経理部',
  'サポートチーム',
  '品質保証部',
  '広報部',
  'Sales',
  'Engineering',
  'Marketing',
  'Customer Success',
] as const;

/** Role template ids used in the demo (see src/directory/admin-roles.ts for the R2 set). */
const GLOBAL_ADMINISTRATOR = '62e90394-69f5-4237-9190-012177145e10';
const CLOUD_APPLICATION_ADMINISTRATOR = '158c047a-c907-4556-b7ef-446551a6b5f7';
const USER_ADMINISTRATOR = 'fe930be7-5e62-47db-91af-98c3a49a38b1';

export const DEMO_DIRECTORY_ROLES: { [objectId: string]: string[] } = {
  [DEMO_USERS.modAdministrator]: [GLOBAL_ADMINISTRATOR],
  [DEMO_ADMIN_OBJECT_ID]: [CLOUD_APPLICATION_ADMINISTRATOR],
  [DEMO_USERS.meganBowen]: [USER_ADMINISTRATOR],
};

const FIXTURE_URL = new URL('./fixtures/demo-tenant.json', import.meta.url);

/** A fresh copy of the emulated tenant (the fixture). */
export function loadDemoTenant(): EmulatedTenant {
  const tenant = JSON.parse(readFileSync(FIXTURE_URL, 'utf8')) as EmulatedTenant;
  if (tenant.tenantId !== DEMO_TENANT_ID) throw new Error('demo-tenant.json does not hold the demo tenant');
  return tenant;
}

/** The users of a tenant as the token emulator knows them (wids from directoryRoles). */
export function tokenUsersFromTenant(tenant: EmulatedTenant): EmulatedEntraUser[] {
  return tenant.users
    .filter((u) => u.userPrincipalName)
    .map((u) => ({
      objectId: u.id,
      userPrincipalName: u.userPrincipalName ?? '',
      name: u.displayName ?? u.userPrincipalName ?? u.id,
      wids: [...(tenant.directoryRoles[u.id] ?? [])],
    }));
}

// ------------------------------------------------------------------ the service before the first import

export interface DemoSeedDepartment {
  code: string;
  name: string;
  /** null: directly under the root department. */
  parentCode: string | null;
  source: DepartmentSource;
}

export interface DemoSeedUser {
  loginName: string;
  name: string;
  email: string | null;
  phone: string | null;
  departmentCodes: string[];
  roles: Role[];
  entraObjectId: string | null;
  password: string;
}

export interface DemoServiceSeed {
  company: { name: string; plan: 'enterprise'; maxUsers: number };
  departments: DemoSeedDepartment[];
  users: DemoSeedUser[];
}

const CONTAINER = 'MicrosoftEntraID読み込み部署';

export const demoServiceSeed: DemoServiceSeed = {
  company: { name: 'Contoso Demo', plan: 'enterprise', maxUsers: 500 },
  departments: [
    { code: '安全対策本部', name: '安全対策本部', parentCode: null, source: 'manual' },
    { code: '総務部', name: '総務部', parentCode: null, source: 'manual' },
    { code: CONTAINER, name: CONTAINER, parentCode: null, source: 'entra' },
    { code: 'サポートT', name: 'サポートT', parentCode: CONTAINER, source: 'entra' },
  ],
  users: [
    {
      loginName: 'AlexW@contoso.onmicrosoft.com',
      name: 'Alex Wilber',
      email: 'AlexW@contoso.onmicrosoft.com',
      phone: '+81 3-5555-0020',
      departmentCodes: ['総務部', '安全対策本部'],
      roles: ['systemAdmin'],
      entraObjectId: DEMO_ADMIN_OBJECT_ID,
      password: 'Demo#Alex2026',
    },
    {
      loginName: 'misaki.sato@contoso.onmicrosoft.com',
      name: '佐藤 美咲',
      email: 'misaki.sato@contoso.onmicrosoft.com',
      phone: '03-5555-9032',
      departmentCodes: ['サポートT'],
      roles: [],
      entraObjectId: DEMO_USERS.supportMisaki,
      password: 'Demo#Misaki2026',
    },
    {
      loginName: 'daisuke.suzuki@contoso.onmicrosoft.com',
      name: '鈴木 大介',
      email: 'daisuke.suzuki@contoso.onmicrosoft.com',
      phone: '+81 3-5555-0033',
      departmentCodes: ['サポートT'],
      roles: [],
      entraObjectId: DEMO_USERS.supportDaisukeDisabled,
      password: 'Demo#Daisuke2026',
    },
    {
      loginName: 'taro.taishoku@contoso.onmicrosoft.com',
      name: '退職 太郎',
      email: 'taro.taishoku@contoso.onmicrosoft.com',
      phone: null,
      departmentCodes: ['サポートT'],
      roles: [],
      entraObjectId: DEMO_USERS.departed,
      password: 'Demo#Taro2026',
    },
    {
      loginName: 'bousai.tantou',
      name: '防災 担当',
      email: 'bousai@contoso-safety.example',
      phone: '03-5555-0119',
      departmentCodes: ['安全対策本部'],
      roles: ['crisisManager'],
      entraObjectId: null,
      password: 'Demo#Bousai2026',
    },
    {
      loginName: 'MeganB@contoso.onmicrosoft.com',
      name: 'Megan Bowen',
      email: null,
      phone: null,
      departmentCodes: [],
      roles: [],
      entraObjectId: null,
      password: 'Demo#Megan2026',
    },
    {
      loginName: 'diego.s',
      name: 'Diego S.',
      email: 'DiegoS@contoso.onmicrosoft.com',
      phone: null,
      departmentCodes: [],
      roles: [],
      entraObjectId: null,
      password: 'Demo#Diego2026',
    },
  ],
};
