import { unique, type Realm } from './target';

/** Small builders for records the contract tests need; names are unique so they also work in a shared sandbox. */
export async function createCustomer(
  realm: Realm,
  name = unique('Customer'),
  extra: Record<string, unknown> = {},
): Promise<{ Id: string; SyncToken: string; DisplayName: string; [k: string]: unknown }> {
  const r = await realm.call('POST', 'customer', { DisplayName: name, ...extra });
  if (r.status !== 200) throw new Error(`create customer: ${r.status} ${r.text}`);
  return r.json.Customer;
}

/** The first active account of a type (Income, Cost of Goods Sold, Other Current Asset …); an Inventory sub-type narrows it. */
export async function accountId(realm: Realm, type: string, subType?: string): Promise<string> {
  const where = `AccountType = '${type}'${subType ? ` AND AccountSubType = '${subType}'` : ''}`;
  const accounts = await realm.query(`select * from Account where ${where} MAXRESULTS 1`);
  const id = accounts.json?.QueryResponse?.Account?.[0]?.Id;
  if (accounts.status !== 200 || !id) throw new Error(`no ${type} account: ${accounts.status} ${accounts.text}`);
  return id;
}

export async function createItem(
  realm: Realm,
  name = unique('Service'),
  unitPrice = 100,
): Promise<{ Id: string; SyncToken: string; Name: string; [k: string]: unknown }> {
  const income = await accountId(realm, 'Income');
  const r = await realm.call('POST', 'item', {
    Name: name,
    Type: 'Service',
    UnitPrice: unitPrice,
    IncomeAccountRef: { value: income },
  });
  if (r.status !== 200) throw new Error(`create item: ${r.status} ${r.text}`);
  return r.json.Item;
}

export function salesLine(itemId: string, qty: number, unitPrice: number, taxable = false): Record<string, unknown> {
  return {
    DetailType: 'SalesItemLineDetail',
    Amount: Math.round(qty * unitPrice * 100) / 100,
    SalesItemLineDetail: {
      ItemRef: { value: itemId },
      Qty: qty,
      UnitPrice: unitPrice,
      TaxCodeRef: { value: taxable ? 'TAX' : 'NON' },
    },
  };
}

export async function createInvoice(
  realm: Realm,
  customerId: string,
  lines: Array<Record<string, unknown>>,
  extra: Record<string, unknown> = {},
  path = 'invoice',
) {
  return realm.call('POST', path, { CustomerRef: { value: customerId }, Line: lines, ...extra });
}
