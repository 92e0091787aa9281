/** `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5): which attributes a response carries. */
import { canonicalCore, canonicalEnterprise, canonicalSub, ENTERPRISE_USER, schemaOf } from './constants.ts';
import { isObject, type JsonObject } from './dialect.ts';
import { ScimError } from './errors.ts';

/** Always returned, whatever the request asks. */
const ALWAYS = new Set(['id', 'schemas']);

type Ref = [top: string, sub?: string];

/** "userName,name.givenName,urn:…:enterprise:2.0:User:department" -> canonical references. */
export function parseAttributeList(v: unknown, what: string): Ref[] | undefined {
  if (v === undefined) return undefined;
  const raw = Array.isArray(v) ? v.join(',') : v;
  if (typeof raw !== 'string') throw new ScimError(400, `${what} must be a comma-separated list.`, 'invalidValue');
  const refs = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s): Ref => {
      if (schemaOf(s) === 'enterprise') return [ENTERPRISE_USER];
      const colon = s.lastIndexOf(':');
      const schema = colon >= 0 ? schemaOf(s.slice(0, colon)) : 'core';
      const rest = colon >= 0 ? s.slice(colon + 1) : s;
      const [first = '', sub] = rest.split('.', 2);
      if (schema === 'enterprise') return [ENTERPRISE_USER, canonicalEnterprise(first) ?? first];
      if (schema === 'core') return [canonicalCore(first) ?? first, ...(sub ? [canonicalSub(sub)] : [])] as Ref;
      return [s];
    });
  return refs.length > 0 ? refs : undefined;
}

const pick = (v: unknown, subs: Set<string>): unknown => {
  if (Array.isArray(v)) return v.map((e) => pick(e, subs));
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => subs.has(k)));
};

const drop = (v: unknown, subs: Set<string>): unknown => {
  if (Array.isArray(v)) return v.map((e) => drop(e, subs));
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !subs.has(k)));
};

function group(refs: Ref[]): Map<string, Set<string> | 'all'> {
  const out = new Map<string, Set<string> | 'all'>();
  for (const [top, sub] of refs) {
    const cur = out.get(top);
    if (sub === undefined || cur === 'all') out.set(top, 'all');
    else out.set(top, (cur ?? new Set<string>()).add(sub));
  }
  return out;
}

export function project(resource: JsonObject, attributes?: Ref[], excluded?: Ref[]): JsonObject {
  if (attributes) {
    const wanted = group(attributes);
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(resource)) {
      const w = wanted.get(k);
      if (ALWAYS.has(k) || w === 'all') out[k] = v;
      else if (w) out[k] = pick(v, w);
    }
    return out;
  }
  if (excluded) {
    const unwanted = group(excluded);
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(resource)) {
      const u = unwanted.get(k);
      if (ALWAYS.has(k) || u === undefined) out[k] = v;
      else if (u !== 'all') out[k] = drop(v, u);
    }
    return out;
  }
  return resource;
}
