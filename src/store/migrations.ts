/**
 * Versioned schema migrations. Each entry runs once, in order, inside one
 * transaction guarded by an advisory lock so several instances starting at
 * once migrate exactly once.
 */
import { foldKeyOrNull } from '../domain/fold.ts';
import { directoryKeys } from '../domain/replan.ts';
import type { DirectoryUser } from '../domain/types.ts';
import type { Db, Sql } from './database.ts';

interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Runs after `sql`, in the same transaction: for what SQL alone cannot compute (foldKey). */
  run?: (tx: Sql) => Promise<void>;
}

const versionTriggers = (table: string) => `
create trigger ${table}_version_ins after insert on ${table}
  referencing new table as changed_rows for each statement execute function bump_company_version();
create trigger ${table}_version_upd after update on ${table}
  referencing new table as changed_rows for each statement execute function bump_company_version();
create trigger ${table}_version_del after delete on ${table}
  referencing old table as changed_rows for each statement execute function bump_company_version();
`;

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
create table companies (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  plan text not null check (plan in ('lite', 'premier', 'enterprise')),
  max_users integer not null check (max_users > 0),
  entra_tenant_id text,
  entra_tenant_key text generated always as (lower(entra_tenant_id)) stored,
  root_department_id uuid,
  -- Bumped by triggers on every write to the company's users and departments (B3).
  data_version bigint not null default 0,
  initial_password_hash text,
  deletion_threshold integer not null default 50 check (deletion_threshold >= 0),
  schedule text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint companies_tenant_unique unique (entra_tenant_key)
);

create table departments (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references companies(id) on delete cascade,
  code text not null check (length(code) > 0),
  name text not null,
  parent_id uuid references departments(id) on delete restrict,
  level integer not null check (level >= 0),
  source text not null check (source in ('entra', 'manual')),
  created_at timestamptz not null default now(),
  constraint departments_code_unique unique (company_id, code),
  constraint departments_root_shape check ((level = 0) = (parent_id is null))
);
-- R7: exactly one root per company.
create unique index departments_one_root on departments (company_id) where level = 0;

