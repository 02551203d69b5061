import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { EmulatorClock } from '../clock';

/** US = QuickBooks Premier/Enterprise (qbXML 13.0, sales tax items); reckon = Reckon Accounts (qbXML 6.1, AU GST). */
export type Flavour = 'us' | 'reckon';
export type Address = Partial<
  Record<'Addr1' | 'Addr2' | 'Addr3' | 'Addr4' | 'Addr5' | 'City' | 'State' | 'PostalCode' | 'Country' | 'Note', string>
>;
export const ADDRESS_FIELDS = [
  'Addr1',
  'Addr2',
  'Addr3',
  'Addr4',
  'Addr5',
  'City',
  'State',
  'PostalCode',
  'Country',
  'Note',
] as const;

interface ListBase {
  ListID: string;
  TimeCreated: number;
  TimeModified: number;
  EditSequence: string;
  Name: string;
  IsActive: boolean;
}

export interface Customer extends ListBase {
  ParentListID?: string;
  /** Plain text fields by qbXML name (CompanyName, FirstName, LastName, Phone, Email, Notes, ...). */
  fields: Record<string, string>;
  BillAddress?: Address;
  ShipAddress?: Address;
  SalesTaxCodeListID?: string;
  ItemSalesTaxListID?: string;
  PriceLevelListID?: string;
  ExternalGUID?: string;
  /** Integer cents. */
  Balance: number;
}

export const ITEM_TYPES = [
  'Service',
  'NonInventory',
  'Inventory',
  'OtherCharge',
  'Group',
  'Discount',
  'SalesTax',
] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

export interface Item extends ListBase {
  type: ItemType;
  ParentListID?: string;
  Desc?: string;
  /** Decimal text (PRICETYPE). Discount items: a fixed amount. */
  Price?: string;
  /** Discount and OtherCharge items may be a percentage instead of a price. */
  PricePercent?: string;
  SalesTaxCodeListID?: string;
  IsTaxIncluded?: boolean;
  /** Inventory items only; decimal text. */
  QuantityOnHand?: string;
  QuantityOnSalesOrder?: string;
  AverageCost?: string;
  /** SalesTax items: the rate in percent. */
  TaxRate?: string;
  /** Group items: their members. */
  GroupLines?: Array<{ ItemListID: string; Quantity: string }>;
  ExternalGUID?: string;
}

export interface PriceLevel extends ListBase {
  PriceLevelType: 'FixedPercentage' | 'PerItem';
  /** Signed percent: -10 = ten percent below the item's price. */
  FixedPercentage?: string;
  PerItem?: Array<{ ItemListID: string; CustomPrice?: string; CustomPricePercent?: string }>;
}

export interface SalesTaxCode extends ListBase {
  IsTaxable: boolean;
  Desc?: string;
  /** Reckon/AU: the tax item (rate) behind the code. */
  ItemSalesTaxListID?: string;
}

export const TXN_KINDS = ['SalesOrder', 'Invoice', 'Estimate', 'ReceivePayment'] as const;
export type TxnKind = (typeof TXN_KINDS)[number];

export interface TxnLine {
  TxnLineID: string;
  ItemListID?: string;
  Desc?: string;
  Quantity?: string;
  Rate?: string;
  RatePercent?: string;
  PriceLevelListID?: string;
  /** Integer cents. */
  Amount: number;
  SalesTaxCodeListID?: string;
  /** Sales order lines: quantity invoiced so far. */
  Invoiced?: string;
  IsManuallyClosed?: boolean;
}

export interface Txn {
  kind: TxnKind;
  TxnID: string;
  TxnNumber: number;
  TimeCreated: number;
  TimeModified: number;
  EditSequence: string;
  CustomerListID: string;
  TxnDate: string;
  RefNumber?: string;
  fields: Record<string, string>;
  BillAddress?: Address;
  ShipAddress?: Address;
  IsTaxIncluded?: boolean;
  CustomerSalesTaxCodeListID?: string;
  ItemSalesTaxListID?: string;
  ExternalGUID?: string;
  IsManuallyClosed?: boolean;
  IsActive?: boolean;
  lines: TxnLine[];
  /** All integer cents. */
  Subtotal: number;
  SalesTaxPercentage?: string;
  SalesTaxTotal: number;
  TotalAmount: number;
  /** Invoices: payments applied (negative, as QuickBooks reports it) and what is left. */
  AppliedAmount?: number;
  /** Payments: where the money went. */
  applied?: Array<{ TxnID: string; Amount: number }>;
  UnusedPayment?: number;
}

