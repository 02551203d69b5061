/** Seeds: `salesin` (a US wholesaler), `reckon` (the same company in AU dollars with GST), `empty`. */
import {
  RECKON_INFO,
  US_INFO,
  type Address,
  type CompanyData,
  type Customer,
  type Item,
  type ItemType,
  type PriceLevel,
  type SalesTaxCode,
} from './company';

export type SeedName = 'salesin' | 'reckon' | 'empty';

const COMPANIES = [
  'Abercrombie Hardware',
  'Baker Street Builders',
  'Cedar Lane Nursery',
  'Delta Plumbing',
  'Eastside Garden Centre',
  'Fairview Landscaping',
  'Granite Works',
  'Harbor Home Supply',
  'Ironwood Carpentry',
  'Juniper Homes',
  'Keystone Contractors',
  'Lakeside Hardware',
  'Maple Ridge Farms',
  'Northgate Tools',
  'Oakmont Renovations',
  'Pinecrest Garden Supply',
  'Quarry Road Stone',
  'Riverside Builders',
  'Summit Roofing',
  'Timberline Decks',
  'Union Square Interiors',
  'Valley Irrigation',
  'Westfield Paint & Paper',
  'Yellowstone Outdoor',
  'Zenith Electrical',
  'Acorn Property Care',
  'Bluebird Cottages',
  'Copperfield Kitchens',
  'Driftwood Joinery',
  'Evergreen Estates',
  'Foxglove Florists',
  'Golden Gate Glass',
  'Hillcrest Fencing',
  'Ivy League Gardens',
  'Jasper & Sons',
  'Kingfisher Pools',
  "Lighthouse Mariners' Supply",
  'Meadowbrook Stables',
  'Northern Lights Solar',
  'Orchard Hill Cidery',
];
const STREETS = ['Main St', 'Oak Ave', 'Pine Rd', 'Harbour Dr', 'Station Rd', 'High St', 'Park Lane', 'Mill Rd'];
const US_CITIES: Array<[string, string, string]> = [
  ['San Francisco', 'CA', '94105'],
  ['Oakland', 'CA', '94607'],
  ['Portland', 'OR', '97205'],
  ['Seattle', 'WA', '98101'],
  ['Reno', 'NV', '89501'],
];
const AU_CITIES: Array<[string, string, string]> = [
  ['Sydney', 'NSW', '2000'],
  ['Melbourne', 'VIC', '3000'],
  ['Brisbane', 'QLD', '4000'],
  ['Adelaide', 'SA', '5000'],
  ['Perth', 'WA', '6000'],
];

interface ItemSpec {
  name: string;
  type: ItemType;
  parent?: string;
  desc?: string;
  price?: string;
  percent?: string;
  taxable?: boolean;
  stock?: string;
  cost?: string;
}

const ITEMS: ItemSpec[] = [
  { name: 'Hardware', type: 'NonInventory', desc: 'Hardware (category)', price: '0' },
  {
    name: 'Claw Hammer',
    type: 'Inventory',
    parent: 'Hardware',
    desc: 'Claw hammer, 16 oz',
    price: '24.95',
    stock: '120',
    cost: '11.20',
  },
  {
    name: 'Cordless Drill',
    type: 'Inventory',
    parent: 'Hardware',
    desc: 'Cordless drill 18V',
    price: '149.00',
    stock: '35',
    cost: '82.00',
  },
  {
    name: 'Wood Screws 100pk',
    type: 'Inventory',
    parent: 'Hardware',
    desc: 'Wood screws, pack of 100',
    price: '8.49',
    stock: '640',
    cost: '3.10',
  },
  {
    name: 'Tape Measure',
    type: 'Inventory',
    parent: 'Hardware',
    desc: 'Tape measure 8 m',
    price: '12.75',
    stock: '0',
    cost: '5.60',
  },
  { name: 'Garden', type: 'NonInventory', desc: 'Garden (category)', price: '0' },
  {
    name: 'Potting Mix 25L',
    type: 'Inventory',
    parent: 'Garden',
    desc: 'Premium potting mix, 25 litres',
    price: '15.99',
    stock: '300',
    cost: '6.50',
  },
  {
    name: 'Garden Hose 30m',
    type: 'Inventory',
    parent: 'Garden',
    desc: 'Garden hose, 30 m',
    price: '59.00',
    stock: '48',
    cost: '27.00',
  },
  {
    name: 'Pruning Shears',
    type: 'Inventory',
    parent: 'Garden',
    desc: 'Bypass pruning shears',
    price: '34.50',
    stock: '75',
    cost: '14.00',
  },
  { name: 'Seed Pack', type: 'NonInventory', parent: 'Garden', desc: 'Seasonal seed pack', price: '4.25' },
  { name: 'Services', type: 'Service', desc: 'Services (category)', price: '0', taxable: false },
  { name: 'Delivery', type: 'Service', parent: 'Services', desc: 'Local delivery', price: '45.00', taxable: false },
  {
    name: 'Installation',
    type: 'Service',
    parent: 'Services',
    desc: 'Installation, per hour',
    price: '85.00',
    taxable: false,
  },
  {
    name: 'Consultation',
    type: 'Service',
    parent: 'Services',
    desc: 'Garden design consultation',
    price: '120.00',
    taxable: false,
  },
  { name: 'Freight', type: 'OtherCharge', desc: 'Freight charge', price: '25.00', taxable: false },
  { name: 'Loyalty Discount', type: 'Discount', desc: 'Loyalty discount 5%', percent: '-5' },
];

