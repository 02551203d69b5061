import { customerMapping } from '../entities/customer';
import { MAPPINGS } from '../entities';
import { orderTakingItemMapping } from '../entities/orderTakingItem';
import type { AppEntity } from '../entity';
import { saleEntity } from '../entities/sale';
import { priceLevelMapping } from '../entities/priceLevel';
import type { EntityName, StepName } from '../model';

/**
 * What each of the five steps moves in order-taking mode. The steps and their order are the same as in billing mode;
 * what changes is their content:
 * - customers: QuickBooks → app; app-created customers are created in QuickBooks, app edits of existing ones ignored;
 * - items: tax rates and codes first (items name their tax code), then items with categories and stock, then price
 * levels (where the backend has them), QuickBooks → app;
 * - taxes: nothing left (read at the start of the items step);
 * - invoices: the app's sales handed over to QuickBooks (orderTaking/handoff.ts);
 * - payments: nothing (payments are taken in QuickBooks).
 */
export const ORDER_TAKING_STEP_ENTITIES: Record<StepName, EntityName[]> = {
  customers: ['customer'],
  // Price levels (QuickBooks Desktop only) name items, so they come after them.
  items: ['tax_rate', 'tax_code', 'item', 'price_level'],
  taxes: [],
  invoices: ['sale'],
  payments: [],
};

export const orderTakingCustomerMapping: AppEntity<unknown> = {
  ...(customerMapping as AppEntity<unknown>),
  ignoreAppChanges: {
    linked: true,
    unlinked: false,
    message:
      'app changes to customers QuickBooks already has are not sent in order-taking mode: QuickBooks is the master of customers',
    action:
      'make the change in QuickBooks; it reaches the app on the next sync (customers created in the app are still created in QuickBooks)',
  },
};

/** The app entities of order-taking mode; sales are handed over (orderTaking/handoff.ts). */
export const ORDER_TAKING_MAPPINGS: Partial<Record<EntityName, AppEntity<unknown>>> = {
  customer: orderTakingCustomerMapping,
  item: orderTakingItemMapping as AppEntity<unknown>,
  tax_rate: MAPPINGS.tax_rate,
  tax_code: MAPPINGS.tax_code,
  sale: saleEntity as AppEntity<unknown>,
  price_level: priceLevelMapping as AppEntity<unknown>,
};

/** Entities only some backends hold (QuickBooks Online has no price levels): pulled where the backend captures them. */
export const OPTIONAL_ENTITIES: ReadonlySet<EntityName> = new Set<EntityName>(['price_level']);
