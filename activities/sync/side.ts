import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../schema/tables';
import type { EntityName } from './model';

/**
 * The sync core sees each side — the app's PostgreSQL, QuickBooks Online, later QuickBooks Desktop — only through
 * this interface: read changes since a cursor, load and match records, apply a page of writes. Records cross it in
 * canonical form (see entities/), whose references are app ids, so fingerprints compare across sides.
 */
export interface SideRecord<C = unknown> {
  /** The side's own id (app id as a string, or QuickBooks Id). */
  id: string;
  /** QuickBooks SyncToken; absent on the app side. */
  version?: string;
  updatedAt?: Date;
  /** Deleted, voided or deactivated on this side. */
  deleted?: 'deleted' | 'voided' | 'inactive';
  canonical?: C;
  /** A record this side holds but cannot express canonically (e.g. a reference to an unsynced record). */
  problem?: RecordProblem;
  /** A short human label for messages: "customer 'Amy's Bird Sanctuary' (app 12)". */
  label: string;
  /** The side's own object, kept for re-mapping once a reference it needs exists. */
  raw?: unknown;
}

export interface RecordProblem {
  code?: string;
  message: string;
  detail?: string;
  action: string;
}

export interface ChangePage<C = unknown> {
  records: Array<SideRecord<C>>;
  /** What acknowledging each record consumes on its side (the app: its change-log row ids). */
  receipts?: Record<string, number[]>;
  /** Opaque to the core; committed with the page's writes. */
  nextCursor: unknown;
  done: boolean;
}

export type SideWrite<C = unknown> =
  | { kind: 'create'; sourceId: string; canonical: C; requestKey: string }
  | { kind: 'update'; sourceId: string; targetId: string; baseVersion?: string; canonical: C; requestKey: string }
  | {
      kind: 'remove';
      sourceId: string;
      targetId: string;
      baseVersion?: string;
      how: 'deleted' | 'voided' | 'inactive';
      requestKey: string;
    };

export type SideWriteResult<C = unknown> =
  | { ok: true; targetId: string; version?: string; canonical?: C }
  | { ok: false; problem: RecordProblem; stale?: boolean; retryable?: boolean };

export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;

export interface SyncSide {
  readonly name: 'app' | 'quickbooks';
  readChanges(entity: EntityName, cursor: unknown, limit: number): Promise<ChangePage>;
  load(entity: EntityName, ids: string[]): Promise<Map<string, SideRecord>>;
  /** For each canonical record, an existing record on this side that is the same thing (not yet linked), if any. */
  findMatches(entity: EntityName, records: unknown[]): Promise<Array<SideRecord | undefined>>;
  applyPage(entity: EntityName, writes: SideWrite[], trx?: Trx): Promise<SideWriteResult[]>;
}