export function seedCompany(data: CompanyData, seed: SeedName): void {
  const reckon = seed === 'reckon';
  data.clear(reckon ? RECKON_INFO : US_INFO);
  if (seed === 'empty') return;
  const taxCode = (name: string, taxable: boolean, desc: string, rateItem?: Item): SalesTaxCode => {
    const code: SalesTaxCode = {
      ...data.newList(name),
      IsTaxable: taxable,
      Desc: desc,
      ItemSalesTaxListID: rateItem?.ListID,
    };
    data.salesTaxCodes.set(code.ListID, code);
    return code;
  };
  const taxItem = (name: string, rate: string, desc: string): Item => {
    const item: Item = { ...data.newList(name), type: 'SalesTax', TaxRate: rate, Desc: desc };
    data.items.set(item.ListID, item);
    return item;
  };
  let taxable: SalesTaxCode;
  let nonTaxable: SalesTaxCode;
  let defaultTaxItem: Item | undefined;
  if (reckon) {
    const gst = taxItem('GST', '10', 'Goods and services tax 10%');
    const free = taxItem('FRE', '0', 'GST free');
    const exempt = taxItem('E', '0', 'Input taxed / exempt');
    taxable = taxCode('GST', true, 'GST 10%', gst);
    nonTaxable = taxCode('FRE', false, 'GST free', free);
    taxCode('E', false, 'Exempt', exempt);
  } else {
    defaultTaxItem = taxItem('CA Sales Tax', '8.625', 'California sales tax (San Francisco)');
    taxItem('Out of State', '0', 'No tax: sales out of state');
    taxable = taxCode('Tax', true, 'Taxable sales');
    nonTaxable = taxCode('Non', false, 'Non-taxable sales');
  }
  const byName = new Map<string, Item>();
  for (const spec of ITEMS) {
    const item: Item = {
      ...data.newList(spec.name),
      type: spec.type,
      ParentListID: spec.parent ? byName.get(spec.parent)!.ListID : undefined,
      Desc: spec.desc,
      Price: spec.percent === undefined ? aud(spec.price ?? '0', reckon) : undefined,
      PricePercent: spec.percent,
      SalesTaxCodeListID: (spec.taxable ?? true) ? taxable.ListID : nonTaxable.ListID,
    };
    if (spec.type === 'Inventory') {
      item.QuantityOnHand = spec.stock ?? '0';
      item.QuantityOnSalesOrder = '0';
      item.AverageCost = aud(spec.cost ?? '0', reckon);
    }
    if (reckon && spec.type !== 'Discount') item.IsTaxIncluded = true;
    byName.set(spec.name, item);
    data.items.set(item.ListID, item);
  }
  const group: Item = {
    ...data.newList('Garden Starter Kit'),
    type: 'Group',
    Desc: 'Potting mix, shears and seeds',
    GroupLines: [
      { ItemListID: byName.get('Potting Mix 25L')!.ListID, Quantity: '2' },
      { ItemListID: byName.get('Pruning Shears')!.ListID, Quantity: '1' },
      { ItemListID: byName.get('Seed Pack')!.ListID, Quantity: '3' },
    ],
  };
  data.items.set(group.ListID, group);

  const wholesale: PriceLevel = {
    ...data.newList('Wholesale -10%'),
    PriceLevelType: 'FixedPercentage',
    FixedPercentage: '-10',
  };
  const trade: PriceLevel = {
    ...data.newList('Trade Prices'),
    PriceLevelType: 'PerItem',
    PerItem: [
      { ItemListID: byName.get('Cordless Drill')!.ListID, CustomPrice: aud('129.00', reckon) },
      { ItemListID: byName.get('Claw Hammer')!.ListID, CustomPrice: aud('19.95', reckon) },
      { ItemListID: byName.get('Potting Mix 25L')!.ListID, CustomPricePercent: '-15' },
      { ItemListID: byName.get('Installation')!.ListID, CustomPricePercent: '-20' },
    ],
  };
  data.priceLevels.set(wholesale.ListID, wholesale);
  data.priceLevels.set(trade.ListID, trade);

  const cities = reckon ? AU_CITIES : US_CITIES;
  const country = reckon ? 'Australia' : 'US';
  for (const [i, name] of COMPANIES.entries()) {
    const [city, state, zip] = cities[i % cities.length];
    const bill: Address = {
      Addr1: name,
      Addr2: `${100 + i * 7} ${STREETS[i % STREETS.length]}`,
      City: city,
      State: state,
      PostalCode: zip,
      Country: country,
    };
    const ship: Address =
      i % 4 === 0
        ? { ...bill, Addr2: `Dock ${1 + (i % 3)}, ${200 + i} ${STREETS[(i + 3) % STREETS.length]}` }
        : { ...bill };
    const customer: Customer = {
      ...data.newList(name),
      fields: {
        CompanyName: name,
        FirstName: ['Alex', 'Sam', 'Jordan', 'Taylor', 'Morgan'][i % 5],
        LastName: ['Nguyen', 'Smith', 'Garcia', 'Brown', 'Wilson', 'Lee', 'Patel', 'Jones'][i % 8],
        Phone: reckon ? `02 9${String(1000000 + i * 7919).slice(-7)}` : `415-555-${String(1000 + i * 37).slice(-4)}`,
        Email: `accounts@${name.toLowerCase().replace(/[^a-z]+/g, '')}.example`,
      },
      BillAddress: bill,
      ShipAddress: ship,
      SalesTaxCodeListID: i % 10 === 9 ? nonTaxable.ListID : taxable.ListID,
      ItemSalesTaxListID: defaultTaxItem?.ListID,
      PriceLevelListID: i % 3 === 0 ? wholesale.ListID : i % 5 === 0 ? trade.ListID : undefined,
      Balance: 0,
    };
    if (i === 39) customer.IsActive = false;
    data.customers.set(customer.ListID, customer);
    if (i % 8 === 1) {
      const job: Customer = {
        ...data.newList(`Job ${i + 1} Fit-out`),
        ParentListID: customer.ListID,
        fields: { CompanyName: name },
        BillAddress: bill,
        ShipAddress: { ...ship, Addr1: `${name} site` },
        SalesTaxCodeListID: customer.SalesTaxCodeListID,
        ItemSalesTaxListID: customer.ItemSalesTaxListID,
        PriceLevelListID: customer.PriceLevelListID,
        Balance: 0,
      };
      data.customers.set(job.ListID, job);
    }
  }
  data.otherNames.push(
    { Name: 'Acme Supply Co', kind: 'Vendor' },
    { Name: 'Pat Employee', kind: 'Employee' },
    { Name: 'Owner Drawings', kind: 'OtherName' },
  );
  data.lastRefNumber = { SalesOrder: '5000', Invoice: '10000', Estimate: '700', ReceivePayment: '1' };
}

/** The Reckon company prices in AU dollars: the same figures, GST-inclusive (so 10% above the US net figure). */
function aud(price: string, reckon: boolean): string {
  if (!reckon) return price;
  const [w, f = ''] = price.split('.');
  const cents = Number(w) * 100 + Number((f + '00').slice(0, 2));
  const inc = Math.round((cents * 11) / 10);
  return `${Math.floor(inc / 100)}.${String(inc % 100).padStart(2, '0')}`;
}
