import { type Kysely, sql } from 'kysely';

// A push page reads the next changed record ids in record order; with only the (tenant, entity, id) index every page
// sorted the whole backlog (100,000+ rows after a bulk import with invoice lines), which dominated push time.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index app_changes_by_record on app_changes (tenant_id, entity, record_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index app_changes_by_record`.execute(db);
}
