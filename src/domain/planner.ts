/**
 * The pure import planner: directory snapshot + service snapshot -> plan body.
 * Implements DESIGN.md §3 R1, R3, R8–R30 and B1–B2. No I/O, no clock, no randomness.
 *
 * Errors never stop the computation (B1): every change and every blocking
 * error is computed so that the administrator sees them all at once.
 */
import { foldKey } from './fold.ts';
import { classifyDirectoryUser, isBlank } from './classify.ts';
import { sameTenant } from './tenant.ts';
import { fitDirectoryUser, TEXT_LIMITS, truncate } from './text.ts';
import {
  ROLE_LABELS_EN,
  ENTRA_CONTAINER_DEPARTMENT,
  UNDELETABLE_ROLES,
  type Adjustment,
  type CompanySnapshot,
  type Department,
  type DirectoryAdjustment,
  type DepartmentCreate,
  type DirectorySnapshot,
  type DirectoryUser,
  type FieldChange,
  type PlanBody,
  type EmailHolder,
  type PlanError,
  type PlanWarning,
  type SafetyUser,
  type SkipReason,
  type SkippedUser,
  type UpdatableField,
  type UserCreate,
  type UserDelete,
  type UserUpdate,
  planError,
  planWarning,
} from './types.ts';

type LinkRule = UserUpdate['linkedBy'];

/** Ordinal (code unit) string comparison: deterministic and locale-independent. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Trimmed value, or null when null/blank. */
export function trimOrNull(s: string | null | undefined): string | null {
  if (s === null || s === undefined) return null;
  const t = s.trim();
  return t === '' ? null : t;
}

/** Case-insensitive key of a login name, email or object id: the store's key columns hold the same (defect 8). */
export function keyOf(s: string): string {
  return foldKey(s);
}

/** R21: the first non-blank business phone, trimmed. */
export function firstPhone(phones: readonly (string | null)[] | null | undefined): string | null {
  for (const p of phones ?? []) {
    const t = trimOrNull(p);
    if (t !== null) return t;
  }
  return null;
}

function pushToList<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function userLabel(u: { name: string; loginName: string }): string {
  return u.name && u.name !== u.loginName ? `${u.name} (${u.loginName})` : u.loginName;
}

const ROLE_LABEL = ROLE_LABELS_EN;

interface Match {
  entra: DirectoryUser;
  service: SafetyUser;
  linkedBy: LinkRule;
}

const ADJUSTMENT_TEXT: Record<Adjustment, (max: number | undefined) => string> = {
  controlCharactersRemoved: () => 'had control characters removed',
  truncated: (max) => `was cut to ${max} characters`,
  droppedTooLong: (max) => `is longer than ${max} characters and was left out`,
};

/**
 * Every directory user as the service can keep it (domain/text.ts), with one
 * DIRECTORY_VALUE_ADJUSTED warning per user whose values were cleaned or cut,
 * whether by the reader (`adjusted`) or here: the plan names who, never fails.
 */

function fitDirectory(directory: DirectorySnapshot): { directory: DirectorySnapshot; warnings: PlanWarning[] } {
  const warnings: PlanWarning[] = [];
  const users = directory.users.map((raw) => {
    const { user, adjusted } = fitDirectoryUser(raw);
    const byField = new Map<DirectoryAdjustment['field'], DirectoryAdjustment>();
    for (const a of [...(raw.adjusted ?? []), ...adjusted]) {
      const seen = byField.get(a.field);
      byField.set(
        a.field,
        seen ? { ...seen, adjustments: [...new Set([...seen.adjustments, ...a.adjustments])], length: Math.max(seen.length, a.length) } : a,
      );
    }
    const { adjusted: _readerAdjusted, ...clean } = user;
    if (byField.size > 0) {
      const fields = [...byField.values()].sort((a, b) => compareStrings(a.field, b.field));
      const who = clean.displayName && clean.userPrincipalName ? `${clean.displayName} (${clean.userPrincipalName})` : clean.userPrincipalName ?? clean.displayName ?? clean.id;
      warnings.push(
      planWarning('DIRECTORY_VALUE_ADJUSTED', {
        message: `The Entra user ${who} (object id ${clean.id}) has values the safety service cannot keep as they are: ${fields
          .map((f) => `${f.field} ${f.adjustments.map((a) => ADJUSTMENT_TEXT[a](f.maxLength)).join(' and ')}`)
          .join('; ')}. Fix the value in Entra ID.`,
        entraObjectId: clean.id,
        userPrincipalName: clean.userPrincipalName,
        displayName: clean.displayName,
        fields,
      }));
    }
    return clean;
  });

  return { directory: { ...directory, users }, warnings };
}

