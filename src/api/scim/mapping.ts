/**
 * SCIM User <-> safety-service user (DESIGN S3–S5, S14):
 * userName -> login name, externalId -> Entra object id, displayName -> name,
 * emails[type eq "work"] -> email, phoneNumbers[type eq "work"] -> phone,
 * enterprise department -> the Entra-sourced department, roles -> S4 roles,
 * active -> status; preferredLanguage, timezone and employeeNumber are kept.
 * Everything else Entra may map (name parts, title, manager, addresses, …) is
 * accepted and ignored.
 */
import type { ScimRole, ScimUser, ScimUserCreate, ScimUserWrite } from '../../store/scim-users.ts';
import { scimRoleOf } from '../../store/scim-users.ts';
import { TEXT_LIMITS, truncate } from '../../domain/text.ts';
import { CORE_USER, ENTERPRISE_USER } from './constants.ts';
import { complexList, isObject, roleFromList, type JsonObject, type PatchOp } from './dialect.ts';
import { ScimError } from './errors.ts';

/** What a SCIM resource says about the fields the service keeps; absent or blank is undefined. */
export interface ScimFields {
  userName?: string;
  displayName?: string;
  externalId?: string;
  email?: string;
  phone?: string;
  department?: string;
  role: ScimRole;
  active?: boolean;
  preferredLanguage?: string;
  timezone?: string;
  employeeNumber?: string;
  /** Role values other than ADMIN/USER/GUEST (read as USER). */
  unknownRole?: string;
}

const ROLE_VALUES: readonly string[] = ['ADMIN', 'USER', 'GUEST'];

export function toResource(u: ScimUser, usersUrl: string): JsonObject {
  const ext: JsonObject = {};
  const department = u.departments.find((d) => d.source === 'entra')?.code;
  if (department) ext['department'] = department;
  if (u.employeeNumber) ext['employeeNumber'] = u.employeeNumber;
  const role = scimRoleOf(u.roles);
  return {
    schemas: [CORE_USER, ENTERPRISE_USER],
    id: u.id,
    ...(u.entraObjectId ? { externalId: u.entraObjectId } : {}),
    userName: u.loginName,
    name: { formatted: u.name },
    displayName: u.name,
    active: u.status === 'active',
    ...(u.email ? { emails: [{ value: u.email, type: 'work', primary: true }] } : {}),
    ...(u.phone ? { phoneNumbers: [{ value: u.phone, type: 'work' }] } : {}),
    ...(u.preferredLanguage ? { preferredLanguage: u.preferredLanguage } : {}),
    ...(u.timezone ? { timezone: u.timezone } : {}),
    roles: [{ value: role, display: role, primary: true }],
    [ENTERPRISE_USER]: ext,
    meta: {
      resourceType: 'User',
      created: u.createdAt,
      lastModified: u.updatedAt,
      location: `${usersUrl}/${u.id}`,
    },
  };
}

function text(v: unknown, what: string, max: number): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ScimError(400, `${what} must be a string.`, 'invalidValue');
  const s = v.trim();
  if (s === '') return undefined;
  if (s.length > max) throw new ScimError(400, `${what} is longer than ${max} characters.`, 'invalidValue');
  return s;
}

/** The work entry of emails/phoneNumbers (else an untyped one); the last one wins, as a newly added value. */
function workValue(list: unknown, what: string, max: number): string | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) throw new ScimError(400, `${what} must be an array.`, 'invalidValue');
  const entries = complexList(list, what);
  const typeOf = (e: JsonObject) => (typeof e['type'] === 'string' ? (e['type'] as string).toLowerCase() : '');
  const work = entries.filter((e) => typeOf(e) === 'work');
  const candidates = work.length > 0 ? work : entries.filter((e) => typeOf(e) === '');
  const chosen = candidates[candidates.length - 1];
  return chosen ? text(chosen['value'], `${what}.value`, max) : undefined;
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Reads a canonical SCIM User (see dialect.ts) into the fields the service keeps. */
export function fieldsOf(doc: JsonObject): ScimFields {
  const ext = isObject(doc[ENTERPRISE_USER]) ? (doc[ENTERPRISE_USER] as JsonObject) : {};
  const email = workValue(doc['emails'], 'emails', TEXT_LIMITS.email);
  if (email !== undefined && !EMAIL.test(email)) {
    throw new ScimError(400, 'emails[type eq "work"].value is not an email address.', 'invalidValue');
  }
  const raw = roleFromList(doc['roles']);
  const known = raw === null || ROLE_VALUES.includes(raw);
  const active = doc['active'];
  if (active !== undefined && active !== null && typeof active !== 'boolean') {
    throw new ScimError(400, 'active must be a boolean.', 'invalidValue');
  }
  const fields: ScimFields = {
    userName: text(doc['userName'], 'userName', TEXT_LIMITS.loginName),
    displayName: text(doc['displayName'], 'displayName', TEXT_LIMITS.name),
    externalId: text(doc['externalId'], 'externalId', TEXT_LIMITS.externalId),
    email,
    phone: workValue(doc['phoneNumbers'], 'phoneNumbers', TEXT_LIMITS.phone),
    department: text(ext['department'], 'department', TEXT_LIMITS.department),
    role: raw !== null && known ? (raw as ScimRole) : 'USER',
    active: typeof active === 'boolean' ? active : undefined,
    preferredLanguage: text(doc['preferredLanguage'], 'preferredLanguage', TEXT_LIMITS.preferredLanguage),
    timezone: text(doc['timezone'], 'timezone', TEXT_LIMITS.timezone),
    employeeNumber: text(ext['employeeNumber'], 'employeeNumber', TEXT_LIMITS.employeeNumber),
  };
  if (!known) fields.unknownRole = raw!;
  return fields;
}

