/**
 * What text the safety service keeps: one length limit per field and one
 * rule for characters, decided here and applied at every edge (admin API,
 * SCIM, tab, Graph reader, cards). Pure: no I/O.
 *
 * - Edges that a person or a client writes to (admin API, SCIM, tab) refuse
 *   text that breaks a rule: 400 with a code (SCIM: invalidValue).
 * - The Graph reader cannot refuse Entra: it cleans the value with
 *   `fitDirectoryUser` and the plan warns, naming the user
 *   (`DIRECTORY_VALUE_ADJUSTED`). One odd Entra user never fails a plan.
 */
import type { Adjustment, DirectoryAdjustment, DirectoryUser } from './types.ts';

/**
 * Longest value, in UTF-16 code units (JavaScript `length`, what zod and
 * SCIM count), of each text field the service keeps.
 * - loginName 256: Entra's userPrincipalName is at most 113; SCIM userName is the same value.
 * - email 254: the longest address SMTP can deliver to (RFC 5321 path limit).
 * - name, department 200: the safety service's own screens.
 * - phone 64: E.164 with extension and separators, generously.
 */
export const TEXT_LIMITS = {
  loginName: 256,
  name: 200,
  yomi: 200,
  email: 254,
  phone: 64,
  memo: 2000,
  department: 200,
  departmentCode: 200,
  companyName: 200,
  externalId: 256,
  preferredLanguage: 35,
  timezone: 64,
  employeeNumber: 64,
} as const;

export type TextField = keyof typeof TEXT_LIMITS;

/**
 * U+0000 anywhere: PostgreSQL cannot store it in text or jsonb, so a value
 * carrying it would fail deep inside a write (a 500) instead of at the edge.
 */
const NUL = /\u0000/;

/** C0 controls other than tab and newline (and carriage return, which pairs with newline). */
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g;

export function hasForbiddenCharacters(s: string): boolean {
  return NUL.test(s);
}

/**
 * Where the first string holding a forbidden character is in a parsed JSON
 * value (`""` for the value itself, `a.b.0` inside it; keys count too), or
 * null when there is none.
 */
export function findForbiddenCharacters(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return hasForbiddenCharacters(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findForbiddenCharacters(value[i], path ? `${path}.${i}` : String(i));
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      if (hasForbiddenCharacters(k)) return at;
      const found = findForbiddenCharacters(v, at);
      if (found !== null) return found;
    }
  }
  return null;
}

function clean(s: string): { value: string; removed: boolean } {
  const value = s.replace(CONTROLS, '');
  return { value, removed: value.length !== s.length };
}

/** Cuts at the limit without splitting a surrogate pair. */
export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  const cut = s.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/**
 * A directory user as the service can keep it, and what was changed:
 * - every text loses NUL and the other C0 controls (tab and newline stay);
 * - display name, department and phones longer than their limit are cut;
 * - a user principal name or mail longer than its limit is dropped (null):
 *   cutting a key would link or create the wrong user. Without a UPN the user
 *   is skipped (noUserPrincipalName); without a mail it gets none (R25 keeps
 *   an existing one).
 * Idempotent: a fitted user fits unchanged.
 */
export function fitDirectoryUser(u: DirectoryUser): { user: DirectoryUser; adjusted: DirectoryAdjustment[] } {
  const adjusted: DirectoryAdjustment[] = [];
  const fit = (field: DirectoryAdjustment['field'], raw: string | null, max: number, key: boolean): string | null => {
    if (raw === null) return null;
    const { value, removed } = clean(raw);
    const adjustments: Adjustment[] = removed ? ['controlCharactersRemoved'] : [];
    let out: string | null = value.trim() === '' ? null : value.trim();
    if (out !== null && out.length > max) {
      out = key ? null : truncate(out, max);
      adjustments.push(key ? 'droppedTooLong' : 'truncated');
    }
    if (adjustments.length > 0) {
      adjusted.push({ field, adjustments, length: raw.length, ...(adjustments.some((a) => a !== 'controlCharactersRemoved') ? { maxLength: max } : {}) });
    }
    return out;
  };
  const phones: string[] = [];
  const phoneAdjustments = new Set<Adjustment>();
  let longestPhone = 0;
  for (const p of u.businessPhones) {
    const before = adjusted.length;
    const v = fit('businessPhones', p, TEXT_LIMITS.phone, false);
    if (adjusted.length > before) {
      for (const a of adjusted.pop()!.adjustments) phoneAdjustments.add(a);
      longestPhone = Math.max(longestPhone, p.length);
    }
    if (v !== null) phones.push(v);
  }
  const user: DirectoryUser = {
    ...u,
    userPrincipalName: fit('userPrincipalName', u.userPrincipalName, TEXT_LIMITS.loginName, true),
    displayName: fit('displayName', u.displayName, TEXT_LIMITS.name, false),
    mail: fit('mail', u.mail, TEXT_LIMITS.email, true),
    businessPhones: phones,
    department: fit('department', u.department, TEXT_LIMITS.department, false),
    userType: u.userType === null ? null : clean(u.userType).value,
    identityIssuers: u.identityIssuers.map((i) => clean(i).value),
  };
  if (phoneAdjustments.size > 0) {
    adjusted.push({
      field: 'businessPhones',
      adjustments: [...phoneAdjustments],
      length: longestPhone,
      ...(phoneAdjustments.has('truncated') ? { maxLength: TEXT_LIMITS.phone } : {}),
    });
  }
  return { user, adjusted };
}
