import { type Kysely, sql } from 'kysely';

/**
 * What the app hears, and how it reaches qbsync without sharing the database.
 *
 * events: a transactional outbox. Triggers on the tables the sync writes insert an event in the very transaction
 * that made the change (so an event exists if and only if its change committed), and fan it out to every enabled
 * endpoint of the tenant that subscribes to its type (event_deliveries). A dispatcher (activities/events) POSTs each
 * delivery, signed per Standard Webhooks, at least once, in event order per endpoint and subject (the record),
 * retrying with exponential backoff over hours.
 *
 * api_keys: per-app keys for the REST API, stored as SHA-256 of a 256-bit random secret, scoped to tenants, revocable.
 * idempotency_keys: the first answer to a write carrying an Idempotency-Key, replayed to any repeat.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table event_endpoints (
      id bigint generated always as identity primary key,
      tenant_id text not null references tenants(id) on delete cascade,
      url text not null,
      -- whsec_<base64>, encrypted at rest (activities/connection/crypto.ts).
      secret_enc text not null,
      -- null: every event type.
      types text[],
      description text,
      enabled boolean not null default true,
      created_at timestamptz not null default now()
    );

    create table events (
      id bigint generated always as identity primary key,
      event_id text not null unique default ('msg_' || replace(gen_random_uuid()::text, '-', '')),
      tenant_id text not null references tenants(id) on delete cascade,
      type text not null check (type in ('invoice.received', 'sale.handed_over', 'record.rejected',
                                         'sync.succeeded', 'sync.failed', 'connection.needs_reconnect')),
      -- The record the event is about (e.g. invoice:42); deliveries of one subject go out in id order.
      subject text not null,
      data jsonb not null,
      created_at timestamptz not null default clock_timestamp()
    );
    create index events_tenant_created on events (tenant_id, created_at, id);

    create table event_deliveries (
      endpoint_id bigint not null references event_endpoints(id) on delete cascade,
      event_id bigint not null references events(id) on delete cascade,
      subject text not null,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
      attempts integer not null default 0,
      next_attempt_at timestamptz not null default clock_timestamp(),
      -- A dispatcher holds a delivery until then; one that dies lets it go to the next.
      locked_until timestamptz,
      last_attempt_at timestamptz,
      last_status integer,
      last_error text,
      delivered_at timestamptz,
      primary key (endpoint_id, event_id)
    );
    create index event_deliveries_due on event_deliveries (next_attempt_at) where status = 'pending';
    create index event_deliveries_order on event_deliveries (endpoint_id, subject, event_id) where status = 'pending';
    create index event_deliveries_event on event_deliveries (event_id);
    create index event_deliveries_undelivered on event_deliveries (endpoint_id) where status <> 'delivered';

    create function qbsync_emit_event(p_tenant text, p_type text, p_subject text, p_data jsonb) returns void
    language plpgsql as $$
    declare
      v_id bigint;
    begin
      insert into events (tenant_id, type, subject, data) values (p_tenant, p_type, p_subject, p_data)
      returning id into v_id;
      insert into event_deliveries (endpoint_id, event_id, subject)
      select e.id, v_id, p_subject from event_endpoints e
      where e.tenant_id = p_tenant and e.enabled and (e.types is null or p_type = any (e.types));
      if found then
        perform pg_notify('qbsync_events', p_tenant);
      end if;
    end $$;

    -- A new or changed invoice written by the sync (QuickBooks' version, or QuickBooks' number and totals stamped
    -- on an app invoice). The app's own writes never emit it.
    create function qbsync_event_invoice() returns trigger language plpgsql as $$
    begin
      if coalesce(current_setting('qbsync.origin', true), '') <> 'sync' then
        return null;
      end if;
      if tg_op = 'UPDATE' and (to_jsonb(new) - 'updated_at') = (to_jsonb(old) - 'updated_at') then
        return null;
      end if;
      perform qbsync_emit_event(new.tenant_id, 'invoice.received', 'invoice:' || new.id,
        jsonb_build_object('change', lower(tg_op), 'invoice', to_jsonb(new) - 'email_message_id'));
      return null;
    end $$;
    create trigger invoices_event after insert or update on invoices
      for each row execute function qbsync_event_invoice();

    create function qbsync_event_sale() returns trigger language plpgsql as $$
    begin
      if old.handed_over_at is null and new.handed_over_at is not null then
        perform qbsync_emit_event(new.tenant_id, 'sale.handed_over', 'sale:' || new.id,
          jsonb_build_object('sale', jsonb_build_object(
            'id', new.id, 'type', new.type, 'status', new.status, 'number', new.number,
            'customer_id', new.customer_id, 'subtotal', new.subtotal, 'tax', new.tax, 'total', new.total,
            'qbo_entity', new.qbo_entity, 'qbo_id', new.qbo_id, 'qbo_doc_number', new.qbo_doc_number,
            'handed_over_at', new.handed_over_at)));
      end if;
      return null;
    end $$;
    create trigger sales_event after update on sales for each row execute function qbsync_event_sale();

    create function qbsync_event_problem() returns trigger language plpgsql as $$
    begin
      perform qbsync_emit_event(new.tenant_id, 'record.rejected',
        new.entity || ':' || coalesce(new.app_id::text, 'remote-' || new.remote_id, 'run-' || new.run_id),
        jsonb_build_object('problem', to_jsonb(new)));
      return null;
    end $$;
    create trigger sync_problems_event after insert on sync_problems
      for each row execute function qbsync_event_problem();

    create function qbsync_event_run() returns trigger language plpgsql as $$
    begin
      if new.status not in ('succeeded', 'failed') then
        return null;
      end if;
      if tg_op = 'UPDATE' and old.status = new.status then
        return null;
      end if;
      perform qbsync_emit_event(new.tenant_id, 'sync.' || new.status, 'sync:' || new.tenant_id,
        jsonb_build_object('run', jsonb_build_object(
          'id', new.id, 'trigger', new.trigger, 'status', new.status, 'started_at', new.started_at,
          'finished_at', new.finished_at, 'error', new.error)));
      return null;
    end $$;
    create trigger sync_runs_event after insert or update on sync_runs
      for each row execute function qbsync_event_run();

    -- Never the tokens: only which company, and why.
    create function qbsync_event_connection() returns trigger language plpgsql as $$
    begin
      if new.status <> 'needs-reconnect' or (tg_op = 'UPDATE' and old.status = new.status) then
        return null;
      end if;
      perform qbsync_emit_event(new.tenant_id, 'connection.needs_reconnect', 'connection:' || new.tenant_id,
        jsonb_build_object('connection', jsonb_build_object(
          'tenant_id', new.tenant_id, 'realm_id', new.realm_id, 'environment', new.environment,
          'status', new.status, 'last_error', new.last_error)));
      return null;
    end $$;
    create trigger qbo_connections_event after insert or update on qbo_connections
      for each row execute function qbsync_event_connection();

    create table api_keys (
      id text primary key,
      name text not null,
      key_hash text not null,
      -- The tenants this key may act on; '*' for all.
      tenants text[] not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    );

    create table idempotency_keys (
      api_key_id text not null references api_keys(id) on delete cascade,
      key text not null,
      request_hash text not null,
      status text not null check (status in ('processing', 'done')),
      response_status integer,
      response_body jsonb,
      created_at timestamptz not null default now(),
      primary key (api_key_id, key)
    );
  `.execute(db);

  // Pinned like 0008's: the triggers resolve qbsync's tables whatever the writer's search_path.
  await sql`
    do $$
    declare f text;
    begin
      for f in
        select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = current_schema() and p.proname in ('qbsync_emit_event', 'qbsync_event_invoice',
          'qbsync_event_sale', 'qbsync_event_problem', 'qbsync_event_run', 'qbsync_event_connection')
      loop
        execute format('alter function %s set search_path = %I', f, current_schema());
      end loop;
    end $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger if exists invoices_event on invoices;
    drop trigger if exists sales_event on sales;
    drop trigger if exists sync_problems_event on sync_problems;
    drop trigger if exists sync_runs_event on sync_runs;
    drop trigger if exists qbo_connections_event on qbo_connections;
    drop function if exists qbsync_event_invoice(), qbsync_event_sale(), qbsync_event_problem(), qbsync_event_run(),
      qbsync_event_connection(), qbsync_emit_event(text, text, text, jsonb);
    drop table if exists idempotency_keys, api_keys, event_deliveries, events, event_endpoints cascade;
  `.execute(db);
}
