import { EmulatorClock } from '../clock';
import { CompanyData, RECKON_INFO, US_INFO, type Flavour, type TxnKind } from './company';
import { newSession, QbxmlDocumentError, QbxmlExecutor, type Session } from './executor';
import { FaultBox } from './faults';
import { addQuantity, formatCents, parseScaled } from './dec';
import { customerRet, itemRet, priceLevelRet, salesTaxCodeRet, txnRet } from './ret';
import { seedCompany, type SeedName } from './seed';
import { el, writeXml } from './xml';

export interface DesktopCompanyOptions {
  /** Default 'empty'. 'reckon' implies the Reckon flavour. */
  seed?: SeedName;
  /** Default from the seed: 'reckon' for the reckon seed, else 'us'. */
  flavour?: Flavour;
  clock?: EmulatorClock;
  /** Loaded when it exists (the seed is then not applied), saved by save(). */
  statePath?: string;
  faults?: FaultBox;
}

export type ExecuteResult =
  { ok: true; response: string } | { ok: false; hresult: string; message: string; detail: string };

/** A QuickBooks Desktop company file plus the qbXML processor in front of it. */
export class DesktopCompany {
  readonly data: CompanyData;
  readonly executor: QbxmlExecutor;
  readonly faults: FaultBox;

  constructor(readonly options: DesktopCompanyOptions = {}) {
    const flavour = options.flavour ?? (options.seed === 'reckon' ? 'reckon' : 'us');
    this.data = new CompanyData(flavour === 'reckon' ? RECKON_INFO : US_INFO, options.clock ?? new EmulatorClock());
    this.faults = options.faults ?? new FaultBox();
    this.executor = new QbxmlExecutor(this.data, this.faults);
    if (!(options.statePath && this.data.load(options.statePath))) this.seed(options.seed ?? 'empty', flavour);
  }

  seed(seed: SeedName, flavour?: Flavour): void {
    seedCompany(this.data, seed);
    if (seed === 'empty' && (flavour ?? this.data.info.flavour) === 'reckon') this.data.clear(RECKON_INFO);
  }

  get clock(): EmulatorClock {
    return this.data.clock;
  }

  newSession(): Session {
    return newSession();
  }

  /** The response document; throws QbxmlDocumentError (hresult 0x80040400) when QuickBooks rejects the whole document. */
  execute(qbxml: string, session: Session = newSession()): string {
    return this.executor.execute(qbxml, session);
  }

  tryExecute(qbxml: string, session: Session = newSession()): ExecuteResult {
    try {
      return { ok: true, response: this.execute(qbxml, session) };
    } catch (error) {
      if (error instanceof QbxmlDocumentError)
        return { ok: false, hresult: error.hresult, message: error.message, detail: error.detail };
      throw error;
    }
  }

  /** What QBWC sends as strHCPResponse on a session's first sendRequestXML. */
  hcpResponse(): string {
    const rs = (name: string, ret: ReturnType<typeof el>) =>
      el(`${name}Rs`, { statusCode: '0', statusSeverity: 'Info', statusMessage: 'Status OK' }, [ret]);
    const doc = el('QBXML', [
      el('QBXMLMsgsRs', [
        rs('HostQuery', this.executor.hostRet()),
        rs('CompanyQuery', this.executor.companyRet()),
        rs('PreferencesQuery', this.executor.preferencesRet()),
      ]),
    ]);
    return `<?xml version="1.0" ?>\n${writeXml(doc)}\n`;
  }

  save(path = this.options.statePath): void {
    if (!path) throw new Error('no state file');
    this.data.save(path);
  }

  // ---- read helpers for tests and the admin API (qbXML Ret shapes as plain objects) ----

  customers(): Array<Record<string, unknown>> {
    return [...this.data.customers.values()].map((c) => flat(customerRet(this.data, c)));
  }

  items(): Array<Record<string, unknown>> {
    return [...this.data.items.values()].map((i) => flat(itemRet(this.data, i)));
  }

  priceLevels(): Array<Record<string, unknown>> {
    return [...this.data.priceLevels.values()].map((p) => flat(priceLevelRet(this.data, p)));
  }

  salesTaxCodes(): Array<Record<string, unknown>> {
    return [...this.data.salesTaxCodes.values()].map((s) => flat(salesTaxCodeRet(this.data, s)));
  }

  transactions(kind: TxnKind): Array<Record<string, unknown>> {
    return [...this.data.txns.values()].filter((t) => t.kind === kind).map((t) => flat(txnRet(this.data, t, true)));
  }

  salesOrders() {
    return this.transactions('SalesOrder');
  }

  invoices() {
    return this.transactions('Invoice');
  }

  estimates() {
    return this.transactions('Estimate');
  }

  payments() {
    return this.transactions('ReceivePayment');
  }

