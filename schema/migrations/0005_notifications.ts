import { type Kysely, sql } from 'kysely';

/**
 * What qbsync tells people: notices about sync runs (one per run × channel × recipient, so a retried activity finds
 * what it already sent), and the emailing of invoices that arrive from QuickBooks, as a recorded state machine
 * (pending → sending → sent | failed | skipped) with a Message-ID fixed at queueing time, so a resend after a crash
 * carries the same Message-ID as the copy that may already have gone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table notices (
      id bigint generated always as identity primary key,
      tenant_id text not null references tenants(id) on delete cascade,
      -- No foreign key: a run that failed before it was recorded still gets its notice.
      sync_run_id text,
      workflow_id text not null,
      run_key text generated always as (coalesce(sync_run_id, workflow_id)) stored,
      trigger text not null,
      event text not null check (event in ('succeeded', 'failed')),
      channel text not null check (channel in ('email', 'webhook', 'log')),
      recipient text not null,
      subject text not null,
      payload jsonb not null,
      status text not null check (status in ('pending', 'sent', 'failed', 'logged')),
      error text,
      attempts integer not null default 0,
      message_id text,
      created_at timestamptz not null default now(),
      sent_at timestamptz,
      unique (tenant_id, run_key, channel, recipient)
    );
    create index notices_tenant_created on notices (tenant_id, created_at desc, id desc);

    create table invoice_deliveries (
      invoice_id bigint primary key references invoices(id) on delete cascade,
      tenant_id text not null references tenants(id) on delete cascade,
      status text not null check (status in ('pending', 'sending', 'sent', 'failed', 'skipped')),
      -- Why it was skipped or failed for good, in words the user can act on.
      reason text,
      message_id text not null,
      recipient text,
      attempts integer not null default 0,
      last_error text,
      next_attempt_at timestamptz,
      smtp_response text,
      created_at timestamptz not null default now(),
      claimed_at timestamptz,
      sent_at timestamptz
    );
    create index invoice_deliveries_due on invoice_deliveries (tenant_id, invoice_id) where status in ('pending', 'sending');

    alter table invoices add column emailed_at timestamptz, add column email_message_id text;

    -- Queued in the pull's own transaction, so no QuickBooks-born invoice can be missed. Until the tenant's invoices
    -- step has succeeded once, an arriving invoice is history being imported, not news: it is recorded, never mailed.
    create function qbsync_queue_invoice_delivery() returns trigger language plpgsql as $$
    declare
      v_initial boolean;
    begin
      if new.origin <> 'quickbooks' then
        return null;
      end if;
      v_initial := not exists (
        select 1 from sync_step_runs s join sync_runs r on r.id = s.run_id
        where r.tenant_id = new.tenant_id and s.step = 'invoices' and s.status = 'succeeded');
      insert into invoice_deliveries (invoice_id, tenant_id, status, reason, message_id)
      values (new.id, new.tenant_id,
              case when v_initial then 'skipped' else 'pending' end,
              case when v_initial then 'initial import: invoices already in QuickBooks when the tenant connected are not mailed' end,
              format('<invoice.%s.%s@qbsync>', new.tenant_id, new.id))
      on conflict (invoice_id) do nothing;
      return null;
    end $$;
    create trigger invoices_queue_delivery after insert on invoices for each row execute function qbsync_queue_invoice_delivery();
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    drop trigger if exists invoices_queue_delivery on invoices;
    drop function if exists qbsync_queue_invoice_delivery();
    alter table invoices drop column if exists emailed_at, drop column if exists email_message_id;
    drop table if exists invoice_deliveries, notices cascade;
  `.execute(db);
}
