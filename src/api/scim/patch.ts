/** Applies normalised PATCH operations (dialect.ts) to a SCIM resource with scim-patch. */
import { scimPatch, ScimError as PatchLibError, type ScimPatchOperation, type ScimResource } from 'scim-patch';
import { isObject, parsePath, type JsonObject, type PatchOp } from './dialect.ts';
import { ScimError, type ScimType } from './errors.ts';
import { ENTERPRISE_USER } from './constants.ts';

/** Whether the attribute an operation targets exists at all in the resource. */
function present(doc: JsonObject, op: PatchOp): boolean {
  const p = parsePath(op.path);
  const holder = p.schema === 'enterprise' ? doc[ENTERPRISE_USER] : doc;
  return isObject(holder) && holder[p.attr] !== undefined && holder[p.attr] !== null;
}

export function applyPatch(resource: JsonObject, ops: PatchOp[]): JsonObject {
  let doc = structuredClone(resource);
  for (const op of ops) {
    // Removing what is not there changes nothing (RFC 7644 §3.5.2.2 leaves it to the provider).
    if (op.op === 'remove' && !present(doc, op)) continue;
    try {
      doc = scimPatch(doc as unknown as ScimResource, [op as ScimPatchOperation], {
        mutateDocument: true,
        treatMissingAsAdd: true,
      }) as unknown as JsonObject;
    } catch (e) {
      if (e instanceof PatchLibError) {
        const type = (['invalidSyntax', 'noTarget', 'invalidPath', 'invalidValue'] as const).find((t) => t === e.scimCode);
        throw new ScimError(400, e.message.replace(/^Invalid SCIM Patch: /, ''), (type ?? 'invalidSyntax') as ScimType);
      }
      throw e;
    }
  }
  return doc;
}
