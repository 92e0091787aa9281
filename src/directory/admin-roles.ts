/**
 * R2: who may plan or confirm an import on the Entra side — a "Cloud Application Administrator or
 * higher". Read from the user token's `wids` claim (directory role template ids; the app
 * registration's `groupMembershipClaims: "DirectoryRole"` puts them there) or, when the token has
 * none, from Graph `GET /me/memberOf` (directoryRole objects carry `roleTemplateId`).
 */
import { z } from 'zod';
import { createGraphRequester, type GraphClientOptions } from './graph-reader.ts';
import type { TokenProvider } from './tokens.ts';

// The R2 role set is a domain rule (src/domain/access.ts); re-exported for the directory's callers.
export { ROLE_TEMPLATE_IDS, SYNC_ADMIN_ROLE_TEMPLATE_IDS, hasSyncAdminRole } from '../domain/access.ts';

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
