import { type Kysely, sql } from 'kysely';

/**
 * A conflict the policy settled can be resolved by a person choosing a side (the API's
 * `POST /v1/tenants/{tenant}/conflicts/{id}/resolve`): who chose, when, and which side is kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sync_conflicts
              add column resolved_at timestamptz,
              add column resolved_by text,
              add column resolved_keep text check (resolved_keep in ('app', 'quickbooks')),
              add constraint sync_conflicts_resolution_complete
                check ((resolved_at is null) = (resolved_keep is null) and (resolved_at is null) = (resolved_by is null))`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sync_conflicts
              drop constraint sync_conflicts_resolution_complete,
              drop column resolved_keep,
              drop column resolved_by,
              drop column resolved_at`.execute(db);
}
