/**
 * The demo tenant a newcomer can change: controls over the running Graph emulator (add, rename,
 * change department, disable/enable, delete a user; give a user a duplicate email; 60 deletions;
 * add a guest; reset to the shipped fixture), each saved to the demo's data dir so the change
 * survives a restart (`<DATA_DIR>/demo-tenant.json`; none with DATABASE_URL).
 *
 * One home for the rules of these controls: the page, its JSON API and the CLI all call
 * `DemoTenantControl`; inputs are checked here with zod (`demoTenantActionSchema`).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { DEMO_ADMIN_OBJECT_ID, DEMO_DOMAIN, DEMO_TENANT_ID, DEMO_USERS, demoObjectId, demoServiceSeed, loadDemoTenant } from './demo-tenant.ts';
import type { EmulatedTenant, GraphEmulator, GraphUser } from './graph-emulator.ts';

/** The file the demo keeps its changed tenant in, inside DATA_DIR. */
export const DEMO_TENANT_FILE = 'demo-tenant.json';

/** How many users "make 60 deletions" deletes: more than the default deletion guard (50). */
export const DEMO_MASS_DELETION_COUNT = 60;

/** Users the controls never delete in bulk: the administrators the demo signs in with. */
const PROTECTED_FROM_BULK = new Set([DEMO_ADMIN_OBJECT_ID, DEMO_USERS.modAdministrator].map((s) => s.toLowerCase()));

// ------------------------------------------------------------------ persistence

/** Where the tenant is kept: a file in the data dir, or nowhere (DATABASE_URL set, e.g. memory:). */
export interface DemoTenantStorage {
  /** Absolute path of the file, or null when changes live only as long as the process. */
  file: string | null;
}

export function demoTenantStorage(config: { databaseUrl?: string | undefined; dataDir: string }): DemoTenantStorage {
  return { file: config.databaseUrl ? null : join(config.dataDir, DEMO_TENANT_FILE) };
}

const identitySchema = z.object({ signInType: z.string(), issuer: z.string(), issuerAssignedId: z.string().nullable() }).strict();
const graphUserSchema = z
  .object({
    id: z.string().min(1).max(64),
    userPrincipalName: z.string().max(256).nullable(),
    displayName: z.string().max(256).nullable(),
    givenName: z.string().max(256).nullable().optional(),
    surname: z.string().max(256).nullable().optional(),
    mail: z.string().max(256).nullable(),
    otherMails: z.array(z.string().max(256)),
    businessPhones: z.array(z.string().max(64)),
    mobilePhone: z.string().max(64).nullable(),
    department: z.string().max(256).nullable(),
    jobTitle: z.string().max(256).nullable(),
    officeLocation: z.string().max(256).nullable().optional(),
    preferredLanguage: z.string().max(32).nullable().optional(),
    accountEnabled: z.boolean(),
    userType: z.string().nullable(),
    identities: z.array(identitySchema),
  })
  .strict();
const tenantFileSchema = z
  .object({
    tenantId: z.literal(DEMO_TENANT_ID),
    displayName: z.string(),
    users: z.array(graphUserSchema).max(100_000),
    directoryRoles: z.record(z.array(z.string())),
  })
  .strict();

/** The tenant the demo starts with: the saved one when there is one, else the shipped fixture. */
export function loadSavedDemoTenant(storage: DemoTenantStorage): { tenant: EmulatedTenant; saved: boolean } {
  if (!storage.file || !existsSync(storage.file)) return { tenant: loadDemoTenant(), saved: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(storage.file, 'utf8'));
  } catch {
    parsed = undefined;
  }
  const r = tenantFileSchema.safeParse(parsed);
  if (!r.success) {
    throw new AppError(
      'VALIDATION_FAILED',
      `The saved demo tenant ${storage.file} is not a demo tenant file; delete it (or run \`npx safety-sync demo-tenant reset\`) to start from the shipped one.`,
    );
  }
  return { tenant: r.data as EmulatedTenant, saved: true };
}

