/**
 * Who may plan or confirm an import (R1–R3), decided once. Pure: the caller reads the company, the
 * candidate service users (those linked to the sender by object id or login name) and the Entra
 * roles; this decides. Every edge (bot, tab, card clicks) reaches it through
 * src/sync/authorize.ts, never on its own.
 */
import type { Company, SafetyUser } from './types.ts';

/** Entra built-in role template ids (the same in every tenant). */
export const ROLE_TEMPLATE_IDS = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  privilegedRoleAdministrator: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  applicationAdministrator: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
  cloudApplicationAdministrator: '158c047a-c907-4556-b7ef-446551a6b5f7',
} as const;

/** The roles that count as "Cloud Application Administrator or higher" (R2). */
export const SYNC_ADMIN_ROLE_TEMPLATE_IDS: readonly string[] = Object.values(ROLE_TEMPLATE_IDS);

const SYNC_ADMIN_SET = new Set(SYNC_ADMIN_ROLE_TEMPLATE_IDS);

/** True when one of the role template ids is Global, Privileged Role, Application or Cloud Application Administrator. */
export function hasSyncAdminRole(wids: readonly string[] | null | undefined): boolean {
  if (!Array.isArray(wids)) return false;
  return wids.some((w) => typeof w === 'string' && SYNC_ADMIN_SET.has(w.trim().toLowerCase()));
}

export type Refusal =
  /** R3: the sender's tenant is linked to no company. */
  | 'TENANT_NOT_LINKED'
  /** R1: the company's plan has no directory import. */
  | 'PLAN_NOT_ELIGIBLE'
  /** No service user is linked to the sender (object id or login name = UPN). */
  | 'NOT_A_SERVICE_USER'
  /** R2: linked, but not a system administrator in the safety service (department-scoped admins included). */
  | 'NOT_SYSTEM_ADMIN'
  /** R2: not a Cloud Application Administrator or higher in Entra. */
  | 'NO_ENTRA_ROLE'
  /** The verified token belongs to someone else than the Teams sender, or to another tenant. */
  | 'IDENTITY_MISMATCH';

export type AccessDecision = { allowed: true; user: SafetyUser } | { allowed: false; reason: Refusal };

const key = (s: string | null | undefined): string => (s ?? '').trim().toLowerCase();

/**
 * The service user linked to the sender: Entra object id first (R17), else login name = UPN (R18).
 * `users` may be the whole roster or only the candidates an indexed lookup found.
 */
export function findLinkedUser(users: readonly SafetyUser[], aadObjectId: string | null, upn: string | null): SafetyUser | null {
  const oid = key(aadObjectId);
  if (oid) {
    const byOid = users.find((u) => key(u.entraObjectId) === oid);
    if (byOid) return byOid;
  }
  const login = key(upn);
  if (login) {
    const byLogin = users.find((u) => key(u.loginName) === login);
    // A login name already linked to another Entra user does not identify this sender.
    if (byLogin && (byLogin.entraObjectId === null || key(byLogin.entraObjectId) === oid)) return byLogin;
  }
  return null;
}

export interface AccessInput {
  company: Company | null;
  /** The roster, or the candidates linked to the sender by object id or login name. */
  users: readonly SafetyUser[];
  aadObjectId: string | null;
  upn: string | null;
  /** Directory role template ids; null when not known yet (checked later, once the token is verified). */
  roleTemplateIds: readonly string[] | null;
}

/** The service-side part (R1, R3, the systemAdmin role), and R2's Entra part when the roles are known. */
export function decideAccess(input: AccessInput): AccessDecision {
  const { company } = input;
  if (!company) return { allowed: false, reason: 'TENANT_NOT_LINKED' };
  if (company.plan === 'lite') return { allowed: false, reason: 'PLAN_NOT_ELIGIBLE' };
  const user = findLinkedUser(input.users, input.aadObjectId, input.upn);
  if (!user) return { allowed: false, reason: 'NOT_A_SERVICE_USER' };
  if (!user.roles.includes('systemAdmin') || user.status !== 'active') return { allowed: false, reason: 'NOT_SYSTEM_ADMIN' };
  if (input.roleTemplateIds !== null && !hasSyncAdminRole(input.roleTemplateIds)) return { allowed: false, reason: 'NO_ENTRA_ROLE' };
  return { allowed: true, user };
}