/** displayName, else name.formatted, else given and family name, else the userName. */
function nameOf(doc: JsonObject, fields: ScimFields): string | undefined {
  if (fields.displayName) return fields.displayName;
  const name = isObject(doc['name']) ? (doc['name'] as JsonObject) : {};
  const formatted = text(name['formatted'], 'name.formatted', TEXT_LIMITS.name);
  if (formatted) return formatted;
  const parts = [name['givenName'], name['familyName']].map((p, i) => text(p, i ? 'name.familyName' : 'name.givenName', 100));
  const joined = parts.filter(Boolean).join(' ');
  // The parts fit their limits one by one; the name they make, and a userName standing in for it, are cut to the name's.
  return truncate(joined || fields.userName || '', TEXT_LIMITS.name) || undefined;
}

/** Everything a POST or PUT sets; no role sent means USER (S4). */
export function writeOf(doc: JsonObject, fields: ScimFields): ScimUserCreate {
  if (!fields.userName) throw new ScimError(400, 'userName is required.', 'invalidValue');
  const write: ScimUserCreate = { loginName: fields.userName, name: nameOf(doc, fields)!, role: fields.role };
  if (fields.email) write.email = fields.email;
  if (fields.phone) write.phone = fields.phone;
  if (fields.department) write.department = fields.department;
  if (fields.active !== undefined) write.active = fields.active;
  if (fields.externalId) write.entraObjectId = fields.externalId;
  if (fields.preferredLanguage) write.preferredLanguage = fields.preferredLanguage;
  if (fields.timezone) write.timezone = fields.timezone;
  if (fields.employeeNumber) write.employeeNumber = fields.employeeNumber;
  return write;
}

/**
 * A PATCH changes what differs between the resource before and after it.
 * Blank never erases: email, phone (R25), department (R23/R25), externalId
 * (R20), preferredLanguage and timezone stay; userName and displayName are
 * required; a blank employeeNumber clears it.
 */
export function patchWriteOf(before: ScimFields, after: ScimFields): ScimUserWrite {
  const w: ScimUserWrite = {};
  if (after.userName !== before.userName) {
    if (!after.userName) throw new ScimError(400, 'userName is required and cannot be removed.', 'invalidValue');
    w.loginName = after.userName;
  }
  if (after.displayName !== before.displayName) {
    if (!after.displayName) throw new ScimError(400, 'displayName is required and cannot be removed.', 'invalidValue');
    w.name = after.displayName;
  }
  if (after.email && after.email !== before.email) w.email = after.email;
  if (after.phone && after.phone !== before.phone) w.phone = after.phone;
  if (after.department && after.department !== before.department) w.department = after.department;
  if (after.externalId && after.externalId !== before.externalId) w.entraObjectId = after.externalId;
  if (after.preferredLanguage && after.preferredLanguage !== before.preferredLanguage) w.preferredLanguage = after.preferredLanguage;
  if (after.timezone && after.timezone !== before.timezone) w.timezone = after.timezone;
  if (after.employeeNumber !== before.employeeNumber) w.employeeNumber = after.employeeNumber ?? null;
  if (after.active !== undefined && after.active !== before.active) w.active = after.active;
  if (after.role !== before.role) w.role = after.role;
  return w;
}

// ---------------------------------------------------------------- what is ignored (logged, never a 400)

const MAPPED_CORE = new Set([
  'schemas', 'id', 'meta', 'externalId', 'userName', 'displayName', 'active', 'emails', 'phoneNumbers', 'roles',
  'preferredLanguage', 'timezone',
]);
const MAPPED_ENTERPRISE = new Set(['department', 'employeeNumber']);

/** Names of the attributes in a POST/PUT body the service does not keep. */
export function ignoredInBody(doc: JsonObject): string[] {
  const ext = isObject(doc[ENTERPRISE_USER]) ? Object.keys(doc[ENTERPRISE_USER] as JsonObject) : [];
  return [
    ...Object.keys(doc).filter((k) => k !== ENTERPRISE_USER && !MAPPED_CORE.has(k)),
    ...ext.filter((k) => !MAPPED_ENTERPRISE.has(k)).map((k) => `${ENTERPRISE_USER}:${k}`),
  ];
}

/** Paths of the PATCH operations that touch attributes the service does not keep. */
export function ignoredInPatch(ops: PatchOp[]): string[] {
  return ops
    .map((o) => o.path)
    .filter((p) => {
      if (p.startsWith(`${ENTERPRISE_USER}:`)) {
        return !MAPPED_ENTERPRISE.has(p.slice(ENTERPRISE_USER.length + 1).split(/[.[]/)[0] ?? '');
      }
      const top = p.split(/[.[]/)[0] ?? '';
      if ((top === 'emails' || top === 'phoneNumbers') && p.includes('[')) return !/\[type eq "work"\]/i.test(p);
      return !MAPPED_CORE.has(top);
    });
}
