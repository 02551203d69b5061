import type { ColumnType, Generated } from 'kysely';
import type { DateOnly, Decimal, LineKind, NullableDecimal } from './app';
import type { DefaultedTimestamp } from './core';

type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type NullableDate = ColumnType<string | null, string | null | undefined, string | null>;

/** The QuickBooks transaction a sale became. */
export type SaleQboEntity = 'Invoice' | 'Estimate' | 'SalesOrder';

/** A sale of an order-taking app (0006). `type` and `status` come from the tenant's own lists (settings.orderTaking). */
export interface SalesTable {
  id: Generated<number>;
  tenant_id: string;
  type: string;
  status: string;
  number: string | null;
  customer_id: number;
  txn_date: DateOnly;
  due_date: NullableDate;
  tax_code_id: number | null;
  subtotal: ColumnType<string, string | number | undefined, string | number>;
  tax: ColumnType<string, string | number | undefined, string | number>;
  total: ColumnType<string, string | number | undefined, string | number>;
  memo: string | null;
  private_note: string | null;
  qbo_entity: SaleQboEntity | null;
  qbo_id: string | null;
  qbo_doc_number: string | null;
  handed_over_at: NullableTimestamp;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface SaleLinesTable {
  id: Generated<number>;
  sale_id: number;
  line_num: number;
  kind: Generated<LineKind>;
  item_id: number | null;
  description: string | null;
  quantity: NullableDecimal;
  unit_price: NullableDecimal;
  amount: Decimal;
  tax_code_id: number | null;
}

/** Ready for QuickBooks Desktop's price levels; QuickBooks Online's API has none, so nothing fills these yet. */
export interface PriceLevelsTable {
  id: Generated<number>;
  tenant_id: string;
  name: string;
  kind: Generated<'fixed-percentage' | 'per-item'>;
  percent: NullableDecimal;
  active: Generated<boolean>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface PriceLevelItemsTable {
  price_level_id: number;
  item_id: number;
  /** A custom price, or (0013) null where the level gives a percentage of the item's price instead. */
  unit_price: NullableDecimal;
  percent: NullableDecimal;
}

export interface OrderTakingTables {
  sales: SalesTable;
  sale_lines: SaleLinesTable;
  price_levels: PriceLevelsTable;
  price_level_items: PriceLevelItemsTable;
}
