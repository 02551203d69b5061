/**
 * qbsync's own order/length tables for the qbXML requests the emulator supports, written from reading Intuit's
 * qbXML 13.0 schema (not copied from it), plus a validator that treats them as QuickBooks does: an element out of
 * order, unknown, missing or of the wrong simple type rejects the whole document (hresult 0x80040400); a string over
 * its maximum length fails only its request (status 3070); an element newer than the document's qbXML version is
 * unknown to that version's parser, so it too rejects the document.
 *
 * Notation, one particle per token: `Name:TYPE` (exactly once), `Name?:TYPE`, `Name*:TYPE`, `Name+:TYPE`,
 * `Name{0,50}:TYPE`, a `@8` suffix = "since qbXML 8.0"; `( a b | c )?` is a choice between sequences.
 * Types: S<n> string of at most n characters, S unbounded, ID, B (true/false), INT, AMT, PRICE, QUAN, PCT, DATE,
 * DT (date or date-time), GUID, E[a,b,c] enumeration, ANY (accepted as is, not checked), or a named table below.
 */
import type { XmlElement } from './xml';

export type Leaf =
  | { kind: 'str'; max?: number }
  | { kind: 'id' | 'bool' | 'int' | 'amt' | 'price' | 'quan' | 'pct' | 'date' | 'dt' | 'guid' | 'any' }
  | { kind: 'enum'; values: string[] };

export interface ElementParticle {
  el: string;
  min: number;
  max: number;
  type: Leaf | string;
  since?: number;
}
export interface ChoiceParticle {
  choice: Particle[][];
  min: number;
  max: number;
}
export type Particle = ElementParticle | ChoiceParticle;

/** A whole-document rejection: QuickBooks answers such a document with hresult 0x80040400 and no response. */
export class QbxmlParseError extends Error {}

export interface FieldProblem {
  code: 3070 | 3210;
  field: string;
  value: string;
  max?: number;
}

const compiled = new Map<string, Particle[]>();

export function compile(spec: string): Particle[] {
  const tokens = spec.match(/\(|\)[?*+]?|\||[^\s()|]+/g) ?? [];
  let pos = 0;
  const sequence = (): Particle[] => {
    const out: Particle[] = [];
    while (pos < tokens.length && tokens[pos] !== '|' && !tokens[pos].startsWith(')')) {
      const token = tokens[pos++];
      if (token === '(') {
        const branches: Particle[][] = [sequence()];
        while (tokens[pos] === '|') {
          pos++;
          branches.push(sequence());
        }
        const close = tokens[pos++];
        if (!close?.startsWith(')')) throw new Error(`unclosed choice in ${spec}`);
        const [min, max] = occurs(close.slice(1));
        out.push({ choice: branches, min, max });
      } else out.push(particle(token));
    }
    return out;
  };
  const result = sequence();
  if (pos !== tokens.length) throw new Error(`bad schema table near ${tokens[pos]}`);
  return result;
}

function occurs(mark: string): [number, number] {
  if (mark === '?') return [0, 1];
  if (mark === '*') return [0, Infinity];
  if (mark === '+') return [1, Infinity];
  const range = /^\{(\d+),(\d+)\}$/.exec(mark);
  if (range) return [Number(range[1]), Number(range[2])];
  return [1, 1];
}

function particle(token: string): ElementParticle {
  const m = /^([A-Za-z0-9]+)([?*+]|\{\d+,\d+\})?:([^@]+)(?:@([\d.]+))?$/.exec(token);
  if (!m) throw new Error(`bad schema token ${token}`);
  const [min, max] = occurs(m[2] ?? '');
  return { el: m[1], min, max, type: leafOf(m[3]), since: m[4] ? Number(m[4]) : undefined };
}

