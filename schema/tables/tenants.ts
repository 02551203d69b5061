import type { ColumnType } from 'kysely';
import type { DefaultedTimestamp } from './core';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface TenantsTable {
  id: string;
  name: string;
  mode: ColumnType<'billing' | 'order-taking', 'billing' | 'order-taking' | undefined, 'billing' | 'order-taking'>;
  /** The accounting backend the tenant syncs with (0010); one per tenant. */
  backend: ColumnType<string, string | undefined, string>;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type ConnectionStatus = 'connected' | 'needs-reconnect' | 'disconnected';

export interface QboConnectionsTable {
  tenant_id: string;
  realm_id: string;
  environment: 'emulator' | 'sandbox' | 'production';
  api_base_url: string;
  status: ConnectionStatus;
  access_token_enc: string | null;
  access_token_expires_at: NullableTimestamp;
  refresh_token_enc: string | null;
  refresh_token_expires_at: NullableTimestamp;
  refresh_token_hard_expires_at: NullableTimestamp;
  key_version: string | null;
  connected_at: DefaultedTimestamp;
  last_refreshed_at: NullableTimestamp;
  last_error: string | null;
}

export interface OauthStatesTable {
  state: string;
  tenant_id: string;
  created_at: DefaultedTimestamp;
  expires_at: ColumnType<Date, Date | string, Date | string>;
  used_at: NullableTimestamp;
}

export interface TenantTables {
  tenants: TenantsTable;
  qbo_connections: QboConnectionsTable;
  oauth_states: OauthStatesTable;
}
