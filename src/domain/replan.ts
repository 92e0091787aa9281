/**
 * Issue 9 item 5: re-planning in time proportional to the change. Pure: no I/O but the lookups of
 * a PlanIndex (the store's indexed queries, or an in-memory index in the tests).
 *
 * The planner's per-user decisions (planPart) are local to connected components of the key graph:
 * nodes are Entra users and service users; two nodes are joined when they share a key — an object
 * id key (R17, the claimability test, R17's "first user with this id"), a login key (UPN / login
 * name: R18, R30) or a mail key (mail / email: R19, R28). Every per-user output depends on its
 * component only; the rest is global (finishPlan). So a plan P0 of (D0, S0) becomes the plan of
 * (D1, S1) by re-planning the components that hold anything that changed, seeded by the changed
 * users' keys in the old state as well as the new, and carrying P0's items of every other
 * component over unchanged. Nothing here decides a rule: planPart and finishPlan do.
 */
import { foldKey } from './fold.ts';
import { COMPONENT_ERRORS, COMPONENT_WARNINGS, finishPlan, planPart, trimOrNull, type PlanContext, type PlanPart } from './planner.ts';
import { sameTenant } from './tenant.ts';
import { fitDirectoryUser } from './text.ts';
import type { DirectoryUser, PlanBody, PlanError, PlanWarning, SafetyUser } from './types.ts';

/** The keys of one node: object id, login (UPN / login name), mail (mail / email); null when blank. */
export interface NodeKeys {
  id: string | null;
  login: string | null;
  mail: string | null;
}

/** Keys to look up, by kind. */
export interface KeyLists {
  ids: string[];
  logins: string[];
  mails: string[];
}

const keyOrNull = (s: string | null | undefined): string | null => {
  const t = trimOrNull(s);
  return t === null ? null : foldKey(t);
};

/** An Entra user's keys, of the values the planner sees (fitted: a value too long to keep has none). */
export function directoryKeys(u: DirectoryUser): NodeKeys {
  const { user } = fitDirectoryUser(u);
  return { id: keyOrNull(u.id), login: keyOrNull(user.userPrincipalName), mail: keyOrNull(user.mail) };
}

/** A service user's keys. */
export function serviceKeys(s: Pick<SafetyUser, 'entraObjectId' | 'loginName' | 'email'>): NodeKeys {
  return { id: keyOrNull(s.entraObjectId), login: keyOrNull(s.loginName), mail: keyOrNull(s.email) };
}

/** A service user as the closure sees it (the store reads memberships and roles for the closure only). */
export type ServiceNode = Pick<SafetyUser, 'id' | 'entraObjectId' | 'loginName' | 'email'>;

/** Indexed lookups of the current state (D1, S1): every node holding any of the keys. */
export interface PlanIndex {
  directoryByKeys(keys: KeyLists): Promise<DirectoryUser[]>;
  serviceByKeys(keys: KeyLists): Promise<ServiceNode[]>;
}

/** A set of keys by kind, growing. */
export class KeySet {
  readonly ids = new Set<string>();
  readonly logins = new Set<string>();
  readonly mails = new Set<string>();

  add(k: Partial<NodeKeys>): void {
    if (k.id) this.ids.add(k.id);
    if (k.login) this.logins.add(k.login);
    if (k.mail) this.mails.add(k.mail);
  }

  /** The keys of `k` not in this set yet (added to it), as lists. */
  addNew(keys: NodeKeys[]): KeyLists {
    const out: KeyLists = { ids: [], logins: [], mails: [] };
    for (const k of keys) {
      if (k.id && !this.ids.has(k.id)) (this.ids.add(k.id), out.ids.push(k.id));
      if (k.login && !this.logins.has(k.login)) (this.logins.add(k.login), out.logins.push(k.login));
      if (k.mail && !this.mails.has(k.mail)) (this.mails.add(k.mail), out.mails.push(k.mail));
    }
    return out;
  }

  get size(): number {
    return this.ids.size + this.logins.size + this.mails.size;
  }
}

/** The seeds of a directory change: the changed (or removed, or added) user's id and its old keys. */
export function seedsOfDirectoryChange(seeds: KeySet, id: string, before: NodeKeys | null): void {
  seeds.add({ id: keyOrNull(id) });
  if (before) seeds.add(before);
}

/**
 * The seeds of an applied plan: every key of every user it touched, before and after (the service
 * changed there, so those components are re-planned).
 */