function leafOf(type: string): Leaf | string {
  const str = /^S(\d*)$/.exec(type);
  if (str) return { kind: 'str', max: str[1] ? Number(str[1]) : undefined };
  const en = /^E\[(.*)\]$/.exec(type);
  if (en) return { kind: 'enum', values: en[1].split(',') };
  const simple: Record<string, Leaf> = {
    ID: { kind: 'id' },
    B: { kind: 'bool' },
    INT: { kind: 'int' },
    AMT: { kind: 'amt' },
    PRICE: { kind: 'price' },
    QUAN: { kind: 'quan' },
    PCT: { kind: 'pct' },
    DATE: { kind: 'date' },
    DT: { kind: 'dt' },
    GUID: { kind: 'guid' },
    ANY: { kind: 'any' },
  };
  return simple[type] ?? type;
}

export function table(name: string): Particle[] {
  let found = compiled.get(name);
  if (!found) {
    const spec = TABLES[name];
    if (spec === undefined) throw new Error(`no schema table ${name}`);
    found = compile(spec);
    compiled.set(name, found);
  }
  return found;
}

/** Elements that can start a particle list (a choice's branch may start with any of its leading optional elements). */
function firsts(particles: Particle[]): Set<string> {
  const out = new Set<string>();
  for (const p of particles) {
    if ('el' in p) {
      out.add(p.el);
      if (p.min > 0) return out;
    } else {
      for (const b of p.choice) for (const f of firsts(b)) out.add(f);
      if (p.min > 0 && p.choice.every((b) => !nullable(b))) return out;
    }
  }
  return out;
}

function nullable(particles: Particle[]): boolean {
  return particles.every((p) => p.min === 0 || ('choice' in p && p.choice.some(nullable)));
}

export interface ValidationContext {
  version: number;
  problems: FieldProblem[];
}

/** Checks `element`'s children against the named table (recursively); throws QbxmlParseError for document-level faults. */
export function validateChildren(
  element: XmlElement,
  particles: Particle[],
  ctx: ValidationContext,
  path: string,
): void {
  const kids = element.children;
  const end = matchSequence(kids, 0, particles, ctx, path);
  if (end < kids.length) {
    const extra = kids[end].name;
    throw new QbxmlParseError(
      `element <${extra}> in ${path} is unknown or out of schema order (QuickBooks found an error when parsing the provided XML text stream)`,
    );
  }
  if (element.text.trim() !== '' && kids.length > 0) throw new QbxmlParseError(`${path} mixes text and elements`);
}

function matchSequence(kids: XmlElement[], start: number, particles: Particle[], ctx: ValidationContext, path: string) {
  let i = start;
  for (const p of particles) {
    let count = 0;
    if ('el' in p) {
      while (i < kids.length && kids[i].name === p.el && count < p.max) {
        checkElement(kids[i], p, ctx, `${path}/${p.el}`);
        i++;
        count++;
      }
      if (count < p.min)
        throw new QbxmlParseError(
          `${path} is missing <${p.el}>${i < kids.length ? ` (found <${kids[i].name}>)` : ''} (QuickBooks found an error when parsing the provided XML text stream)`,
        );
    } else {
      while (i < kids.length && count < p.max) {
        const branch = p.choice.find((b) => firsts(b).has(kids[i].name));
        if (!branch) break;
        const next = matchSequence(kids, i, branch, ctx, path);
        if (next === i) break;
        i = next;
        count++;
      }
      if (count < p.min && !p.choice.some(nullable))
        throw new QbxmlParseError(`${path} is missing one of ${[...firsts(p.choice.flat())].join(', ')}`);
    }
  }
  return i;
}

const DECIMAL = /^-?(\d+\.?\d*|\.\d+)$/;