export interface DeletedRecord {
  type: string;
  id: string;
  TimeCreated: number;
  TimeDeleted: number;
  /** FullName for lists, RefNumber for transactions. */
  name?: string;
}

export interface OtherName {
  Name: string;
  kind: 'Vendor' | 'Employee' | 'OtherName';
}

export interface CompanyInfo {
  flavour: Flavour;
  companyName: string;
  /** The path QuickBooks has open, as QBWC reports it in sendRequestXML. */
  filePath: string;
  /** The highest qbXML version this QuickBooks answers (13.0 US, 6.1 Reckon). */
  maxVersion: string;
  /** Minutes east of UTC for the machine's local time (US Pacific -480, AU Eastern +600). */
  utcOffsetMinutes: number;
}

export interface CompanyState {
  version: 1;
  info: CompanyInfo;
  clockOffsetMs: number;
  counters: { list: number; txn: number; line: number; txnNumber: number };
  lastRefNumber: Partial<Record<TxnKind, string>>;
  customers: Customer[];
  items: Item[];
  priceLevels: PriceLevel[];
  salesTaxCodes: SalesTaxCode[];
  otherNames: OtherName[];
  txns: Txn[];
  deleted: DeletedRecord[];
  messageSets: Array<[string, string]>;
}

export const US_INFO: CompanyInfo = {
  flavour: 'us',
  companyName: 'SalesIn Demo Wholesale',
  filePath: 'C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\SalesIn Demo Wholesale.qbw',
  maxVersion: '13.0',
  utcOffsetMinutes: -480,
};
export const RECKON_INFO: CompanyInfo = {
  flavour: 'reckon',
  companyName: 'SalesIn Demo Wholesale Pty Ltd',
  filePath: 'C:\\Users\\Public\\Documents\\Reckon\\Reckon Accounts\\SalesIn Demo Wholesale.QBW',
  maxVersion: '6.1',
  utcOffsetMinutes: 600,
};

/** The in-memory company file: lists, transactions, sequences and the error-recovery store. */
export class CompanyData {
  info: CompanyInfo;
  readonly clock: EmulatorClock;
  counters = { list: 0, txn: 0, line: 0, txnNumber: 0 };
  lastRefNumber: Partial<Record<TxnKind, string>> = {};
  customers = new Map<string, Customer>();
  items = new Map<string, Item>();
  priceLevels = new Map<string, PriceLevel>();
  salesTaxCodes = new Map<string, SalesTaxCode>();
  otherNames: OtherName[] = [];
  txns = new Map<string, Txn>();
  deleted: DeletedRecord[] = [];
  /** newMessageSetID → the full response document QuickBooks kept for error recovery. */
  messageSets = new Map<string, string>();

  constructor(info: CompanyInfo, clock = new EmulatorClock()) {
    this.info = { ...info };
    this.clock = clock;
  }

  now(): number {
    return this.clock.now();
  }

  newListID(): string {
    this.counters.list += 1;
    return `${(0x80000000 + this.counters.list).toString(16).toUpperCase()}-${Math.floor(this.now() / 1000)}`;
  }

  newTxnID(): string {
    this.counters.txn += 1;
    return `${this.counters.txn.toString(16).toUpperCase()}-${Math.floor(this.now() / 1000)}`;
  }

  newTxnLineID(): string {
    this.counters.line += 1;
    return `${this.counters.line.toString(16).toUpperCase()}-${Math.floor(this.now() / 1000)}`;
  }