export function seedsOfAppliedPlan(seeds: KeySet, plan: Pick<PlanBody, 'changes'>): void {
  for (const c of plan.changes.createUsers) seeds.add({ id: keyOrNull(c.entraObjectId), login: keyOrNull(c.loginName), mail: keyOrNull(c.email) });
  for (const u of plan.changes.updateUsers) {
    seeds.add({ id: keyOrNull(u.entraObjectId), login: keyOrNull(u.loginName) });
    const f = u.fields;
    if (f.email) seeds.add({ mail: keyOrNull(f.email.from) }), seeds.add({ mail: keyOrNull(f.email.to) });
    if (f.entraObjectId) seeds.add({ id: keyOrNull(f.entraObjectId.from) }), seeds.add({ id: keyOrNull(f.entraObjectId.to) });
  }
  for (const d of plan.changes.deleteUsers) seeds.add({ id: keyOrNull(d.entraObjectId), login: keyOrNull(d.loginName) });
}

export interface Closure {
  directory: DirectoryUser[];
  service: ServiceNode[];
  /**
   * Every object id key looked up (the seeds' too): an item of P0 about one of these ids is in a
   * re-planned component, even when the user is gone now (removed from Entra, deleted by P0).
   */
  idKeys: Set<string>;
}

/**
 * Every node connected to a seed key, by indexed lookups until no new key turns up (a few rounds).
 * Null when it grows beyond `limit` nodes: the full plan is then the cheaper one.
 */
export async function closeOver(seeds: KeySet, index: PlanIndex, limit: number): Promise<Closure | null> {
  const seen = new KeySet();
  const directory = new Map<string, DirectoryUser>();
  const service = new Map<string, ServiceNode>();
  const start: NodeKeys[] = [
    ...[...seeds.ids].map((id): NodeKeys => ({ id, login: null, mail: null })),
    ...[...seeds.logins].map((login): NodeKeys => ({ id: null, login, mail: null })),
    ...[...seeds.mails].map((mail): NodeKeys => ({ id: null, login: null, mail })),
  ];
  let frontier = seen.addNew(start);
  while (frontier.ids.length + frontier.logins.length + frontier.mails.length > 0) {
    const [ds, ss] = await Promise.all([index.directoryByKeys(frontier), index.serviceByKeys(frontier)]);
    const found: NodeKeys[] = [];
    for (const d of ds) {
      if (directory.has(d.id)) continue;
      directory.set(d.id, d);
      found.push(directoryKeys(d));
    }
    for (const s of ss) {
      if (service.has(s.id)) continue;
      service.set(s.id, s);
      found.push(serviceKeys(s));
    }
    if (directory.size + service.size > limit) return null;
    frontier = seen.addNew(found);
  }
  return { directory: [...directory.values()], service: [...service.values()], idKeys: seen.ids };
}

/** The users an item of a plan is about: Entra ids (folded) and service user ids. */
function touches(item: { userId?: string | null; entraObjectId?: string | null }, entra: Set<string>, service: Set<string>): boolean {
  if (item.userId && service.has(item.userId)) return true;
  const k = keyOrNull(item.entraObjectId);
  return k !== null && entra.has(k);
}

function issueTouches(i: PlanError | PlanWarning, entra: Set<string>, service: Set<string>): boolean {
  switch (i.code) {
    case 'DUPLICATE_EMAIL':
      return i.users.some((u) => touches(u, entra, service));
    case 'DUPLICATE_LOGIN_NAME':
      return touches({ userId: i.userId ?? null }, entra, service) || i.entraObjectIds.some((id) => touches({ entraObjectId: id }, entra, service));
    case 'UNDELETABLE_USER':
    case 'EMAIL_KEPT':
      return touches({ userId: i.userId }, entra, service);
    case 'DISABLED_USER_UPDATED':
      return touches(i, entra, service);
    case 'DIRECTORY_VALUE_ADJUSTED':
      return touches({ entraObjectId: i.entraObjectId }, entra, service);
    default:
      return true;
  }
}

/**
 * P0's per-user items outside the closure: its components did not change, so neither did they.
 * Global issues are dropped (finishPlan decides them again); so is anything about a closure user.
 */
export function carryOver(baseline: Pick<PlanBody, 'changes' | 'errors' | 'warnings' | 'skippedUsers'>, closure: Closure): PlanPart {
  const entra = closure.idKeys;
  const service = new Set(closure.service.map((s) => s.id));
  const { changes } = baseline;
  return {
    createUsers: changes.createUsers.filter((c) => !touches({ entraObjectId: c.entraObjectId }, entra, service)),
    updateUsers: changes.updateUsers.filter((u) => !touches(u, entra, service)),
    deleteUsers: changes.deleteUsers.filter((d) => !touches(d, entra, service)),
    skippedUsers: baseline.skippedUsers.filter((u) => !touches({ entraObjectId: u.entraObjectId }, entra, service)),
    errors: baseline.errors.filter((e) => COMPONENT_ERRORS.has(e.code) && !issueTouches(e, entra, service)),
    warnings: baseline.warnings.filter((w) => COMPONENT_WARNINGS.has(w.code) && !issueTouches(w, entra, service)),
  };
}

/**
 * The plan of (D1, S1) from P0 and the closure: P0's items outside it, planPart over the closure's
 * users (service users complete and in snapshot order), finished with the global rules.
 */
