import type { ColumnType, Generated } from 'kysely';
import type { DefaultedTimestamp } from './core';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export type NoticeChannel = 'email' | 'webhook' | 'log';
export type NoticeStatus = 'pending' | 'sent' | 'failed' | 'logged';

export interface NoticesTable {
  id: Generated<number>;
  tenant_id: string;
  sync_run_id: string | null;
  workflow_id: string;
  /** sync_run_id, or the workflow id of a run that failed before it was recorded; part of the idempotency key. */
  run_key: ColumnType<string, never, never>;
  trigger: string;
  event: 'succeeded' | 'failed';
  channel: NoticeChannel;
  recipient: string;
  subject: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  status: NoticeStatus;
  error: string | null;
  attempts: Generated<number>;
  message_id: string | null;
  created_at: DefaultedTimestamp;
  sent_at: NullableTimestamp;
}

export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

export interface InvoiceDeliveriesTable {
  invoice_id: number;
  tenant_id: string;
  status: DeliveryStatus;
  reason: string | null;
  message_id: string;
  recipient: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  next_attempt_at: NullableTimestamp;
  smtp_response: string | null;
  created_at: DefaultedTimestamp;
  claimed_at: NullableTimestamp;
  sent_at: NullableTimestamp;
}

/** Columns 0005 adds to the app's invoices: the automatic email, recorded on the invoice itself. */
export interface InvoiceEmailColumns {
  emailed_at: NullableTimestamp;
  email_message_id: string | null;
}

/** How far the notices have consumed a tenant's outbox (0015): the last `sync.*` event turned into notices. */
export interface NoticeCursorsTable {
  tenant_id: string;
  last_event_id: number;
  updated_at: DefaultedTimestamp;
}

export interface NotificationTables {
  notices: NoticesTable;
  notice_cursors: NoticeCursorsTable;
  invoice_deliveries: InvoiceDeliveriesTable;
  invoices: InvoiceEmailColumns;
}
