import { type Kysely, sql } from 'kysely';

/**
 * Every qbsync table, function and trigger lives in a schema of its own (QBSYNC_DB_SCHEMA, default `qbsync`; every
 * connection's search_path names it, see schema/db.ts). Fresh installations create 0001–0007 there directly; an
 * installation made before has them in `public`, and this moves them: tables (with their indexes, constraints,
 * triggers and identity sequences) and the qbsync_* functions. A table is moved only when the schema does not hold
 * one of that name already, so an app's own `public.customers` beside a fresh qbsync is never touched.
 *
 * The trigger functions then resolve names in qbsync's schema whatever the writer's search_path: an app writing
 * `insert into qbsync.sales …` on its own connection needs nothing special.
 */
export const QBSYNC_TABLES = [
  'installation',
  'tenants',
  'qbo_connections',
  'oauth_states',
  'customers',
  'tax_rates',
  'tax_codes',
  'tax_code_rates',
  'items',
  'invoices',
  'invoice_lines',
  'payments',
  'payment_applications',
  'estimates',
  'estimate_lines',
  'app_changes',
  'sync_links',
  'sync_cursors',
  'sync_runs',
  'sync_step_runs',
  'sync_problems',
  'sync_conflicts',
  'push_intents',
  'notices',
  'invoice_deliveries',
  'price_levels',
  'price_level_items',
  'sales',
  'sale_lines',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    do $$
    declare
      target text := current_schema();
      t text;
      f text;
    begin
      if target is null then
        raise exception 'qbsync schema missing: the connection search_path names no existing schema; run qbsync migrate';
      end if;
      if target <> 'public' then
        foreach t in array ${sql.raw(`array[${QBSYNC_TABLES.map((t) => `'${t}'`).join(', ')}]`)} loop
          if to_regclass(format('public.%I', t)) is not null and to_regclass(format('%I.%I', target, t)) is null then
            execute format('alter table public.%I set schema %I', t, target);
          end if;
        end loop;
        for f in
          select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname = 'public' and p.proname like 'qbsync\\_%'
            and not exists (select 1 from pg_proc q join pg_namespace m on m.oid = q.pronamespace
                            where m.nspname = target and q.proname = p.proname)
        loop
          execute format('alter function %s set schema %I', f, target);
        end loop;
      end if;
      for f in
        select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = target and p.proname like 'qbsync\\_%'
      loop
        execute format('alter function %s set search_path = %I', f, target);
      end loop;
    end $$;
  `.execute(db);
}

/** Tables stay in qbsync's schema (the earlier migrations' downs drop them there); only the functions' pinning goes. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    do $$
    declare f text;
    begin
      for f in
        select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = current_schema() and p.proname like 'qbsync\\_%'
      loop
        execute format('alter function %s reset search_path', f);
      end loop;
    end $$;
  `.execute(db);
}
