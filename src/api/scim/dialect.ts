/**
 * The one normalisation step at the edge: whatever dialect Entra ID speaks
 * (with or without `?aadOptscim062020`), requests leave this module in plain
 * RFC 7644 form, so the parsers (scim2-parse-filter, scim-patch) and the
 * mapping behind it see one shape only.
 *
 * Entra quirks handled here (DESIGN S8):
 * - capitalised PATCH ops ("Add", "Replace", "Remove");
 * - booleans as the strings "True"/"False", in values and in filter comparisons;
 * - path-less add/replace whose value keys are dotted ("name.givenName"),
 *   filtered ('emails[type eq "work"].value') or URN-qualified
 *   ("urn:…:enterprise:2.0:User:department"), or a whole extension object;
 * - role values as plain strings, as JSON strings ('{"id":…,"value":"ADMIN"}'),
 *   as objects, and through 'roles[primary eq "True"].value'; one role only;
 * - manager as a string or as {value};
 * - attribute names in any letter case.
 */
import { parse as parseScimFilter, stringify as stringifyFilter, type Filter } from 'scim2-parse-filter';
import {
  BOOLEAN_ATTRIBUTES,
  canonicalCore,
  canonicalEnterprise,
  canonicalSub,
  CORE_USER,
  ENTERPRISE_USER,
  MAX_PATCH_OPERATIONS,
  PATCH_OP,
  schemaOf,
} from './constants.ts';
import { ScimError } from './errors.ts';

export type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------- scalar values

/** true/false, or Entra's "True"/"False" strings (any case). */
export function toBoolean(v: unknown, what: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  throw new ScimError(400, `${what} must be a boolean (true or false).`, 'invalidValue');
}

/**
 * One role value in any of Entra's shapes -> its upper-case value, or null for none:
 * "ADMIN", '{"id":"…","value":"ADMIN","displayName":"Admin"}', {value: "ADMIN"}, {value: '{"value":"ADMIN"}'}.
 */
export function roleValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') {
    const s = v.trim();
    if (s.startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(s);
      } catch {
        throw new ScimError(400, 'A role value is neither a role name nor a JSON role object.', 'invalidValue');
      }
      return roleValue(parsed);
    }
    return s === '' ? null : s.toUpperCase();
  }
  if (isObject(v)) return roleValue(v['value'] ?? v['Value']);
  throw new ScimError(400, 'A role value must be a string or an object with a value.', 'invalidValue');
}

const isPrimary = (v: unknown): boolean => {
  if (!isObject(v)) return false;
  const p = v['primary'] ?? v['Primary'];
  if (p === undefined || p === null) return false;
  return toBoolean(p, 'roles.primary');
};

/** A list (or a single entry) of roles -> the one role it sets: the primary entry, else the last one (the newest). */
export function roleFromList(v: unknown): string | null {
  const list = Array.isArray(v) ? v : v === null || v === undefined ? [] : [v];
  const primary = list.find(isPrimary);
  const chosen = primary ?? list[list.length - 1];
  return roleValue(chosen);
}

const roleList = (role: string | null) => (role === null ? [] : [{ value: role, primary: true }]);

/** manager as "id", {value: "id"} or [{value: "id"}] -> {value} (or null to clear). */
function managerValue(v: unknown): JsonObject | null {
  if (Array.isArray(v)) return managerValue(v[0]);
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string') return { value: v };
  if (isObject(v)) return canonicalKeys(v);
  throw new ScimError(400, 'manager must be a string or an object with a value.', 'invalidValue');
}

function canonicalKeys(o: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, val] of Object.entries(o)) {
    const key = canonicalSub(k);
    out[key] = BOOLEAN_ATTRIBUTES.has(key) && val !== null && val !== undefined ? toBoolean(val, key) : val;
  }
  return out;
}

