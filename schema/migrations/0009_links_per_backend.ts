import { type Kysely, sql } from 'kysely';

/**
 * Links, problems and conflicts name the backend's record generically (`remote_id`, `remote_version`) and links say
 * which backend they belong to, so a second backend (QuickBooks Desktop, Reckon) needs no table of its own. Every
 * existing link was made with QuickBooks Online and is carried over as such.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table tenants add column backend text not null default 'quickbooks-online'
      check (backend in ('quickbooks-online', 'quickbooks-desktop', 'memory'));
    alter table sync_links add column backend text not null default 'quickbooks-online';
    alter table sync_links alter column backend drop default;
    alter table sync_links rename column qbo_id to remote_id;
    alter table sync_links rename column qbo_sync_token to remote_version;
    alter table sync_links drop constraint sync_links_pkey;
    alter table sync_links drop constraint sync_links_tenant_id_entity_qbo_id_key;
    alter table sync_links add primary key (tenant_id, entity, backend, app_id);
    alter table sync_links add constraint sync_links_remote_unique unique (tenant_id, entity, backend, remote_id);
    alter table sync_problems rename column qbo_id to remote_id;
    alter table sync_conflicts rename column qbo_id to remote_id;
    alter table sync_conflicts rename column qbo_version to remote_version;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sync_conflicts rename column remote_version to qbo_version;
    alter table sync_conflicts rename column remote_id to qbo_id;
    alter table sync_problems rename column remote_id to qbo_id;
    alter table sync_links drop constraint sync_links_remote_unique;
    alter table sync_links drop constraint sync_links_pkey;
    delete from sync_links where backend <> 'quickbooks-online';
    alter table sync_links rename column remote_version to qbo_sync_token;
    alter table sync_links rename column remote_id to qbo_id;
    alter table sync_links drop column backend;
    alter table tenants drop column backend;
    alter table sync_links add primary key (tenant_id, entity, app_id);
    alter table sync_links add constraint sync_links_tenant_id_entity_qbo_id_key unique (tenant_id, entity, qbo_id);
  `.execute(db);
}