function checkElement(node: XmlElement, p: ElementParticle, ctx: ValidationContext, path: string): void {
  if (p.since !== undefined && ctx.version < p.since)
    throw new QbxmlParseError(
      `<${p.el}> does not exist in qbXML ${ctx.version.toFixed(1)} (it came with ${p.since.toFixed(1)})`,
    );
  if (Object.keys(node.attrs).length > 0 && !(typeof p.type === 'object' && p.type.kind === 'any'))
    throw new QbxmlParseError(`<${p.el}> takes no attributes`);
  if (typeof p.type === 'string') {
    if (node.text.trim() !== '') throw new QbxmlParseError(`${path} takes elements, not text`);
    validateChildren(node, table(p.type), ctx, path);
    return;
  }
  const leaf = p.type;
  if (leaf.kind === 'any') return;
  if (node.children.length) throw new QbxmlParseError(`${path} takes text, not elements`);
  const v = node.text;
  const bad = (): never => {
    throw new QbxmlParseError(`${path} has an invalid value "${v}"`);
  };
  switch (leaf.kind) {
    case 'str':
      if (leaf.max !== undefined && v.length > leaf.max)
        ctx.problems.push({ code: 3070, field: p.el, value: v, max: leaf.max });
      return;
    case 'id':
      if (v.length > 36) ctx.problems.push({ code: 3070, field: p.el, value: v, max: 36 });
      return;
    case 'bool':
      if (v !== 'true' && v !== 'false') bad();
      return;
    case 'int':
      if (!/^-?\d+$/.test(v.trim())) bad();
      return;
    case 'enum':
      if (!leaf.values.includes(v)) bad();
      return;
    case 'amt':
    case 'price':
    case 'quan':
    case 'pct':
      if (!DECIMAL.test(v.trim())) ctx.problems.push({ code: 3210, field: p.el, value: v });
      return;
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v.trim()) || Number.isNaN(Date.parse(v.trim())))
        ctx.problems.push({ code: 3210, field: p.el, value: v });
      return;
    case 'dt':
      if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?([+-]\d{2}:\d{2}|Z)?)?$/.test(v.trim()))
        ctx.problems.push({ code: 3210, field: p.el, value: v });
      return;
    case 'guid':
      // OwnerID 0 names QuickBooks' own (public) custom fields.
      if (p.el === 'OwnerID' && v.trim() === '0') return;
      if (!/^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$/.test(v.trim()))
        ctx.problems.push({ code: 3210, field: p.el, value: v });
      return;
  }
}

const ACTIVE = 'E[ActiveOnly,InactiveOnly,All]';
const MATCH = 'E[StartsWith,Contains,EndsWith]';
const LIST_FILTER = `MaxReturned?:INT ActiveStatus?:${ACTIVE} FromModifiedDate?:DT ToModifiedDate?:DT (NameFilter:NameFilter | NameRangeFilter:NameRangeFilter)?`;
const LIST_QUERY = (extraFilter = '') =>
  `(ListID+:ID | FullName+:S | ${LIST_FILTER} ${extraFilter})? IncludeRetElement*:S50@4`;
const TXN_FILTER = (extra = '') =>
  `(TxnID+:ID | RefNumber+:S | RefNumberCaseSensitive+:S@3 | MaxReturned?:INT ` +
  `(ModifiedDateRangeFilter:ModifiedDateRangeFilter | TxnDateRangeFilter:TxnDateRangeFilter)? EntityFilter?:EntityFilter ` +
  `AccountFilter?:ANY (RefNumberFilter:RefNumberFilter | RefNumberRangeFilter:RefNumberRangeFilter)? CurrencyFilter?:ANY@8 ${extra})?`;
const ADDRESS =
  'Addr1?:S41 Addr2?:S41 Addr3?:S41 Addr4?:S41@2 Addr5?:S41@6 City?:S31 State?:S21 PostalCode?:S13 Country?:S31 Note?:S41@6';
