import { type Kysely, sql } from 'kysely';

/**
 * The per-run notices (email, webhook, log) are a subscriber of the outbox: they are produced from its `sync.succeeded`
 * and `sync.failed` events, in order, each once. This is the subscriber's position per tenant; existing tenants start
 * after their newest event (nothing old is announced again).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table notice_cursors (
              tenant_id text primary key references tenants (id) on delete cascade,
              last_event_id bigint not null,
              updated_at timestamptz not null default now())`.execute(db);
  await sql`insert into notice_cursors (tenant_id, last_event_id)
            select t.id, coalesce(max(e.id), 0) from tenants t left join events e on e.tenant_id = t.id group by t.id`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table notice_cursors`.execute(db);
}