const MULTI_VALUED = new Set(['emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'entitlements', 'x509Certificates', 'groups']);

/** Multi-valued complex attributes the service keeps: their shape is checked, never guessed. */
const KEPT_COMPLEX = new Set(['emails', 'phoneNumbers', 'roles']);

/**
 * A multi-valued complex attribute (RFC 7643 §2.4): a list of objects; one
 * object stands for a list of one. A string, a number or a list of strings
 * (`emails: "a@b"`) is 400 invalidValue: dropping it silently would answer
 * 201 with the user's contact channel lost (defect 10).
 */
export function complexList(v: unknown, what: string): JsonObject[] {
  const list = Array.isArray(v) ? v : [v];
  if (!list.every(isObject)) {
    throw new ScimError(400, `${what} must be a list of objects such as [{"value": "…", "type": "work"}].`, 'invalidValue');
  }
  return list;
}

/** Normalises the value of one attribute (top-level, or one sub-attribute of it). */
function attributeValue(schema: 'core' | 'enterprise', attr: string, sub: string | undefined, value: unknown): unknown {
  if (sub !== undefined) return BOOLEAN_ATTRIBUTES.has(sub) && value !== null ? toBoolean(value, `${attr}.${sub}`) : value;
  if (schema === 'enterprise') return attr === 'manager' ? managerValue(value) : value;
  if (attr === 'active') return value === null ? null : toBoolean(value, 'active');
  if (attr === 'roles') return roleList(roleFromList(value === null || value === undefined ? value : complexList(value, 'roles')));
  if (KEPT_COMPLEX.has(attr) && value !== null && value !== undefined) return complexList(value, attr).map(canonicalKeys);
  if (MULTI_VALUED.has(attr) && value !== null) {
    const list = Array.isArray(value) ? value : [value];
    return list.map((e) => (isObject(e) ? canonicalKeys(e) : e));
  }
  if (attr === 'name' && isObject(value)) return canonicalKeys(value);
  return value;
}

// ---------------------------------------------------------------- filters

const MAX_FILTER_LENGTH = 2000;

/** Canonical attribute path inside a filter; `relative` for the inside of a [value filter]. */
function filterAttrPath(path: string, relative: boolean): string {
  if (relative) return path.split('.').map(canonicalSub).join('.');
  const colon = path.lastIndexOf(':');
  let schema: 'core' | 'enterprise' = 'core';
  let rest = path;
  if (colon >= 0) {
    const s = schemaOf(path.slice(0, colon));
    if (s === 'unknown') throw new ScimError(400, `The filter names an unsupported schema: ${path}`, 'invalidFilter');
    schema = s;
    rest = path.slice(colon + 1);
  }
  const [first, ...subs] = rest.split('.');
  const top = schema === 'core' ? canonicalCore(first ?? '') : canonicalEnterprise(first ?? '');
  if (!top) throw new ScimError(400, `The filter names an unknown attribute: ${path}`, 'invalidFilter');
  return [schema === 'enterprise' ? `${ENTERPRISE_USER}:${top}` : top, ...subs.map(canonicalSub)].join('.');
}

const lastSegment = (p: string) => p.slice(p.lastIndexOf(':') + 1).split('.').pop() ?? '';

/** Canonical attribute names; "True"/"False" compared with a boolean attribute become booleans. */
export function normaliseFilter(f: Filter, relative = false): Filter {
  switch (f.op) {
    case 'and':
    case 'or':
      return { op: f.op, filters: f.filters.map((c) => normaliseFilter(c, relative)) };
    case 'not':
      return { op: 'not', filter: normaliseFilter(f.filter, relative) };
    case '[]':
      return { op: '[]', attrPath: filterAttrPath(f.attrPath, relative), valFilter: normaliseFilter(f.valFilter, true) };
    case 'pr':
      return { op: 'pr', attrPath: filterAttrPath(f.attrPath, relative) };
    default: {
      const attrPath = filterAttrPath(f.attrPath, relative);
      let compValue = f.compValue;
      if (BOOLEAN_ATTRIBUTES.has(lastSegment(attrPath)) && typeof compValue === 'string') {
        const s = compValue.trim().toLowerCase();
        if (s === 'true' || s === 'false') compValue = s === 'true';
      }
      return { op: f.op, attrPath, compValue };
    }
  }
}

/** Parses and normalises a filter; anything it cannot read is 400 invalidFilter. */
export function parseFilter(text: string, relative = false): Filter {
  if (text.length > MAX_FILTER_LENGTH) throw new ScimError(400, 'The filter is too long.', 'invalidFilter');
  let ast: Filter;
  try {
    ast = parseScimFilter(text);
  } catch (e) {
    throw new ScimError(400, `The filter is not valid: ${e instanceof Error ? e.message : String(e)}`, 'invalidFilter');
  }
  return normaliseFilter(ast, relative);
}

// ---------------------------------------------------------------- attribute paths

export interface AttrPath {
  schema: 'core' | 'enterprise';
  attr: string;
  filter?: Filter;
  sub?: string;
}

const NAME = /^\$?[A-Za-z][\w$-]*$/;

const badPath = (raw: string) => new ScimError(400, `The path "${raw}" is not a valid attribute path.`, 'invalidPath');

/** `[urn:…:]attr[valueFilter][.sub]` -> its parts, in canonical spelling. */
export function parsePath(raw: string): AttrPath {
  const text = raw.trim();
  const open = text.indexOf('[');
  const head = open >= 0 ? text.slice(0, open) : text;
  let filterText: string | undefined;
  let tail: string | undefined;
  if (open >= 0) {
    const close = text.lastIndexOf(']');
    if (close < open) throw badPath(raw);
    filterText = text.slice(open + 1, close);
    const after = text.slice(close + 1);
    if (after !== '' && !after.startsWith('.')) throw badPath(raw);
    tail = after === '' ? undefined : after.slice(1);
  }
  let schema: 'core' | 'enterprise' = 'core';
  let name = head;
  const colon = head.lastIndexOf(':');
  if (colon >= 0) {
    const s = schemaOf(head.slice(0, colon));
    if (s === 'unknown') throw new ScimError(400, `The path "${raw}" names an unsupported schema.`, 'invalidPath');
    schema = s;
    name = head.slice(colon + 1);
  }
  const parts = name.split('.');
  if (parts.length > 2 || (parts.length === 2 && open >= 0)) throw badPath(raw);
  const [attrName, dotted] = parts as [string, string | undefined];
  const subName = dotted ?? tail;
  if (!NAME.test(attrName) || (subName !== undefined && !NAME.test(subName))) throw badPath(raw);
  const attr = (schema === 'core' ? canonicalCore(attrName) : canonicalEnterprise(attrName)) ?? attrName;
  return {
    schema,
    attr,
    ...(filterText !== undefined ? { filter: parseFilter(filterText, true) } : {}),
    ...(subName !== undefined ? { sub: canonicalSub(subName) } : {}),
  };
}

export function formatPath(p: AttrPath): string {
  const prefix = p.schema === 'enterprise' ? `${ENTERPRISE_USER}:` : '';
  return `${prefix}${p.attr}${p.filter ? `[${stringifyFilter(p.filter)}]` : ''}${p.sub ? `.${p.sub}` : ''}`;
}

// ---------------------------------------------------------------- PATCH

export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  /** Always present and canonical: path-less operations are expanded, one per attribute. */
  path: string;
  value?: unknown;
}

function schemasOf(body: JsonObject, required: string, allowed: string[]): void {
  const schemas = body['schemas'];
  if (!Array.isArray(schemas) || !schemas.every((s) => typeof s === 'string')) {
    throw new ScimError(400, `"schemas" must be an array naming ${required}.`, 'invalidSyntax');
  }
  const lower = schemas.map((s: string) => s.toLowerCase());
  if (!lower.includes(required.toLowerCase())) {
    throw new ScimError(400, `"schemas" must include ${required}.`, 'invalidSyntax');
  }
  const unknown = schemas.filter((s: string) => !allowed.some((a) => a.toLowerCase() === s.toLowerCase()));
  if (unknown.length > 0) throw new ScimError(400, `Unsupported schema: ${unknown.join(', ')}`, 'invalidSyntax');
}

/** Entra's PATCH body in either dialect -> canonical RFC 7644 operations, one attribute each. */
export function normalisePatch(body: unknown): PatchOp[] {
  if (!isObject(body)) throw new ScimError(400, 'A PATCH body must be a JSON object.', 'invalidSyntax');
  schemasOf(body, PATCH_OP, [PATCH_OP]);
  const ops = body['Operations'] ?? body['operations'];
  if (!Array.isArray(ops) || ops.length === 0) {
    throw new ScimError(400, 'A PATCH body needs a non-empty "Operations" array.', 'invalidSyntax');
  }
  if (ops.length > MAX_PATCH_OPERATIONS) {
    throw new ScimError(400, `At most ${MAX_PATCH_OPERATIONS} operations per PATCH.`, 'invalidSyntax');
  }
  return ops.flatMap((raw) => normaliseOperation(raw));
}

function normaliseOperation(raw: unknown): PatchOp[] {
  if (!isObject(raw)) throw new ScimError(400, 'Each operation must be a JSON object.', 'invalidSyntax');
  const opName = raw['op'] ?? raw['Op'];
  const op = typeof opName === 'string' ? opName.trim().toLowerCase() : '';
  if (op !== 'add' && op !== 'replace' && op !== 'remove') {
    throw new ScimError(400, `Unknown PATCH op "${String(opName)}"; use add, replace or remove.`, 'invalidSyntax');
  }
  const rawPath = raw['path'] ?? raw['Path'];
  const value = 'value' in raw ? raw['value'] : raw['Value'];
  if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') {
    throw new ScimError(400, 'An operation path must be a string.', 'invalidPath');
  }
  const path = typeof rawPath === 'string' && rawPath.trim() !== '' ? rawPath.trim() : undefined;
  if (path === undefined) {
    if (op === 'remove') throw new ScimError(400, 'A remove operation needs a path.', 'noTarget');
    if (!isObject(value)) {
      throw new ScimError(400, `A ${op} operation without a path needs an object value.`, 'invalidValue');
    }
    return expandObject(op, value);
  }
  if (op !== 'remove' && value === undefined) {
    throw new ScimError(400, `The ${op} operation on "${path}" has no value.`, 'invalidValue');
  }
  // A whole schema as the path: its value holds the attributes.
  const s = schemaOf(path);
  if (s !== 'unknown') {
    if (op === 'remove') throw new ScimError(400, `Removing the whole schema ${path} is not supported.`, 'invalidPath');
    if (!isObject(value)) throw new ScimError(400, `The value for ${path} must be an object.`, 'invalidValue');
    return expandObject(op, value, s);
  }
  return pathOperation(op, parsePath(path), value);
}

