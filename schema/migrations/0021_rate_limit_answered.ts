import { type Kysely, sql } from 'kysely';
import { createAcquireFunction } from './0017_rate_limits';

/**
 * A request counts in the realm's window from its answer, not its start. QuickBooks counts a request when it arrives,
 * which is between our start and our answer: counted from its start, the next request could reach QuickBooks less than
 * a window after it (it had to travel, the next one travelled faster), so the window needed a margin of ~3 % on our
 * side; counted from the answer it never can, and the window is QuickBooks' own. Until answered a request counts as in
 * the window; one whose worker died holding it counts from the end of its lease (its answer, if any, came before).
 * Rows released by an older worker (no answered_at) still count from their start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table rate_limit_slots add column answered_at timestamptz`.execute(db);
  await sql`
    create index rate_limit_slots_realm_counted
      on rate_limit_slots (realm_id, (coalesce(answered_at, lease_until, started_at)))`.execute(db);
  await createAcquireFunction(db, 'answer');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await createAcquireFunction(db, 'start');
  await sql`drop index rate_limit_slots_realm_counted`.execute(db);
  await sql`alter table rate_limit_slots drop column answered_at`.execute(db);
}
