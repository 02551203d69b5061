import type { QueryBuilder } from '../../quickbooks/query';
import type { MappingProblem, Ref } from '../../sync/entity';
import type { EntityName } from '../../sync/model';
import type { AccountBook } from './accounts';

export type QboObject = Record<string, unknown> & {
  Id: string;
  SyncToken?: string;
  MetaData?: { LastUpdatedTime?: string };
};

/** QuickBooks ids ↔ app ids of referenced records, resolved once per page through the links. */
export interface RefMap {
  appId(entity: EntityName, qboId: string | undefined | null): number | undefined;
  qboId(entity: EntityName, appId: number | undefined | null): string | undefined;
  /** The company's "custom transaction numbers" preference: on, the app's numbers are sent; off, QuickBooks assigns them. */
  customTxnNumbers: boolean;
  /** The chart of accounts and the tenant's item accounts (present when items are written). */
  accounts?: AccountBook;
}

/**
 * QuickBooks Online's half of an entity (entities/*.ts beside this file): its JSON objects ↔ the canonical record the
 * app's half (activities/sync/entities) defines, and how to find an unlinked twin in QuickBooks.
 */
export interface QboEntity<C> {
  /** The canonical entity this maps. */
  entity: EntityName;
  /** QuickBooks' entity name as used in paths, queries and batch items. */
  qboName: string;
  /** How an app removal reaches QuickBooks (customers and items can only be deactivated). */
  qboRemoval: 'deactivate' | 'void' | 'delete' | 'none';
  /** Whether a QuickBooks object (not a CDC deletion marker) is a removed one: inactive, voided. */
  qboRemoved(raw: QboObject): 'voided' | 'inactive' | undefined;
  /** QuickBooks ids this object references, by entity (resolved before fromQbo). */
  qboRefs(raw: QboObject): Ref[];
  /**
   * A mapped field QuickBooks may change without a new SyncToken (so a record read at its agreed SyncToken may still
   * differ, and is never returned settled).
   */
  unversioned?: string;
  fromQbo(raw: QboObject, refs: RefMap): C | MappingProblem;
  toQbo(c: C, refs: RefMap, base?: { Id: string; SyncToken?: string }): Record<string, unknown> | MappingProblem;
  /** Queries whose results contain the unlinked twins of these records (one per chunk). */
  qboMatchQueries(records: C[]): QueryBuilder[];
  /** The twin among candidates; several equally good ones are never a guess: `ambiguous` names them. */
  pickQboMatch(c: C, candidates: C[]): number | undefined | { ambiguous: number[] };
}
