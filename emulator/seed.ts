import type { Company } from './company';

export interface BulkSeed {
  customers?: number;
  items?: number;
  invoices?: number;
  payments?: number;
  maxLinesPerInvoice?: number;
}

const FIRST = [
  'Amy',
  'Bill',
  'Carla',
  'Dinesh',
  'Erin',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemi',
  'Luis',
  'Mara',
  'Nils',
  'Olga',
  'Pablo',
];
const LAST = ["O'Brien", 'Schmidt', 'Nguyen', 'Okafor', 'Rossi', 'Tanaka', 'Kowalski', 'Haddad', 'Larsen', 'Mendes'];
const CITIES: Array<[string, string, string]> = [
  ['Chicago', 'IL', '60601'],
  ['Austin', 'TX', '73301'],
  ['Denver', 'CO', '80202'],
  ['Seattle', 'WA', '98101'],
  ['Boston', 'MA', '02108'],
];

/** A deterministic pseudo-random sequence, so seeded companies are the same every time. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function ensureTaxes(company: Company): { codeId: string } {
  const existing = [...company.table('TaxCode').values()].find((c) => c.Name === 'Illinois');
  if (existing) return { codeId: existing.Id };
  const state = company.create(
    'TaxRate',
    { Name: 'IL State', RateValue: 6.25, AgencyRef: { value: '1', name: 'Illinois Department of Revenue' } },
    { seeding: true },
  );
  const city = company.create(
    'TaxRate',
    { Name: 'Chicago City', RateValue: 1.25, AgencyRef: { value: '2', name: 'City of Chicago' } },
    { seeding: true },
  );
  const code = company.create(
    'TaxCode',
    {
      Name: 'Illinois',
      Description: 'IL state and Chicago city',
      Taxable: true,
      SalesTaxRateList: { TaxRateDetail: [{ TaxRateRef: { value: state.Id } }, { TaxRateRef: { value: city.Id } }] },
    },
    { seeding: true },
  );
  // QuickBooks' US pseudo codes, used on lines.
  if (!company.table('TaxCode').has('TAX')) {
    company.create('TaxCode', { Id: 'TAX', Name: 'TAX', Description: 'TAX', Taxable: true }, { seeding: true });
    company.create('TaxCode', { Id: 'NON', Name: 'NON', Description: 'NON', Taxable: false }, { seeding: true });
  }
  return { codeId: code.Id };
}

function customer(company: Company, i: number, random: () => number): string {
  const [city, region, zip] = CITIES[i % CITIES.length];
  const given = FIRST[i % FIRST.length];
  const family = LAST[Math.floor(i / FIRST.length) % LAST.length];
  const address = {
    Line1: `${100 + i} Main St`,
    City: city,
    CountrySubDivisionCode: region,
    PostalCode: zip,
    Country: 'US',
  };
  return company.create('Customer', {
    DisplayName: `${given} ${family} ${i + 1}`,
    GivenName: given,
    FamilyName: family,
    CompanyName: random() < 0.5 ? `${family} Trading ${i + 1}` : undefined,
    PrimaryEmailAddr: { Address: `${given.toLowerCase()}.${i + 1}@example.com` },
    PrimaryPhone: { FreeFormNumber: `(312) 555-${String(1000 + (i % 9000)).padStart(4, '0')}` },
    BillAddr: address,
    ShipAddr: random() < 0.3 ? { ...address, Line1: `${200 + i} Dock Rd` } : address,
  }).Id;
}

function invoices(
  company: Company,
  customers: string[],
  items: string[],
  count: number,
  maxLines: number,
  random: () => number,
  taxCode?: string,
): string[] {
  const ids: string[] = [];
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < count; i++) {
    const lines = [];
    const n = 1 + Math.floor(random() * maxLines);
    for (let l = 0; l < n; l++) {
      const qty = 1 + Math.floor(random() * 5);
      const price = (500 + Math.floor(random() * 20000)) / 100;
      lines.push({
        DetailType: 'SalesItemLineDetail',
        Amount: Math.round(qty * price * 100) / 100,
        Description: `Line ${l + 1}`,
        SalesItemLineDetail: {
          ItemRef: { value: items[Math.floor(random() * items.length)] },
          Qty: qty,
          UnitPrice: price,
          TaxCodeRef: { value: random() < 0.5 ? 'TAX' : 'NON' },
        },
      });
    }
    const date = new Date(start + Math.floor(random() * 300) * 86_400_000).toISOString().slice(0, 10);
    ids.push(
      company.create('Invoice', {
        CustomerRef: { value: customers[i % customers.length] },
        TxnDate: date,
        Line: lines,
        ...(taxCode ? { TxnTaxDetail: { TxnTaxCodeRef: { value: taxCode } } } : {}),
      }).Id,
    );
  }
  return ids;
}

function payments(company: Company, invoiceIds: string[], count: number, random: () => number): void {
  for (let i = 0; i < count && i < invoiceIds.length; i++) {
    const invoice = company.table('Invoice').get(invoiceIds[i])!;
    const balance = Number(invoice.Balance);
    if (balance <= 0) continue;
    const amount = random() < 0.6 ? balance : Math.round(balance * 50) / 100;
    company.create('Payment', {
      CustomerRef: invoice.CustomerRef,
      TotalAmt: amount,
      TxnDate: invoice.TxnDate,
      PaymentRefNum: `CHK${1000 + i}`,
      Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
  }
}

/** A realistic small company: customers with addresses, categories, services and stock, taxes, invoices, payments, estimates. */
export function seedDemo(company: Company): void {
  if (company.table('Customer').size > 0) return;
  const random = rng(42);
  const { codeId } = ensureTaxes(company);
  const customers = Array.from({ length: 60 }, (_, i) => customer(company, i, random));
  const hardware = company.create('Item', { Name: 'Hardware', Type: 'Category' }).Id;
  const services = company.create('Item', { Name: 'Services', Type: 'Category' }).Id;
  const items: string[] = [];
  for (const [name, price] of [
    ['Installation', 75],
    ['Consulting', 120],
    ['Maintenance', 95],
    ['Training', 60],
  ] as const) {
    items.push(
      company.create('Item', {
        Name: name,
        Type: 'Service',
        UnitPrice: price,
        IncomeAccountRef: { value: '1', name: 'Services' },
        ParentRef: { value: services },
      }).Id,
    );
  }
  for (const [name, price, qty] of [
    ['Router', 149.99, 40],
    ['Switch 24-port', 329, 12],
    ['Cable Cat6 10m', 12.5, 300],
    ['Access Point', 189, 25],
  ] as const) {
    items.push(
      company.create('Item', {
        Name: name,
        Type: 'Inventory',
        UnitPrice: price,
        Sku: name
          .toUpperCase()
          .replace(/[^A-Z0-9]/g, '')
          .slice(0, 10),
        QtyOnHand: qty,
        InvStartDate: '2026-01-01',
        TrackQtyOnHand: true,
        IncomeAccountRef: { value: '79', name: 'Sales of Product Income' },
        AssetAccountRef: { value: '81', name: 'Inventory Asset' },
        ExpenseAccountRef: { value: '80', name: 'Cost of Goods Sold' },
        ParentRef: { value: hardware },
        Taxable: true,
      }).Id,
    );
  }
  items.push(
    company.create('Item', {
      Name: 'Shipping',
      Type: 'NonInventory',
      UnitPrice: 15,
      IncomeAccountRef: { value: '1', name: 'Services' },
    }).Id,
  );
  const invoiceIds = invoices(company, customers, items, 120, 5, random, codeId);
  payments(company, invoiceIds, 70, random);
  for (let i = 0; i < 10; i++) {
    company.create('Estimate', {
      CustomerRef: { value: customers[i] },
      TxnDate: '2026-06-01',
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 240,
          SalesItemLineDetail: { ItemRef: { value: items[1] }, Qty: 2, UnitPrice: 120 },
        },
      ],
    });
  }
}