/**
 * What the planner decides user by user (issue 9 item 5): every per-user output. Each of them
 * depends only on the connected component of its users in the key graph (domain/replan.ts), so a
 * plan can be updated by re-planning only the components that changed. The lists are in no
 * particular order: finishPlan orders them (one home for the order).
 */
export interface PlanPart {
  createUsers: UserCreate[];
  updateUsers: UserUpdate[];
  deleteUsers: UserDelete[];
  skippedUsers: SkippedUser[];
  /** UNDELETABLE_USER (R27), DUPLICATE_EMAIL (R28), DUPLICATE_LOGIN_NAME (R30): COMPONENT_ERRORS. */
  errors: PlanError[];
  /** EMAIL_KEPT, DISABLED_USER_UPDATED, DIRECTORY_VALUE_ADJUSTED: COMPONENT_WARNINGS. */
  warnings: PlanWarning[];
}

/** The issues decided per component; every other code is global and decided by finishPlan. */
export const COMPONENT_ERRORS: ReadonlySet<PlanError['code']> = new Set(['UNDELETABLE_USER', 'DUPLICATE_EMAIL', 'DUPLICATE_LOGIN_NAME']);
export const COMPONENT_WARNINGS: ReadonlySet<PlanWarning['code']> = new Set(['EMAIL_KEPT', 'DISABLED_USER_UPDATED', 'DIRECTORY_VALUE_ADJUSTED']);

/** The global inputs of a plan: the company, its settings and departments, and two counts. */
export interface PlanContext {
  tenantId: string;
  company: CompanySnapshot['company'];
  settings: CompanySnapshot['settings'];
  departments: readonly Department[];
  dataVersion: number;
  /** How many service users the company has (R29). */
  serviceUsers: number;
  /** How many users the directory holds, imported or skipped. */
  directoryUsers: number;
  changesRead: number | null;
}

export function planImport(rawDirectory: DirectorySnapshot, service: CompanySnapshot): PlanBody {
  return finishPlan(planPart(rawDirectory, service.users), {
    tenantId: rawDirectory.tenantId,
    company: service.company,
    settings: service.settings,
    departments: service.departments,
    dataVersion: service.dataVersion,
    serviceUsers: service.users.length,
    directoryUsers: rawDirectory.users.length,
    changesRead: rawDirectory.changesRead ?? null,
  });
}

/**
 * The per-user rules (R13–R21, R23–R28, R30) over a directory and service users. `serviceUsers`
 * is in snapshot order (login_key): R17 keeps the first user with an object id and R18/R19 the
 * first unclaimed one, so a sub-problem must keep the relative order.
 */
