import type { ColumnType, Generated } from 'kysely';
import type { DefaultedTimestamp, Timestamp } from './core';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/** A console operator (0014); the password only ever as a scrypt hash. */
export interface OperatorsTable {
  name: string;
  password_hash: string;
  created_at: DefaultedTimestamp;
  last_login_at: NullableTimestamp;
  disabled_at: NullableTimestamp;
}

/** A signed-in browser: the SHA-256 of its cookie token, never the token. */
export interface OperatorSessionsTable {
  token_hash: string;
  operator: string;
  csrf_token: string;
  created_at: DefaultedTimestamp;
  last_seen_at: DefaultedTimestamp;
  expires_at: Timestamp;
}

export interface LoginFailuresTable {
  id: Generated<string>;
  name: string;
  at: DefaultedTimestamp;
  address: string | null;
}

/** Who did what, when: the console's state-changing requests, sign-ins, sign-outs and lock-outs. */
export interface AuditLogTable {
  id: Generated<string>;
  at: DefaultedTimestamp;
  operator: string;
  action: string;
  tenant_id: string | null;
  status: number | null;
  detail: string | null;
  address: string | null;
}

export interface ConsoleTables {
  operators: OperatorsTable;
  operator_sessions: OperatorSessionsTable;
  login_failures: LoginFailuresTable;
  audit_log: AuditLogTable;
}
