/**
 * R3: one company, one Entra tenant. Whether a tenant read from a Graph credential is the company's
 * linked tenant is decided here, once; the readers, the sync service and the planner call it.
 */
import { AppError } from './errors.ts';

/** Tenant ids are GUIDs: compared without case or surrounding blanks. */
export function sameTenant(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/**
 * Refuses with TENANT_MISMATCH when the company is linked to a tenant and the credential belongs
 * to another one. A company not linked yet accepts any tenant (its first import links it; the
 * sync service refuses a tenant that another company holds: TENANT_ALREADY_LINKED).
 */
export function assertLinkedTenant(linkedTenantId: string | null | undefined, readTenantId: string): void {
  if (linkedTenantId === null || linkedTenantId === undefined || linkedTenantId.trim() === '') return;
  if (sameTenant(linkedTenantId, readTenantId)) return;
  throw new AppError(
    'TENANT_MISMATCH',
    `The company is linked to the Entra tenant ${linkedTenantId}, but the directory credential belongs to the tenant ${readTenantId}; nothing was read.`,
    { companyTenantId: linkedTenantId, directoryTenantId: readTenantId },
  );
}
