/**
 * The Graph user as the reader selects it ($select=USER_SELECT), its zod schema, and its
 * normalisation into a DirectoryUser. Each user is validated exactly once (normaliseOrFail): by
 * `userShape.isGraphUser`, the schema's rules written as plain checks that build nothing (zod's
 * parse cost 10–20 µs a user, most of a 100,000-user read's CPU); a user that fails them is handed to
 * the zod schema, which says what is wrong. A test holds the two to the same verdicts.
 */
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { fitDirectoryUser } from '../domain/text.ts';
import type { DirectoryUser } from '../domain/types.ts';
import { pathOnly } from './graph-requester.ts';

/** The user properties the importer needs (R13–R15, R21). */
export const USER_SELECT = 'id,userPrincipalName,displayName,mail,businessPhones,department,accountEnabled,userType,identities';

const nullableString = z.string().nullish();
/** An object id is a key: one that holds control characters cannot be cleaned, only refused (a shape error). */
const objectId = z
  .string()
  .min(1)
  .refine((v) => !/[\u0000-\u001f]/.test(v), { message: 'must not contain control characters' });

export const GraphUserSchema = z
  .object({
    id: objectId,
    userPrincipalName: nullableString,
    displayName: nullableString,
    mail: nullableString,
    businessPhones: z.array(z.string().nullable()).nullish(),
    department: nullableString,
    accountEnabled: z.boolean().nullish(),
    userType: nullableString,
    identities: z
      .array(
        z
          .object({
            signInType: nullableString,
            issuer: nullableString,
            issuerAssignedId: nullableString,
          })
      )
      .nullish(),
  });

/** `{id, "@removed": {…}}` in a delta round; checked only for items that carry "@removed". */
export const RemovedSchema = z
  .object({
    id: objectId,
    '@removed': z.object({ reason: z.string().optional() }).passthrough(),
  })
  .passthrough();

const CONTROL_CHARACTERS = /[\u0000-\u001f]/;
const isOptionalString = (v: unknown): boolean => v === undefined || v === null || typeof v === 'string';
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** GraphUserSchema's rules as plain checks: true exactly when the schema accepts `raw`. */
function isGraphUser(raw: unknown): raw is GraphUserShape {
  if (!isPlainObject(raw)) return false;
  const id = raw.id;
  if (typeof id !== 'string' || id.length === 0 || CONTROL_CHARACTERS.test(id)) return false;
  if (
    !isOptionalString(raw.userPrincipalName) ||
    !isOptionalString(raw.displayName) ||
    !isOptionalString(raw.mail) ||
    !isOptionalString(raw.department) ||
    !isOptionalString(raw.userType)
  ) {
    return false;
  }
  if (raw.accountEnabled !== undefined && raw.accountEnabled !== null && typeof raw.accountEnabled !== 'boolean') return false;
  const phones = raw.businessPhones;
  if (phones !== undefined && phones !== null) {
    if (!Array.isArray(phones)) return false;
    for (const phone of phones) if (phone !== null && typeof phone !== 'string') return false;
  }
  const identities = raw.identities;
  if (identities !== undefined && identities !== null) {
    if (!Array.isArray(identities)) return false;
    for (const i of identities) {
      if (!isPlainObject(i) || !isOptionalString(i.signInType) || !isOptionalString(i.issuer) || !isOptionalString(i.issuerAssignedId)) return false;
    }
  }
  return true;
}

/** The one validation each user gets (an object, so that a test can count the calls). */
export const userShape = { isGraphUser };

function blankToNull(s: string | null | undefined): string | null {
  const t = s?.trim();
  return t ? t : null;
}

/**
 * Graph user -> DirectoryUser. Blank strings become null, businessPhones defaults to [], identities
 * become the list of their issuers; values are fitted to the service's limits (`adjusted` says which). `accountEnabled` absent counts as enabled (Graph always returns it
 * when selected). Throws a ZodError when the object is not a user.
 */
export function normaliseGraphUser(raw: unknown): DirectoryUser {
  return toDirectoryUser(GraphUserSchema.parse(raw));
}

export type GraphUserShape = z.infer<typeof GraphUserSchema>;

/** An already validated Graph user -> DirectoryUser (no second validation). */
function toDirectoryUser(u: GraphUserShape): DirectoryUser {
  const issuers: string[] = [];
  for (const identity of u.identities ?? []) {
    const issuer = blankToNull(identity.issuer);
    if (issuer && !issuers.includes(issuer)) issuers.push(issuer);
  }
  // Entra may hold what the service cannot keep (U+0000, 10,000-character names): cleaned
  // and cut here, before any of it is stored, and named in the plan's warnings (defects 2, 9).
  const { user, adjusted } = fitDirectoryUser({
    id: u.id,
    userPrincipalName: blankToNull(u.userPrincipalName),
    displayName: blankToNull(u.displayName),
    mail: blankToNull(u.mail),
    businessPhones: (u.businessPhones ?? []).map((p) => blankToNull(p)).filter((p): p is string => p !== null),
    department: blankToNull(u.department),
    accountEnabled: u.accountEnabled ?? true,
    userType: blankToNull(u.userType),
    identityIssuers: issuers,
  });
  return adjusted.length > 0 ? { ...user, adjusted } : user;
}

/** Graph property -> the DirectoryUser field it feeds. */
const FIELD_OF: Record<string, keyof DirectoryUser> = {
  id: 'id',
  userPrincipalName: 'userPrincipalName',
  displayName: 'displayName',
  mail: 'mail',
  businessPhones: 'businessPhones',
  department: 'department',
  accountEnabled: 'accountEnabled',
  userType: 'userType',
  identities: 'identityIssuers',
};

export function presentFieldsOf(raw: unknown): (keyof DirectoryUser)[] {
  if (!raw || typeof raw !== 'object') return [];
  return Object.keys(raw)
    .map((k) => FIELD_OF[k])
    .filter((f): f is keyof DirectoryUser => f !== undefined);
}

/**
 * Validates a Graph user once and normalises it; a user that is not the expected shape ends the
 * read with DIRECTORY_UNAVAILABLE naming the page and index (paths only: values could be personal data).
 */
export function normaliseOrFail(raw: unknown, index: number, link: string): DirectoryUser {
  if (userShape.isGraphUser(raw)) return toDirectoryUser(raw);
  // Not a user: zod says what is wrong (and, should it disagree and accept it, its reading is used).
  const parsed = GraphUserSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AppError('DIRECTORY_UNAVAILABLE', 'Microsoft Graph returned a user that is not the expected shape', {
      path: pathOnly(link),
      index,
      issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(user)'}: ${i.message}`),
    });
  }
  return toDirectoryUser(parsed.data);
}