export function planPart(rawDirectory: DirectorySnapshot, serviceUsers: readonly SafetyUser[]): PlanPart {
  const errors: PlanError[] = [];
  const { directory, warnings: adjustedWarnings } = fitDirectory(rawDirectory);

  // ---------------------------------------------------------------- R13–R15 (first stage)
  // Users that are guests, external or without a UPN never take part in linking.
  // Disabled users do: whether they are skipped depends on whether they match.
  const directoryIds = new Set<string>();
  const candidates: DirectoryUser[] = [];
  for (const u of directory.users) {
    directoryIds.add(keyOf(u.id));
    if (classifyDirectoryUser(u, true) === null) candidates.push(u);
  }
  candidates.sort((a, b) => compareStrings(a.id, b.id) || compareStrings(a.userPrincipalName ?? '', b.userPrincipalName ?? ''));

  // ---------------------------------------------------------------- linking R17–R19, R30
  const byObjectId = new Map<string, SafetyUser>();
  const byLogin = new Map<string, SafetyUser[]>();
  const byEmail = new Map<string, SafetyUser[]>();
  for (const s of serviceUsers) {
    const oid = trimOrNull(s.entraObjectId);
    const oidKey = oid === null ? null : keyOf(oid);
    if (oidKey !== null && !byObjectId.has(oidKey)) byObjectId.set(oidKey, s);
    // Only unlinked users and users whose Entra user is gone ("orphaned") can be
    // claimed by R18/R19; a user linked to a present Entra user belongs to it.
    const claimable = oidKey === null || !directoryIds.has(oidKey);
    if (!claimable) continue;
    if (!isBlank(s.loginName)) pushToList(byLogin, keyOf(s.loginName), s);
    if (!isBlank(s.email)) pushToList(byEmail, keyOf(s.email as string), s);
  }

  const claimed = new Set<string>(); // service user ids
  const matchOf = new Map<string, Match>(); // Entra id -> match
  const claim = (entra: DirectoryUser, s: SafetyUser | undefined, linkedBy: LinkRule): void => {
    if (!s || claimed.has(s.id)) return;
    claimed.add(s.id);
    matchOf.set(entra.id, { entra, service: s, linkedBy });
  };
  const firstUnclaimed = (list: SafetyUser[] | undefined): SafetyUser | undefined =>
    list?.find((s) => !claimed.has(s.id));

  for (const c of candidates) claim(c, byObjectId.get(keyOf(c.id)), 'R17');
  for (const c of candidates) {
    if (matchOf.has(c.id)) continue;
    claim(c, firstUnclaimed(byLogin.get(keyOf(c.userPrincipalName as string))), 'R18');
  }
  for (const c of candidates) {
    if (matchOf.has(c.id)) continue;
    const mail = trimOrNull(c.mail);
    if (mail === null) continue;
    claim(c, firstUnclaimed(byEmail.get(keyOf(mail))), 'R19');
  }

  // ---------------------------------------------------------------- skipped (R13–R15, final)
  const skippedUsers: SkippedUser[] = [];
  for (const u of directory.users) {
    const reason = classifyDirectoryUser(u, matchOf.has(u.id));
    if (reason === null) continue;
    skippedUsers.push({
      entraObjectId: u.id,
      userPrincipalName: u.userPrincipalName,
      displayName: u.displayName,
      reason,
    });
  }

  // ---------------------------------------------------------------- create (R21–R23), update (R24–R25)
  const createUsers: UserCreate[] = [];
  const updateUsers: UserUpdate[] = [];
  const updateOf = new Map<string, UserUpdate>(); // service user id -> update
  const warnings: PlanWarning[] = [];

  for (const c of candidates) {
    const match = matchOf.get(c.id);
    if (!match) {
      if (!c.accountEnabled) continue; // disabledNew (R15)
      const loginName = (c.userPrincipalName as string).trim();
      createUsers.push({
        entraObjectId: c.id,
        loginName,
        // A login name standing in for a missing display name is cut to the name's limit (domain/text.ts).
        name: trimOrNull(c.displayName) ?? truncate(loginName, TEXT_LIMITS.name),
        email: trimOrNull(c.mail),
        phone: firstPhone(c.businessPhones),
        departmentCode: trimOrNull(c.department),
      });
      continue;
    }

    const s = match.service;
    const fields: Partial<Record<UpdatableField, FieldChange>> = {};
    const name = trimOrNull(c.displayName);
    if (name !== null && name !== s.name) fields.name = { from: s.name, to: name };

    const mail = trimOrNull(c.mail);
    if (mail === null) {
      if (!isBlank(s.email)) {
        warnings.push(
        planWarning('EMAIL_KEPT', {
          message: `${userLabel(s)} has no email in Entra; the email ${s.email} in the safety service is kept.`,
          userId: s.id,
          loginName: s.loginName,
          email: s.email,
        }));
      }
    } else if (mail !== s.email) {
      fields.email = { from: s.email, to: mail };
    }

    const phone = firstPhone(c.businessPhones);
    if (phone !== null && phone !== s.phone) fields.phone = { from: s.phone, to: phone };

    const dept = trimOrNull(c.department);
    if (dept !== null) {
      const entraMemberships = s.departments.filter((m) => m.source === 'entra');
      const hasDept = s.departments.some((m) => m.code === dept);
      const otherEntra = entraMemberships.find((m) => m.code !== dept);
      if (!hasDept || otherEntra) {
        fields.department = { from: (otherEntra ?? entraMemberships[0])?.code ?? null, to: dept };
      }
    }

    if (s.entraObjectId !== c.id) fields.entraObjectId = { from: s.entraObjectId, to: c.id };

    if (Object.keys(fields).length === 0) continue; // unchanged
    const update: UserUpdate = {
      userId: s.id,
      entraObjectId: c.id,
      loginName: s.loginName,
      linkedBy: match.linkedBy,
      fields,
    };
    updateUsers.push(update);
    updateOf.set(s.id, update);
    if (!c.accountEnabled) {
      warnings.push(
      planWarning('DISABLED_USER_UPDATED', {
        message: `${userLabel(s)} is disabled in Entra but linked, so it is still updated.`,
        userId: s.id,
        loginName: s.loginName,
        entraObjectId: c.id,
      }));
    }
  }
  warnings.push(...adjustedWarnings);

  // ---------------------------------------------------------------- delete (R26, R16, R20)
  const deleteUsers: UserDelete[] = [];
  const deleted = new Map<string, SafetyUser>(); // id -> user
  for (const s of serviceUsers) {
    if (claimed.has(s.id)) continue;
    const oid = trimOrNull(s.entraObjectId);
    if (oid === null) continue; // service-only user: never touched (R16)
    if (directoryIds.has(keyOf(oid))) continue; // its Entra user is present but skipped (or linked twice)
    deleteUsers.push({ userId: s.id, loginName: s.loginName, name: s.name, entraObjectId: s.entraObjectId });
    deleted.set(s.id, s);
  }
  createUsers.sort(createOrder);
  updateUsers.sort(updateOrder);
  deleteUsers.sort(deleteOrder);

  // R27
  for (const d of deleteUsers) {
    const s = deleted.get(d.userId) as SafetyUser;
    const roles = UNDELETABLE_ROLES.filter((r) => s.roles.includes(r));
    if (roles.length === 0) continue;
    errors.push(
    planError('UNDELETABLE_USER', {
      message: `${userLabel(s)} was removed from Entra but cannot be deleted because they are ${roles
        .map((r) => `the ${ROLE_LABEL[r]}`)
        .join(' and ')}; remove the role in the safety service first.`,
      userId: s.id,
      loginName: s.loginName,
      name: s.name,
      roles,
    }));
  }

  // R28: emails after the plan. First count the addresses (cheap), then
  // describe the holders of the duplicated ones only.
  const matchOfService = new Map<string, Match>();
  for (const m of matchOf.values()) matchOfService.set(m.service.id, m);
  const finalEmail = (s: SafetyUser): string | null => {
    const update = updateOf.get(s.id);
    return trimOrNull(update?.fields.email ? update.fields.email.to : s.email);
  };
  const emailCount = new Map<string, number>();
  const countEmail = (email: string | null): void => {
    if (email === null) return;
    const k = keyOf(email);
    emailCount.set(k, (emailCount.get(k) ?? 0) + 1);
  };
  for (const s of serviceUsers) if (!deleted.has(s.id)) countEmail(finalEmail(s));
  for (const u of createUsers) countEmail(trimOrNull(u.email));

  const holders = new Map<string, { email: string; users: EmailHolder[] }>();
  const hold = (email: string, h: EmailHolder): void => {
    const k = keyOf(email);
    if ((emailCount.get(k) ?? 0) < 2) return;
    const group = holders.get(k);
    if (!group) holders.set(k, { email, users: [h] });
    else {
      group.users.push(h);
      if (compareStrings(email, group.email) < 0) group.email = email; // same spelling whatever the read order
    }
  };
  for (const s of serviceUsers) {
    if (deleted.has(s.id)) continue;
    const email = finalEmail(s);
    if (email === null || (emailCount.get(keyOf(email)) ?? 0) < 2) continue;
    const match = matchOfService.get(s.id);
    const entraMail = match ? trimOrNull(match.entra.mail) : null;
    const fromEntra = entraMail !== null && keyOf(entraMail) === keyOf(email);
    const oid = match ? match.entra.id : s.entraObjectId;
    const h: EmailHolder = { loginName: s.loginName, source: fromEntra ? 'entra' : 'service', userId: s.id };
    if (oid !== null) h.entraObjectId = oid;
    hold(email, h);
  }
  for (const u of createUsers) {
    if (u.email !== null) hold(u.email, { loginName: u.loginName, source: 'entra', entraObjectId: u.entraObjectId });
  }
  for (const g of holders.values()) {
    g.users.sort((a, b) => compareStrings(a.loginName, b.loginName) || compareStrings(a.userId ?? a.entraObjectId ?? '', b.userId ?? b.entraObjectId ?? ''));
    errors.push(
    planError('DUPLICATE_EMAIL', {
      message: `The email ${g.email} would be shared by ${g.users.map((u) => u.loginName).join(', ')}; remove the address in the safety service or in Entra.`,
      email: g.email,
      users: g.users,
    }));
  }

  // R30: a created user may never take a login name that already exists.
  const createLogins = new Map<string, UserCreate[]>();
  for (const u of createUsers) pushToList(createLogins, keyOf(u.loginName), u);
  const serviceLogins = new Map<string, SafetyUser>();
  if (createLogins.size > 0) {
    for (const s of serviceUsers) {
      const k = keyOf(s.loginName);
      if (createLogins.has(k) && !serviceLogins.has(k)) serviceLogins.set(k, s);
    }
  }
  for (const [k, creates] of createLogins) {
    const existing = serviceLogins.get(k);
    if (!existing && creates.length < 2) continue;
    const first = creates[0] as UserCreate;
    errors.push(
    planError('DUPLICATE_LOGIN_NAME', {
      message: existing
        ? `The Entra user ${first.loginName} cannot be created: the login name is already used by ${userLabel(existing)}, which is linked to another Entra user. Change the login name in the safety service or the user principal name in Entra.`
        : `The Entra users ${creates.map((u) => u.entraObjectId).join(', ')} share the user principal name ${first.loginName}; login names must be unique.`,
      loginName: first.loginName,
      entraObjectIds: creates.map((u) => u.entraObjectId),
      ...(existing ? { userId: existing.id, existingLoginName: existing.loginName } : {}),
    }));
  }

  return { createUsers, updateUsers, deleteUsers, skippedUsers, errors, warnings };
}

