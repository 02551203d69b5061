import type { QboObject } from './mapping';

/** The few QuickBooks calls the sync needs; activities/quickbooks' client provides them (see qboApiFromClient). */
export interface QboApi {
  /** One page of a query, exactly as written (the caller adds STARTPOSITION/MAXRESULTS). */
  query(entityName: string, query: string): Promise<{ objects: QboObject[]; time?: string }>;
  /** One CDC call for one entity; deleted objects come as `{ Id, status: 'Deleted' }`. */
  cdc(entityName: string, since: Date): Promise<{ objects: QboObject[]; time: string }>;
  batch(items: QboBatchItem[], requestId: string): Promise<QboBatchResult[]>;
  /** Preferences.SalesFormsPrefs.CustomTxnNumbers. */
  customTxnNumbers(): Promise<boolean>;
}

export type QboBatchItem =
  | { operation: 'create' | 'update'; entityName: string; body: Record<string, unknown> }
  | { operation: 'delete' | 'void'; entityName: string; body: { Id: string; SyncToken?: string } };

export type QboBatchResult =
  | { ok: true; object: QboObject }
  | { ok: false; code?: string; message: string; detail?: string; stale: boolean; transient: boolean };