/** A path-less value {key: value, …} -> one operation per key (dotted, filtered and URN keys included). */
function expandObject(op: 'add' | 'replace', value: JsonObject, within?: 'core' | 'enterprise'): PatchOp[] {
  return Object.entries(value).flatMap(([key, v]) => {
    const s = schemaOf(key);
    if (s !== 'unknown' && !within) {
      if (!isObject(v)) throw new ScimError(400, `The value for ${key} must be an object.`, 'invalidValue');
      return expandObject(op, v, s);
    }
    const path = within === 'enterprise' && !key.includes(':') ? `${ENTERPRISE_USER}:${key}` : key;
    return pathOperation(op, parsePath(path), v);
  });
}

const READ_ONLY = new Set(['meta', 'schemas', 'groups']);

function pathOperation(op: PatchOp['op'], p: AttrPath, value: unknown): PatchOp[] {
  if (p.schema === 'core' && p.attr === 'id') {
    throw new ScimError(400, 'id is assigned by the service and cannot be changed.', 'mutability');
  }
  if (p.schema === 'core' && READ_ONLY.has(p.attr)) return [];
  if (p.schema === 'core' && p.attr === 'roles') return roleOperation(op, p, value);
  if (op === 'remove') return [{ op, path: formatPath(p), ...(value !== undefined ? { value } : {}) }];
  // attr[filter] without a sub-attribute names one element of a multi-valued attribute.
  if (p.schema === 'core' && p.filter && p.sub === undefined && KEPT_COMPLEX.has(p.attr) && !isObject(value)) {
    throw new ScimError(400, `The value for ${formatPath(p)} must be an object such as {"value": "…"}.`, 'invalidValue');
  }
  const v = p.filter && p.sub === undefined ? (isObject(value) ? canonicalKeys(value) : value) : attributeValue(p.schema, p.attr, p.sub, value);
  return [{ op, path: formatPath(p), value: v }];
}