  /** A user in QuickBooks deletes a record: it leaves the list and shows in ListDeletedQuery/TxnDeletedQuery. */
  deleteRecord(id: string): void {
    const now = this.data.now();
    const c = this.data.customers.get(id);
    if (c) {
      this.data.deleted.push({
        type: 'Customer',
        id,
        TimeCreated: c.TimeCreated,
        TimeDeleted: now,
        name: this.data.customerFullName(c),
      });
      this.data.customers.delete(id);
      return;
    }
    const i = this.data.items.get(id);
    if (i) {
      this.data.deleted.push({
        type: `Item${i.type}`,
        id,
        TimeCreated: i.TimeCreated,
        TimeDeleted: now,
        name: this.data.itemFullName(i),
      });
      this.data.items.delete(id);
      return;
    }
    const t = this.data.txns.get(id);
    if (t) {
      this.data.deleted.push({ type: t.kind, id, TimeCreated: t.TimeCreated, TimeDeleted: now, name: t.RefNumber });
      this.data.txns.delete(id);
      return;
    }
    throw new Error(`no record ${id}`);
  }

  /**
   * A user turns a sales order into an invoice in QuickBooks (Create Invoice from the order): the invoice copies the
   * open quantities, the order's lines count them as invoiced, QuantityOnSalesOrder falls and QuantityOnHand falls.
   */
  invoiceSalesOrder(txnID: string): Record<string, unknown> {
    const order = this.data.txns.get(txnID);
    if (!order || order.kind !== 'SalesOrder') throw new Error(`no sales order ${txnID}`);
    const customer = this.data.customers.get(order.CustomerListID);
    if (!customer) throw new Error(`the sales order's customer is gone`);
    const lines = order.lines
      .filter((l) => l.ItemListID && !l.IsManuallyClosed)
      .map((l) => {
        const open = l.Quantity === undefined ? undefined : addQuantity(l.Quantity, l.Invoiced ?? '0', -1);
        return { line: l, open };
      })
      .filter(({ open }) => open === undefined || parseScaled(open) > 0n);
    if (lines.length === 0) throw new Error(`sales order ${order.RefNumber ?? txnID} has nothing left to invoice`);
    const body = lines
      .map(({ line, open }) => {
        const item = this.data.items.get(line.ItemListID!)!;
        const qty = open === undefined ? '' : `<Quantity>${open}</Quantity>`;
        const rate =
          line.Rate !== undefined ? `<Rate>${line.Rate}</Rate>` : `<Amount>${formatCents(line.Amount)}</Amount>`;
        return `<InvoiceLineAdd><ItemRef><ListID>${item.ListID}</ListID></ItemRef>${qty}${rate}</InvoiceLineAdd>`;
      })
      .join('');
    const head = order.IsTaxIncluded !== undefined ? `<IsTaxIncluded>${order.IsTaxIncluded}</IsTaxIncluded>` : '';
    const version = this.data.info.maxVersion;
    const response = this.execute(
      `<?xml version="1.0"?><?qbxml version="${version}"?><QBXML><QBXMLMsgsRq onError="stopOnError"><InvoiceAddRq><InvoiceAdd><CustomerRef><ListID>${customer.ListID}</ListID></CustomerRef>${head}${body}</InvoiceAdd></InvoiceAddRq></QBXMLMsgsRq></QBXML>`,
    );
    const txnId = /<TxnID>([^<]+)<\/TxnID>/.exec(response)?.[1];
    if (!txnId)
      throw new Error(`QuickBooks refused the invoice: ${/statusMessage="([^"]*)"/.exec(response)?.[1] ?? response}`);
    for (const { line, open } of lines) {
      if (open === undefined) continue;
      line.Invoiced = addQuantity(line.Invoiced ?? '0', open);
      const item = this.data.items.get(line.ItemListID!);
      if (item?.type === 'Inventory')
        item.QuantityOnSalesOrder = addQuantity(item.QuantityOnSalesOrder ?? '0', open, -1);
    }
    this.data.touch(order);
    return flat(txnRet(this.data, this.data.txns.get(txnId)!, true));
  }

  /**
   * A user edits a record in QuickBooks (bumps TimeModified and EditSequence); fields are applied as given (references
   * by their stored ListID field, e.g. a customer's `PriceLevelListID` or `SalesTaxCodeListID`; '' clears one).
   */
  touchRecord(id: string, fields: Record<string, string> = {}): void {
    const record =
      this.data.customers.get(id) ?? this.data.items.get(id) ?? this.data.txns.get(id) ?? this.data.priceLevels.get(id);
    if (!record) throw new Error(`no record ${id}`);
    const target = record as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(fields)) {
      if (k.endsWith('ListID') && k !== 'ListID' && k in target) target[k] = v || undefined;
      else if (k === 'Name' || k === 'QuantityOnHand' || k === 'Price' || k === 'Memo' || k === 'IsActive') {
        if (k === 'IsActive') target[k] = v === 'true';
        else if (k === 'Memo' && 'fields' in record) (record.fields as Record<string, string>)[k] = v;
        else target[k] = v;
      } else if ('fields' in record) (record.fields as Record<string, string>)[k] = v;
    }
    this.data.touch(record);
  }
}

/** Flattens a Ret element into a plain object (repeated children become arrays) for tests and JSON. */
export function flat(e: ReturnType<typeof el>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of e.children) {
    const value = c.children.length ? flat(c) : c.text;
    if (c.name in out) {
      const prev = out[c.name];
      out[c.name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    } else out[c.name] = value;
  }
  return out;
}

export function createDesktopCompany(options: DesktopCompanyOptions = {}): DesktopCompany {
  return new DesktopCompany(options);
}