  /** EditSequence is a number that grows with every change of the record (QuickBooks uses seconds). */
  nextEditSequence(previous?: string): string {
    const seconds = Math.floor(this.now() / 1000);
    const prev = previous ? Number(previous) : 0;
    return String(Math.max(seconds, prev + 1));
  }

  /** Bumped by every change that may move a customer under another parent (for the jobs index). */
  private changes = 0;
  private jobIndex?: { at: number; size: number; map: Map<string, string[]> };

  /** The jobs directly under a customer, from an index rebuilt only after changes. */
  jobsOf(listID: string): string[] {
    if (!this.jobIndex || this.jobIndex.at !== this.changes || this.jobIndex.size !== this.customers.size) {
      const map = new Map<string, string[]>();
      for (const c of this.customers.values())
        if (c.ParentListID) map.set(c.ParentListID, [...(map.get(c.ParentListID) ?? []), c.ListID]);
      this.jobIndex = { at: this.changes, size: this.customers.size, map };
    }
    return this.jobIndex.map.get(listID) ?? [];
  }

  touch(record: { TimeModified: number; EditSequence: string }): void {
    this.changes++;
    record.TimeModified = Math.max(this.now(), record.TimeModified);
    record.EditSequence = this.nextEditSequence(record.EditSequence);
  }

  /** Base fields of a new list record. */
  newList(name: string): ListBase {
    const now = this.now();
    return {
      ListID: this.newListID(),
      TimeCreated: now,
      TimeModified: now,
      EditSequence: this.nextEditSequence(),
      Name: name,
      IsActive: true,
    };
  }

  customerFullName(c: Customer): string {
    const parts: string[] = [];
    let cur: Customer | undefined = c;
    for (let guard = 0; cur && guard < 10; guard++) {
      parts.unshift(cur.Name);
      cur = cur.ParentListID ? this.customers.get(cur.ParentListID) : undefined;
    }
    return parts.join(':');
  }

  itemFullName(i: Item): string {
    const parts: string[] = [];
    let cur: Item | undefined = i;
    for (let guard = 0; cur && guard < 10; guard++) {
      parts.unshift(cur.Name);
      cur = cur.ParentListID ? this.items.get(cur.ParentListID) : undefined;
    }
    return parts.join(':');
  }

  sublevel(record: { ParentListID?: string }, list: Map<string, { ParentListID?: string }>): number {
    let level = 0;
    let cur = record.ParentListID ? list.get(record.ParentListID) : undefined;
    while (cur && level < 10) {
      level++;
      cur = cur.ParentListID ? list.get(cur.ParentListID) : undefined;
    }
    return level;
  }

  findCustomer(ref: { ListID?: string; FullName?: string }): Customer | undefined {
    if (ref.ListID) return this.customers.get(ref.ListID);
    if (ref.FullName === undefined) return undefined;
    const want = ref.FullName.toLowerCase();
    return [...this.customers.values()].find((c) => this.customerFullName(c).toLowerCase() === want);
  }

  findItem(ref: { ListID?: string; FullName?: string }): Item | undefined {
    if (ref.ListID) return this.items.get(ref.ListID);
    if (ref.FullName === undefined) return undefined;
    const want = ref.FullName.toLowerCase();
    return [...this.items.values()].find((i) => this.itemFullName(i).toLowerCase() === want);
  }

  findNamed<T extends ListBase>(list: Map<string, T>, ref: { ListID?: string; FullName?: string }): T | undefined {
    if (ref.ListID) return list.get(ref.ListID);
    if (ref.FullName === undefined) return undefined;
    const want = ref.FullName.toLowerCase();
    return [...list.values()].find((r) => r.Name.toLowerCase() === want);
  }

  /** Names are unique across the name lists (customers and jobs by full name, vendors, employees, other names). */
  nameInUse(fullName: string, exceptListID?: string): boolean {
    const want = fullName.toLowerCase();
    if (
      [...this.customers.values()].some(
        (c) => c.ListID !== exceptListID && this.customerFullName(c).toLowerCase() === want,
      )
    )
      return true;
    return this.otherNames.some((o) => o.Name.toLowerCase() === want);
  }

