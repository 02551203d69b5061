import type { EntityName, StepName } from '../../common/steps';

export {
  STEPS,
  addCounts,
  emptyCounts,
  type Direction,
  type EntityName,
  type PageCounts,
  type StepName,
} from '../../common/steps';

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

/** Whose version stands when both sides changed a record since they last agreed. */
export type ConflictPolicy = 'quickbooks-wins' | 'app-wins' | 'latest-wins';
export type OnRecordError = 'stop' | 'skip';

/** The side a fixed policy lets win (`latest-wins` compares times instead). The backend is "quickbooks" to users. */
export function policySide(policy: Exclude<ConflictPolicy, 'latest-wins'>): 'app' | 'remote' {
  return policy === 'app-wins' ? 'app' : 'remote';
}

/** The sides as users name them (conflict winners in history and notices, policy names). */
export const SIDE_NAMES = { app: 'app', remote: 'quickbooks' } as const;
