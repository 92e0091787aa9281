/**
 * Generates src/devtools/fixtures/demo-tenant.json, the emulated Entra tenant of the demo.
 * Deterministic (seeded PRNG): running it again writes the same file.
 *
 *   npx tsx scripts/generate-demo-tenant.ts          # write the fixture
 *   npx tsx scripts/generate-demo-tenant.ts --check  # exit 1 when the committed fixture differs
 *
 * The scenario it encodes is described at the top of src/devtools/demo-tenant.ts.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import type { EmulatedTenant, GraphUser } from '../src/devtools/graph-emulator.ts';

/** Properties a builder may add (never the UPN or display name it computes). */
type Extra = Partial<Omit<GraphUser, 'id' | 'userPrincipalName' | 'displayName'>>;
import {
  DEMO_ADMIN_OBJECT_ID,
  DEMO_DEPARTMENTS,
  DEMO_DIRECTORY_ROLES,
  DEMO_DOMAIN,
  DEMO_TENANT_ID,
  DEMO_TENANT_NAME,
  DEMO_USERS,
  demoObjectId,
} from '../src/devtools/demo-tenant.ts';

const TOTAL_USERS = 200;
const SEED = 0x5afe7e;

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

const JA_FAMILY: [string, string][] = [
  ['佐藤', 'sato'], ['鈴木', 'suzuki'], ['高橋', 'takahashi'], ['田中', 'tanaka'], ['伊藤', 'ito'],
  ['渡辺', 'watanabe'], ['山本', 'yamamoto'], ['中村', 'nakamura'], ['小林', 'kobayashi'], ['加藤', 'kato'],
  ['吉田', 'yoshida'], ['山田', 'yamada'], ['佐々木', 'sasaki'], ['山口', 'yamaguchi'], ['松本', 'matsumoto'],
  ['井上', 'inoue'], ['木村', 'kimura'], ['林', 'hayashi'], ['斎藤', 'saito'], ['清水', 'shimizu'],
];
const JA_GIVEN: [string, string][] = [
  ['太郎', 'taro'], ['花子', 'hanako'], ['健', 'ken'], ['美咲', 'misaki'], ['大輔', 'daisuke'], ['陽菜', 'hina'],
  ['翔太', 'shota'], ['さくら', 'sakura'], ['蓮', 'ren'], ['結衣', 'yui'], ['拓海', 'takumi'], ['葵', 'aoi'],
  ['悠真', 'yuma'], ['彩', 'aya'], ['直樹', 'naoki'], ['恵', 'megumi'], ['誠', 'makoto'], ['優子', 'yuko'],
];
const EN_FIRST = ['Emma', 'Liam', 'Olivia', 'Noah', 'Ava', 'James', 'Sophia', 'Lucas', 'Mia', 'Ethan', 'Grace', 'Daniel', 'Chloe', 'Ryan'];
const EN_LAST = ['Smith', 'Johnson', 'Brown', 'Taylor', 'Clark', 'Lewis', 'Walker', 'Hall', 'Young', 'King', 'Wright', 'Scott'];
const JA_DEPTS = DEMO_DEPARTMENTS.filter((d) => /[^\x00-\x7f]/.test(d));
const EN_DEPTS = DEMO_DEPARTMENTS.filter((d) => !/[^\x00-\x7f]/.test(d));
const JA_TITLES = ['担当', '主任', '係長', '課長', '部長', 'マネージャー', null];
const EN_TITLES = ['Specialist', 'Engineer', 'Senior Engineer', 'Manager', 'Director', 'Analyst', null];
const OFFICES = ['東京本社', '大阪支社', '名古屋営業所', '福岡営業所', 'Remote'];

const usedUpns = new Set<string>();
const users: GraphUser[] = [];

function phone(n: number): string {
  return `+81 3-5555-${String(n).padStart(4, '0')}`;
}