create table users (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references companies(id) on delete cascade,
  login_name text not null check (length(login_name) > 0),
  login_key text generated always as (lower(login_name)) stored,
  password_hash text not null,
  must_change_password boolean not null default true,
  name text not null,
  yomi text not null default '',
  email text,
  email_key text generated always as (lower(email)) stored,
  phone text,
  memo text not null default '',
  sort_order integer,
  private_contacts jsonb not null default '{}'::jsonb,
  preferred_language text,
  timezone text,
  employee_number text,
  entra_object_id text,
  status text not null default 'active' check (status in ('active', 'suspended')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Deferred so that one import may swap two values between users (R5: checked at commit).
  constraint users_login_unique unique (company_id, login_key) deferrable initially deferred,
  constraint users_email_unique unique (company_id, email_key) deferrable initially deferred,
  constraint users_entra_unique unique (company_id, entra_object_id) deferrable initially deferred
);

create table memberships (
  user_id uuid not null references users(id) on delete cascade,
  department_id uuid not null references departments(id) on delete restrict,
  company_id uuid not null references companies(id) on delete cascade,
  source text not null check (source in ('entra', 'manual')),
  primary key (user_id, department_id)
);
create index memberships_department on memberships (department_id);

create table user_roles (
  user_id uuid not null references users(id) on delete cascade,
  company_id uuid not null references companies(id) on delete cascade,
  role text not null check (role in ('systemAdmin', 'crisisManager', 'manager', 'departmentManager',
    'autoSendResponsible', 'scheduledSendResponsible', 'guest')),
  primary key (user_id, role)
);

create table plans (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references companies(id) on delete cascade,
  status text not null check (status in ('pending', 'applied', 'cancelled', 'expired', 'stale')),
  created_at timestamptz not null,
  expires_at timestamptz not null,
  requested_by text not null,
  source text not null,
  base_data_version bigint not null,
  body jsonb not null,
  run_id uuid,
  cancelled_by text,
  status_changed_at timestamptz
);
create index plans_company on plans (company_id, created_at desc);

create table runs (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references companies(id) on delete cascade,
  plan_id uuid references plans(id) on delete set null,
  kind text not null check (kind in ('import', 'undo', 'scim')),
  status text not null check (status in ('succeeded', 'failed')),
  started_at timestamptz not null,
  finished_at timestamptz not null,
  counts jsonb not null,
  requested_by text,
  confirmed_by text not null,
  error jsonb,
  undone_by_run_id uuid
);
create index runs_company on runs (company_id, started_at desc);

-- Field-level history (B5) that undo (B6) reads: one row per entity changed.
create table change_log (
  id bigserial primary key,
  company_id uuid not null references companies(id) on delete cascade,
  run_id uuid references runs(id) on delete cascade,
  origin text not null check (origin in ('import', 'undo', 'scim', 'api')),
  entity text not null check (entity in ('user', 'department', 'company')),
  entity_id uuid not null,
  action text not null check (action in ('create', 'update', 'delete')),
  before jsonb,
  after jsonb,
  -- What undo needs and history must never show (a deleted user's password hash).
  restore jsonb,
  actor text not null,
  at timestamptz not null default now()
);
create index change_log_company on change_log (company_id, id desc);
create index change_log_run on change_log (run_id);

create table scim_tokens (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references companies(id) on delete cascade,
  token_hash text not null unique,
  label text not null default '',
  created_at timestamptz not null default now(),
  created_by text not null default '',
  last_used_at timestamptz,
  revoked_at timestamptz
);

create table sync_state (
  company_id uuid primary key references companies(id) on delete cascade,
  delta_link text,
  last_scheduled_at timestamptz
);

create function bump_company_version() returns trigger language plpgsql as $$
begin
  update companies set data_version = data_version + 1, updated_at = now()
   where id in (select distinct company_id from changed_rows);
  return null;
end $$;
${versionTriggers('users')}
${versionTriggers('departments')}
${versionTriggers('memberships')}
${versionTriggers('user_roles')}
`,
  },
  {
    version: 3,
    name: 'teams bot: plan cards, pending sign-ins, verified admin sessions',
    sql: `
-- The Teams message that shows a plan card, so every instance (and a restarted one) can
-- replace it for everyone after Confirm or Cancel. state: shown -> importing -> done | failed,
-- or shown -> cancelled | closed (expired, stale).
create table teams_plan_cards (
  plan_id uuid primary key references plans(id) on delete cascade,
  company_id uuid not null references companies(id) on delete cascade,
  conversation_id text not null,
  activity_id text,
  reference jsonb not null,
  locale text not null,
  state text not null default 'shown' check (state in ('shown', 'importing', 'done', 'failed', 'cancelled', 'closed')),
  acted_by text,
  acted_by_name text,
  acted_at timestamptz,
  run_id uuid,
  error jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index teams_plan_cards_company on teams_plan_cards (company_id, created_at desc);

-- A sign-in the bot asked for (Teams SSO OAuth card); the token exchange names it by id.
create table teams_signins (
  id uuid primary key,
  tenant_id text not null,
  aad_object_id text not null,
  command text not null,
  reference jsonb not null,
  locale text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);

-- R2 checked from a verified Teams SSO token: lets the same admin confirm without signing in again.
-- Holds no token.
create table teams_admin_sessions (
  tenant_key text not null,
  aad_object_key text not null,
  company_id uuid not null references companies(id) on delete cascade,
  user_id uuid not null,
  verified_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (tenant_key, aad_object_key)
);
`,
  },
  {
    version: 4,
    name: 'directory mirror for incremental (delta) reads',
    sql: `
-- B7: the company's Entra users as of the last delta round, so a plan reads only what changed.
create table directory_mirror (
  company_id uuid not null references companies(id) on delete cascade,
  entra_id text not null,
  data jsonb not null,
  primary key (company_id, entra_id)
);
alter table sync_state add column mirror_tenant_id text;
alter table sync_state add column mirror_full_at timestamptz;
`,
  },
  {
    version: 5,
    name: 'the data version covers every input of the planner',
    sql: `
-- B3: a plan is computed from the company's users and departments (migration 1's triggers) and
-- from the company row itself: its plan (R1), user limit (R29), linked tenant (R3), initial password
-- (R22) and deletion threshold (B2). Changing any of these after planning makes the plan stale.
create function bump_company_version_on_inputs() returns trigger language plpgsql as $$
begin
  if (new.plan, new.max_users, new.entra_tenant_id, new.initial_password_hash, new.deletion_threshold)
     is distinct from (old.plan, old.max_users, old.entra_tenant_id, old.initial_password_hash, old.deletion_threshold) then
    new.data_version := greatest(new.data_version, old.data_version + 1);
  end if;
  return new;
end $$;
create trigger companies_planner_inputs before update on companies
  for each row execute function bump_company_version_on_inputs();
`,
  },
  {
    version: 6,
    name: 'the directory mirror is keyed by tenant',
    sql: `
-- R3: a mirrored Entra user belongs to one tenant; a company's plan reads only its linked tenant's rows.
alter table directory_mirror add column tenant_key text;
update directory_mirror m set tenant_key = lower(s.mirror_tenant_id)
  from sync_state s where s.company_id = m.company_id and s.mirror_tenant_id is not null;
delete from directory_mirror where tenant_key is null;
alter table directory_mirror alter column tenant_key set not null;
alter table directory_mirror drop constraint directory_mirror_pkey;
alter table directory_mirror add primary key (company_id, tenant_key, entra_id);
`,
  },
  {
    version: 7,
    name: 'users by Entra object id, case-insensitively (the admin lookup of every sign-in and click)',
    sql: `
-- R2 lookups compare object ids case-insensitively; users_entra_unique indexes the raw value only.
create index if not exists users_entra_key on users (company_id, lower(entra_object_id));
`,
  },
  {
    version: 8,
    name: 'login and email keys folded by foldKey, written by the store (defect 8)',
    sql: `
-- Defect 8: PostgreSQL lower() (collation-dependent) decided uniqueness while the planner used
-- JavaScript; the keys are now foldKey (src/domain/fold.ts) of the value, written by the store.
alter table users drop constraint users_login_unique;
alter table users drop constraint users_email_unique;
alter table users drop column login_key;
alter table users drop column email_key;
alter table users add column login_key text;
alter table users add column email_key text;
`,
    async run(tx) {
      const rows = await tx.query<{ id: string; login_name: string; email: string | null }>('select id, login_name, email from users');
      if (rows.length > 0) {
        await tx.query(
          `update users u set login_key = v.lk, email_key = v.ek from unnest($1::uuid[], $2::text[], $3::text[]) as v(id, lk, ek)
            where u.id = v.id`,
          [rows.map((r) => r.id), rows.map((r) => foldKeyOrNull(r.login_name)), rows.map((r) => foldKeyOrNull(r.email))],
        );
      }
      await tx.exec(`
alter table users alter column login_key set not null;
-- Every writer of login_name / email writes foldKey of it too; one that forgets the email key fails here.
alter table users add constraint users_email_key_written check ((email is null) = (email_key is null));
alter table users add constraint users_login_unique unique (company_id, login_key) deferrable initially deferred;
alter table users add constraint users_email_unique unique (company_id, email_key) deferrable initially deferred;
`);
    },
  },
  {
    version: 9,
    name: 'the company time zone the schedule and the tab read in',
    sql: `
-- The schedule's cron expression and every time the tab shows are read in the company's time zone
-- (an IANA name). Not a planner input: changing it leaves pending plans valid.
alter table companies add column time_zone text not null default 'Asia/Tokyo';
`,
  },
  {
    version: 10,
    name: 'bulk writes: change-log and membership foreign keys that cost more than they protect',
    sql: `
-- Issue 9 item 4. Every change_log row is written by the store inside the transaction that holds
-- the company's row lock (and, for imports and undo, the company's import lock B4), with the
-- company id and run id that transaction has just read or created: a dangling reference cannot be
-- written. The foreign keys only added a row-by-row check per logged entity (about 11 s of a
-- 100,000-user first import). Their "on delete cascade" was never used: no code path deletes a
-- company or a run. History outliving its run is harmless; history rows are kept by design (B5).
alter table change_log drop constraint if exists change_log_company_id_fkey;
alter table change_log drop constraint if exists change_log_run_id_fkey;
-- A membership's company is its user's company: memberships.user_id references users (on delete
-- cascade), which references companies. The redundant company reference is dropped; the user and
-- department references stay (they protect deletes: R26 cascade, departments in use restrict).
alter table memberships drop constraint if exists memberships_company_id_fkey;
`,
  },
  {
    version: 11,
    name: 'plans keep a bounded body: the full skipped-user list in its own table',
    sql: `
-- Issue 9 item 5: a plan's body keeps the first skipped users only (the counts by reason are in its
-- summary); the full list is read on demand (SafetyStore.listSkippedUsers), one row per user.
create table plan_skipped_users (
  plan_id uuid not null references plans(id) on delete cascade,
  n integer not null,
  doc jsonb not null,
  primary key (plan_id, n)
);
`,
  },
  {
    version: 13,
    name: 'a full directory round is staged while Graph pages arrive, then switched in at once',
    sql: `
