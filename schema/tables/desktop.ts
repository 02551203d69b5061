import type { ColumnType, Generated } from 'kysely';
import type { DefaultedTimestamp } from './core';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** A Desktop tenant's Web Connector credentials and .qwc identity (0013). The password is only ever a scrypt hash. */
export interface DesktopConnectionsTable {
  tenant_id: string;
  flavour: ColumnType<'quickbooks' | 'reckon', 'quickbooks' | 'reckon' | undefined, 'quickbooks' | 'reckon'>;
  username: string;
  password_hash: string | null;
  owner_id: string;
  file_id: string;
  company_name: string | null;
  company_file: string | null;
  last_seen_at: NullableTimestamp;
  created_at: DefaultedTimestamp;
}

export interface QbwcSessionsTable {
  ticket: string;
  tenant_id: string;
  started_at: DefaultedTimestamp;
  last_seen_at: DefaultedTimestamp;
  ended_at: NullableTimestamp;
  end_reason: string | null;
  company_file: string | null;
  qbxml_version: string | null;
  requests: Generated<number>;
  last_error: string | null;
}

export type ExchangeState = 'pending' | 'sent' | 'answered' | 'lost' | 'failed';

export interface QbxmlExchangesTable {
  id: Generated<number>;
  tenant_id: string;
  exchange_key: string;
  kind: 'read' | 'write';
  request: string;
  message_set_id: string | null;
  state: ColumnType<ExchangeState, ExchangeState | undefined, ExchangeState>;
  ticket: string | null;
  response: string | null;
  hresult: string | null;
  message: string | null;
  created_at: DefaultedTimestamp;
  sent_at: NullableTimestamp;
  answered_at: NullableTimestamp;
}

export interface DesktopTables {
  desktop_connections: DesktopConnectionsTable;
  qbwc_sessions: QbwcSessionsTable;
  qbxml_exchanges: QbxmlExchangesTable;
}
