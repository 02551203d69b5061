import type { Db, RecordProblem, Trx } from './side';
import type { EntityName, StepName } from './model';

/** QuickBooks ids ↔ app ids of referenced records, resolved once per page through the link table. */
export interface RefMap {
  appId(entity: EntityName, qboId: string | undefined | null): number | undefined;
  qboId(entity: EntityName, appId: number | undefined | null): string | undefined;
  /** The company's "custom transaction numbers" preference: on, the app's numbers are sent; off, QuickBooks assigns them. */
  customTxnNumbers: boolean;
}

export interface Ref {
  entity: EntityName;
  id: string | number;
}

export interface AppRow<C> {
  canonical: C;
  removed?: 'deleted' | 'voided' | 'inactive';
  updatedAt: Date;
}

export type QboObject = Record<string, unknown> & {
  Id: string;
  SyncToken?: string;
  MetaData?: { LastUpdatedTime?: string };
};

/**
 * Everything entity-specific, in one module per entity (entities/*.ts): how a record looks in the app's tables and in
 * QuickBooks, how each maps to the canonical form that both sides are compared in, and how to find an unlinked twin.
 */
export interface EntityMapping<C> {
  entity: EntityName;
  step: StepName;
  /** QuickBooks' entity name as used in paths, queries and batch items. */
  qboName: string;
  pull: boolean;
  push: boolean;
  /**
   * App changes this mapping reads but does not send (order-taking mode, where QuickBooks is the master): to records
   * QuickBooks already has (`linked`), to new ones (`unlinked`). They are consumed and reported as ignored, with why.
   */
  ignoreAppChanges?: { linked: boolean; unlinked: boolean; message: string; action: string };
  label(c: C | undefined): string;

  /** QuickBooks ids this object references, by entity (resolved before fromQbo). */
  qboRefs(raw: QboObject): Ref[];
  fromQbo(raw: QboObject, refs: RefMap): C | MappingProblem;
  /** App ids this record references, by entity (resolved before toQbo). */
  appRefs(c: C): Ref[];
  toQbo(c: C, refs: RefMap, base?: { Id: string; SyncToken?: string }): Record<string, unknown> | MappingProblem;
  /** QuickBooks queries whose results contain the unlinked twins of these records (one query per chunk). */
  qboMatchQueries(records: C[]): string[];
  pickQboMatch(c: C, candidates: C[]): number | undefined;
  /** How an app removal reaches QuickBooks (customers and items can only be deactivated). */
  qboRemoval: 'deactivate' | 'void' | 'delete' | 'none';
  /** Whether a QuickBooks object (not a CDC deletion marker) is a removed one: inactive, voided. */
  qboRemoved(raw: QboObject): 'voided' | 'inactive' | undefined;

  loadApp(db: Db | Trx, tenantId: string, ids: number[]): Promise<Map<number, AppRow<C>>>;
  matchApp(db: Db | Trx, tenantId: string, records: C[]): Promise<Array<number | undefined>>;
  /** Inserts (appId undefined) or updates the app record; returns its id. */
  writeApp(trx: Trx, tenantId: string, appId: number | undefined, c: C): Promise<number>;
  removeApp(trx: Trx, tenantId: string, appId: number, how: 'deleted' | 'voided' | 'inactive'): Promise<void>;
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