-- Issue 9 item 3: a full round's users are written in batches as Graph's pages arrive, so the mirror
-- write overlaps the read; the round is switched into directory_mirror in one short transaction at
-- the end (mirror-writer.ts), so a reader of the mirror never sees half a round and a failed or
-- aborted read leaves the old mirror and delta link as they were. Rows of a round are only read by
-- the round that wrote them (round_id is random per round): two instances never see each other's.
-- Unlogged: a staged round does not outlive a crash anyway (it is abandoned with its process).
create unlogged table directory_mirror_staging (
  round_id uuid not null,
  company_id uuid not null,
  entra_id text not null,
  data jsonb not null,
  staged_at timestamptz not null
);
create index directory_mirror_staging_round on directory_mirror_staging (round_id);
create index directory_mirror_staging_company on directory_mirror_staging (company_id, staged_at);
`,
  },
  {
    version: 14,
    name: 'the data version in per-company slots, so SCIM writes of one company run side by side',
    sql: `
-- Issue 9 item 7. Every write of a company's users, departments, memberships or roles bumped the one
-- companies.data_version (B3) from a statement trigger, so every such write held the company row until
-- it committed: SCIM writes of one company ran one at a time. The version is now the company row's own
-- part (planner inputs on the row, migration 5) plus a sum over 64 slot rows;
-- a transaction bumps the slot (its transaction id modulo 64), so concurrent
-- writers of one company seldom meet. Every committed write still adds at least 1 to the sum, so a
-- plan made before it is stale after it (B3). company_data_version(id) is the one way to read it.
alter table companies rename column data_version to data_version_base;
create table company_version_slots (
  company_id uuid not null references companies(id) on delete cascade,
  slot integer not null check (slot >= 0 and slot < 64),
  version bigint not null default 0,
  primary key (company_id, slot)
);
insert into company_version_slots (company_id, slot)
  select c.id, s from companies c, generate_series(0, 63) s;

