/** The discovery documents (RFC 7644 §4): what this service provider supports, answered as static JSON. */
import {
  CORE_USER,
  ENTERPRISE_USER,
  LIST_RESPONSE,
  MAX_PAGE,
  RESOURCE_TYPE_SCHEMA,
  SCHEMA_SCHEMA,
  SPC_SCHEMA,
} from './constants.ts';
import type { JsonObject } from './dialect.ts';

export function serviceProviderConfig(base: string): JsonObject {
  return {
    schemas: [SPC_SCHEMA],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A per-company SCIM token issued by the safety service (Authorization: Bearer <token>).',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${base}/scim/v2/ServiceProviderConfig` },
  };
}

type Attr = JsonObject;

const attr = (name: string, extra: Partial<Attr> = {}): Attr => ({
  name,
  type: 'string',
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

const multi = (name: string, description: string): Attr =>
  attr(name, {
    type: 'complex',
    multiValued: true,
    description,
    subAttributes: [
      attr('value'),
      attr('type', { canonicalValues: ['work'] }),
      attr('primary', { type: 'boolean' }),
      attr('display'),
    ],
  });

const USER_ATTRIBUTES: Attr[] = [
  attr('userName', { required: true, uniqueness: 'server', description: 'The login name; compared case-insensitively.' }),
  attr('externalId', { caseExact: true, description: 'The Entra object id; stored as the link the Teams import uses too.' }),
  attr('displayName', { required: true, description: 'The user name shown in the safety service.' }),
  attr('name', {
    type: 'complex',
    subAttributes: [attr('formatted'), attr('givenName'), attr('familyName')],
    description: 'Accepted; only displayName is kept.',
  }),
  attr('active', { type: 'boolean', description: 'false suspends the user (kept, no sign-in).' }),
  multi('emails', 'The work email is kept.'),
  multi('phoneNumbers', 'The work phone number is kept.'),
  multi('roles', 'One role: ADMIN, USER or GUEST.'),
  attr('preferredLanguage'),
  attr('timezone'),
];

const ENTERPRISE_ATTRIBUTES: Attr[] = [
  attr('department', { description: 'Becomes the user\'s Entra department (created under MicrosoftEntraID読み込み部署).' }),
  attr('employeeNumber'),
  attr('manager', { type: 'complex', subAttributes: [attr('value')], description: 'Accepted and ignored.' }),
];

export function schemas(base: string): JsonObject[] {
  return [
    {
      schemas: [SCHEMA_SCHEMA],
      id: CORE_USER,
      name: 'User',
      description: 'User Account',
      attributes: USER_ATTRIBUTES,
      meta: { resourceType: 'Schema', location: `${base}/scim/v2/Schemas/${CORE_USER}` },
    },
    {
      schemas: [SCHEMA_SCHEMA],
      id: ENTERPRISE_USER,
      name: 'EnterpriseUser',
      description: 'Enterprise User',
      attributes: ENTERPRISE_ATTRIBUTES,
      meta: { resourceType: 'Schema', location: `${base}/scim/v2/Schemas/${ENTERPRISE_USER}` },
    },
  ];
}

export function resourceTypes(base: string): JsonObject[] {
  return [
    {
      schemas: [RESOURCE_TYPE_SCHEMA],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: CORE_USER,
      schemaExtensions: [{ schema: ENTERPRISE_USER, required: false }],
      meta: { resourceType: 'ResourceType', location: `${base}/scim/v2/ResourceTypes/User` },
    },
  ];
}

export const listOf = (resources: JsonObject[]): JsonObject => ({
  schemas: [LIST_RESPONSE],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});
