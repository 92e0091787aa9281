/** SCIM 2.0 names (RFC 7643/7644) the endpoint speaks, and the canonical spelling of every attribute it knows. */
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Largest SCIM request body accepted (Entra's payloads are a few kilobytes). */
export const MAX_SCIM_BODY_BYTES = 128 * 1024;
/** Largest page a list answers (advertised as filter.maxResults). */
export const MAX_PAGE = 200;
export const DEFAULT_PAGE = 100;
export const MAX_PATCH_OPERATIONS = 100;

const names = (list: string[]) => new Map(list.map((n) => [n.toLowerCase(), n]));

/** Core User attributes (RFC 7643 §4.1) in canonical spelling. Attribute names are case-insensitive. */
export const CORE_ATTRIBUTES = names([
  'id', 'externalId', 'meta', 'schemas', 'userName', 'name', 'displayName', 'nickName', 'profileUrl', 'title',
  'userType', 'preferredLanguage', 'locale', 'timezone', 'active', 'password', 'emails', 'phoneNumbers', 'ims',
  'photos', 'addresses', 'groups', 'entitlements', 'roles', 'x509Certificates',
]);

/** Enterprise User extension attributes (RFC 7643 §4.3). */
export const ENTERPRISE_ATTRIBUTES = names(['employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager']);

/** Sub-attributes of complex and multi-valued attributes. */
export const SUB_ATTRIBUTES = names([
  'value', 'display', 'type', 'primary', '$ref', 'formatted', 'familyName', 'givenName', 'middleName',
  'honorificPrefix', 'honorificSuffix', 'streetAddress', 'locality', 'region', 'postalCode', 'country',
  'displayName', 'resourceType', 'created', 'lastModified', 'location', 'version',
]);

/** Attributes whose values are booleans (Entra may send them as "True"/"False"). */
export const BOOLEAN_ATTRIBUTES = new Set(['active', 'primary']);

/** Attributes compared case-sensitively in filters (caseExact in RFC 7643). */
export const CASE_EXACT_ATTRIBUTES = new Set(['id', 'externalId']);

export const canonicalCore = (name: string): string | undefined => CORE_ATTRIBUTES.get(name.toLowerCase());
export const canonicalEnterprise = (name: string): string | undefined => ENTERPRISE_ATTRIBUTES.get(name.toLowerCase());
export const canonicalSub = (name: string): string => SUB_ATTRIBUTES.get(name.toLowerCase()) ?? name;

/** The schema URN a path or key names: the core one, the enterprise one, or another (unsupported) one. */
export function schemaOf(urn: string): 'core' | 'enterprise' | 'unknown' {
  const u = urn.toLowerCase();
  if (u === CORE_USER.toLowerCase()) return 'core';
  if (u === ENTERPRISE_USER.toLowerCase()) return 'enterprise';
  return 'unknown';
}