create function company_version_slots_create() returns trigger language plpgsql as $$
begin
  insert into company_version_slots (company_id, slot) select new.id, s from generate_series(0, 63) s;
  return null;
end $$;
create trigger companies_version_slots after insert on companies
  for each row execute function company_version_slots_create();

-- The slot a transaction bumps: the same for all its statements (so it waits for at most one slot),
-- and what the SCIM write lock (company-lock.ts) locks first.
create function company_version_slot() returns integer language sql volatile as $$
  select (txid_current() % 64)::integer
$$;

-- Once per transaction and company: a SCIM PATCH writes four tables in one statement and the user
-- row in the next; one bump is enough for B3 (a plan is stale once any write commits), and the rest
-- only rewrote the slot row. The companies this transaction bumped are kept in a transaction-local
-- setting (undone with the transaction, or with a savepoint rolled back together with its bump).
create or replace function bump_company_version() returns trigger language plpgsql as $$
declare
  company uuid;
  bumped text;
begin
  for company in select distinct company_id from changed_rows loop
    bumped := coalesce(current_setting('safety_sync.version_bumped', true), '');
    if position(company::text in bumped) = 0 then
      update company_version_slots set version = version + 1 where company_id = company and slot = (select company_version_slot());
      perform set_config('safety_sync.version_bumped', bumped || company::text || ',', true);
    end if;
  end loop;
  return null;
end $$;

create or replace function bump_company_version_on_inputs() returns trigger language plpgsql as $$
begin
  if (new.plan, new.max_users, new.entra_tenant_id, new.initial_password_hash, new.deletion_threshold)
     is distinct from (old.plan, old.max_users, old.entra_tenant_id, old.initial_password_hash, old.deletion_threshold) then
    new.data_version_base := greatest(new.data_version_base, old.data_version_base + 1);
  end if;
  return new;
end $$;

create function company_data_version(company uuid) returns bigint language sql stable as $$
  select c.data_version_base + coalesce((select sum(v.version) from company_version_slots v where v.company_id = c.id), 0)::bigint
    from companies c where c.id = company
$$;
`,
  },
  {
    version: 15,
    name: 're-sync proportional to the change: mirror keys, mirror change records, plan positions',
    sql: `
