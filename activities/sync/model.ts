/**
 * The five steps of a sync run, in order, and the entities each one moves. The order is the product's:
 * a later entity references earlier ones (invoices name customers, items and tax codes; payments name invoices).
 */
export const STEPS = ['customers', 'items', 'taxes', 'invoices', 'payments'] as const;
export type StepName = (typeof STEPS)[number];

export type EntityName = 'customer' | 'item' | 'tax_rate' | 'tax_code' | 'invoice' | 'payment' | 'estimate' | 'sale';

/** A tenant's mode: two-way `billing`, or `order-taking` (master data from QuickBooks, sales handed over to it). */
export type SyncMode = 'billing' | 'order-taking';

/** What each step moves in billing mode (order-taking: see orderTaking/steps.ts). */
export const STEP_ENTITIES: Record<StepName, EntityName[]> = {
  customers: ['customer'],
  items: ['item'],
  taxes: ['tax_rate', 'tax_code'],
  invoices: ['invoice'],
  payments: ['payment'],
};

export type Direction = 'pull' | 'push';
export type ConflictPolicy = 'quickbooks-wins' | 'app-wins' | 'latest-wins';
export type OnRecordError = 'stop' | 'skip';

export interface PageCounts {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  conflicts: number;
  /** App changes deliberately not sent (order-taking mode); absent where a page ignores nothing. */
  ignored?: number;
}

export const emptyCounts = (): PageCounts => ({
  created: 0,
  updated: 0,
  unchanged: 0,
  deleted: 0,
  failed: 0,
  conflicts: 0,
});

export function addCounts(a: PageCounts, b: PageCounts): PageCounts {
  return {
    created: a.created + b.created,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    deleted: a.deleted + b.deleted,
    failed: a.failed + b.failed,
    conflicts: a.conflicts + b.conflicts,
    ...(a.ignored || b.ignored ? { ignored: (a.ignored ?? 0) + (b.ignored ?? 0) } : {}),
  };
}
