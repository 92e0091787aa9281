/**
 * A typed query over a company's users (what a SCIM filter asks for, once the
 * API has parsed it) and its compilation to SQL over `users u`. The API never
 * writes SQL: it builds a UserQuery, the store decides columns, case folding
 * and escaping. Strings compare case-insensitively except `id` and
 * `externalId` (caseExact); userName and emails compare by the store's key
 * columns (foldKey, defect 8); an absent attribute matches nothing.
 */
import { foldKey } from '../domain/fold.ts';

/** The user attributes a query can name; each has a column (or one subquery). */
export type UserQueryAttr =
  | 'id'
  | 'userName'
  | 'externalId'
  | 'displayName'
  | 'emails'
  | 'phoneNumbers'
  | 'department'
  | 'employeeNumber'
  | 'preferredLanguage'
  | 'timezone';

export type UserQueryStringOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew';

export type UserQuery =
  | { op: UserQueryStringOp; attr: UserQueryAttr; value: string }
  | { op: 'eq' | 'ne'; attr: 'active'; value: boolean }
  | { op: 'pr'; attr: UserQueryAttr | 'active' }
  /** `emails[type eq "work"]` / `phoneNumbers[type eq "work"]`: the one value the service keeps is the work one. */
  | { op: 'hasWork'; attr: 'emails' | 'phoneNumbers' }
  | { op: 'and' | 'or'; queries: UserQuery[] }
  | { op: 'not'; query: UserQuery }
  | { op: 'all' };

interface Column {
  /** SQL over `u`; for text compared case-insensitively it is already lower-cased. */
  expr: string;
  /** key: a store key column (login_key, email_key), compared with the value's foldKey (defect 8). */
  kind: 'text' | 'key' | 'exact';
}

const DEPARTMENT = `(select lower(d.code) from memberships m join departments d on d.id = m.department_id
                      where m.user_id = u.id and m.source = 'entra' order by d.code limit 1)`;

const COLUMNS: Record<UserQueryAttr, Column> = {
  id: { expr: 'u.id::text', kind: 'text' },
  userName: { expr: 'u.login_key', kind: 'key' },
  externalId: { expr: 'u.entra_object_id', kind: 'exact' },
  displayName: { expr: 'lower(u.name)', kind: 'text' },
  emails: { expr: 'u.email_key', kind: 'key' },
  phoneNumbers: { expr: 'lower(u.phone)', kind: 'text' },
  department: { expr: DEPARTMENT, kind: 'text' },
  employeeNumber: { expr: 'lower(u.employee_number)', kind: 'text' },
  preferredLanguage: { expr: 'lower(u.preferred_language)', kind: 'text' },
  timezone: { expr: 'lower(u.timezone)', kind: 'text' },
};

const ACTIVE = `(u.status = 'active')`;
const WORK: Record<'emails' | 'phoneNumbers', string> = { emails: 'u.email', phoneNumbers: 'u.phone' };

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A query compiled to a SQL condition over `users u`, its parameters numbered from `firstParam`. */
export interface CompiledQuery {
  sql: string;
  params: unknown[];
}

export function compileUserQuery(q: UserQuery, firstParam: number): CompiledQuery {
  const params: unknown[] = [];
  const bind = (v: unknown) => {
    params.push(v);
    return `$${firstParam + params.length - 1}`;
  };
  const walk = (n: UserQuery): string => {
    switch (n.op) {
      case 'all':
        return 'true';
      case 'and':
      case 'or':
        return n.queries.length === 0 ? (n.op === 'and' ? 'true' : 'false') : `(${n.queries.map(walk).join(` ${n.op} `)})`;
      case 'not':
        // NULL (an absent attribute) must read as "no match" before it is negated.
        return `(not coalesce(${walk(n.query)}, false))`;
      case 'hasWork':
        return `(${WORK[n.attr]} is not null)`;
      case 'pr':
        return n.attr === 'active' ? 'true' : `(${COLUMNS[n.attr].expr} is not null)`;
      default: {
        if (n.attr === 'active') return `(${ACTIVE} ${n.op === 'eq' ? '=' : '<>'} ${bind(n.value)}::boolean)`;
        const col = COLUMNS[n.attr];
        const value = col.kind === 'exact' ? n.value : col.kind === 'key' ? foldKey(n.value) : n.value.toLowerCase();
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
        }
      }
    }
  };
  return { sql: walk(q), params };
}
