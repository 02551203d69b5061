/**
 * What workflows and activities both need to know about a run's shape: the five steps in order, the entities, and the
 * counts a page reports. Workflows may import only types from activities/, so these live here, in neither.
 */

/** The order is the product's: a later entity references earlier ones (invoices name customers, items, tax codes). */
export const STEPS = ['customers', 'items', 'taxes', 'invoices', 'payments'] as const;
export type StepName = (typeof STEPS)[number];

export type EntityName =
  'customer' | 'item' | 'tax_rate' | 'tax_code' | 'invoice' | 'payment' | 'estimate' | 'sale' | 'price_level';

export type Direction = 'pull' | 'push';

export interface PageCounts {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  failed: number;
  conflicts: number;
  /** App changes deliberately not sent (order-taking mode); absent where a page ignores nothing. */
  ignored?: number;
  /** Records waiting for a dependency not on the other side yet; tried again next run. Absent where none waits. */
  deferred?: number;
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
    ...(a.deferred || b.deferred ? { deferred: (a.deferred ?? 0) + (b.deferred ?? 0) } : {}),
  };
}
