import { type Kysely, sql } from 'kysely';

/**
 * Where a step goes on after its last committed page (activities/sync/activities.ts `syncStep`): a step runs many
 * pages inside one activity, so a retried attempt must not start the step over. Written in each page's own
 * transaction, so it never runs ahead of what the page committed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sync_step_runs add column resume_at jsonb`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sync_step_runs drop column if exists resume_at`.execute(db);
}
