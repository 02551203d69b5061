import type { ColumnType, Generated } from 'kysely';
import type { DefaultedTimestamp } from './core';

/** numeric columns come back from pg as strings: exact, never floats. */
export type Decimal = ColumnType<string, string | number, string | number>;
export type NullableDecimal = ColumnType<string | null, string | number | null | undefined, string | number | null>;
/** A calendar date (no time, no zone): 'YYYY-MM-DD'. */
export type DateOnly = ColumnType<string, string, string>;

export interface Address {
  line1?: string | null;
  line2?: string | null;
  line3?: string | null;
  city?: string | null;
  region?: string | null;
  postalCode?: string | null;
  country?: string | null;
}

export type EntityStatus = 'active' | 'inactive' | 'deleted';

export interface CustomersTable {
  id: Generated<number>;
  tenant_id: string;
  display_name: string;
  company_name: string | null;
  given_name: string | null;
  family_name: string | null;
  email: string | null;
  phone: string | null;
  billing_address: ColumnType<Address | null, string | null | undefined, string | null>;
  shipping_address: ColumnType<Address | null, string | null | undefined, string | null>;
  parent_id: number | null;
  /** QuickBooks Desktop's price level and sales tax code of the customer (0013). */
  price_level_id: ColumnType<number | null, number | null | undefined, number | null>;
  tax_code_id: ColumnType<number | null, number | null | undefined, number | null>;
  active: Generated<boolean>;
  status: Generated<EntityStatus>;
  balance_cents: Generated<number>;
  notes: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface TaxRatesTable {
  id: Generated<number>;
  tenant_id: string;
  name: string;
  description: string | null;
  rate_percent: Decimal;
  agency: string | null;
  active: Generated<boolean>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface TaxCodesTable {
  id: Generated<number>;
  tenant_id: string;
  name: string;
  description: string | null;
  taxable: Generated<boolean>;
  active: Generated<boolean>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface TaxCodeRatesTable {
  tax_code_id: number;
  tax_rate_id: number;
}

export type ItemType = 'Service' | 'NonInventory' | 'Inventory' | 'Category';

export interface ItemsTable {
  id: Generated<number>;
  tenant_id: string;
  type: ItemType;
  name: string;
  sku: string | null;
  description: string | null;
  unit_price: NullableDecimal;
  income_account: string | null;
  taxable: Generated<boolean>;
  tax_code_id: number | null;
  parent_id: number | null;
  quantity_on_hand: NullableDecimal;
  active: Generated<boolean>;
  status: Generated<EntityStatus>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type InvoiceStatus = 'draft' | 'open' | 'paid' | 'voided' | 'deleted';

export interface InvoicesTable {
  id: Generated<number>;
  tenant_id: string;
  doc_number: string | null;
  customer_id: number;
  txn_date: DateOnly;
  due_date: ColumnType<string | null, string | null | undefined, string | null>;
  tax_code_id: number | null;
  subtotal_cents: Generated<number>;
  tax_cents: Generated<number>;
  total_cents: Generated<number>;
  balance_cents: Generated<number>;
  status: Generated<InvoiceStatus>;
  origin: Generated<'app' | 'quickbooks'>;
  email: string | null;
  customer_memo: string | null;
  private_note: string | null;
  sent_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export type LineKind = 'item' | 'description' | 'discount';

export interface LineTable {
  id: Generated<number>;
  line_num: number;
  kind: Generated<LineKind>;
  item_id: number | null;
  description: string | null;
  quantity: NullableDecimal;
  unit_price: NullableDecimal;
  amount_cents: number;
  taxable: Generated<boolean>;
}

export interface InvoiceLinesTable extends LineTable {
  invoice_id: number;
}

export interface PaymentsTable {
  id: Generated<number>;
  tenant_id: string;
  customer_id: number;
  txn_date: DateOnly;
  amount_cents: number;
  unapplied_cents: Generated<number>;
  method: string | null;
  reference: string | null;
  status: Generated<'active' | 'voided' | 'deleted'>;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface PaymentApplicationsTable {
  payment_id: number;
  invoice_id: number;
  amount_cents: number;
}

export interface EstimatesTable {
  id: Generated<number>;
  tenant_id: string;
  doc_number: string | null;
  customer_id: number;
  txn_date: DateOnly;
  expiration_date: ColumnType<string | null, string | null | undefined, string | null>;
  tax_code_id: number | null;
  subtotal_cents: Generated<number>;
  tax_cents: Generated<number>;
  total_cents: Generated<number>;
  status: Generated<'pending' | 'accepted' | 'closed' | 'rejected' | 'deleted'>;
  private_note: string | null;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface EstimateLinesTable extends LineTable {
  estimate_id: number;
}

export interface AppChangesTable {
  id: Generated<number>;
  tenant_id: string;
  entity: string;
  record_id: number;
  changed_at: DefaultedTimestamp;
}

export interface AppTables {
  customers: CustomersTable;
  tax_rates: TaxRatesTable;
  tax_codes: TaxCodesTable;
  tax_code_rates: TaxCodeRatesTable;
  items: ItemsTable;
  invoices: InvoicesTable;
  invoice_lines: InvoiceLinesTable;
  payments: PaymentsTable;
  payment_applications: PaymentApplicationsTable;
  estimates: EstimatesTable;
  estimate_lines: EstimateLinesTable;
  app_changes: AppChangesTable;
}
