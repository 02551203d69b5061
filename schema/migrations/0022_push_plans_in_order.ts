import { type Kysely, sql } from 'kysely';

/**
 * A push may save the next page's plan (and send it) while the page before it settles, so a tenant's entity can hold
 * two saved plans for a moment: each is its own row (its plan id in `request_id`), and `seq` says which was planned
 * first — a retry resends and settles them in that order. Settling deletes its own plan only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table push_intents add column seq bigint generated always as identity;
    alter table push_intents drop constraint push_intents_pkey;
    alter table push_intents add primary key (tenant_id, entity, request_id);
    create index push_intents_in_order on push_intents (tenant_id, entity, seq);
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Back to one plan per tenant and entity: the later of two is planned again from the resume point.
  await sql`
    delete from push_intents p where exists (
      select 1 from push_intents q where q.tenant_id = p.tenant_id and q.entity = p.entity and q.seq < p.seq);
    drop index push_intents_in_order;
    alter table push_intents drop constraint push_intents_pkey;
    alter table push_intents drop column seq;
    alter table push_intents add primary key (tenant_id, entity);
  `.execute(db);
}