const byLoginThenId = <T extends { loginName: string }>(idOf: (x: T) => string) =>
  (a: T, b: T) => compareStrings(a.loginName, b.loginName) || compareStrings(idOf(a), idOf(b));
const createOrder = byLoginThenId<UserCreate>((x) => x.entraObjectId);
const updateOrder = byLoginThenId<UserUpdate>((x) => x.userId);
const deleteOrder = byLoginThenId<UserDelete>((x) => x.userId);
/** Skipped users by object id (then UPN): the same order whatever order the directory was read in. */
const skippedOrder = (a: SkippedUser, b: SkippedUser): number =>
  compareStrings(a.entraObjectId, b.entraObjectId) || compareStrings(a.userPrincipalName ?? '', b.userPrincipalName ?? '');

/** Where a per-component issue goes in the plan's lists: its code's rank, then its own keys. */
function issueRank(i: PlanError | PlanWarning): [number, string, string] {
  switch (i.code) {
    case 'UNDELETABLE_USER':
      return [0, i.loginName, i.userId];
    case 'DUPLICATE_EMAIL':
      return [1, keyOf(i.email), ''];
    case 'DUPLICATE_LOGIN_NAME':
      return [2, i.loginName, i.entraObjectIds[0] ?? ''];
    case 'EMAIL_KEPT':
      return [0, i.loginName, i.userId];
    case 'DISABLED_USER_UPDATED':
      return [1, i.loginName, i.userId];
    case 'DIRECTORY_VALUE_ADJUSTED':
      return [2, i.entraObjectId, ''];
    default:
      return [9, '', ''];
  }
}
const issueOrder = (a: PlanError | PlanWarning, b: PlanError | PlanWarning): number => {
  const [ra, a1, a2] = issueRank(a);
  const [rb, b1, b2] = issueRank(b);
  return ra - rb || compareStrings(a1, b1) || compareStrings(a2, b2);
};

