/**
 * R2: who may plan or confirm an import on the Entra side — a "Cloud Application Administrator or
 * higher". Read from the user token's `wids` claim (directory role template ids; the app
 * registration's `groupMembershipClaims: "DirectoryRole"` puts them there) or, when the token has
 * none, from Graph `GET /me/memberOf` (directoryRole objects carry `roleTemplateId`).
 */
import { z } from 'zod';
import { createGraphRequester, type GraphClientOptions } from './graph-reader.ts';
import type { TokenProvider } from './tokens.ts';

/** Entra built-in role template ids (the same in every tenant). */
export const ROLE_TEMPLATE_IDS = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  privilegedRoleAdministrator: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  applicationAdministrator: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3',
  cloudApplicationAdministrator: '158c047a-c907-4556-b7ef-446551a6b5f7',
} as const;

/** The roles that count as "Cloud Application Administrator or higher" (R2). */
export const SYNC_ADMIN_ROLE_TEMPLATE_IDS: readonly string[] = Object.values(ROLE_TEMPLATE_IDS);

const SYNC_ADMIN_SET = new Set(SYNC_ADMIN_ROLE_TEMPLATE_IDS);

/** True when one of the role template ids is Global, Privileged Role, Application or Cloud Application Administrator. */
export function hasSyncAdminRole(wids: readonly string[] | null | undefined): boolean {
  if (!Array.isArray(wids)) return false;
  return wids.some((w) => typeof w === 'string' && SYNC_ADMIN_SET.has(w.trim().toLowerCase()));
}

const MemberOfItemSchema = z
  .object({
    '@odata.type': z.string().optional(),
    roleTemplateId: z.string().nullish(),
  })
  .passthrough();

/**
 * The role template ids of the directory roles the signed-in user (the token's subject; use an
 * on-behalf-of token) is a member of, from `GET /me/memberOf` (all pages). Groups and
 * administrative units in the answer are ignored.
 */
export async function readMemberOfRoles(
  graphBaseUrl: string,
  tokenProvider: TokenProvider,
  options: { signal?: AbortSignal } & Pick<GraphClientOptions, 'maxRetries' | 'maxRetryDelayInMs' | 'retryDelayInMs'> = {},
): Promise<string[]> {
  const { signal, ...retry } = options;
  const graph = createGraphRequester({ graphBaseUrl, tokenProvider, ...retry });
  const items = await graph.getAllValues('/me/memberOf', signal ? { signal } : {});
  const out: string[] = [];
  for (const item of items) {
    const parsed = MemberOfItemSchema.safeParse(item);
    if (!parsed.success) continue;
    const type = parsed.data['@odata.type'];
    const template = parsed.data.roleTemplateId?.trim().toLowerCase();
    if (template && (type === undefined || type === '#microsoft.graph.directoryRole') && !out.includes(template)) out.push(template);
  }
  return out;
}
