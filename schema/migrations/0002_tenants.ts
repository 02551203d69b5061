import { type Kysely, sql } from 'kysely';

/**
 * Tenants (one app account linked to one QuickBooks company) and their connections. Tokens are stored encrypted
 * (AES-256-GCM, see activities/connection/crypto.ts); a realm can belong to one tenant only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table tenants (
      id text primary key check (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
      name text not null,
      mode text not null default 'billing' check (mode in ('billing', 'order-taking')),
      settings jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );

    create table qbo_connections (
      tenant_id text primary key references tenants(id) on delete cascade,
      realm_id text not null unique,
      environment text not null check (environment in ('emulator', 'sandbox', 'production')),
      api_base_url text not null,
      status text not null check (status in ('connected', 'needs-reconnect', 'disconnected')),
      access_token_enc text,
      access_token_expires_at timestamptz,
      refresh_token_enc text,
      refresh_token_expires_at timestamptz,
      refresh_token_hard_expires_at timestamptz,
      -- Which encryption key wrote the token columns (crypto.ts key id); rows under an old key are rewritten on their next write.
      key_version text,
      connected_at timestamptz not null default now(),
      last_refreshed_at timestamptz,
      last_error text
    );

    create table oauth_states (
      state text primary key,
      tenant_id text not null references tenants(id) on delete cascade,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      used_at timestamptz
    );

    create index oauth_states_expires_at on oauth_states (expires_at);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists oauth_states, qbo_connections, tenants cascade`.execute(db);
}