function member(n: number, p: Partial<GraphUser> & { userPrincipalName: string; displayName: string }): GraphUser {
  const upn = p.userPrincipalName;
  if (usedUpns.has(upn.toLowerCase())) throw new Error(`duplicate UPN ${upn}`);
  usedUpns.add(upn.toLowerCase());
  const user: GraphUser = {
    id: demoObjectId(n),
    userPrincipalName: upn,
    displayName: p.displayName,
    givenName: p.givenName ?? null,
    surname: p.surname ?? null,
    mail: p.mail === undefined ? upn : p.mail,
    otherMails: p.otherMails ?? [],
    businessPhones: p.businessPhones ?? [phone(n)],
    mobilePhone: p.mobilePhone ?? null,
    department: p.department === undefined ? null : p.department,
    jobTitle: p.jobTitle ?? null,
    officeLocation: p.officeLocation ?? null,
    preferredLanguage: p.preferredLanguage ?? null,
    accountEnabled: p.accountEnabled ?? true,
    userType: p.userType ?? 'Member',
    identities: p.identities ?? [{ signInType: 'userPrincipalName', issuer: DEMO_DOMAIN, issuerAssignedId: upn }],
  };
  users.push(user);
  return user;
}

function english(n: number, first: string, last: string, department: string | null, extra: Extra = {}): GraphUser {
  return member(n, {
    userPrincipalName: `${first}${last[0]}@${DEMO_DOMAIN}`,
    displayName: `${first} ${last}`,
    givenName: first,
    surname: last,
    department,
    jobTitle: pick(EN_TITLES),
    officeLocation: pick(OFFICES),
    preferredLanguage: 'en-US',
    ...extra,
  });
}

function japanese(n: number, family: [string, string], given: [string, string], department: string | null, extra: Extra = {}): GraphUser {
  let upn = `${given[1]}.${family[1]}@${DEMO_DOMAIN}`;
  for (let i = 2; usedUpns.has(upn.toLowerCase()); i++) upn = `${given[1]}.${family[1]}${i}@${DEMO_DOMAIN}`;
  return member(n, {
    userPrincipalName: upn,
    displayName: `${family[0]} ${given[0]}`,
    givenName: given[0],
    surname: family[0],
    department,
    jobTitle: pick(JA_TITLES),
    officeLocation: pick(OFFICES),
    preferredLanguage: 'ja-JP',
    ...extra,
  });
}

function guest(n: number, displayName: string, mail: string, issuer: string): GraphUser {
  const upn = `${mail.replace('@', '_')}#EXT#@${DEMO_DOMAIN}`;
  return member(n, {
    userPrincipalName: upn,
    displayName,
    mail,
    businessPhones: [],
    department: null,
    userType: 'Guest',
    identities: [{ signInType: 'federated', issuer, issuerAssignedId: issuer === 'mail' ? mail : null }],
  });
}

// ---------------------------------------------------------------- the cast (fixed ids)
member(10, { userPrincipalName: `admin@${DEMO_DOMAIN}`, displayName: 'MOD Administrator', department: null, businessPhones: [], jobTitle: 'IT Admin' });
const cast: [string, string, string | null][] = [
  ['Adele', 'Vance', 'Sales'],
  ['Nestor', 'Wilke', '開発部'],
  ['Isaiah', 'Langer', 'Sales'],
  ['Lidia', 'Holloway', 'Engineering'],
  ['Patti', 'Fernandez', '総務部'],
  ['Johanna', 'Lorenz', 'Engineering'],
  ['Joni', 'Sherman', '人事部'],
  ['Lynne', 'Robbins', 'Marketing'],
  ['Grady', 'Archie', 'Customer Success'],
];
cast.forEach(([f, l, d], i) => english(11 + i, f, l, d));
const alex = english(20, 'Alex', 'Wilber', '総務部', { jobTitle: 'Safety Program Manager', businessPhones: [phone(20)] });
if (alex.id !== DEMO_ADMIN_OBJECT_ID || alex.userPrincipalName !== 'AlexW@contoso.onmicrosoft.com') throw new Error('Alex Wilber drifted');
english(21, 'Megan', 'Bowen', 'Marketing', { businessPhones: [phone(21)] });
english(22, 'Diego', 'Siciliani', 'Sales', { businessPhones: [phone(22)] });
english(23, 'Miriam', 'Graham', 'Engineering', { otherMails: ['miriam.graham@outlook.example'] });
english(24, 'Lee', 'Gu', 'Engineering', { mail: null, otherMails: ['lee.gu@fabrikam.example'] });
guest(25, 'John Doe (Fabrikam)', 'john.doe@fabrikam.example', 'ExternalAzureAD');
guest(26, 'Kenji Mori', 'kenji.mori@outlook.example', 'MicrosoftAccount');
guest(27, 'Sara Davis (Contractor)', 'sara.davis@contractor.example', 'mail');
japanese(32, ['佐藤', 'sato'], ['美咲', 'misaki'], 'サポートチーム', { businessPhones: [phone(32)] });
japanese(33, ['鈴木', 'suzuki'], ['大輔', 'daisuke'], 'サポートチーム', { businessPhones: [phone(33)], accountEnabled: false });
member(34, {
  userPrincipalName: `partner.engineer_fabrikam.example#EXT#@${DEMO_DOMAIN}`,
  displayName: 'Pat Engineer (Fabrikam, member)',
  mail: 'partner.engineer@fabrikam.example',
  department: 'Engineering',
  userType: 'Member',
  identities: [{ signInType: 'federated', issuer: 'ExternalAzureAD', issuerAssignedId: null }],
});
japanese(35, ['木村', 'kimura'], ['誠', 'makoto'], '経理部', { accountEnabled: false });
english(36, 'Ryan', 'Scott', 'Sales', { accountEnabled: false });
japanese(37, ['清水', 'shimizu'], ['優子', 'yuko'], '広報部', { accountEnabled: false });

