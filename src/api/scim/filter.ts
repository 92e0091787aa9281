/**
 * A normalised SCIM filter (see dialect.ts) -> SQL over `users u` when every
 * attribute it names has a column, else an in-memory predicate over SCIM
 * resources. Both compare strings case-insensitively except caseExact
 * attributes (id, externalId), and an absent attribute matches nothing.
 */
import type { Filter } from 'scim2-parse-filter';
import { foldKey } from '../../domain/fold.ts';
import type { SqlFilter } from '../../store/scim-users.ts';
import { CASE_EXACT_ATTRIBUTES, ENTERPRISE_USER } from './constants.ts';
import { isObject, type JsonObject } from './dialect.ts';

// ---------------------------------------------------------------- SQL

interface Column {
  /** SQL expression over `u`; for text columns compared case-insensitively it is already lower-cased. */
  expr: string;
  /** key: a store key column (login_key, email_key), compared with the value's foldKey (defect 8). */
  kind: 'text' | 'key' | 'exact' | 'boolean';
}

const DEPARTMENT = `(select lower(d.code) from memberships m join departments d on d.id = m.department_id
                      where m.user_id = u.id and m.source = 'entra' order by d.code limit 1)`;

const COLUMNS: Record<string, Column> = {
  id: { expr: 'u.id::text', kind: 'text' },
  userName: { expr: 'u.login_key', kind: 'key' },
  externalId: { expr: 'u.entra_object_id', kind: 'exact' },
  displayName: { expr: 'lower(u.name)', kind: 'text' },
  'name.formatted': { expr: 'lower(u.name)', kind: 'text' },
  emails: { expr: 'u.email_key', kind: 'key' },
  'emails.value': { expr: 'u.email_key', kind: 'key' },
  phoneNumbers: { expr: 'lower(u.phone)', kind: 'text' },
  'phoneNumbers.value': { expr: 'lower(u.phone)', kind: 'text' },
  active: { expr: `(u.status = 'active')`, kind: 'boolean' },
  [`${ENTERPRISE_USER}:department`]: { expr: DEPARTMENT, kind: 'text' },
  [`${ENTERPRISE_USER}:employeeNumber`]: { expr: 'lower(u.employee_number)', kind: 'text' },
  preferredLanguage: { expr: 'lower(u.preferred_language)', kind: 'text' },
  timezone: { expr: 'lower(u.timezone)', kind: 'text' },
};

/** `emails[type eq "work"]`: the one email (or phone) the service keeps is the work one. */
const WORK_ONLY: Record<string, string> = { emails: 'u.email', phoneNumbers: 'u.phone' };

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Compiles the filter to SQL (parameters from $firstParam), or null when part of it needs the in-memory path. */
export function compileFilter(f: Filter, firstParam = 2): SqlFilter | null {
  const params: unknown[] = [];
  const bind = (v: unknown) => {
    params.push(v);
    return `$${firstParam + params.length - 1}`;
  };
  const walk = (n: Filter): string | null => {
    switch (n.op) {
      case 'and':
      case 'or': {
        const parts = n.filters.map(walk);
        if (parts.some((p) => p === null)) return null;
        return `(${parts.join(` ${n.op} `)})`;
      }
      case 'not': {
        const inner = walk(n.filter);
        // NULL (an absent attribute) must read as "no match" before it is negated.
        return inner === null ? null : `(not coalesce(${inner}, false))`;
      }
      case '[]': {
        const col = WORK_ONLY[n.attrPath];
        const v = n.valFilter;
        if (col && v.op === 'eq' && v.attrPath === 'type' && typeof v.compValue === 'string' && v.compValue.toLowerCase() === 'work') {
          return `(${col} is not null)`;
        }
        return null;
      }
      case 'pr': {
        const col = COLUMNS[n.attrPath];
        return col ? `(${col.expr} is not null)` : null;
      }
      default: {
        const col = COLUMNS[n.attrPath];
        if (!col) return null;
        const v = n.compValue;
        if (col.kind === 'boolean') {
          if (typeof v !== 'boolean' || (n.op !== 'eq' && n.op !== 'ne')) return null;
          return `(${col.expr} ${n.op === 'eq' ? '=' : '<>'} ${bind(v)}::boolean)`;
        }
        if (typeof v !== 'string') return null;
        const value = col.kind === 'exact' ? v : col.kind === 'key' ? foldKey(v) : v.toLowerCase();
        switch (n.op) {
          case 'eq':
            return `(${col.expr} = ${bind(value)}::text)`;
          case 'ne':
            return `(${col.expr} <> ${bind(value)}::text)`;
          case 'co':
            return `(${col.expr} like ${bind(`%${likeEscape(value)}%`)}::text)`;
          case 'sw':
            return `(${col.expr} like ${bind(`${likeEscape(value)}%`)}::text)`;
          case 'ew':
            return `(${col.expr} like ${bind(`%${likeEscape(value)}`)}::text)`;
          default:
            return null; // gt/ge/lt/le: in memory
        }
      }
    }
  };
  const sql = walk(f);
  return sql === null ? null : { sql, params };
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
