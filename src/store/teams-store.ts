/**
 * What the bot must remember across turns, restarts and instances (DESIGN §1 Storage): the
 * message that shows each plan card, the sign-ins it asked for, and the admins whose R2 check
 * passed from a verified SSO token. Tables from migration 3 (src/store/migrations.ts).
 * Never a token. `R` is the Teams SDK's conversation reference, stored as JSON (the store knows no
 * Teams types: botbuilder stays behind src/teams/).
 */
import type { Db } from './database.ts';

export type CardState = 'shown' | 'importing' | 'done' | 'failed' | 'cancelled' | 'closed';

export interface PlanCardRecord<R = unknown> {
  planId: string;
  companyId: string;
  conversationId: string;
  activityId: string | null;
  reference: R;
  locale: string;
  state: CardState;
  actedBy: string | null;
  actedByName: string | null;
  actedAt: string | null;
  runId: string | null;
  error: { code: string; message: string } | null;
}

interface PlanCardRow<R> {
  plan_id: string;
  company_id: string;
  conversation_id: string;
  activity_id: string | null;
  reference: R;
  locale: string;
  state: CardState;
  acted_by: string | null;
  acted_by_name: string | null;
  acted_at: Date | string | null;
  run_id: string | null;
  error: { code: string; message: string } | null;
}

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());

const toCard = <R>(r: PlanCardRow<R>): PlanCardRecord<R> => ({
  planId: r.plan_id,
  companyId: r.company_id,
  conversationId: r.conversation_id,
  activityId: r.activity_id,
  reference: r.reference,
  locale: r.locale,
  state: r.state,
  actedBy: r.acted_by,
  actedByName: r.acted_by_name,
  actedAt: iso(r.acted_at),
  runId: r.run_id,
  error: r.error,
});

export interface PendingSignIn<R = unknown> {
  id: string;
  tenantId: string;
  aadObjectId: string;
  command: 'sync';
  reference: R;
  locale: string;
  expiresAt: string;
}

export interface AdminSession {
  companyId: string;
  userId: string;
  verifiedAt: string;
  expiresAt: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface SignInRow<R> {
  id: string;
  tenant_id: string;
  aad_object_id: string;
  command: 'sync';
  reference: R;
  locale: string;
  expires_at: Date | string;
}

const toSignIn = <R>(row: SignInRow<R>): PendingSignIn<R> => ({
  id: row.id,
  tenantId: row.tenant_id,
  aadObjectId: row.aad_object_id,
  command: row.command,
  reference: row.reference,
  locale: row.locale,
  expiresAt: new Date(row.expires_at).toISOString(),
});

export class TeamsStore<R = unknown> {
  constructor(private readonly db: Db) {}

  // ------------------------------------------------------------ plan cards

  async savePlanCard(card: {
    planId: string;
    companyId: string;
    conversationId: string;
    reference: R;
    locale: string;
  }): Promise<void> {
    await this.db.query(
      `insert into teams_plan_cards (plan_id, company_id, conversation_id, reference, locale) values ($1, $2, $3, $4, $5)`,
      [card.planId, card.companyId, card.conversationId, JSON.stringify(card.reference), card.locale],
    );
  }

  async setPlanCardActivity(planId: string, activityId: string): Promise<void> {
    await this.db.query('update teams_plan_cards set activity_id = $2, updated_at = now() where plan_id = $1', [planId, activityId]);
  }

  /** The company's most recent plan card: where a scheduled plan is posted for approval (B7). */
  async latestPlanCard(companyId: string): Promise<PlanCardRecord<R> | null> {
    const [row] = await this.db.query<PlanCardRow<R>>(
      'select * from teams_plan_cards where company_id = $1 order by created_at desc limit 1',
      [companyId],
    );
    return row ? toCard(row) : null;
  }

  async getPlanCard(planId: string): Promise<PlanCardRecord<R> | null> {
    if (!UUID_RE.test(planId)) return null;
    const [row] = await this.db.query<PlanCardRow<R>>('select * from teams_plan_cards where plan_id = $1', [planId]);
    return row ? toCard(row) : null;
  }

