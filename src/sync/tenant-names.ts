/**
 * The linked Entra tenant's display name (Graph `GET /organization`), for every edge that names the
 * tenant: the tab's status header and the plan (so every card built from it, on any instance, says
 * "Contoso" rather than a GUID). One cache per process, per tenant, for `ttlMs` of the injected
 * clock. Only a label: a failure to read it is logged with a code and answered with the last name
 * known (or null, and the caller shows the id); it never fails a plan or a page.
 */
import { isAppError } from '../domain/errors.ts';
import type { DirectoryReader } from '../directory/graph-reader.ts';

export const TENANT_NAME_TTL_IN_MS = 60 * 60 * 1000;
export const TENANT_NAME_MAX_TENANTS = 10_000;

export interface TenantNameOptions {
  clock?: () => Date;
  /** How long a name read is used before it is read again. Default one hour. */
  ttlMs?: number;
  /** How many tenants are remembered (the oldest read is forgotten first). */
  maxTenants?: number;
  log?: (event: string, fields: Record<string, unknown>) => void;
}

interface Entry {
  name: string | null;
  readAt: number;
}

export class TenantNames {
  private readonly entries = new Map<string, Entry>();
  private readonly clock: () => Date;
  private readonly ttlMs: number;
  private readonly maxTenants: number;
  private readonly log: NonNullable<TenantNameOptions['log']>;

  constructor(options: TenantNameOptions = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.ttlMs = options.ttlMs ?? TENANT_NAME_TTL_IN_MS;
    this.maxTenants = Math.max(1, options.maxTenants ?? TENANT_NAME_MAX_TENANTS);
    this.log = options.log ?? (() => undefined);
  }

  /**
   * The name of `tenantId`, read through `reader` — a reader whose credential belongs to that very
   * tenant (the caller has proven it: the plan's read, or the admin's verified token).
   */
  async nameOf(tenantId: string, reader: Pick<DirectoryReader, 'tenantName'>, options: { signal?: AbortSignal } = {}): Promise<string | null> {
    const now = this.clock().getTime();
    const known = this.entries.get(tenantId);
    if (known && now - known.readAt < this.ttlMs) return known.name;
    if (!reader.tenantName) return known?.name ?? null;
    let name: string | null;
    try {
      name = await reader.tenantName(options.signal ? { signal: options.signal } : {});
    } catch (e) {
      this.log('directory.tenant_name_unavailable', { tenantId, code: isAppError(e) ? e.code : 'INTERNAL', error: e });
      return known?.name ?? null;
    }
    this.entries.delete(tenantId);
    this.entries.set(tenantId, { name, readAt: now });
    if (this.entries.size > this.maxTenants) this.entries.delete(this.entries.keys().next().value!);
    return name;
  }
}