/**
 * Every role change becomes "replace roles with exactly one role" (or none):
 * a changed role replaces the old one, never a second primary role (S4).
 */
function roleOperation(op: PatchOp['op'], p: AttrPath, value: unknown): PatchOp[] {
  if (op === 'remove') {
    if (p.filter) {
      const f = upperRoleFilter(p.filter);
      return [{ op: 'remove', path: formatPath({ schema: 'core', attr: 'roles', filter: f }) }];
    }
    if (value === undefined || value === null) return [{ op: 'replace', path: 'roles', value: [] }];
    const list = Array.isArray(value) ? value : [value];
    return list
      .map(roleValue)
      .filter((r): r is string => r !== null)
      .map((r) => ({ op: 'remove' as const, path: `roles[value eq ${JSON.stringify(r)}]` }));
  }
  if (p.sub !== undefined && p.sub !== 'value') return []; // primary/display/type of the one role: nothing to change
  const role =
    p.sub === 'value'
      ? roleValue(value)
      : roleFromList(p.filter || value === null ? value : complexList(value, 'roles'));
  return [{ op: 'replace', path: 'roles', value: roleList(role) }];
}

function upperRoleFilter(f: Filter): Filter {
  if ((f.op === 'eq' || f.op === 'ne') && f.attrPath === 'value' && typeof f.compValue === 'string') {
    return { ...f, compValue: roleValue(f.compValue) ?? '' };
  }
  if (f.op === 'and' || f.op === 'or') return { op: f.op, filters: f.filters.map(upperRoleFilter) };
  if (f.op === 'not') return { op: 'not', filter: upperRoleFilter(f.filter) };
  return f;
}

