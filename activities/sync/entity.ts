import type { Db, RecordProblem, Trx } from './backend';
import type { EntityName, StepName } from './model';

/** A reference from one record to another, by entity: an app id (number) or a backend id (string). */
export interface Ref {
  entity: EntityName;
  id: string | number;
}

export interface AppRow<C> {
  canonical: C;
  removed?: 'deleted' | 'voided' | 'inactive';
  updatedAt: Date;
  /** A value the canonical form cannot hold as stored (an address that is a JSON string): the record is not sent. */
  problem?: MappingProblem;
}

/**
 * The app's half of an entity, written once (entities/*.ts): how a record looks in the app's tables, its canonical
 * form (what both sides are compared in), how to find an unlinked twin in the app. Each backend has its own other half
 * (backends/<backend>/entities/*.ts) mapping the same canonical form to its records.
 */
export interface AppEntity<C> {
  entity: EntityName;
  step: StepName;
  pull: boolean;
  push: boolean;
  /**
   * App changes this entity reads but does not send (order-taking mode, where the accounting side is the master): to
   * records the backend already has (`linked`), to new ones (`unlinked`). They are consumed and reported as ignored.
   */
  ignoreAppChanges?: { linked: boolean; unlinked: boolean; message: string; action: string };
  label(c: C | undefined): string;
  /** App ids this record references, by entity (the backend resolves them before writing). */
  appRefs(c: C): Ref[];
  /**
   * References that may be pulled after this record in the same run (lateReferences.ts): canonical field → the entity
   * it names, and how the resolved app ids are written into the app row (only those columns).
   */
  lateRefs?: {
    fields: Partial<Record<string, EntityName>>;
    fill(trx: Trx, tenantId: string, appId: number, values: Record<string, number>): Promise<void>;
  };

  loadApp(db: Db | Trx, tenantId: string, ids: number[]): Promise<Map<number, AppRow<C>>>;
  matchApp(db: Db | Trx, tenantId: string, records: C[]): Promise<Array<number | undefined>>;
  /** Inserts (appId undefined) or updates the app record; returns its id. */
  writeApp(trx: Trx, tenantId: string, appId: number | undefined, c: C): Promise<number>;
  removeApp(trx: Trx, tenantId: string, appId: number, how: 'deleted' | 'voided' | 'inactive'): Promise<void>;
  /**
   * Inserts new app records in a few statements (a pull page's creates); returns their ids in input order. Without
   * it, each is inserted with writeApp.
   */
  createApp?(trx: Trx, tenantId: string, cs: C[]): Promise<number[]>;
  /** Updates existing app records in a few statements (a push page's stamp-back); writeApp one by one without it. */
  updateApp?(trx: Trx, tenantId: string, rows: Array<{ appId: number; c: C }>): Promise<void>;
  /**
   * Takes what the backend answered for a pushed record into the app. Without it, the answer's canonical form is
   * written with writeApp when the app has not changed meanwhile; a sale handed over uses it to take the backend's
   * number and the "done" status whatever happens to it later.
   */
  settle?(trx: Trx, tenantId: string, appId: number, answer: unknown, settleWith: unknown, at: Date): Promise<void>;
}

/** A record one side holds that cannot be expressed on the other (bad value, reference to an unsynced record). */
export class MappingProblem implements RecordProblem {
  constructor(
    readonly message: string,
    readonly action: string,
    readonly code?: string,
    readonly detail?: string,
  ) {}
}
