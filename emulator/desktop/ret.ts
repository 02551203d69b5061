/** The `*Ret` aggregates, children in the order of Intuit's schema (only the elements the emulator keeps). */
import {
  ADDRESS_FIELDS,
  qbTime,
  type Address,
  type CompanyData,
  type Customer,
  type Item,
  type PriceLevel,
  type SalesTaxCode,
  type Txn,
  type TxnLine,
} from './company';
import { formatCents, formatScaled, parseScaled } from './dec';
import { el, opt, type Child, type XmlElement } from './xml';

const bool = (name: string, v: boolean | undefined) => (v === undefined ? undefined : el(name, v ? 'true' : 'false'));

function ref(name: string, listID: string | undefined, fullName: string | undefined): XmlElement | undefined {
  if (!listID) return undefined;
  return el(name, [el('ListID', listID), opt('FullName', fullName)]);
}

function address(name: string, a: Address | undefined): XmlElement | undefined {
  if (!a) return undefined;
  return el(
    name,
    ADDRESS_FIELDS.map((f) => opt(f, a[f])),
  );
}

function times(c: CompanyData, r: { TimeCreated: number; TimeModified: number; EditSequence: string }): Child[] {
  const off = c.info.utcOffsetMinutes;
  return [
    el('TimeCreated', qbTime(r.TimeCreated, off)),
    el('TimeModified', qbTime(r.TimeModified, off)),
    el('EditSequence', r.EditSequence),
  ];
}

export function customerRet(c: CompanyData, r: Customer): XmlElement {
  const f = r.fields;
  const code = r.SalesTaxCodeListID ? c.salesTaxCodes.get(r.SalesTaxCodeListID) : undefined;
  const taxItem = r.ItemSalesTaxListID ? c.items.get(r.ItemSalesTaxListID) : undefined;
  const level = r.PriceLevelListID ? c.priceLevels.get(r.PriceLevelListID) : undefined;
  const parent = r.ParentListID ? c.customers.get(r.ParentListID) : undefined;
  return el('CustomerRet', [
    el('ListID', r.ListID),
    ...times(c, r),
    el('Name', r.Name),
    el('FullName', c.customerFullName(r)),
    bool('IsActive', r.IsActive),
    parent && ref('ParentRef', parent.ListID, c.customerFullName(parent)),
    el('Sublevel', c.sublevel(r, c.customers)),
    ...['CompanyName', 'Salutation', 'FirstName', 'MiddleName', 'LastName', 'JobTitle'].map((k) => opt(k, f[k])),
    address('BillAddress', r.BillAddress),
    address('ShipAddress', r.ShipAddress),
    ...['Phone', 'Mobile', 'AltPhone', 'Fax', 'Email', 'Cc', 'Contact', 'AltContact'].map((k) => opt(k, f[k])),
    el('Balance', formatCents(r.Balance)),
    el('TotalBalance', formatCents(totalBalance(c, r))),
    ref('SalesTaxCodeRef', code?.ListID, code?.Name),
    ref('ItemSalesTaxRef', taxItem?.ListID, taxItem?.Name),
    ...['ResaleNumber', 'AccountNumber', 'CreditLimit', 'JobDesc', 'Notes'].map((k) => opt(k, f[k])),
    ref('PriceLevelRef', level?.ListID, level?.Name),
    opt('ExternalGUID', r.ExternalGUID),
  ]);
}

function totalBalance(c: CompanyData, r: Customer): number {
  let total = r.Balance;
  for (const id of c.jobsOf(r.ListID)) {
    const job = c.customers.get(id);
    if (job) total += totalBalance(c, job);
  }
  return total;
}

const ITEM_RET: Record<Item['type'], string> = {
  Service: 'ItemServiceRet',
  NonInventory: 'ItemNonInventoryRet',
  Inventory: 'ItemInventoryRet',
  OtherCharge: 'ItemOtherChargeRet',
  Group: 'ItemGroupRet',
  Discount: 'ItemDiscountRet',
  SalesTax: 'ItemSalesTaxRet',
};
export const itemRetName = (type: Item['type']) => ITEM_RET[type];

const price = (v: string | undefined) => (v === undefined ? undefined : formatScaled(parseScaled(v), 2));