// ---------------------------------------------------------------- POST / PUT bodies

/**
 * A User resource as Entra sends it -> canonical keys and values: core
 * attributes at the top, the enterprise extension under its URN.
 */
export function normaliseUserBody(body: unknown): JsonObject {
  if (!isObject(body)) throw new ScimError(400, 'The body must be a JSON object (a SCIM User).', 'invalidSyntax');
  schemasOf(body, CORE_USER, [CORE_USER, ENTERPRISE_USER]);
  const out: JsonObject = {};
  const ext: JsonObject = {};
  const put = (schema: 'core' | 'enterprise', key: string, value: unknown) => {
    const colon = key.lastIndexOf(':');
    if (colon >= 0) {
      const s = schemaOf(key.slice(0, colon));
      if (s === 'unknown') throw new ScimError(400, `Unsupported schema in attribute "${key}".`, 'invalidSyntax');
      put(s, key.slice(colon + 1), value);
      return;
    }
    const [first, sub] = key.split('.', 2) as [string, string | undefined];
    const canonical = (schema === 'core' ? canonicalCore(first) : canonicalEnterprise(first)) ?? first;
    const target = schema === 'core' ? out : ext;
    if (sub !== undefined) {
      const parent = isObject(target[canonical]) ? (target[canonical] as JsonObject) : {};
      const subKey = canonicalSub(sub);
      parent[subKey] = attributeValue(schema, canonical, subKey, value);
      target[canonical] = parent;
      return;
    }
    target[canonical] = attributeValue(schema, canonical, undefined, value);
  };
  for (const [key, value] of Object.entries(body)) {
    if (key === 'schemas') continue;
    const s = schemaOf(key);
    if (s !== 'unknown') {
      if (value === null || value === undefined) continue;
      if (!isObject(value)) throw new ScimError(400, `The value for ${key} must be an object.`, 'invalidSyntax');
      for (const [k, v] of Object.entries(value)) put(s, k, v);
      continue;
    }
    put('core', key, value);
  }
  out['schemas'] = Object.keys(ext).length > 0 ? [CORE_USER, ENTERPRISE_USER] : [CORE_USER];
  if (Object.keys(ext).length > 0) out[ENTERPRISE_USER] = ext;
  return out;
}
