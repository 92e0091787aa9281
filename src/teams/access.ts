/**
 * Who may plan or confirm an import from Teams (R1–R3). Pure: the caller reads the company,
 * its users and the Entra roles, this decides.
 */
import type { Company, SafetyUser } from '../domain/types.ts';
import { hasSyncAdminRole } from '../directory/admin-roles.ts';

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

/** The service user linked to the sender: Entra object id first (R17), else login name = UPN (R18). */
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
