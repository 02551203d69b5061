import type { ColumnType, Generated } from 'kysely';
import type { DefaultedTimestamp } from './core';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export const EVENT_TYPES = [
  'invoice.received',
  'sale.handed_over',
  'record.rejected',
  'sync.succeeded',
  'sync.failed',
  'connection.needs_reconnect',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Where a tenant's events go (0009). */
export interface EventEndpointsTable {
  id: Generated<number>;
  tenant_id: string;
  url: string;
  secret_enc: string;
  types: string[] | null;
  description: string | null;
  enabled: Generated<boolean>;
  created_at: DefaultedTimestamp;
}

/** The outbox: written by triggers in the transaction of the change each event reports. */
export interface EventsTable {
  id: Generated<number>;
  event_id: Generated<string>;
  tenant_id: string;
  type: EventType;
  subject: string;
  data: ColumnType<Record<string, unknown>, string, string>;
  created_at: DefaultedTimestamp;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface EventDeliveriesTable {
  endpoint_id: number;
  event_id: number;
  subject: string;
  status: Generated<DeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: DefaultedTimestamp;
  locked_until: NullableTimestamp;
  last_attempt_at: NullableTimestamp;
  last_status: number | null;
  last_error: string | null;
  delivered_at: NullableTimestamp;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  key_hash: string;
  tenants: string[];
  created_at: DefaultedTimestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface IdempotencyKeysTable {
  api_key_id: string;
  key: string;
  request_hash: string;
  status: 'processing' | 'done';
  response_status: number | null;
  response_body: ColumnType<unknown, string | null | undefined, string | null>;
  created_at: DefaultedTimestamp;
}

export interface EventTables {
  event_endpoints: EventEndpointsTable;
  events: EventsTable;
  event_deliveries: EventDeliveriesTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
}
