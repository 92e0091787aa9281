/**
 * A normalised SCIM filter (see dialect.ts) -> the store's typed UserQuery
 * (the store compiles it to SQL) when every attribute it names has a column,
 * else an in-memory predicate over SCIM resources. Both compare strings case-insensitively except caseExact
 * attributes (id, externalId), and an absent attribute matches nothing.
 */
import type { Filter } from 'scim2-parse-filter';
import { foldKey } from '../../domain/fold.ts';
import type { UserQuery, UserQueryAttr, UserQueryStringOp } from '../../store/scim-query.ts';
import { CASE_EXACT_ATTRIBUTES, ENTERPRISE_USER } from './constants.ts';
import { isObject, type JsonObject } from './dialect.ts';

// ---------------------------------------------------------------- typed query (compiled to SQL by the store)

/** Canonical attribute paths -> the store's query attributes. */
const ATTRS: Record<string, UserQueryAttr | 'active'> = {
  id: 'id',
  userName: 'userName',
  externalId: 'externalId',
  displayName: 'displayName',
  'name.formatted': 'displayName',
  emails: 'emails',
  'emails.value': 'emails',
  phoneNumbers: 'phoneNumbers',
  'phoneNumbers.value': 'phoneNumbers',
  active: 'active',
  [`${ENTERPRISE_USER}:department`]: 'department',
  [`${ENTERPRISE_USER}:employeeNumber`]: 'employeeNumber',
  preferredLanguage: 'preferredLanguage',
  timezone: 'timezone',
};

const STRING_OPS = new Set<string>(['eq', 'ne', 'co', 'sw', 'ew']);

/** The filter as the store's typed query, or null when part of it needs the in-memory path (roles, gt/ge/lt/le, …). */
export function toUserQuery(f: Filter): UserQuery | null {
  switch (f.op) {
    case 'and':
    case 'or': {
      const queries = f.filters.map(toUserQuery);
      return queries.every((q): q is UserQuery => q !== null) ? { op: f.op, queries } : null;
    }
    case 'not': {
      const query = toUserQuery(f.filter);
      return query === null ? null : { op: 'not', query };
    }
    case '[]': {
      const v = f.valFilter;
      if ((f.attrPath === 'emails' || f.attrPath === 'phoneNumbers') && v.op === 'eq' && v.attrPath === 'type' &&
          typeof v.compValue === 'string' && v.compValue.toLowerCase() === 'work') {
        return { op: 'hasWork', attr: f.attrPath };
      }
      return null;
    }
    case 'pr': {
      const attr = ATTRS[f.attrPath];
      return attr ? { op: 'pr', attr } : null;
    }
    default: {
      const attr = ATTRS[f.attrPath];
      if (!attr) return null;
      const v = f.compValue;
      if (attr === 'active') {
        return typeof v === 'boolean' && (f.op === 'eq' || f.op === 'ne') ? { op: f.op, attr, value: v } : null;
      }
      if (typeof v !== 'string' || !STRING_OPS.has(f.op)) return null;
      return { op: f.op as UserQueryStringOp, attr, value: v };
    }
  }
}

// ---------------------------------------------------------------- in memory

/** Every value at a canonical attribute path, arrays flattened. */
function valuesAt(r: unknown, path: string): unknown[] {
  const colon = path.lastIndexOf(':');
  const segments = colon >= 0 ? [path.slice(0, colon), ...path.slice(colon + 1).split('.')] : path.split('.');
  let current: unknown[] = [r];
  for (const seg of segments) {
    const next: unknown[] = [];
    for (const c of current) {
      if (!isObject(c)) continue;
      const key = Object.keys(c).find((k) => k.toLowerCase() === seg.toLowerCase());
      if (key === undefined) continue;
      const v = c[key];
      if (Array.isArray(v)) next.push(...v);
      else next.push(v);
    }
    current = next;
  }
  return current.filter((v) => v !== undefined && v !== null);
}

/** Attributes kept in the store's key columns: compared by foldKey, as the SQL path does (defect 8). */
const KEY_ATTRIBUTES = new Set(['username', 'emails']);

function compare(op: string, actual: unknown, expected: unknown, exact: boolean, folded = false): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    const norm = (s: string) => (exact ? s : folded ? foldKey(s) : s.toLowerCase());
    const a = norm(actual);
    const e = norm(expected);
    switch (op) {
      case 'eq': return a === e;
      case 'ne': return a !== e;
      case 'co': return a.includes(e);
      case 'sw': return a.startsWith(e);
      case 'ew': return a.endsWith(e);
      case 'gt': return a > e;
      case 'ge': return a >= e;
      case 'lt': return a < e;
      case 'le': return a <= e;
    }
    return false;
  }
  if (typeof actual === typeof expected && (typeof actual === 'number' || typeof actual === 'boolean')) {
    const a = actual as number;
    const e = expected as number;
    switch (op) {
      case 'eq': return a === e;
      case 'ne': return a !== e;
      case 'gt': return a > e;
      case 'ge': return a >= e;
      case 'lt': return a < e;
      case 'le': return a <= e;
    }
  }
  return false;
}

const topName = (path: string) => path.slice(path.lastIndexOf(':') + 1).split('.')[0] ?? '';

export function matches(resource: JsonObject, f: Filter): boolean {
  switch (f.op) {
    case 'and':
      return f.filters.every((c) => matches(resource, c));
    case 'or':
      return f.filters.some((c) => matches(resource, c));
    case 'not':
      return !matches(resource, f.filter);
    case '[]':
      return valuesAt(resource, f.attrPath).some((v) => isObject(v) && matches(v, f.valFilter));
    case 'pr':
      return valuesAt(resource, f.attrPath).some((v) => v !== '');
    default: {
      const exact = CASE_EXACT_ATTRIBUTES.has(topName(f.attrPath)) && !f.attrPath.includes('.');
      const folded = KEY_ATTRIBUTES.has(topName(f.attrPath).toLowerCase()) && !/\.type$/i.test(f.attrPath);
      return valuesAt(resource, f.attrPath).some((v) => compare(f.op, v, f.compValue, exact, folded));
    }
  }
}