-- Issue 9 item 5. A re-plan after a delta round re-plans only the users connected (by object id,
-- UPN / login name or mail / email key) to what changed (src/domain/replan.ts); it finds them by
-- indexed lookups. The mirror keeps each user's keys, written by the store (foldKey of the values
-- the planner sees: directoryKeys); entra_key is foldKey of the object id.
alter table directory_mirror add column entra_key text;
-- A full round staged while Graph's pages arrive (migration 13) carries the same keys into the mirror.
alter table directory_mirror_staging add column entra_key text;
alter table directory_mirror_staging add column upn_key text;
alter table directory_mirror_staging add column mail_key text;
alter table directory_mirror add column upn_key text;
alter table directory_mirror add column mail_key text;
-- A full round replaces the mirror and starts a new generation; each delta round of a generation
-- has the next sequence number. Change records below a plan's position may be pruned (pruned_seq).
alter table sync_state add column mirror_generation bigint not null default 0;
alter table sync_state add column mirror_seq bigint not null default 0;
alter table sync_state add column mirror_pruned_seq bigint not null default 0;
-- How many users the mirror holds, kept by each round (a re-plan does not count 100,000 rows).
alter table sync_state add column mirror_count bigint;
update sync_state s set mirror_count = (select count(*) from directory_mirror m where m.company_id = s.company_id and m.tenant_key = lower(s.mirror_tenant_id))
 where s.mirror_tenant_id is not null;
-- One row per user a delta round changed or removed, with the keys it had before the round.
create table directory_mirror_changes (
  company_id uuid not null references companies(id) on delete cascade,
  generation bigint not null,
  seq bigint not null,
  entra_key text not null,
  old_upn_key text,
  old_mail_key text
);
create index directory_mirror_changes_position on directory_mirror_changes (company_id, generation, seq);
-- The mirror position a plan was made at, and the data version its apply left (a re-plan's baseline).
alter table plans add column mirror_generation bigint;
alter table plans add column mirror_seq bigint;
alter table plans add column applied_data_version bigint;
-- How many service users the company had when the plan was made (R29 of a re-plan from it).
alter table plans add column service_users integer;
`,
    async run(tx) {
      const rows = await tx.query<{ company_id: string; tenant_key: string; entra_id: string; data: DirectoryUser }>(
        'select company_id, tenant_key, entra_id, data from directory_mirror',
      );
      if (rows.length > 0) {
        const keys = rows.map((r) => directoryKeys(r.data));
        await tx.query(
          `update directory_mirror m set entra_key = v.ek, upn_key = v.uk, mail_key = v.mk
             from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) as v(cid, tk, eid, ek, uk, mk)
            where m.company_id = v.cid and m.tenant_key = v.tk and m.entra_id = v.eid`,
          [rows.map((r) => r.company_id), rows.map((r) => r.tenant_key), rows.map((r) => r.entra_id), keys.map((k) => k.id ?? ''), keys.map((k) => k.login), keys.map((k) => k.mail)],
        );
      }
      await tx.exec(`
alter table directory_mirror alter column entra_key set not null;
create index directory_mirror_entra_key on directory_mirror (company_id, tenant_key, entra_key);
create index directory_mirror_upn_key on directory_mirror (company_id, tenant_key, upn_key);
create index directory_mirror_mail_key on directory_mirror (company_id, tenant_key, mail_key);
-- The users whose object id lower() may key otherwise than foldKey (src/store/replan-view.ts): found without a scan.
create index users_entra_odd on users (company_id) where entra_object_id !~ '^[A-Za-z0-9-]*$';
`);
    },
  },
];

export async function migrate(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(7413001)`);
    await tx.query(`create table if not exists schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`);
    const done = new Set(
      (await tx.query<{ version: number }>('select version from schema_migrations')).map((r) => r.version),
    );
    let applied = 0;
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await tx.exec(m.sql);
      await m.run?.(tx);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      applied++;
    }
    return applied;
  });
}

export interface MigrationStatus {
  /** Versions this build knows and the database has not applied yet (ascending). */
  pending: number[];
  /** The highest applied version (0 for an empty database). */
  current: number;
  latest: number;
}

/** Read-only (readiness): which of this build's migrations the database has applied. Writes nothing. */
export async function migrationStatus(db: Pick<Db, 'query'>): Promise<MigrationStatus> {
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  const [table] = await db.query<{ name: string | null }>(`select to_regclass('schema_migrations')::text as name`);
  const applied = new Set(
    table?.name ? (await db.query<{ version: number }>('select version from schema_migrations')).map((r) => Number(r.version)) : [],
  );
  return {
    pending: MIGRATIONS.map((m) => m.version).filter((v) => !applied.has(v)),
    current: applied.size ? Math.max(...applied) : 0,
    latest,
  };
}