export function itemRet(c: CompanyData, r: Item): XmlElement {
  const parent = r.ParentListID ? c.items.get(r.ParentListID) : undefined;
  const code = r.SalesTaxCodeListID ? c.salesTaxCodes.get(r.SalesTaxCodeListID) : undefined;
  const head: Child[] = [el('ListID', r.ListID), ...times(c, r), el('Name', r.Name)];
  const hierarchy: Child[] = [
    el('FullName', c.itemFullName(r)),
    bool('IsActive', r.IsActive),
    parent && ref('ParentRef', parent.ListID, c.itemFullName(parent)),
    el('Sublevel', c.sublevel(r, c.items)),
  ];
  const taxCode = ref('SalesTaxCodeRef', code?.ListID, code?.Name);
  switch (r.type) {
    case 'Inventory':
      return el('ItemInventoryRet', [
        ...head,
        ...hierarchy,
        bool('IsTaxIncluded', r.IsTaxIncluded),
        taxCode,
        opt('SalesDesc', r.Desc),
        opt('SalesPrice', price(r.Price)),
        opt('QuantityOnHand', r.QuantityOnHand ?? '0'),
        opt('AverageCost', price(r.AverageCost)),
        el('QuantityOnOrder', '0'),
        opt('QuantityOnSalesOrder', r.QuantityOnSalesOrder ?? '0'),
        opt('ExternalGUID', r.ExternalGUID),
      ]);
    case 'Service':
    case 'NonInventory':
    case 'OtherCharge':
      return el(ITEM_RET[r.type], [
        ...head,
        ...hierarchy,
        bool('IsTaxIncluded', r.IsTaxIncluded),
        taxCode,
        el('SalesOrPurchase', [
          opt('Desc', r.Desc),
          r.PricePercent !== undefined
            ? el('PricePercent', formatScaled(parseScaled(r.PricePercent)))
            : opt('Price', price(r.Price)),
        ]),
        opt('ExternalGUID', r.ExternalGUID),
      ]);
    case 'Discount':
      return el('ItemDiscountRet', [
        ...head,
        ...hierarchy,
        opt('ItemDesc', r.Desc),
        taxCode,
        r.PricePercent !== undefined
          ? el('DiscountRatePercent', formatScaled(parseScaled(r.PricePercent)))
          : opt('DiscountRate', price(r.Price)),
        opt('ExternalGUID', r.ExternalGUID),
      ]);
    case 'SalesTax':
      return el('ItemSalesTaxRet', [
        ...head,
        bool('IsActive', r.IsActive),
        opt('ItemDesc', r.Desc),
        opt('TaxRate', r.TaxRate === undefined ? undefined : formatScaled(parseScaled(r.TaxRate))),
        opt('ExternalGUID', r.ExternalGUID),
      ]);
    case 'Group':
      return el('ItemGroupRet', [
        ...head,
        bool('IsActive', r.IsActive),
        opt('ItemDesc', r.Desc),
        el('IsPrintItemsInGroup', 'false'),
        opt('ExternalGUID', r.ExternalGUID),
        ...(r.GroupLines ?? []).map((g) => {
          const member = c.items.get(g.ItemListID);
          return el('ItemGroupLine', [
            ref('ItemRef', member?.ListID, member && c.itemFullName(member)),
            el('Quantity', g.Quantity),
          ]);
        }),
      ]);
  }
}

export function priceLevelRet(c: CompanyData, r: PriceLevel): XmlElement {
  return el('PriceLevelRet', [
    el('ListID', r.ListID),
    ...times(c, r),
    el('Name', r.Name),
    bool('IsActive', r.IsActive),
    el('PriceLevelType', r.PriceLevelType),
    r.PriceLevelType === 'FixedPercentage' && opt('PriceLevelFixedPercentage', r.FixedPercentage),
    ...(r.PriceLevelType === 'PerItem' ? (r.PerItem ?? []) : []).map((p) => {
      const item = c.items.get(p.ItemListID);
      return el('PriceLevelPerItemRet', [
        ref('ItemRef', item?.ListID, item && c.itemFullName(item)),
        p.CustomPrice !== undefined
          ? el('CustomPrice', price(p.CustomPrice)!)
          : opt('CustomPricePercent', p.CustomPricePercent),
      ]);
    }),
  ]);
}

export function salesTaxCodeRet(c: CompanyData, r: SalesTaxCode): XmlElement {
  const item = r.ItemSalesTaxListID ? c.items.get(r.ItemSalesTaxListID) : undefined;
  return el('SalesTaxCodeRet', [
    el('ListID', r.ListID),
    ...times(c, r),
    el('Name', r.Name),
    bool('IsActive', r.IsActive),
    bool('IsTaxable', r.IsTaxable),
    opt('Desc', r.Desc),
    ref('ItemSalesTaxRef', item?.ListID, item?.Name),
  ]);
}

function lineRet(c: CompanyData, kind: Txn['kind'], l: TxnLine): XmlElement {
  const item = l.ItemListID ? c.items.get(l.ItemListID) : undefined;
  const code = l.SalesTaxCodeListID ? c.salesTaxCodes.get(l.SalesTaxCodeListID) : undefined;
  return el(`${kind}LineRet`, [
    el('TxnLineID', l.TxnLineID),
    ref('ItemRef', item?.ListID, item && c.itemFullName(item)),
    opt('Desc', l.Desc),
    opt('Quantity', l.Quantity),
    l.RatePercent !== undefined
      ? el('RatePercent', l.RatePercent)
      : opt('Rate', l.Rate === undefined ? undefined : price(l.Rate)),
    el('Amount', formatCents(l.Amount)),
    ref('SalesTaxCodeRef', code?.ListID, code?.Name),
    kind === 'SalesOrder' ? el('Invoiced', l.Invoiced ?? '0') : undefined,
    kind === 'SalesOrder' ? bool('IsManuallyClosed', l.IsManuallyClosed ?? false) : undefined,
  ]);
}

