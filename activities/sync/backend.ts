import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../schema/tables';
import type { EntityName } from './model';

/**
 * The sync core talks to an accounting backend only through this interface. Records cross it in canonical form
 * (entities/), whose references are app ids, so fingerprints compare across sides. A backend is a folder under
 * activities/backends/ with the same file names as every other one; backends/index.ts is the one place naming them.
 */
export type BackendId = string;

/** What a backend can do, as data: the core asks these instead of naming backends. */
export interface BackendCapabilities {
  /** How each entity's changes are read: a change feed plus keyset re-reads, modified-since queries, or whole. */
  changeCapture: Partial<Record<EntityName, 'change-feed' | 'modified-since' | 'snapshot'>>;
  /** How an app removal reaches the backend, per entity (customers and items can only be deactivated). */
  removal: Partial<Record<EntityName, 'deactivate' | 'void' | 'delete' | 'none'>>;
  /** Who numbers documents: the app's numbers are sent, the backend assigns them, or a company preference says. */
  numbering: 'app' | 'backend' | 'company-preference';
  /** At most this many writes in one send (one page of a push). */
  batchSize: number;
  /** The backend's own limits per company, or null where it has none. */
  rateLimits: { requestsPerMinute: number; concurrent: number; batchesPerMinute?: number } | null;
  taxModel: 'us-sales-tax' | 'gst-inclusive' | 'none';
  /** `call`: a send is a request inside one activity; `polled`: the backend's agent calls qbsync (Web Connector). */
  transport: 'call' | 'polled';
  /** The documents a sale can be handed over as. */
  saleDocuments: Array<'invoice' | 'estimate' | 'sales-order'>;
}

export interface SideRecord<C = unknown> {
  /** The side's own id (app id as a string, or the backend's id). */
  id: string;
  /** The backend's optimistic-lock version (absent on the app side). */
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
  /**
   * References to records the app does not have yet but that are pulled later in the run: left out of `canonical`,
   * filled in when their record is linked (lateReferences.ts). Only fields the app entity declares in `lateRefs`.
   */
  lateRefs?: LateRef[];
  /**
   * Read at the version the core last saw it agree with the app (readChanges' `agreed`): unchanged since, so it is not
   * mapped (no `canonical`, no `raw`) and the core counts it as unchanged without loading or comparing anything.
   */
  settled?: true;
}

/**
 * The backend versions at which the core last saw records agree with the app (sync_links.remote_version), for the ids
 * asked; ids without one are absent. A record read at that version has not changed since: re-reading it (a change
 * feed's overlap, the echo of the sync's own write) decides nothing, so a backend may return it `settled`, unmapped.
 */
export type AgreedVersions = (remoteIds: string[]) => Promise<Map<string, string>>;

/** A reference left out of a pulled record's canonical form until its record is linked. */
export interface LateRef {
  /** The canonical field that holds the reference's app id. */
  field: string;
  entity: EntityName;
  /** The backend's id of the referenced record. */
  remoteId: string;
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

export interface Backend {
  readonly id: BackendId;
  readonly capabilities: BackendCapabilities;
  /**
   * Up to `limit` changed records after the cursor; the cursor is stored by the core with the page's writes. Records
   * read at their `agreed` version may come back `settled` (unmapped) — the cost of a re-read is then its transfer.
   */
  readChanges(entity: EntityName, cursor: unknown, limit: number, agreed?: AgreedVersions): Promise<ChangePage>;
  load(entity: EntityName, ids: string[]): Promise<Map<string, SideRecord>>;
  /**
   * For each canonical record, an existing unlinked record that is the same thing, if any. `taken`: backend ids to treat
   * as linked already (a page settling while the next one is planned links them).
   */
  findTwins(
    entity: EntityName,
    records: unknown[],
    taken?: ReadonlySet<string>,
  ): Promise<Array<SideRecord | undefined>>;
  /** Maps a record again once the references it lacked exist (`pageLinks`: backend id → app id made in this page). */
  resolve(entity: EntityName, record: SideRecord, pageLinks: Map<string, number>): Promise<SideRecord>;
  /**
   * Sends a saved plan's writes. The same writes always carry the same keys (`requestKey`), so a resend after a crash
   * is recognised by the backend (an idempotency key, or message-set recovery and twin search) and never duplicates.
   */
  send(entity: EntityName, writes: SideWrite[]): Promise<SideWriteResult[]>;
}