export function replan(
  baseline: Pick<PlanBody, 'changes' | 'errors' | 'warnings' | 'skippedUsers'>,
  closure: Closure,
  closureService: readonly SafetyUser[],
  ctx: PlanContext,
): PlanBody {
  const kept = carryOver(baseline, closure);
  const fresh = planPart({ tenantId: ctx.tenantId, users: closure.directory }, closureService);
  return finishPlan(
    {
      createUsers: [...kept.createUsers, ...fresh.createUsers],
      updateUsers: [...kept.updateUsers, ...fresh.updateUsers],
      deleteUsers: [...kept.deleteUsers, ...fresh.deleteUsers],
      skippedUsers: [...kept.skippedUsers, ...fresh.skippedUsers],
      errors: [...kept.errors, ...fresh.errors],
      warnings: [...kept.warnings, ...fresh.warnings],
    },
    ctx,
  );
}

/** An in-memory PlanIndex over a directory and a service user list (tests, and small tenants). */
export function memoryIndex(directory: readonly DirectoryUser[], service: readonly ServiceNode[]): PlanIndex {
  const hit = (k: NodeKeys, q: KeyLists): boolean =>
    (k.id !== null && q.ids.includes(k.id)) || (k.login !== null && q.logins.includes(k.login)) || (k.mail !== null && q.mails.includes(k.mail));
  return {
    directoryByKeys: async (q) => directory.filter((d) => hit(directoryKeys(d), q)),
    serviceByKeys: async (q) => service.filter((s) => hit(serviceKeys(s), q)),
  };
}

/** The company's latest plan, as a re-plan's baseline P0. */
export interface BaselineMeta {
  id: string;
  kind: 'import' | 'undo';
  status: string;
  tenantId: string | null;
  baseDataVersion: number;
  /** The data version its apply left; null when not applied (or applied before it was recorded). */
  appliedDataVersion: number | null;
  /** The mirror position it was planned at; null when planned from a read the mirror did not keep. */
  mirror: { generation: number; seq: number } | null;
  /** How many service users the company had when it was planned; null when not recorded. */
  serviceUsers: number | null;
}

/**
 * The company's service user count now (R29) from an accepted baseline, or null when unknown: its
 * own count, or after its apply that count less its deletes plus its creates (judgeBaseline proved
 * nothing else wrote since).
 */
export function serviceUsersNow(b: BaselineMeta, applied: boolean, items: Pick<PlanBody, 'changes'>): number | null {
  if (b.serviceUsers === null) return null;
  return applied ? b.serviceUsers - items.changes.deleteUsers.length + items.changes.createUsers.length : b.serviceUsers;
}

/** Where the company is now. */
export interface ReplanNow {
  linkedTenantId: string | null;
  tenantId: string;
  dataVersion: number;
  mirror: { generation: number; seq: number; prunedSeq: number };
}

export type BaselineVerdict = { use: true; applied: boolean } | { use: false; reason: string };

/**
 * Whether P0 can be the baseline of an incremental re-plan. Only two service states are known
 * exactly: the one P0 was planned on (the data version did not move: P0 pending, cancelled,
 * expired or never applied) and the one P0's apply left (its users are then seeds too). Any other
 * service change (SCIM, the admin API, an undo, the settings) moves the data version: full plan.
 * A new mirror generation (a full read) or pruned change records: full plan.
 */
export function judgeBaseline(b: BaselineMeta | null, now: ReplanNow): BaselineVerdict {
  const no = (reason: string): BaselineVerdict => ({ use: false, reason });
  if (trimOrNull(now.linkedTenantId) === null) return no('first import (company not linked)');
  if (!b) return no('no earlier plan from this mirror generation');
  if (b.kind !== 'import') return no('the latest plan is an undo');
  if (b.tenantId === null || !sameTenant(b.tenantId, now.tenantId)) return no('the latest plan is of another tenant');
  if (!b.mirror) return no('the latest plan was not made from the mirror');
  if (b.mirror.generation !== now.mirror.generation) return no('the mirror was replaced by a full read since');
  if (b.mirror.seq < now.mirror.prunedSeq || b.mirror.seq > now.mirror.seq) return no('the change records since the latest plan are gone');
  if (b.status === 'applied') {
    return b.appliedDataVersion === now.dataVersion ? { use: true, applied: true } : no('the service data changed since the latest plan was applied');
  }
  return b.baseDataVersion === now.dataVersion ? { use: true, applied: false } : no('the service data changed since the latest plan');
}

/** Above this share of the tenant a closure is not worth it: the full plan is cheaper. */
export const MAX_CLOSURE_SHARE = 0.2;
/** The largest closure re-planned incrementally for a tenant of this many users (directory + service). */
export function closureLimit(tenantUsers: number): number {
  return Math.max(50, Math.floor(tenantUsers * MAX_CLOSURE_SHARE));
}