/** Many records quickly, for paging tests and benchmarks. */
export function seedBulk(company: Company, seed: BulkSeed): void {
  const random = rng(7 + company.nextId);
  const base = company.table('Customer').size;
  const customers = Array.from({ length: seed.customers ?? 0 }, (_, i) => customer(company, base + i, random));
  const { codeId } = seed.invoices ? ensureTaxes(company) : { codeId: undefined };
  const items: string[] = [];
  const itemBase = company.table('Item').size;
  for (let i = 0; i < (seed.items ?? 0); i++) {
    items.push(
      company.create('Item', {
        Name: `Product ${itemBase + i + 1}`,
        Type: i % 4 === 0 ? 'NonInventory' : 'Service',
        Sku: `SKU${itemBase + i + 1}`,
        UnitPrice: (100 + (i % 900)) / 10,
        IncomeAccountRef: { value: '1', name: 'Services' },
      }).Id,
    );
  }
  if (seed.invoices) {
    const allCustomers = customers.length ? customers : [...company.table('Customer').keys()];
    const allItems = items.length
      ? items
      : [...company.table('Item').values()].filter((i) => i.Type !== 'Category').map((i) => i.Id);
    const invoiceIds = invoices(
      company,
      allCustomers,
      allItems,
      seed.invoices,
      seed.maxLinesPerInvoice ?? 20,
      random,
      codeId,
    );
    payments(company, invoiceIds, seed.payments ?? 0, random);
  }
}
