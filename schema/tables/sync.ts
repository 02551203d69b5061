import type { ColumnType, Generated } from 'kysely';
import type { DefaultedTimestamp } from './core';

type Json<T> = ColumnType<T, string, string>;
type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface SyncLinksTable {
  tenant_id: string;
  entity: string;
  backend: string;
  app_id: number;
  remote_id: string;
  remote_version: string | null;
  fingerprint: string;
  agreed_at: DefaultedTimestamp;
}

export interface SyncCursorsTable {
  tenant_id: string;
  entity: string;
  state: Json<Record<string, unknown>>;
  updated_at: DefaultedTimestamp;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StepError {
  message: string;
  type?: string;
  code?: string;
  entity?: string;
  appId?: number | string | null;
  qboId?: string | null;
  record?: string | null;
  action?: string;
}

export interface SyncRunsTable {
  id: string;
  tenant_id: string;
  workflow_id: string;
  trigger: string;
  status: RunStatus;
  started_at: DefaultedTimestamp;
  finished_at: NullableTimestamp;
  error: NullableJson<StepError>;
  /** The tenant's mode when the run started (0006); every page of the run follows it. */
  mode: Generated<'billing' | 'order-taking'>;
}

export interface SyncStepRunsTable {
  run_id: string;
  step: string;
  position: number;
  status: StepStatus;
  started_at: NullableTimestamp;
  finished_at: NullableTimestamp;
  pulled_created: Generated<number>;
  pulled_updated: Generated<number>;
  pulled_unchanged: Generated<number>;
  pulled_failed: Generated<number>;
  pulled_deleted: Generated<number>;
  pushed_created: Generated<number>;
  pushed_updated: Generated<number>;
  pushed_unchanged: Generated<number>;
  pushed_failed: Generated<number>;
  pushed_deleted: Generated<number>;
  conflicts: Generated<number>;
  /** App changes deliberately not sent (0006: order-taking mode, where QuickBooks is the master of customers and items). */
  ignored: Generated<number>;
  /** Records waiting for a dependency that is not on the other side yet (0012); tried again next run. */
  deferred: Generated<number>;
  pages: Generated<number>;
  error: NullableJson<StepError>;
  /** Where the step goes on after its last committed page (0019); a retried step activity starts there. */
  resume_at: NullableJson<StepResume>;
}

/** The part (entity and direction) of a step whose last page committed, and where its next page starts. */
export interface StepResume {
  entity: string;
  direction: 'pull' | 'push';
  /** The next push page's cursor (pull cursors live in sync_cursors). */
  cursor: unknown;
  /** The part had no more pages: the step goes on with the next part. */
  done: boolean;
}

export interface SyncProblemsTable {
  id: Generated<number>;
  tenant_id: string;
  run_id: string | null;
  step: string;
  entity: string;
  direction: 'pull' | 'push';
  app_id: number | null;
  remote_id: string | null;
  record_label: string | null;
  code: string | null;
  message: string;
  detail: string | null;
  user_action: string | null;
  skipped: Generated<boolean>;
  created_at: DefaultedTimestamp;
}

export interface SyncConflictsTable {
  id: Generated<number>;
  tenant_id: string;
  run_id: string | null;
  entity: string;
  app_id: number | null;
  remote_id: string | null;
  policy: string;
  winner: 'app' | 'quickbooks';
  app_version: Json<unknown>;
  remote_version: Json<unknown>;
  decided_at: DefaultedTimestamp;
  /** A person's choice of side (0014): when, who (the API key), which side is kept; null while open. */
  resolved_at: NullableTimestamp;
  resolved_by: string | null;
  resolved_keep: 'app' | 'quickbooks' | null;
}

export interface PushIntentsTable {
  tenant_id: string;
  entity: string;
  /** The plan's id: a tenant's entity holds two plans while the next one is sent beside a settle (0022). */
  request_id: string;
  plan: Json<unknown>;
  /** Which of a tenant's entity's plans was saved first: the order they are sent and settled in. */
  seq: Generated<number>;
  created_at: DefaultedTimestamp;
}

/** A reference a pulled record lacks until its record is linked later in the run (activities/sync/lateReferences.ts). */
export interface SyncLateReferencesTable {
  tenant_id: string;
  backend: string;
  entity: string;
  app_id: number;
  field: string;
  ref_entity: string;
  ref_remote_id: string;
  /** The record's pulled canonical form (with the references already filled), as the link's fingerprint has it. */
  canonical: Json<Record<string, unknown>>;
  created_at: DefaultedTimestamp;
}

export interface SyncTables {
  sync_links: SyncLinksTable;
  sync_cursors: SyncCursorsTable;
  sync_runs: SyncRunsTable;
  sync_step_runs: SyncStepRunsTable;
  sync_problems: SyncProblemsTable;
  sync_conflicts: SyncConflictsTable;
  push_intents: PushIntentsTable;
  sync_late_references: SyncLateReferencesTable;
}