const CUSTOMER_BODY = (mod: boolean) =>
  `IsActive?:B ClassRef?:ClassRef ParentRef?:CustomerRef CompanyName?:S41 Salutation?:S15 FirstName?:S25 MiddleName?:S5 ` +
  `LastName?:S25 Suffix?:S10@12 JobTitle?:S41@12 BillAddress?:Address ShipAddress?:Address ShipToAddress{0,50}:ANY@12 PrintAs?:S41@12 ` +
  `Phone?:S21 Mobile?:S21@12 Pager?:S21@12 AltPhone?:S21 Fax?:S21 Email?:S1023 Cc?:S1023@6 Contact?:S41 AltContact?:S41 ` +
  `AdditionalContactRef{0,8}:ANY@12 ${mod ? 'ContactsMod' : 'Contacts'}*:ANY@12 CustomerTypeRef?:SimpleRef TermsRef?:SimpleRef ` +
  `SalesRepRef?:SalesRepRef ${mod ? '' : 'OpenBalance?:AMT OpenBalanceDate?:DATE '}SalesTaxCodeRef?:SalesTaxCodeRef ` +
  `ItemSalesTaxRef?:SimpleRef SalesTaxCountry?:E[Australia,Canada,UK,US]@6 ResaleNumber?:S15 AccountNumber?:S99 CreditLimit?:AMT ` +
  `PreferredPaymentMethodRef?:SimpleRef CreditCardInfo?:ANY JobStatus?:E[Awarded,Closed,InProgress,None,NotAwarded,Pending] ` +
  `JobStartDate?:DATE JobProjectedEndDate?:DATE JobEndDate?:DATE JobDesc?:S99 JobTypeRef?:ClassRef Notes?:S4095@3 ` +
  `${mod ? 'AdditionalNotesMod' : 'AdditionalNotes'}*:ANY@12 IsStatementWithParent?:B@6 DeliveryMethod?:E[Email,Fax,Print]@6 ` +
  `PreferredDeliveryMethod?:E[None,Email,Fax]@12 PriceLevelRef?:PriceLevelRef ${mod ? '' : 'ExternalGUID?:GUID@8 '}` +
  `TaxRegistrationNumber?:S30@8 CurrencyRef?:ANY@8`;
const LINE_CORE = (line: 'SalesOrder' | 'Invoice' | 'Estimate', mod: boolean) => {
  const head = mod ? 'TxnLineID:ID ItemRef?:ItemRef' : 'ItemRef?:ItemRef';
  const rate =
    line === 'Estimate'
      ? '(Rate:PRICE | RatePercent:PCT)?'
      : '(Rate:PRICE | RatePercent:PCT | PriceLevelRef:PriceLevelRef)?';
  const uom = `UnitOfMeasure?:S31@7${mod ? ' OverrideUOMSetRef?:ANY@7' : ''}`;
  const core = `${head} Desc?:S4095 Quantity?:QUAN ${uom} ${rate} ClassRef?:ClassRef Amount?:AMT TaxAmount?:AMT@11`;
  const site =
    'OptionForPriceRuleConflict?:E[Zero,BasePrice]@13 InventorySiteRef?:ANY@10 InventorySiteLocationRef?:ANY@12 (SerialNumber?:S4095@11 | LotNumber?:S40@11)?';
  const tail = 'Other1?:S29@6 Other2?:S29@6';
  if (line === 'SalesOrder')
    return `${core} ${site} SalesTaxCodeRef?:SalesTaxCodeRef IsManuallyClosed?:B ${tail}${mod ? '' : ' DataExt*:ANY'}`;
  if (line === 'Invoice')
    return `${core} ${site} ServiceDate?:DATE SalesTaxCodeRef?:SalesTaxCodeRef ${mod ? '' : 'IsTaxable?:B@4 '}OverrideItemAccountRef?:ANY ${tail}${mod ? '' : ' LinkToTxn?:ANY DataExt*:ANY'}`;
  return `${core} OptionForPriceRuleConflict?:E[Zero,BasePrice]@13 InventorySiteRef?:ANY@10 InventorySiteLocationRef?:ANY@12 SalesTaxCodeRef?:SalesTaxCodeRef (MarkupRate:PRICE | MarkupRatePercent:PCT | PriceLevelRef:PriceLevelRef)? OverrideItemAccountRef?:ANY ${tail}${mod ? '' : ' DataExt*:ANY'}`;
};
const TXN_HEAD = (kind: 'SalesOrder' | 'Invoice' | 'Estimate', mod: boolean) => {
  const id = mod ? 'TxnID:ID EditSequence:S16 CustomerRef?:CustomerRef' : 'CustomerRef:CustomerRef';
  const ar = kind === 'Invoice' ? ' ARAccountRef?:ClassRef' : '';
  const afterAddress =
    kind === 'Invoice'
      ? ' IsPending?:B IsFinanceCharge?:B'
      : kind === 'Estimate'
        ? ` IsActive?:B@3${mod ? ' CreateChangeOrder?:B@13' : ''}`
        : '';
  const terms = 'PONumber?:S25 TermsRef?:SimpleRef DueDate?:DATE SalesRepRef?:SalesRepRef FOB?:S13';
  const ship = kind === 'Estimate' ? '' : ' ShipDate?:DATE ShipMethodRef?:SimpleRef';
  const flags =
    kind === 'SalesOrder'
      ? 'IsManuallyClosed?:B Memo?:S4095 CustomerMsgRef?:SimpleRef IsToBePrinted?:B IsToBeEmailed?:B@6'
      : kind === 'Invoice'
        ? 'Memo?:S4095 CustomerMsgRef?:SimpleRef IsToBePrinted?:B IsToBeEmailed?:B@6'
        : 'Memo?:S4095 CustomerMsgRef?:SimpleRef IsToBeEmailed?:B@6';
  const guid = mod ? '' : ' ExternalGUID?:GUID@8';
  const links = kind === 'Invoice' ? (mod ? ' SetCredit*:ANY@10' : ' LinkToTxnID*:ID@6 SetCredit*:ANY@10') : '';
  return (
    `${id} ClassRef?:ClassRef${ar} TemplateRef?:SimpleRef TxnDate?:DATE RefNumber?:S11 BillAddress?:Address ShipAddress?:Address${afterAddress} ` +
    `${terms}${ship} ItemSalesTaxRef?:SimpleRef ${flags} IsTaxIncluded?:B@6 CustomerSalesTaxCodeRef?:SalesTaxCodeRef Other?:S29@6 ExchangeRate?:PRICE@8${guid}${links}`
  );
};
const TXN_ADD = (kind: 'SalesOrder' | 'Invoice' | 'Estimate') =>
  `${TXN_HEAD(kind, false)} (${kind}LineAdd:${kind}LineAdd | ${kind}LineGroupAdd:ANY)${kind === 'Invoice' ? '*' : '+'}`;