function save(storage: DemoTenantStorage, tenant: EmulatedTenant): void {
  if (!storage.file) return;
  const tmp = `${storage.file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(tenant, null, 1) + '\n', { mode: 0o600 });
  renameSync(tmp, storage.file); // a crash never leaves half a file
}

// ------------------------------------------------------------------ the actions (validated input)

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'control characters are not allowed');
const userRef = text(256);
const email = z.string().trim().email().max(254);
const nickname = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, dot, underscore or hyphen (the part before @)');

export const addUserSchema = z
  .object({
    displayName: text(256),
    /** The part of the user principal name before @ (default: userNNNN). */
    mailNickname: nickname.optional(),
    department: text(64).nullable().optional(),
    accountEnabled: z.boolean().optional(),
  })
  .strict();
export const updateUserSchema = z
  .object({
    displayName: text(256).optional(),
    /** null clears the department. */
    department: text(64).nullable().optional(),
    accountEnabled: z.boolean().optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change: give displayName, department or accountEnabled');
export const duplicateEmailSchema = z
  .object({
    /** The user who gets the address (object id or user principal name). */
    user: userRef,
    /** The address to give; the choices are listed by GET /demo/tenant/api/users (duplicateEmailChoices). */
    email,
  })
  .strict();
export const massDeletionSchema = z.object({ count: z.number().int().min(1).max(500).optional() }).strict();
export const addGuestSchema = z.object({ displayName: text(256), mail: email }).strict();

export type AddUserInput = z.infer<typeof addUserSchema>;
export type UpdateUserInput = z.infer<typeof updateUserSchema>;

/** A user as the page and the CLI list them. */
export interface DemoTenantUserView {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  mail: string | null;
  department: string | null;
  accountEnabled: boolean;
  userType: 'Member' | 'Guest';
}

export interface DuplicateEmailChoice {
  email: string;
  /** Whose address it is. */
  holder: string;
  source: 'service' | 'entra';
}

export interface DemoTenantListing {
  tenant: { id: string; name: string };
  /** The saved tenant's file, or null (DATABASE_URL: changes last until the demo stops). */
  dataFile: string | null;
  users: DemoTenantUserView[];
  duplicateEmailChoices: DuplicateEmailChoice[];
}

export interface DemoTenantControl {
  list(): DemoTenantListing;
  addUser(input: AddUserInput): DemoTenantUserView;
  updateUser(ref: string, input: UpdateUserInput): DemoTenantUserView;
  deleteUser(ref: string): DemoTenantUserView;
  duplicateEmail(ref: string, email: string): DemoTenantUserView;
  /** Deletes `count` (default 60) members, never the demo's administrators; answers who. */
  massDeletion(count?: number): DemoTenantUserView[];
  addGuest(input: { displayName: string; mail: string }): DemoTenantUserView;
  /** Back to the shipped fixture (the saved file is removed). */
  reset(): { users: number };
}

function view(u: GraphUser): DemoTenantUserView {
  return {
    id: u.id,
    displayName: u.displayName,
    userPrincipalName: u.userPrincipalName,
    mail: u.mail,
    department: u.department,
    accountEnabled: u.accountEnabled,
    userType: u.userType === 'Guest' ? 'Guest' : 'Member',
  };
}

/** The controls over a running emulator, saving every change to `storage`. */
export function createDemoTenantControl(emulator: GraphEmulator, storage: DemoTenantStorage): DemoTenantControl {
  const users = () => emulator.tenant.users;
  const persist = () => save(storage, emulator.tenant);

  const find = (ref: string): GraphUser => {
    const k = ref.trim().toLowerCase();
    const u = users().find((x) => x.id.toLowerCase() === k || x.userPrincipalName?.toLowerCase() === k);
    if (!u) throw new AppError('NOT_FOUND', `No user ${ref} in the demo tenant (give an object id or a user principal name).`);
    return u;
  };
  const upnTaken = (upn: string) => users().some((u) => u.userPrincipalName?.toLowerCase() === upn.toLowerCase());
  /** The next demo object id above every one in use (ids stay in the demo's 13-digit form). */
  const nextNumber = (): number => {
    let max = 1000;
    for (const u of users()) {
      const m = /^00000000-0000-0000-0000-(\d{13})$/.exec(u.id);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max + 1;
  };

  return {
    list() {
      const all = users();
      // Service users linked to a present Entra user keep their address, so a second holder is a
      // DUPLICATE_EMAIL; an unlinked one (防災 担当) would instead be linked to the user by its email (R19).
      const present = new Set(all.map((u) => u.id.toLowerCase()));
      const service: DuplicateEmailChoice[] = demoServiceSeed.users
        .filter((u) => u.email !== null && u.entraObjectId !== null && present.has(u.entraObjectId.toLowerCase()))
        .map((u) => ({ email: u.email!, holder: `${u.name} (${u.loginName})`, source: 'service' }));
      const entra: DuplicateEmailChoice[] = all
        .filter((u) => u.mail && u.userType !== 'Guest' && u.accountEnabled)
        .slice(0, 20)
        .map((u) => ({ email: u.mail!, holder: `${u.displayName ?? u.id} (${u.userPrincipalName ?? u.id})`, source: 'entra' }));
      return {
        tenant: { id: DEMO_TENANT_ID, name: emulator.tenant.displayName },
        dataFile: storage.file,
        users: all.map(view),
        duplicateEmailChoices: [...service, ...entra],
      };
    },
    addUser(input) {
      const n = nextNumber();
      const upn = `${input.mailNickname ?? `user${n}`}@${DEMO_DOMAIN}`;
      if (upnTaken(upn)) throw new AppError('CONFLICT', `The user principal name ${upn} is already taken; choose another mailNickname.`);
      const id = demoObjectId(n);
      emulator.addUser({
        id,
        userPrincipalName: upn,
        displayName: input.displayName,
        mail: upn,
        department: input.department ?? null,
        accountEnabled: input.accountEnabled ?? true,
        userType: 'Member',
      });
      persist();
      return view(find(id));
    },
    updateUser(ref, input) {
      const u = find(ref);
      const patch: Partial<Omit<GraphUser, 'id'>> = {};
      if (input.displayName !== undefined) patch.displayName = input.displayName;
      if (input.department !== undefined) patch.department = input.department;
      if (input.accountEnabled !== undefined) patch.accountEnabled = input.accountEnabled;
      emulator.updateUser(u.id, patch);
      persist();
      return view(find(u.id));
    },
    deleteUser(ref) {
      const u = find(ref);
      emulator.removeUser(u.id);
      persist();
      return view(u);
    },
    duplicateEmail(ref, address) {
      const u = find(ref);
      if (u.mail?.toLowerCase() === address.toLowerCase()) {
        throw new AppError('VALIDATION_FAILED', `${u.displayName ?? u.id} already has the address ${address}; choose another user or address.`);
      }
      emulator.updateUser(u.id, { mail: address });
      persist();
      return view(find(u.id));
    },
    massDeletion(count = DEMO_MASS_DELETION_COUNT) {
      const victims = users().filter((u) => u.userType !== 'Guest' && u.accountEnabled && !PROTECTED_FROM_BULK.has(u.id.toLowerCase()));
      if (victims.length < count) throw new AppError('VALIDATION_FAILED', `Only ${victims.length} users can be deleted; ask for fewer.`);
      // From the end of the list: the users the scenario is about (the lowest ids) stay.
      const chosen = victims.slice(-count);
      for (const u of chosen) emulator.removeUser(u.id);
      persist();
      return chosen.map(view);
    },
    addGuest(input) {
      const n = nextNumber();
      const upn = `${input.mail.replace('@', '_')}#EXT#@${DEMO_DOMAIN}`;
      if (upnTaken(upn)) throw new AppError('CONFLICT', `A guest with the address ${input.mail} already exists.`);
      const id = demoObjectId(n);
      emulator.addUser({
        id,
        userPrincipalName: upn,
        displayName: input.displayName,
        mail: input.mail,
        userType: 'Guest',
        identities: [{ signInType: 'federated', issuer: 'ExternalAzureAD', issuerAssignedId: null }],
      });
      persist();
      return view(find(id));
    },
    reset() {
      // Through the emulator's own controls, so a delta read after the reset sees exactly the difference.
      const fixture = loadDemoTenant();
      const wanted = new Map(fixture.users.map((u) => [u.id.toLowerCase(), u]));
      for (const u of users()) if (!wanted.has(u.id.toLowerCase())) emulator.permanentlyDeleteUser(u.id);
      const present = new Map(users().map((u) => [u.id.toLowerCase(), u]));
      for (const [k, u] of wanted) {
        const cur = present.get(k);
        if (!cur) {
          emulator.addUser(u);
          continue;
        }
        const patch: Record<string, unknown> = {};
        for (const [p, v] of Object.entries(u)) {
          if (p !== 'id' && JSON.stringify(v) !== JSON.stringify((cur as unknown as Record<string, unknown>)[p])) patch[p] = v;
        }
        if (Object.keys(patch).length > 0) emulator.updateUser(u.id, patch as Partial<Omit<GraphUser, 'id'>>);
      }
      for (const [oid, roles] of Object.entries(fixture.directoryRoles)) emulator.setDirectoryRoles(oid, roles);
      if (storage.file) rmSync(storage.file, { force: true });
      return { users: fixture.users.length };
    },
  };
}
