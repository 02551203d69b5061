import { type Kysely, sql } from 'kysely';

/**
 * Late references (activities/sync/lateReferences.ts): a pulled record written without a reference whose record is
 * pulled later in the same run (a QuickBooks Desktop customer's price level and tax code, pulled in the items step).
 * One row per record and field, with the record's pulled canonical form, so the reference can be filled and the
 * link's fingerprint moved to the full state once the referenced record is linked.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table sync_late_references (
      tenant_id text not null references tenants(id) on delete cascade,
      backend text not null,
      entity text not null,
      app_id bigint not null,
      field text not null,
      ref_entity text not null,
      ref_remote_id text not null,
      canonical jsonb not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, backend, entity, app_id, field)
    );
    create index sync_late_references_ref on sync_late_references (tenant_id, backend, ref_entity, ref_remote_id);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists sync_late_references`.execute(db);
}
