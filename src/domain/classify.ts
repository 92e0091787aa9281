/**
 * R13–R15: which directory users are imported. Pure.
 */
import type { DirectoryUser, SkipReason } from './types.ts';

const EXTERNAL_ISSUER = 'externalazuread';

export function isBlank(s: string | null | undefined): boolean {
  return s === null || s === undefined || s.trim() === '';
}

/** R13: userType "Guest" (any case). */
export function isGuest(u: DirectoryUser): boolean {
  return (u.userType ?? '').trim().toLowerCase() === 'guest';
}

/** R14: any identity issued by "ExternalAzureAD" (any case). */
export function isExternal(u: DirectoryUser): boolean {
  return u.identityIssuers.some((i) => (i ?? '').trim().toLowerCase() === EXTERNAL_ISSUER);
}

/**
 * Why a directory user is not imported, or null when it is.
 * Order: guest > external > noUserPrincipalName > disabledNew.
 * `linked`: whether the user matches a service user (R17–R19); a disabled
 * linked user is still updated (R15), so disabledNew applies only when unlinked.
 */
export function classifyDirectoryUser(u: DirectoryUser, linked: boolean): SkipReason | null {
  if (isGuest(u)) return 'guest';
  if (isExternal(u)) return 'external';
  if (isBlank(u.userPrincipalName)) return 'noUserPrincipalName';
  if (u.accountEnabled === false && !linked) return 'disabledNew';
  return null;
}