  /** The next RefNumber: the last one used for this kind of transaction with its trailing number increased. */
  nextRefNumber(kind: TxnKind): string {
    const last = this.lastRefNumber[kind];
    if (!last) return kind === 'SalesOrder' ? '1' : kind === 'Estimate' ? '1' : '1';
    const m = /^(.*?)(\d+)$/.exec(last);
    if (!m) return `${last}1`.slice(0, 11);
    const next = String(BigInt(m[2]) + 1n).padStart(m[2].length, '0');
    return `${m[1]}${next}`.slice(-11);
  }

  newGuid(): string {
    return `{${randomUUID().toUpperCase()}}`;
  }

  snapshot(): CompanyState {
    return {
      version: 1,
      info: this.info,
      clockOffsetMs: this.clock.offsetMs,
      counters: { ...this.counters },
      lastRefNumber: { ...this.lastRefNumber },
      customers: [...this.customers.values()],
      items: [...this.items.values()],
      priceLevels: [...this.priceLevels.values()],
      salesTaxCodes: [...this.salesTaxCodes.values()],
      otherNames: this.otherNames,
      txns: [...this.txns.values()],
      deleted: this.deleted,
      messageSets: [...this.messageSets],
    };
  }

  restore(state: CompanyState): void {
    this.changes++;
    this.info = state.info;
    this.clock.offsetMs = state.clockOffsetMs;
    this.counters = { ...state.counters };
    this.lastRefNumber = { ...state.lastRefNumber };
    this.customers = new Map(state.customers.map((c) => [c.ListID, c]));
    this.items = new Map(state.items.map((c) => [c.ListID, c]));
    this.priceLevels = new Map(state.priceLevels.map((c) => [c.ListID, c]));
    this.salesTaxCodes = new Map(state.salesTaxCodes.map((c) => [c.ListID, c]));
    this.otherNames = state.otherNames;
    this.txns = new Map(state.txns.map((t) => [t.TxnID, t]));
    this.deleted = state.deleted;
    this.messageSets = new Map(state.messageSets);
  }

  clear(info: CompanyInfo): void {
    this.restore({
      version: 1,
      info,
      clockOffsetMs: this.clock.offsetMs,
      counters: { list: 0, txn: 0, line: 0, txnNumber: 0 },
      lastRefNumber: {},
      customers: [],
      items: [],
      priceLevels: [],
      salesTaxCodes: [],
      otherNames: [],
      txns: [],
      deleted: [],
      messageSets: [],
    });
  }

  /** Atomic write (temp file, then rename), as the QuickBooks Online emulator saves its state. */
  save(file: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(this.snapshot()));
    fs.renameSync(`${file}.tmp`, file);
  }

  load(file: string): boolean {
    if (!fs.existsSync(file)) return false;
    this.restore(JSON.parse(fs.readFileSync(file, 'utf8')) as CompanyState);
    return true;
  }
}

/** QuickBooks Desktop writes local time with the machine's offset, e.g. 2024-03-01T09:15:00-08:00. */
export function qbTime(ms: number, utcOffsetMinutes: number): string {
  const local = new Date(ms + utcOffsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(utcOffsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export function qbDate(ms: number, utcOffsetMinutes: number): string {
  return new Date(ms + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** Reads a qbXML date or date-time; without an offset it is the company's local time. Undefined when unreadable. */
export function parseQbTime(text: string, utcOffsetMinutes: number): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?)?$/.exec(text.trim());
  if (!m) return undefined;
  const base = Date.parse(`${m[1]}T${m[2] ?? '00:00'}:${m[3] ?? '00'}Z`);
  if (Number.isNaN(base)) return undefined;
  if (m[4] === 'Z') return base;
  if (m[4]) {
    const sign = m[4][0] === '-' ? -1 : 1;
    const [h, mm] = m[4].slice(1).split(':').map(Number);
    return base - sign * (h * 60 + mm) * 60_000;
  }
  return base - utcOffsetMinutes * 60_000;
}
