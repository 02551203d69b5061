import { type Kysely, sql } from 'kysely';

/**
 * Per-tenant secrets (the webhook signing secret), encrypted like tokens (activities/connection/crypto.ts, the tenant
 * and name as associated data): set through the CLI, never named in settings, never an environment variable.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table tenant_secrets (
      tenant_id text not null references tenants(id) on delete cascade,
      name text not null check (name in ('webhook')),
      value_enc text not null,
      key_version text not null,
      updated_at timestamptz not null default now(),
      primary key (tenant_id, name)
    );
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists tenant_secrets`.execute(db);
}
