import { type Kysely, sql } from 'kysely';

/**
 * Records whose dependency is not on the other side yet (an invoice for a customer created after the run's customers
 * step) wait for the next run instead of failing this one: counted per step, like ignored ones.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sync_step_runs add column deferred integer not null default 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table sync_step_runs drop column deferred`.execute(db);
}