  /**
   * Moves a card from one state to the next, atomically: only one click (on any instance) wins.
   * Returns the updated record, or null when the card was no longer in `from`.
   */
  async transition(
    planId: string,
    from: CardState[],
    to: CardState,
    fields: { actedBy?: string; actedByName?: string; runId?: string | null; error?: { code: string; message: string } | null } = {},
  ): Promise<PlanCardRecord<R> | null> {
    const [row] = await this.db.query<PlanCardRow<R>>(
      `update teams_plan_cards
          set state = $3,
              acted_by = coalesce($4, acted_by),
              acted_by_name = coalesce($5, acted_by_name),
              acted_at = case when $4::text is null then acted_at else now() end,
              run_id = coalesce($6::uuid, run_id),
              error = coalesce($7::jsonb, error),
              updated_at = now()
        where plan_id = $1 and state = any($2::text[])
        returning *`,
      [
        planId,
        from,
        to,
        fields.actedBy ?? null,
        fields.actedByName ?? null,
        fields.runId ?? null,
        fields.error ? JSON.stringify(fields.error) : null,
      ],
    );
    return row ? toCard(row) : null;
  }

  // ------------------------------------------------------------ sign-ins

  async savePendingSignIn(s: PendingSignIn<R>): Promise<void> {
    await this.db.query(
      `insert into teams_signins (id, tenant_id, aad_object_id, command, reference, locale, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [s.id, s.tenantId, s.aadObjectId, s.command, JSON.stringify(s.reference), s.locale, s.expiresAt],
    );
    // Housekeeping: sign-ins nobody finished.
    await this.db.query(`delete from teams_signins where expires_at < now() - interval '1 day'`);
  }

  /** A sign-in the bot asked for; null when unknown or expired. */
  async getPendingSignIn(id: string, now: Date = new Date()): Promise<PendingSignIn<R> | null> {
    if (!UUID_RE.test(id)) return null;
    const [row] = await this.db.query<SignInRow<R>>('select * from teams_signins where id = $1 and expires_at > $2', [id, now]);
    return row ? toSignIn(row) : null;
  }

  /** A sign-in is used once (Teams on several devices exchanges the same one). True when this call removed it. */
  async deletePendingSignIn(id: string): Promise<boolean> {
    if (!UUID_RE.test(id)) return false;
    return (await this.db.query('delete from teams_signins where id = $1 returning id', [id])).length === 1;
  }

  /** The newest unexpired sign-in of this user (signin/verifyState names none). */
  async latestPendingSignIn(tenantId: string, aadObjectId: string, now: Date = new Date()): Promise<PendingSignIn<R> | null> {
    const [row] = await this.db.query<SignInRow<R>>(
      `select * from teams_signins where lower(tenant_id) = lower($1) and lower(aad_object_id) = lower($2) and expires_at > $3
        order by created_at desc limit 1`,
      [tenantId, aadObjectId, now],
    );
    return row ? toSignIn(row) : null;
  }

  // ------------------------------------------------------------ admin sessions

  async saveAdminSession(tenantId: string, aadObjectId: string, s: AdminSession): Promise<void> {
    await this.db.query(
      `insert into teams_admin_sessions (tenant_key, aad_object_key, company_id, user_id, verified_at, expires_at)
       values (lower($1), lower($2), $3, $4, $5, $6)
       on conflict (tenant_key, aad_object_key) do update
         set company_id = excluded.company_id, user_id = excluded.user_id,
             verified_at = excluded.verified_at, expires_at = excluded.expires_at`,
      [tenantId, aadObjectId, s.companyId, s.userId, s.verifiedAt, s.expiresAt],
    );
  }

  async getAdminSession(tenantId: string, aadObjectId: string, now: Date = new Date()): Promise<AdminSession | null> {
    const [row] = await this.db.query<{
      company_id: string;
      user_id: string;
      verified_at: Date | string;
      expires_at: Date | string;
    }>(
      `select * from teams_admin_sessions where tenant_key = lower($1) and aad_object_key = lower($2) and expires_at > $3`,
      [tenantId, aadObjectId, now],
    );
    if (!row) return null;
    return {
      companyId: row.company_id,
      userId: row.user_id,
      verifiedAt: new Date(row.verified_at).toISOString(),
      expiresAt: new Date(row.expires_at).toISOString(),
    };
  }
}
