import { type Kysely, sql } from 'kysely';

/**
 * The sync writes pulled records a page at a time (thousands of invoice lines in a statement); the triggers on them
 * were row by row. Two changes, same behaviour:
 * - The change-log triggers (qbsync_log_change) fire for every row the sync writes only to see
 *   `qbsync.origin = 'sync'` and return, after building the row's JSON and queueing an after-trigger event per row.
 *   A WHEN condition keeps PostgreSQL from queueing or calling them at all for the sync's own writes; what the app
 *   writes is logged exactly as before.
 * - An inserted invoice's `invoice.received` event and its delivery row were two function calls and half a dozen
 *   statements per invoice. They become one statement each per INSERT over its new rows (a transition table):
 *   same events in the same order, same deliveries, the "initial import" question asked once per tenant.
 * Updates keep the row trigger (it compares each row with its old version).
 */
const SYNC_WRITE = `coalesce(current_setting('qbsync.origin', true), '') <> 'sync'`;

async function logTriggers(db: Kysely<unknown>): Promise<Array<{ name: string; table: string; definition: string }>> {
  const { rows } = await sql<{ name: string; table: string; definition: string }>`
    select t.tgname as name, c.relname as table, pg_get_triggerdef(t.oid) as definition
    from pg_trigger t
    join pg_class c on c.oid = t.tgrelid
    join pg_proc p on p.oid = t.tgfoid
    where not t.tgisinternal and p.proname = 'qbsync_log_change' and c.relnamespace = current_schema()::regnamespace
    order by c.relname, t.tgname`.execute(db);
  return rows;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const t of await logTriggers(db)) {
    if (/ WHEN \(/.test(t.definition)) continue;
    const definition = t.definition.replace(' EXECUTE FUNCTION ', ` WHEN (${SYNC_WRITE}) EXECUTE FUNCTION `);
    await sql`drop trigger ${sql.id(t.name)} on ${sql.id(t.table)}`.execute(db);
    await sql.raw(definition).execute(db);
  }

  await sql`
    create function qbsync_event_invoices_inserted() returns trigger language plpgsql as $$
    declare
      v_tenants text[];
    begin
      if coalesce(current_setting('qbsync.origin', true), '') <> 'sync' then
        return null;
      end if;
      with emitted as (
        insert into events (tenant_id, type, subject, data)
        select n.tenant_id, 'invoice.received', 'invoice:' || n.id,
          jsonb_build_object('change', 'insert', 'invoice', to_jsonb(n) - 'email_message_id')
        from inserted n
        order by n.id
        returning id, tenant_id, type, subject
      ), delivered as (
        insert into event_deliveries (endpoint_id, event_id, subject)
        select e.id, emitted.id, emitted.subject
        from emitted
        join event_endpoints e on e.tenant_id = emitted.tenant_id and e.enabled
          and (e.types is null or emitted.type = any (e.types))
        returning event_id
      )
      select array_agg(distinct emitted.tenant_id) into v_tenants
      from emitted where emitted.id in (select event_id from delivered);
      if v_tenants is not null then
        perform pg_notify('qbsync_events', t) from unnest(v_tenants) t;
      end if;
      return null;
    end $$;

    create function qbsync_queue_invoice_deliveries() returns trigger language plpgsql as $$
    begin
      insert into invoice_deliveries (invoice_id, tenant_id, status, reason, message_id)
      select n.id, n.tenant_id,
        case when t.initial then 'skipped' else 'pending' end,
        case when t.initial then 'initial import: invoices already in QuickBooks when the tenant connected are not mailed' end,
        format('<invoice.%s.%s@qbsync>', n.tenant_id, n.id)
      from inserted n
      join (
        select d.tenant_id, not exists (
          select 1 from sync_step_runs s join sync_runs r on r.id = s.run_id
          where r.tenant_id = d.tenant_id and s.step = 'invoices' and s.status = 'succeeded') as initial
        from (select distinct tenant_id from inserted where origin = 'quickbooks') d
      ) t on t.tenant_id = n.tenant_id
      where n.origin = 'quickbooks'
      order by n.id
      on conflict (invoice_id) do nothing;
      return null;
    end $$;

    drop trigger invoices_event on invoices;
    create trigger invoices_event after update on invoices for each row execute function qbsync_event_invoice();
    create trigger invoices_event_inserted after insert on invoices referencing new table as inserted
      for each statement execute function qbsync_event_invoices_inserted();
    drop trigger invoices_queue_delivery on invoices;
    create trigger invoices_queue_delivery after insert on invoices referencing new table as inserted
      for each statement execute function qbsync_queue_invoice_deliveries();

    -- Pinned like 0008's: they resolve qbsync's tables whatever the writer's search_path.
    do $$
    begin
      execute format('alter function qbsync_event_invoices_inserted() set search_path = %I', current_schema());
      execute format('alter function qbsync_queue_invoice_deliveries() set search_path = %I', current_schema());
    end $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger if exists invoices_event_inserted on invoices;
    drop trigger if exists invoices_queue_delivery on invoices;
    drop trigger if exists invoices_event on invoices;
    create trigger invoices_event after insert or update on invoices for each row execute function qbsync_event_invoice();
    create trigger invoices_queue_delivery after insert on invoices for each row execute function qbsync_queue_invoice_delivery();
    drop function if exists qbsync_event_invoices_inserted(), qbsync_queue_invoice_deliveries();
  `.execute(db);
  for (const t of await logTriggers(db)) {
    const definition = t.definition.replace(/ WHEN \(.*\) EXECUTE FUNCTION /, ' EXECUTE FUNCTION ');
    await sql`drop trigger ${sql.id(t.name)} on ${sql.id(t.table)}`.execute(db);
    await sql.raw(definition).execute(db);
  }
}