// ---------------------------------------------------------------- everyone else (seeded)
for (let n = 100; users.length < TOTAL_USERS; n++) {
  const isJapanese = random() < 0.7;
  const deptRoll = random();
  const department =
    deptRoll < 0.04 ? null : isJapanese ? (random() < 0.85 ? pick(JA_DEPTS) : pick(EN_DEPTS)) : random() < 0.8 ? pick(EN_DEPTS) : pick(JA_DEPTS);
  const extra: Extra = {};
  if (random() < 0.15) extra.businessPhones = [];
  if (random() < 0.3) extra.mobilePhone = `+81 90-${String(1000 + n).slice(-4)}-${String(Math.floor(random() * 10000)).padStart(4, '0')}`;
  if (isJapanese) {
    japanese(n, pick(JA_FAMILY), pick(JA_GIVEN), department, extra);
  } else {
    let first = pick(EN_FIRST);
    let last = pick(EN_LAST);
    for (let tries = 0; usedUpns.has(`${first}${last[0]}@${DEMO_DOMAIN}`.toLowerCase()) && tries < 50; tries++) {
      first = pick(EN_FIRST);
      last = pick(EN_LAST);
    }
    if (usedUpns.has(`${first}${last[0]}@${DEMO_DOMAIN}`.toLowerCase())) japanese(n, pick(JA_FAMILY), pick(JA_GIVEN), department, extra);
    else english(n, first, last, department, extra);
  }
}

// Every department must have somebody importable, so that the first plan creates all of them.
for (const d of DEMO_DEPARTMENTS) {
  if (!users.some((u) => u.department === d && u.accountEnabled && u.userType === 'Member')) throw new Error(`nobody in ${d}`);
}
const mails = users.map((u) => u.mail?.toLowerCase()).filter(Boolean);
if (new Set(mails).size !== mails.length) throw new Error('duplicate mail in the demo tenant');
for (const id of [DEMO_USERS.supportMisaki, DEMO_USERS.supportDaisukeDisabled]) {
  if (!users.some((u) => u.id === id)) throw new Error(`missing ${id}`);
}

const tenant: EmulatedTenant = {
  tenantId: DEMO_TENANT_ID,
  displayName: DEMO_TENANT_NAME,
  users: users.sort((a, b) => (a.id < b.id ? -1 : 1)),
  directoryRoles: DEMO_DIRECTORY_ROLES,
};

const out = fileURLToPath(new URL('../src/devtools/fixtures/demo-tenant.json', import.meta.url));
const text = `${JSON.stringify(tenant, null, 2)}\n`;
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    /* missing */
  }
  if (current !== text) {
    console.error(`${out} is out of date: run npx tsx scripts/generate-demo-tenant.ts`);
    process.exit(1);
  }
  console.log(`${out} is up to date (${tenant.users.length} users)`);
} else {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, text);
  console.log(`wrote ${out} (${tenant.users.length} users)`);
}
