import type { ColumnType, Generated } from 'kysely';
import type { DefaultedTimestamp, Timestamp } from './core';

/** A company's shared QuickBooks limiter state: a 429's block, once for every worker (migration 0014). */
export interface RateLimitRealmsTable {
  realm_id: string;
  blocked_until: Timestamp | null;
  throttled: ColumnType<number, number | undefined, number>;
  updated_at: DefaultedTimestamp;
}

/**
 * One request: its start, its lease (in flight until released) and its answer, from which it counts in the rolling
 * window (migration 0021; in the window while unanswered).
 */
export interface RateLimitSlotsTable {
  id: Generated<number>;
  realm_id: string;
  started_at: Timestamp;
  batch: boolean;
  lease_until: Timestamp | null;
  answered_at: Timestamp | null;
}

export interface RateLimitTables {
  rate_limit_realms: RateLimitRealmsTable;
  rate_limit_slots: RateLimitSlotsTable;
}
