/**
 * Issue 9 item 5: what an incremental re-plan reads, and nothing more — the company row, its
 * departments, two counts, the latest plan, the mirror's change records since it, and the users
 * connected to them by indexed lookups (a PlanIndex). Everything in one repeatable-read
 * transaction, so the closure, the counts and the data version are of one moment.
 */
import type { BaselineMeta, KeyLists, PlanIndex, ServiceNode } from '../domain/replan.ts';
import type { Company, CompanySettings, Department, DirectoryUser, PlanBody, SafetyUser, SkippedUser } from '../domain/types.ts';
import type { Db, Sql } from './database.ts';
import type { MirrorChange } from './directory-mirror.ts';
import { dataVersionOf } from './company-lock.ts';
import { toCompany, toDepartment, toSettings, type CompanyRow, type DepartmentRow } from './rows.ts';
import { snapshotUsers } from './safety-store.ts';

export interface ReplanHead {
  company: Company;
  settings: CompanySettings;
  departments: Department[];
  dataVersion: number;
  /** How many users the mirror holds (kept by each round; counted when unknown). */
  directoryUsers: number;
  mirror: { generation: number; seq: number; prunedSeq: number; tenantId: string | null };
  /** Whether every service user's object id has a key the lower(entra_object_id) index finds (see below). */
  objectIdsIndexable: boolean;
  /**
   * The plans a re-plan may start from: this mirror generation's, latest position first (any of
   * them that judgeBaseline accepts gives the same plan; the latest has the fewest changes since).
   */
  baselines: BaselineMeta[];
}

/** The per-user items of a baseline plan, with its full skipped-user list. */
export type BaselineItems = Pick<PlanBody, 'changes' | 'errors' | 'warnings' | 'skippedUsers'>;

export class ReplanView implements PlanIndex {
  constructor(
    private readonly sql: Sql,
    private readonly companyId: string,
    private readonly tenantId: string,
  ) {}

  async head(): Promise<ReplanHead | null> {
    const [row] = await this.sql.query<CompanyRow>(`select *, ${dataVersionOf('id')} as data_version from companies where id = $1`, [this.companyId]);
    if (!row) return null;
    const departments = (
      await this.sql.query<DepartmentRow>('select * from departments where company_id = $1 order by level, code', [this.companyId])
    ).map(toDepartment);
    const [odd] = await this.sql.query<{ odd_ids: boolean }>(
      // The service side is looked up by lower(entra_object_id) (index users_entra_key) while the
      // planner keys an object id by foldKey (trim, NFKC, lower case): equal for ids of plain
      // letters, digits and dashes (every Graph object id). Any other id: plan in full
      // (index users_entra_odd of migration 15 holds exactly those users: no scan).
      `select exists (select 1 from users where company_id = $1 and entra_object_id !~ '^[A-Za-z0-9-]*$') as odd_ids`,
      [this.companyId],
    );
    const [state] = await this.sql.query<{
      mirror_generation: string | number;
      mirror_seq: string | number;
      mirror_pruned_seq: string | number;
      mirror_tenant_id: string | null;
      mirror_count: string | number | null;
    }>(
      'select mirror_generation, mirror_seq, mirror_pruned_seq, mirror_tenant_id, mirror_count from sync_state where company_id = $1',
      [this.companyId],
    );
    const generation = Number(state?.mirror_generation ?? 0);
    const plans = await this.sql.query<{
      id: string;
      status: string;
      base_data_version: string | number;
      applied_data_version: string | number | null;
      mirror_seq: string | number;
      service_users: number | null;
    }>(
      // Only import plans carry a mirror position. Their bodies are not read here (a first import's is large):
      // a generation is of one tenant (a re-linked company's mirror is replaced), so its plans are of the mirror's tenant.
      `select id, status, base_data_version, applied_data_version, mirror_seq, service_users
         from plans where company_id = $1 and mirror_generation = $2 order by mirror_seq desc, created_at desc, id limit 10`,
      [this.companyId, generation],
    );
    return {
      company: toCompany(row),
      settings: toSettings(row),
      departments,
      dataVersion: Number(row.data_version),
      directoryUsers: state?.mirror_count == null ? await this.countMirror() : Number(state.mirror_count),
      objectIdsIndexable: !odd?.odd_ids,
      mirror: {
        generation,
        seq: Number(state?.mirror_seq ?? 0),
        prunedSeq: Number(state?.mirror_pruned_seq ?? 0),
        tenantId: state?.mirror_tenant_id ?? null,
      },
      baselines: plans.map((plan) => ({
        id: plan.id,
        kind: 'import',
        status: plan.status,
        tenantId: state?.mirror_tenant_id ?? null,
        baseDataVersion: Number(plan.base_data_version),
        appliedDataVersion: plan.applied_data_version === null ? null : Number(plan.applied_data_version),
        mirror: { generation, seq: Number(plan.mirror_seq) },
        serviceUsers: plan.service_users === null ? null : Number(plan.service_users),
      })),
    };
  }