const TXN_MOD = (kind: 'SalesOrder' | 'Invoice' | 'Estimate') =>
  `${TXN_HEAD(kind, true)} (${kind}LineMod:${kind}LineMod | ${kind}LineGroupMod:ANY)*`;
const TXN_QUERY = (extra = '', linked = true) =>
  `${TXN_FILTER(extra)} IncludeLineItems?:B${linked ? ' IncludeLinkedTxns?:B' : ''} IncludeRetElement*:S50@4 OwnerID*:GUID@2`;

/** One table per request (its `*Rq` element's children) and per aggregate they use. */
export const TABLES: Record<string, string> = {
  Address: ADDRESS,
  CustomerRef: 'ListID?:ID FullName?:S209',
  ItemRef: 'ListID?:ID FullName?:S159',
  ClassRef: 'ListID?:ID FullName?:S159',
  SimpleRef: 'ListID?:ID FullName?:S31',
  SalesRepRef: 'ListID?:ID FullName?:S5',
  SalesTaxCodeRef: 'ListID?:ID FullName?:S3',
  PriceLevelRef: 'ListID?:ID FullName?:S31',
  NameFilter: `MatchCriterion:${MATCH} Name:S`,
  NameRangeFilter: 'FromName?:S ToName?:S',
  ModifiedDateRangeFilter: 'FromModifiedDate?:DT ToModifiedDate?:DT',
  TxnDateRangeFilter:
    '(FromTxnDate?:DATE ToTxnDate?:DATE | DateMacro:E[All,Today,ThisWeek,ThisWeekToDate,ThisMonth,ThisMonthToDate,ThisCalendarQuarter,ThisCalendarQuarterToDate,ThisFiscalQuarter,ThisFiscalQuarterToDate,ThisCalendarYear,ThisCalendarYearToDate,Yesterday,LastWeek,LastWeekToDate,LastMonth,LastMonthToDate,LastCalendarQuarter,LastCalendarQuarterToDate,LastFiscalQuarter,LastFiscalQuarterToDate,LastCalendarYear,LastCalendarYearToDate,NextWeek,NextFourWeeks,NextMonth,NextCalendarQuarter,NextCalendarYear,NextFiscalQuarter,NextFiscalYear])',
  EntityFilter: '(ListID+:ID | FullName+:S | ListIDWithChildren:ID | FullNameWithChildren:S)',
  RefNumberFilter: `MatchCriterion:${MATCH} RefNumber:S`,
  RefNumberRangeFilter: 'FromRefNumber?:S ToRefNumber?:S',
  DeletedDateRangeFilter: 'FromDeletedDate?:DT ToDeletedDate?:DT',

  HostQueryRq: 'IncludeListMetaData?:E[NoMetaData,MaxLength]@7',
  CompanyQueryRq: 'IncludeRetElement*:S50@4 OwnerID*:GUID@2',
  PreferencesQueryRq: 'IncludeRetElement*:S50@4',
  CustomerQueryRq: `(ListID+:ID | FullName+:S209 | ${LIST_FILTER} TotalBalanceFilter?:ANY CurrencyFilter?:ANY@8 ClassFilter?:ANY@12)? IncludeRetElement*:S50@4 OwnerID*:GUID@2`,
  CustomerAddRq: 'CustomerAdd:CustomerAdd IncludeRetElement*:S50@4',
  CustomerAdd: `Name:S41 ${CUSTOMER_BODY(false)}`,
  CustomerModRq: 'CustomerMod:CustomerMod IncludeRetElement*:S50@4',
  CustomerMod: `ListID:ID EditSequence:S16 Name?:S41 ${CUSTOMER_BODY(true)}`,
  ItemQueryRq: `${LIST_QUERY()} OwnerID*:GUID@2`,
  ItemServiceQueryRq: `${LIST_QUERY('ClassFilter?:ANY@12')} OwnerID*:GUID@2`,
  ItemNonInventoryQueryRq: `${LIST_QUERY('ClassFilter?:ANY@12')} OwnerID*:GUID@2`,
  ItemOtherChargeQueryRq: `${LIST_QUERY('ClassFilter?:ANY@12')} OwnerID*:GUID@2`,
  ItemInventoryQueryRq: `${LIST_QUERY('ClassFilter?:ANY@12')} OwnerID*:GUID@2`,
  ItemDiscountQueryRq: `${LIST_QUERY('ClassFilter?:ANY@12')} OwnerID*:GUID@2`,
  ItemGroupQueryRq: `${LIST_QUERY()} OwnerID*:GUID@2`,
  ItemSalesTaxQueryRq: `${LIST_QUERY('ClassFilter?:ANY@12')} OwnerID*:GUID@2`,
  PriceLevelQueryRq: `(ListID+:ID | FullName+:S | ${LIST_FILTER} ItemRef?:ItemRef@11 CurrencyFilter?:ANY@8)? IncludeRetElement*:S50@4`,
  SalesTaxCodeQueryRq: LIST_QUERY(),
  ListDeletedQueryRq:
    'ListDelType+:E[Account,BillingRate,Class,Currency,Customer,CustomerMsg,CustomerType,DateDrivenTerms,Employee,InventorySite,ItemDiscount,ItemFixedAsset,ItemGroup,ItemInventory,ItemInventoryAssembly,ItemNonInventory,ItemOtherCharge,ItemPayment,ItemSalesTax,ItemSalesTaxGroup,ItemService,ItemSubtotal,JobType,OtherName,PaymentMethod,PayrollItemNonWage,PayrollItemWage,PriceLevel,SalesRep,SalesTaxCode,ShipMethod,StandardTerms,ToDo,UnitOfMeasureSet,Vehicle,Vendor,VendorType,WorkersCompCode] DeletedDateRangeFilter?:DeletedDateRangeFilter IncludeRetElement*:S50@4',
  TxnDeletedQueryRq:
    'TxnDelType+:E[ARRefundCreditCard,Bill,BillPaymentCheck,BillPaymentCreditCard,BuildAssembly,Charge,Check,CreditCardCharge,CreditCardCredit,CreditMemo,Deposit,Estimate,InventoryAdjustment,Invoice,ItemReceipt,JournalEntry,PurchaseOrder,ReceivePayment,SalesOrder,SalesReceipt,SalesTaxPaymentCheck,TimeTracking,TransferInventory,VehicleMileage,VendorCredit] DeletedDateRangeFilter?:DeletedDateRangeFilter IncludeRetElement*:S50@4',
  SalesOrderQueryRq: TXN_QUERY(),
  InvoiceQueryRq: TXN_QUERY('PaidStatus?:E[All,PaidOnly,NotPaidOnly]'),
  EstimateQueryRq: TXN_QUERY(),
  ReceivePaymentQueryRq: TXN_QUERY('', false),
  SalesOrderAddRq: 'SalesOrderAdd:SalesOrderAdd IncludeRetElement*:S50@4',
  SalesOrderAdd: TXN_ADD('SalesOrder'),
  SalesOrderLineAdd: LINE_CORE('SalesOrder', false),
  SalesOrderModRq: 'SalesOrderMod:SalesOrderMod IncludeRetElement*:S50@4',
  SalesOrderMod: TXN_MOD('SalesOrder'),
  SalesOrderLineMod: LINE_CORE('SalesOrder', true),
  InvoiceAddRq: 'InvoiceAdd:InvoiceAdd IncludeRetElement*:S50@4',
  InvoiceAdd: TXN_ADD('Invoice'),
  InvoiceLineAdd: LINE_CORE('Invoice', false),
  InvoiceModRq: 'InvoiceMod:InvoiceMod IncludeRetElement*:S50@4',
  InvoiceMod: TXN_MOD('Invoice'),
  InvoiceLineMod: LINE_CORE('Invoice', true),
  EstimateAddRq: 'EstimateAdd:EstimateAdd IncludeRetElement*:S50@4',
  EstimateAdd: TXN_ADD('Estimate'),
  EstimateLineAdd: LINE_CORE('Estimate', false),
  EstimateModRq: 'EstimateMod:EstimateMod IncludeRetElement*:S50@4',
  EstimateMod: TXN_MOD('Estimate'),
  EstimateLineMod: LINE_CORE('Estimate', true),
  ItemInventoryAddRq: 'ItemInventoryAdd:ItemInventoryAdd IncludeRetElement*:S50@4',
  ItemInventoryAdd:
    'Name:S31 BarCode?:ANY@12 IsActive?:B ClassRef?:ClassRef@12 ParentRef?:ItemRef ManufacturerPartNumber?:S31@7 UnitOfMeasureSetRef?:ANY@7 IsTaxIncluded?:B@6 SalesTaxCodeRef?:SalesTaxCodeRef SalesDesc?:S4095 SalesPrice?:PRICE IncomeAccountRef?:ClassRef PurchaseDesc?:S4095 PurchaseCost?:PRICE PurchaseTaxCodeRef?:SalesTaxCodeRef@6 COGSAccountRef?:ClassRef PrefVendorRef?:ClassRef AssetAccountRef?:ClassRef ReorderPoint?:QUAN Max?:QUAN@13 QuantityOnHand?:QUAN TotalValue?:AMT InventoryDate?:DATE ExternalGUID?:GUID@8',
  ItemServiceAddRq: 'ItemServiceAdd:ItemServiceAdd IncludeRetElement*:S50@4',
  ItemServiceAdd:
    'Name:S31 BarCode?:ANY@12 IsActive?:B ClassRef?:ClassRef@12 ParentRef?:ItemRef UnitOfMeasureSetRef?:ANY@7 IsTaxIncluded?:B@6 SalesTaxCodeRef?:SalesTaxCodeRef (SalesOrPurchase:SalesOrPurchase | SalesAndPurchase:SalesAndPurchase) ExternalGUID?:GUID@8',
  // Note: ParentRef comes before ClassRef here, unlike ItemServiceAdd and ItemInventoryAdd.
  ItemNonInventoryAddRq: 'ItemNonInventoryAdd:ItemNonInventoryAdd IncludeRetElement*:S50@4',
  ItemNonInventoryAdd:
    'Name:S31 BarCode?:ANY@12 IsActive?:B ParentRef?:ItemRef ClassRef?:ClassRef@12 ManufacturerPartNumber?:S31@7 UnitOfMeasureSetRef?:ANY@7 IsTaxIncluded?:B@6 SalesTaxCodeRef?:SalesTaxCodeRef (SalesOrPurchase:SalesOrPurchase | SalesAndPurchase:SalesAndPurchase) ExternalGUID?:GUID@8',
  SalesOrPurchase: 'Desc?:S4095 (Price:PRICE | PricePercent:PCT)? AccountRef?:ClassRef',
  SalesAndPurchase:
    'SalesDesc?:S4095 SalesPrice?:PRICE IncomeAccountRef?:ClassRef PurchaseDesc?:S4095 PurchaseCost?:PRICE PurchaseTaxCodeRef?:SalesTaxCodeRef@6 ExpenseAccountRef?:ClassRef PrefVendorRef?:ClassRef',
  ReceivePaymentAddRq: 'ReceivePaymentAdd:ReceivePaymentAdd IncludeRetElement*:S50@4',
  ReceivePaymentAdd:
    'CustomerRef:CustomerRef ARAccountRef?:ClassRef TxnDate?:DATE RefNumber?:S20 TotalAmount?:AMT ExchangeRate?:PRICE@8 PaymentMethodRef?:SimpleRef Memo?:S4095 DepositToAccountRef?:ClassRef CreditCardTxnInfo?:ANY@7 ExternalGUID?:GUID@8 (IsAutoApply:B | AppliedToTxnAdd+:AppliedToTxnAdd)',
  AppliedToTxnAdd:
    'TxnID:ID PaymentAmount?:AMT TxnLineDetail*:ANY@13 SetCredit*:ANY DiscountAmount?:AMT DiscountAccountRef?:ClassRef DiscountClassRef?:ClassRef@12',
};

