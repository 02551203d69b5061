import type { LateRef } from '../../sync/backend';
import type { MappingProblem, Ref } from '../../sync/entity';
import type { EntityName } from '../../sync/model';
import type { QbxmlVersion, XNode } from './qbxml';

/** QuickBooks list ids ↔ app ids of referenced records, resolved once per page through the links. */
export interface DesktopRefMap {
  appId(entity: EntityName, listId: string | undefined | null): number | undefined;
  listId(entity: EntityName, appId: number | undefined | null): string | undefined;
  /** Whether a sales tax code (by ListID) is taxable, as the app holds it. */
  taxable(listId: string | undefined): boolean;
  version: QbxmlVersion;
  flavour: 'quickbooks' | 'reckon';
}

/**
 * QuickBooks Desktop's half of an entity (entities/*.ts beside this file): qbXML `*Ret` elements ↔ the canonical
 * record the app's half (activities/sync/entities) defines, and the qbXML requests that read and write it. Children
 * are always listed in the order of Intuit's schema (xsd:sequence), or QuickBooks rejects the whole document.
 */
export interface DesktopEntity<C> {
  entity: EntityName;
  /** The query request (`CustomerQueryRq`), and whether it takes iterators and modified-date filters. */
  query: string;
  capture: 'modified-since' | 'snapshot';
  /** ListDeletedQuery types whose deletions are this entity's. */
  deletedTypes: string[];
  /** Which `*Ret` elements of the query's answer are this entity's (an item query answers every item type). */
  accepts(ret: XNode): boolean;
  refs(ret: XNode): Ref[];
  /**
   * A mapped field QuickBooks changes without a new EditSequence (so a record read at its agreed EditSequence may
   * still differ, and is never returned settled).
   */
  unversioned?: string;
  /**
   * References of the record that may be pulled after it (the app entity's `lateRefs`): those not linked yet are left
   * out of the canonical form and reported on the record (activities/sync/lateReferences.ts).
   */
  lateRefs?(ret: XNode): LateRef[];
  fromRet(ret: XNode, refs: DesktopRefMap): C | MappingProblem;
  removed(ret: XNode): 'inactive' | undefined;
  /** The add request's body (`<CustomerAdd>`), or a problem naming what to fix. */
  toAdd?(c: C, refs: DesktopRefMap): XNode | MappingProblem;
  /** The mod request's body (`<CustomerMod>`), against the record's ListID and EditSequence. */
  toMod?(c: C, refs: DesktopRefMap, listId: string, editSequence: string | undefined): XNode | MappingProblem;
  /** Deactivation (`IsActive` false) as a mod body. */
  toDeactivate?(listId: string, editSequence: string | undefined): XNode;
  /** The request name of add/mod (`Customer` → CustomerAddRq / CustomerModRq). */
  writeName?: string;
  /** How unlinked twins are found: their FullNames, and which candidate is the record's twin. */
  twinNames?(c: C): string;
  pickTwin?(c: C, candidates: C[]): number | undefined;
}