  private async countMirror(): Promise<number> {
    const [r] = await this.sql.query<{ n: string | number }>(
      'select count(*) as n from directory_mirror where company_id = $1 and tenant_key = lower($2)',
      [this.companyId, this.tenantId],
    );
    return Number(r?.n ?? 0);
  }

  /** The company's service users, counted (when no baseline recorded the count). */
  async countServiceUsers(): Promise<number> {
    const [r] = await this.sql.query<{ n: string | number }>('select count(*) as n from users where company_id = $1', [this.companyId]);
    return Number(r?.n ?? 0);
  }

  /** The users the mirror's delta rounds changed or removed after `seq` (this generation). */
  async changesSince(generation: number, seq: number): Promise<MirrorChange[]> {
    const rows = await this.sql.query<{ entra_key: string; old_upn_key: string | null; old_mail_key: string | null }>(
      'select entra_key, old_upn_key, old_mail_key from directory_mirror_changes where company_id = $1 and generation = $2 and seq > $3',
      [this.companyId, generation, seq],
    );
    return rows.map((r) => ({ entraKey: r.entra_key, oldUpnKey: r.old_upn_key, oldMailKey: r.old_mail_key }));
  }

  /** The baseline's per-user items, with every skipped user (stored apart when the list is long). */
  async baselineItems(planId: string): Promise<BaselineItems> {
    const [row] = await this.sql.query<{ changes: PlanBody['changes']; errors: PlanBody['errors']; warnings: PlanBody['warnings']; skipped: SkippedUser[] }>(
      `select body->'changes' as changes, body->'errors' as errors, body->'warnings' as warnings, body->'skippedUsers' as skipped
         from plans where id = $1`,
      [planId],
    );
    if (!row) throw new Error('baseline plan vanished inside its transaction');
    const stored = await this.sql.query<{ doc: SkippedUser | string }>('select doc from plan_skipped_users where plan_id = $1 order by n', [planId]);
    const skippedUsers = stored.length > 0 ? stored.map((r) => (typeof r.doc === 'string' ? (JSON.parse(r.doc) as SkippedUser) : r.doc)) : row.skipped;
    return { changes: row.changes, errors: row.errors, warnings: row.warnings, skippedUsers };
  }

  // One index lookup per kind of key (union all: a user holding two of the keys comes twice; the
  // closure counts each once), so that no arm becomes a filter over the company's rows.
  async directoryByKeys(keys: KeyLists): Promise<DirectoryUser[]> {
    const rows = await this.sql.query<{ data: DirectoryUser }>(
      // Each user once (distinct on its id), so its document is sent and parsed once.
      `select distinct on (k.entra_id) k.data from (
         select entra_id, data from directory_mirror where company_id = $1 and tenant_key = lower($2) and entra_key = any($3::text[])
         union all select entra_id, data from directory_mirror where company_id = $1 and tenant_key = lower($2) and upn_key = any($4::text[])
         union all select entra_id, data from directory_mirror where company_id = $1 and tenant_key = lower($2) and mail_key = any($5::text[])
       ) k order by k.entra_id`,
      [this.companyId, this.tenantId, keys.ids, keys.logins, keys.mails],
    );
    return rows.map((r) => r.data);
  }

  async serviceByKeys(keys: KeyLists): Promise<ServiceNode[]> {
    const rows = await this.sql.query<{ id: string; entra_object_id: string | null; login_name: string; email: string | null }>(
      `select id, entra_object_id, login_name, email from users where company_id = $1 and lower(entra_object_id) = any($2::text[])
       union all select id, entra_object_id, login_name, email from users where company_id = $1 and login_key = any($3::text[])
       union all select id, entra_object_id, login_name, email from users where company_id = $1 and email_key = any($4::text[])`,
      [this.companyId, keys.ids, keys.logins, keys.mails],
    );
    return rows.map((r) => ({ id: r.id, entraObjectId: r.entra_object_id, loginName: r.login_name, email: r.email }));
  }

  /** The closure's service users, complete (memberships, roles), in the snapshot's order. */
  loadService(ids: string[]): Promise<SafetyUser[]> {
    return snapshotUsers(this.sql, this.companyId, ids);
  }
}

/** Runs `fn` over a ReplanView inside one repeatable-read transaction (read only). */
export function withReplanView<T>(db: Db, companyId: string, tenantId: string, fn: (view: ReplanView) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    if (db.kind === 'postgres') await tx.query('set transaction isolation level repeatable read');
    return fn(new ReplanView(tx, companyId, tenantId));
  });
}