/** Attributes each request takes; queries with iterators take iterator/iteratorID (qbXML 5.0+). */
export const ITERATOR_REQUESTS = new Set([
  'CustomerQueryRq',
  'ItemQueryRq',
  'ItemServiceQueryRq',
  'ItemNonInventoryQueryRq',
  'ItemOtherChargeQueryRq',
  'ItemInventoryQueryRq',
  'ItemDiscountQueryRq',
  'ItemGroupQueryRq',
  'ItemSalesTaxQueryRq',
  'SalesOrderQueryRq',
  'InvoiceQueryRq',
  'EstimateQueryRq',
  'ReceivePaymentQueryRq',
]);
export const ITERATOR_SINCE = 5;
export const METADATA_REQUESTS = new Set([
  ...ITERATOR_REQUESTS,
  'PriceLevelQueryRq',
  'SalesTaxCodeQueryRq',
  'ListDeletedQueryRq',
  'TxnDeletedQueryRq',
]);

/** The first qbXML version each request exists in (the ones not listed exist from 1.0/1.1). */
export const REQUEST_SINCE: Record<string, number> = {
  PriceLevelQueryRq: 4,
  PreferencesQueryRq: 3,
  SalesOrderQueryRq: 2.1,
  SalesOrderAddRq: 2.1,
  SalesOrderModRq: 3,
  InvoiceModRq: 3,
  EstimateModRq: 3,
  CustomerModRq: 2,
  ListDeletedQueryRq: 2,
  TxnDeletedQueryRq: 2,
  ItemSalesTaxQueryRq: 1.1,
};
