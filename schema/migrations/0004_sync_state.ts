import { type Kysely, sql } from 'kysely';

/**
 * What the sync remembers: links between app and QuickBooks records (with the fingerprint of the last state both
 * sides agreed on), a pull cursor per entity, runs and step runs with counts, per-record problems, conflicts,
 * and push intents (a QuickBooks write planned and saved before it is sent, so a retry resends exactly it).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table sync_links (
      tenant_id text not null references tenants(id) on delete cascade,
      entity text not null,
      app_id bigint not null,
      qbo_id text not null,
      qbo_sync_token text,
      fingerprint text not null,
      agreed_at timestamptz not null default now(),
      primary key (tenant_id, entity, app_id),
      unique (tenant_id, entity, qbo_id)
    );

    create table sync_cursors (
      tenant_id text not null references tenants(id) on delete cascade,
      entity text not null,
      state jsonb not null,
      updated_at timestamptz not null default now(),
      primary key (tenant_id, entity)
    );

    create table sync_runs (
      id text primary key,
      tenant_id text not null references tenants(id) on delete cascade,
      workflow_id text not null,
      trigger text not null,
      status text not null check (status in ('running', 'succeeded', 'failed', 'cancelled')),
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      error jsonb
    );
    create index sync_runs_tenant_started on sync_runs (tenant_id, started_at desc);

    create table sync_step_runs (
      run_id text not null references sync_runs(id) on delete cascade,
      step text not null,
      position integer not null,
      status text not null check (status in ('pending', 'running', 'succeeded', 'failed', 'skipped')),
      started_at timestamptz,
      finished_at timestamptz,
      pulled_created integer not null default 0,
      pulled_updated integer not null default 0,
      pulled_unchanged integer not null default 0,
      pulled_failed integer not null default 0,
      pulled_deleted integer not null default 0,
      pushed_created integer not null default 0,
      pushed_updated integer not null default 0,
      pushed_unchanged integer not null default 0,
      pushed_failed integer not null default 0,
      pushed_deleted integer not null default 0,
      conflicts integer not null default 0,
      pages integer not null default 0,
      error jsonb,
      primary key (run_id, step)
    );

    create table sync_problems (
      id bigint generated always as identity primary key,
      tenant_id text not null references tenants(id) on delete cascade,
      run_id text references sync_runs(id) on delete cascade,
      step text not null,
      entity text not null,
      direction text not null check (direction in ('pull', 'push')),
      app_id bigint,
      qbo_id text,
      record_label text,
      code text,
      message text not null,
      detail text,
      user_action text,
      skipped boolean not null default false,
      created_at timestamptz not null default now()
    );
    create index sync_problems_run on sync_problems (run_id);

    create table sync_conflicts (
      id bigint generated always as identity primary key,
      tenant_id text not null references tenants(id) on delete cascade,
      run_id text references sync_runs(id) on delete cascade,
      entity text not null,
      app_id bigint,
      qbo_id text,
      policy text not null,
      winner text not null check (winner in ('app', 'quickbooks')),
      app_version jsonb not null,
      qbo_version jsonb not null,
      decided_at timestamptz not null default now()
    );

    create table push_intents (
      tenant_id text not null references tenants(id) on delete cascade,
      entity text not null,
      request_id text not null,
      plan jsonb not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, entity)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists push_intents, sync_conflicts, sync_problems, sync_step_runs, sync_runs, sync_cursors, sync_links cascade`.execute(
    db,
  );
}