export function txnRet(c: CompanyData, t: Txn, includeLines: boolean): XmlElement {
  const customer = c.customers.get(t.CustomerListID);
  const custRef = ref('CustomerRef', customer?.ListID, customer && c.customerFullName(customer));
  const head: Child[] = [el('TxnID', t.TxnID), ...times(c, t), el('TxnNumber', t.TxnNumber), custRef];
  if (t.kind === 'ReceivePayment') {
    return el('ReceivePaymentRet', [
      ...head,
      el('TxnDate', t.TxnDate),
      opt('RefNumber', t.RefNumber),
      el('TotalAmount', formatCents(t.TotalAmount)),
      opt('Memo', t.fields.Memo),
      el('UnusedPayment', formatCents(t.UnusedPayment ?? 0)),
      el('UnusedCredits', '0.00'),
      opt('ExternalGUID', t.ExternalGUID),
      ...(t.applied ?? []).map((a) => {
        const inv = c.txns.get(a.TxnID);
        return el('AppliedToTxnRet', [
          el('TxnID', a.TxnID),
          el('TxnType', 'Invoice'),
          opt('TxnDate', inv?.TxnDate),
          opt('RefNumber', inv?.RefNumber),
          opt('BalanceRemaining', inv ? formatCents(inv.TotalAmount + (inv.AppliedAmount ?? 0)) : undefined),
          el('Amount', formatCents(a.Amount)),
        ]);
      }),
    ]);
  }
  const taxItem = t.ItemSalesTaxListID ? c.items.get(t.ItemSalesTaxListID) : undefined;
  const custCode = t.CustomerSalesTaxCodeListID ? c.salesTaxCodes.get(t.CustomerSalesTaxCodeListID) : undefined;
  const f = t.fields;
  const children: Child[] = [
    ...head,
    el('TxnDate', t.TxnDate),
    opt('RefNumber', t.RefNumber),
    address('BillAddress', t.BillAddress),
    address('ShipAddress', t.ShipAddress),
  ];
  if (t.kind === 'Invoice') children.push(bool('IsPending', f.IsPending === 'true'));
  if (t.kind === 'Estimate') children.push(bool('IsActive', t.IsActive ?? true));
  children.push(opt('PONumber', f.PONumber), opt('DueDate', f.DueDate));
  if (t.kind !== 'Estimate') children.push(opt('ShipDate', f.ShipDate));
  children.push(
    el('Subtotal', formatCents(t.Subtotal)),
    ref('ItemSalesTaxRef', taxItem?.ListID, taxItem?.Name),
    opt('SalesTaxPercentage', t.SalesTaxPercentage),
    el('SalesTaxTotal', formatCents(t.SalesTaxTotal)),
  );
  if (t.kind === 'Invoice') {
    children.push(
      el('AppliedAmount', formatCents(t.AppliedAmount ?? 0)),
      el('BalanceRemaining', formatCents(t.TotalAmount + (t.AppliedAmount ?? 0))),
      opt('Memo', f.Memo),
      bool('IsPaid', t.TotalAmount + (t.AppliedAmount ?? 0) <= 0),
    );
  } else {
    children.push(el('TotalAmount', formatCents(t.TotalAmount)));
    if (t.kind === 'SalesOrder')
      children.push(
        bool('IsManuallyClosed', t.IsManuallyClosed ?? false),
        bool(
          'IsFullyInvoiced',
          t.lines.length > 0 &&
            t.lines.every(
              (l) =>
                l.Invoiced !== undefined &&
                l.Quantity !== undefined &&
                parseScaled(l.Invoiced) >= parseScaled(l.Quantity),
            ),
        ),
      );
    children.push(opt('Memo', f.Memo));
  }
  children.push(
    bool('IsTaxIncluded', t.IsTaxIncluded),
    ref('CustomerSalesTaxCodeRef', custCode?.ListID, custCode?.Name),
    opt('Other', f.Other),
    opt('ExternalGUID', t.ExternalGUID),
  );
  if (includeLines) children.push(...t.lines.map((l) => lineRet(c, t.kind, l)));
  return el(`${t.kind}Ret`, children);
}

/** IncludeRetElement: only the named top-level children (QuickBooks' way to make big queries smaller). */
export function onlyElements(ret: XmlElement, names: string[]): XmlElement {
  if (names.length === 0) return ret;
  const keep = new Set(names);
  return { ...ret, children: ret.children.filter((ch) => keep.has(ch.name)) };
}