/**
 * The global rules over the per-user part: R1/R3, departments (R8–R12), R22, R29, B2, the
 * summary, and the order of every list. planImport = finishPlan(planPart(D, S)); the incremental
 * re-plan (domain/replan.ts) finishes a part merged from the baseline and the re-planned components.
 */
export function finishPlan(part: PlanPart, ctx: PlanContext): PlanBody {
  const { company, settings } = ctx;
  const errors: PlanError[] = [];
  const warnings: PlanWarning[] = [];
  const createUsers = [...part.createUsers].sort(createOrder);
  const updateUsers = [...part.updateUsers].sort(updateOrder);
  const deleteUsers = [...part.deleteUsers].sort(deleteOrder);
  const skippedUsers = [...part.skippedUsers].sort(skippedOrder);

  // ---------------------------------------------------------------- R1, R3
  if (company.plan === 'lite') {
    errors.push(
    planError('PLAN_NOT_ELIGIBLE', {
      message: 'Directory import needs the premier plan or above; this company is on the lite plan.',
      plan: company.plan,
    }));
  }
  const companyTenant = trimOrNull(company.entraTenantId);
  if (companyTenant === null) {
    warnings.push(
    planWarning('TENANT_WILL_BE_LINKED', {
      message: `This import links the company to the Entra tenant ${ctx.tenantId}; later imports must come from the same tenant.`,
      tenantId: ctx.tenantId,
    }));
  } else if (!sameTenant(companyTenant, ctx.tenantId)) {
    errors.push(
    planError('TENANT_MISMATCH', {
      message: `The company is linked to the Entra tenant ${companyTenant}, but the directory read belongs to the tenant ${ctx.tenantId}.`,
      companyTenantId: companyTenant,
      directoryTenantId: ctx.tenantId,
    }));
  }

  // ---------------------------------------------------------------- skipped counts
  const skipped: Record<SkipReason, number> = { guest: 0, external: 0, disabledNew: 0, noUserPrincipalName: 0 };
  for (const u of skippedUsers) skipped[u.reason]++;

  // ---------------------------------------------------------------- departments (R8–R12)
  const existingByCode = new Map<string, Department>();
  for (const d of ctx.departments) if (!existingByCode.has(d.code)) existingByCode.set(d.code, d);
  const needed = new Set<string>();
  for (const u of createUsers) if (u.departmentCode !== null) needed.add(u.departmentCode);
  for (const u of updateUsers) {
    const to = u.fields.department?.to;
    if (to) needed.add(to);
  }
  const missing: string[] = [];
  const reused: Department[] = [];
  for (const code of needed) {
    const existing = existingByCode.get(code);
    if (!existing) missing.push(code);
    else if (existing.source === 'manual') reused.push(existing);
  }
  const createDepartments: DepartmentCreate[] = [];
  // An Entra department named like the container is the container itself.
  if (missing.length > 0 && !existingByCode.has(ENTRA_CONTAINER_DEPARTMENT)) {
    createDepartments.push({ code: ENTRA_CONTAINER_DEPARTMENT, name: ENTRA_CONTAINER_DEPARTMENT, level: 1 });
  }
  for (const code of missing.filter((c) => c !== ENTRA_CONTAINER_DEPARTMENT).sort(compareStrings)) {
    createDepartments.push({ code, name: code, level: 2 });
  }
  reused.sort((a, b) => compareStrings(a.code, b.code));

  // ---------------------------------------------------------------- checks
  // R22
  if (createUsers.length > 0 && !settings.initialPasswordSet) {
    errors.push(
    planError('INITIAL_PASSWORD_MISSING', {
      message: `Set the initial password for new users before importing; ${createUsers.length} user(s) would be created.`,
      usersToCreate: createUsers.length,
    }));
  }

  // R27, R28, R30: decided per component (planPart)
  errors.push(...part.errors.filter((e) => COMPONENT_ERRORS.has(e.code)).sort(issueOrder));

  // R29
  const resultingUsers = ctx.serviceUsers - deleteUsers.length + createUsers.length;
  if (resultingUsers > company.maxUsers) {
    errors.push(
    planError('USER_LIMIT_EXCEEDED', {
      message: `After the import the company would have ${resultingUsers} users, more than its limit of ${company.maxUsers}.`,
      maxUsers: company.maxUsers,
      resultingUsers,
    }));
  }

  // ---------------------------------------------------------------- warnings
  for (const d of reused) {
    warnings.push(
    planWarning('DEPARTMENT_REUSED', {
      message: `The existing department ${d.name} (code ${d.code}) created in the safety service is used for the Entra department of the same name.`,
      departmentId: d.id,
      // `code` is the issue code, so the department's code goes in departmentCode.
      departmentCode: d.code,
    }));
  }
  warnings.push(...part.warnings.filter((w) => COMPONENT_WARNINGS.has(w.code)).sort(issueOrder));

  // B2
  const requiresDeletionConfirmation = deleteUsers.length > settings.deletionThreshold;
  if (requiresDeletionConfirmation) {
    warnings.push(
    planWarning('DELETIONS_NEED_CONFIRMATION', {
      message: `${deleteUsers.length} users would be deleted, more than the threshold of ${settings.deletionThreshold}; confirm the deletions explicitly.`,
      deletions: deleteUsers.length,
      threshold: settings.deletionThreshold,
    }));
  }

  // Every directory user is skipped, created, updated or unchanged (candidates without a change).
  const skippedCount = skipped.guest + skipped.external + skipped.disabledNew + skipped.noUserPrincipalName;
  return {
    tenantId: ctx.tenantId,
    summary: {
      usersToCreate: createUsers.length,
      usersToUpdate: updateUsers.length,
      usersToDelete: deleteUsers.length,
      usersUnchanged: ctx.directoryUsers - skippedCount - createUsers.length - updateUsers.length,
      departmentsToCreate: createDepartments.length,
      skipped,
      directoryUsers: ctx.directoryUsers,
      changesRead: ctx.changesRead,
    },
    changes: { createDepartments, createUsers, updateUsers, deleteUsers },
    errors,
    warnings,
    skippedUsers,
    requiresDeletionConfirmation,
    baseDataVersion: ctx.dataVersion,
  };
}
