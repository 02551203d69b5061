/**
 * qbXML execution as QuickBooks does it: the whole document is parsed and checked first (any fault rejects it with
 * hresult 0x80040400, nothing runs), then each request runs in order under onError, each answer carrying its
 * requestID, statusCode, statusSeverity and statusMessage.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ADDRESS_FIELDS,
  ITEM_TYPES,
  parseQbTime,
  qbDate,
  qbTime,
  type Address,
  type CompanyData,
  type Customer,
  type Item,
  type ItemType,
  type PriceLevel,
  type Txn,
  type TxnKind,
  type TxnLine,
} from './company';
import {
  addQuantity,
  adjustPrice,
  includedTaxCents,
  lineCents,
  normalizeDecimal,
  percentOfCents,
  rateFrom,
  toCents,
} from './dec';
import type { FaultBox } from './faults';
import { customerRet, itemRet, onlyElements, priceLevelRet, salesTaxCodeRet, txnRet } from './ret';
import {
  ITERATOR_REQUESTS,
  ITERATOR_SINCE,
  METADATA_REQUESTS,
  QbxmlParseError,
  REQUEST_SINCE,
  TABLES,
  table,
  validateChildren,
  type FieldProblem,
} from './schema';
import {
  child,
  childText,
  children,
  el,
  opt,
  parseXml,
  pseudoAttribute,
  writeXml,
  XmlSyntaxError,
  type XmlElement,
} from './xml';

export const PARSE_ERROR_HRESULT = '0x80040400';
export const PARSE_ERROR_MESSAGE = 'QuickBooks found an error when parsing the provided XML text stream.';
/** Versions of the qbXML specification QuickBooks Desktop has published. */
export const QBXML_VERSIONS = [
  '1.0',
  '1.1',
  '2.0',
  '2.1',
  '3.0',
  '4.0',
  '4.1',
  '5.0',
  '6.0',
  '6.1',
  '7.0',
  '8.0',
  '9.0',
  '10.0',
  '11.0',
  '12.0',
  '13.0',
];

/** One QBWC session's view of QuickBooks: iterators live and die with it. */
export interface Session {
  id: string;
  iterators: Map<string, IteratorState>;
}

export interface IteratorState {
  requestType: string;
  ids: string[];
  position: number;
  maxReturned?: number;
  includeLines: boolean;
  includeRet: string[];
}

export function newSession(): Session {
  return { id: randomUUID(), iterators: new Map() };
}

/** A document QuickBooks rejected as a whole; QBWC passes hresult and message to receiveResponseXML. */
export class QbxmlDocumentError extends Error {
  readonly hresult = PARSE_ERROR_HRESULT;
  constructor(readonly detail: string) {
    super(PARSE_ERROR_MESSAGE);
  }
}

interface Status {
  code: number;
  severity: 'Info' | 'Warn' | 'Error';
  message: string;
}
const OK: Status = { code: 0, severity: 'Info', message: 'Status OK' };
const status = (code: number, message: string, severity: Status['severity'] = 'Error'): Status => ({
  code,
  severity,
  message,
});
class RequestFailure extends Error {
  constructor(readonly status: Status) {
    super(status.message);
  }
}
const fail = (code: number, message: string): never => {
  throw new RequestFailure(status(code, message));
};

interface Outcome {
  status: Status;
  rets: XmlElement[];
  attrs?: Record<string, string>;
  recovery?: XmlElement;
}

const ITEM_QUERY_TYPES: Record<string, ItemType[]> = {
  ItemQueryRq: [...ITEM_TYPES],
  ItemServiceQueryRq: ['Service'],
  ItemNonInventoryQueryRq: ['NonInventory'],
  ItemOtherChargeQueryRq: ['OtherCharge'],
  ItemInventoryQueryRq: ['Inventory'],
  ItemDiscountQueryRq: ['Discount'],
  ItemGroupQueryRq: ['Group'],
  ItemSalesTaxQueryRq: ['SalesTax'],
};

export class QbxmlExecutor {
  constructor(
    readonly data: CompanyData,
    readonly faults?: FaultBox,
  ) {}

  /** Runs a request document; returns the response document or throws QbxmlDocumentError for a whole-document rejection. */
  execute(xml: string, session: Session): string {
    const { version, msgs } = this.parseDocument(xml);
    const attrs = msgs.attrs;
    const onError = attrs.onError;
    const newSet = attrs.newMessageSetID;
    const oldSet = attrs.oldMessageSetID;
    const answer = (status: string) =>
      `<?xml version="1.0" ?>\n${writeXml(el('QBXML', [el('QBXMLMsgsRs', { newMessageSetID: newSet, messageSetStatusCode: status }, [])]))}\n`;
    // Error recovery, with the message-set status codes of Intuit's SDK samples: QuickBooks keeps one message set
    // per application (the last with a newMessageSetID), with a checksum of its requests.
    if ([newSet, oldSet].some((id) => id !== undefined && id !== 'ClearAllMessageSets' && id.length > 24))
      return answer('9004');
    const checksum = createHash('sha1')
      .update(msgs.children.map((c) => writeXml(c)).join(''))
      .digest('hex');
    let setStatus: string | undefined;
    if (oldSet !== undefined) {
      if (oldSet === 'ClearAllMessageSets') {
        this.data.messageSets.clear();
        setStatus = '0';
      } else {
        const stored = this.data.messageSets.get(oldSet);
        // QuickBooks kept the old set's outcome: answer it again and run nothing (the caller re-sends what is still needed).
        if (stored !== undefined) return stored.response;
        // 600: no such set and no new one; 9002: no stored response (the new requests run).
        setStatus = newSet === undefined ? '600' : '9002';
        if (newSet === undefined) return answer(setStatus);
      }
    }
    if (newSet !== undefined) {
      const stored = this.data.messageSets.get(newSet);
      // The same set sent again is answered from the store; the same ID over other requests is 9001 (checksum).
      if (stored !== undefined) return stored.checksum === checksum ? stored.response : answer('9001');
    }
    const out: XmlElement[] = [];
    for (const rq of msgs.children) {
      const outcome = this.run(rq, session, version, newSet !== undefined);
      const rsName = rq.name.replace(/Rq$/, 'Rs');
      const rsAttrs: Record<string, string | undefined> = {
        requestID: rq.attrs.requestID,
        statusCode: String(outcome.status.code),
        statusSeverity: outcome.status.severity,
        statusMessage: outcome.status.message,
        ...outcome.attrs,
      };
      const rets = attrs.responseData === 'includeNone' ? [] : outcome.rets;
      out.push(el(rsName, rsAttrs, [...rets, outcome.recovery]));
      if (outcome.status.severity === 'Error' && onError === 'stopOnError') break;
    }
    if (newSet !== undefined) setStatus ??= '0';
    const msgsRs = el('QBXMLMsgsRs', { newMessageSetID: newSet, messageSetStatusCode: setStatus }, out);
    const response = `<?xml version="1.0" ?>\n${writeXml(el('QBXML', [msgsRs]))}\n`;
    if (newSet !== undefined) {
      this.data.messageSets.clear();
      this.data.messageSets.set(newSet, { checksum, response });
    }
    return response;
  }

  /**
   * What QuickBooks would reject in a document, without running it: a document fault throws QbxmlDocumentError (XML,
   * ISO-8859-1, version, element order, required elements, types, attributes); each request's field problems (a string
   * over its maximum length, 3070; an invalid value, 3210) are returned with the request's name.
   */
  validate(xml: string): { version: number; problems: Array<FieldProblem & { request: string }> } {
    const { version, msgs } = this.parseDocument(xml);
    const problems: Array<FieldProblem & { request: string }> = [];
    for (const rq of msgs.children) {
      const found: FieldProblem[] = [];
      validateChildren(rq, table(rq.name), { version, problems: found }, rq.name);
      problems.push(...found.map((f) => ({ ...f, request: rq.name })));
    }
    return { version, problems };
  }

  /** The whole-document checks: XML syntax, ISO-8859-1, the qbXML version, schema order, types, attributes. */
  parseDocument(xml: string): { version: number; msgs: XmlElement } {
    let doc;
    try {
      doc = parseXml(xml, { latin1Only: true });
    } catch (error) {
      if (error instanceof XmlSyntaxError) throw new QbxmlDocumentError(error.message);
      throw error;
    }
    const reject = (why: string): never => {
      throw new QbxmlDocumentError(why);
    };
    if (doc.instructions[0]?.[0] !== 'xml') reject('the document has no XML declaration');
    const qbxmlPi = doc.instructions.find(([target]) => target === 'qbxml');
    const versionText = qbxmlPi ? pseudoAttribute(qbxmlPi[1], 'version') : undefined;
    if (!versionText) reject('the document has no <?qbxml version="..."?> instruction');
    if (!QBXML_VERSIONS.includes(versionText!)) reject(`qbXML version ${versionText} does not exist`);
    const version = Number(versionText);
    if (version > Number(this.data.info.maxVersion))
      reject(`this QuickBooks supports qbXML up to ${this.data.info.maxVersion}, not ${versionText}`);
    if (doc.root.name !== 'QBXML') reject(`the root element is <${doc.root.name}>, not <QBXML>`);
    if (doc.root.children.length !== 1 || doc.root.children[0].name !== 'QBXMLMsgsRq')
      reject('<QBXML> must hold exactly one <QBXMLMsgsRq>');
    const msgs = doc.root.children[0];
    for (const [name, value] of Object.entries(msgs.attrs)) {
      if (name === 'onError') {
        if (value === 'rollbackOnError') reject('onError="rollbackOnError" is not supported by QuickBooks');
        if (value !== 'stopOnError' && value !== 'continueOnError') reject(`onError="${value}" is not valid`);
      } else if (name === 'newMessageSetID' || name === 'oldMessageSetID') {
        continue;
      } else if (name === 'responseData') {
        if (value !== 'includeAll' && value !== 'includeNone') reject(`responseData="${value}" is not valid`);
      } else reject(`<QBXMLMsgsRq> has no attribute ${name}`);
    }
    if (msgs.attrs.onError === undefined) reject('<QBXMLMsgsRq> needs onError');
    if (msgs.text.trim() !== '') reject('text inside <QBXMLMsgsRq>');
    for (const rq of msgs.children) {
      if (!rq.name.endsWith('Rq') || TABLES[rq.name] === undefined)
        reject(`<${rq.name}> is not a request this QuickBooks knows`);
      if ((REQUEST_SINCE[rq.name] ?? 1) > version) reject(`<${rq.name}> does not exist in qbXML ${versionText}`);
      for (const [name, value] of Object.entries(rq.attrs)) {
        if (name === 'requestID') continue;
        if (
          (name === 'iterator' || name === 'iteratorID') &&
          ITERATOR_REQUESTS.has(rq.name) &&
          version >= ITERATOR_SINCE
        ) {
          if (name === 'iterator' && !['Start', 'Continue', 'Stop'].includes(value))
            reject(`iterator="${value}" is not valid`);
          continue;
        }
        if (name === 'metaData' && METADATA_REQUESTS.has(rq.name)) {
          if (!['NoMetaData', 'MetaDataOnly', 'MetaDataAndResponseData'].includes(value)) reject(`metaData="${value}"`);
          continue;
        }
        reject(`<${rq.name}> has no attribute ${name}`);
      }
      try {
        validateChildren(rq, table(rq.name), { version, problems: [] }, rq.name);
      } catch (error) {
        if (error instanceof QbxmlParseError) reject(error.message);
        throw error;
      }
    }
    return { version, msgs };
  }

  private run(rq: XmlElement, session: Session, version: number, recovery: boolean): Outcome {
    try {
      const requestID = rq.attrs.requestID;
      if (requestID !== undefined && requestID.length > 50)
        fail(1060, `The requestID "${requestID}" is longer than the 50 characters QuickBooks accepts.`);
      const problems: FieldProblem[] = [];
      validateChildren(rq, table(rq.name), { version, problems }, rq.name);
      const first = problems[0];
      if (first?.code === 3070) fail(3070, `The string "${first.value}" in the field "${first.field}" is too long.`);
      if (first) fail(3210, `The "${first.field}" field has an invalid value "${first.value}".`);
      const outcome = this.dispatch(rq, session);
      if (!recovery || !outcome.rets[0]) return outcome;
      return { ...outcome, recovery: errorRecovery(outcome.rets[0], rq.name) };
    } catch (error) {
      if (error instanceof RequestFailure) return { status: error.status, rets: [] };
      throw error;
    }
  }

  private dispatch(rq: XmlElement, session: Session): Outcome {
    const name = rq.name;
    if (name === 'HostQueryRq') return { status: OK, rets: [this.hostRet()] };
    if (name === 'CompanyQueryRq') return { status: OK, rets: [onlyElements(this.companyRet(), includeRet(rq))] };
    if (name === 'PreferencesQueryRq')
      return { status: OK, rets: [onlyElements(this.preferencesRet(), includeRet(rq))] };
    if (name.endsWith('AddRq') || name.endsWith('ModRq')) {
      const locked = this.faults?.take('locked', (r) => !r.requestType || r.requestType === name);
      if (locked) {
        const object = name.replace(/(Add|Mod)Rq$/, '');
        const code = locked.code ?? 3175;
        const messages: Record<number, string> = {
          3170: `There was an error when modifying a ${object}. QuickBooks error message: This record has been modified by another user.`,
          3175: `There was an error when saving a ${object}. QuickBooks error message: The record is in use by another user.`,
          3176: `There was an error when saving a ${object}. QuickBooks error message: Cannot lock the list; another user is editing it.`,
          3180: `There was an error when saving a ${object}. QuickBooks error message: Unable to lock the record.`,
        };
        fail(code, messages[code]);
      }
    }
    switch (name) {
      case 'CustomerQueryRq':
        return this.listQuery(
          rq,
          session,
          () => this.sortedCustomers(),
          (c: Customer) => customerRet(this.data, c),
          {
            fullName: (c) => this.data.customerFullName(c),
          },
        );
      case 'PriceLevelQueryRq':
        return this.listQuery(
          rq,
          session,
          () => sortByName([...this.data.priceLevels.values()]),
          (p: PriceLevel) => priceLevelRet(this.data, p),
          {
            extra: (p) => {
              const itemRef = child(rq, 'ItemRef');
              if (!itemRef) return true;
              const item = this.data.findItem(refOf(itemRef));
              return (
                p.PriceLevelType === 'FixedPercentage' || (p.PerItem ?? []).some((x) => x.ItemListID === item?.ListID)
              );
            },
          },
        );
      case 'SalesTaxCodeQueryRq':
        return this.listQuery(
          rq,
          session,
          () => sortByName([...this.data.salesTaxCodes.values()]),
          (s) => salesTaxCodeRet(this.data, s),
        );
      case 'CustomerAddRq':
        return this.customerAdd(child(rq, 'CustomerAdd')!, includeRet(rq));
      case 'CustomerModRq':
        return this.customerMod(child(rq, 'CustomerMod')!, includeRet(rq));
      case 'ListDeletedQueryRq':
      case 'TxnDeletedQueryRq':
        return this.deletedQuery(rq);
      case 'ItemInventoryAddRq':
      case 'ItemServiceAddRq':
      case 'ItemNonInventoryAddRq':
        return this.itemAdd(rq, includeRet(rq));
      case 'ReceivePaymentAddRq':
        return this.paymentAdd(child(rq, 'ReceivePaymentAdd')!, includeRet(rq));
    }
    if (name in ITEM_QUERY_TYPES) {
      const types = ITEM_QUERY_TYPES[name];
      return this.listQuery(
        rq,
        session,
        () => this.sortedItems().filter((i) => types.includes(i.type)),
        (i: Item) => itemRet(this.data, i),
        { fullName: (i) => this.data.itemFullName(i) },
      );
    }
    const txn = /^(SalesOrder|Invoice|Estimate|ReceivePayment)(Query|Add|Mod)Rq$/.exec(name);
    if (txn) {
      const kind = txn[1] as TxnKind;
      if (txn[2] === 'Query') return this.txnQuery(rq, session, kind);
      if (txn[2] === 'Add') return this.txnAdd(kind, child(rq, `${kind}Add`)!, includeRet(rq));
      return this.txnMod(kind, child(rq, `${kind}Mod`)!, includeRet(rq));
    }
    return fail(3250, `The request ${name} is not supported by the QuickBooks Desktop emulator.`);
  }

  // ---- queries -------------------------------------------------------------------------------------------------

  private sortedCustomers(): Customer[] {
    const all = [...this.data.customers.values()];
    const names = new Map(all.map((c) => [c.ListID, this.data.customerFullName(c).toLowerCase()]));
    return all.sort((a, b) => names.get(a.ListID)!.localeCompare(names.get(b.ListID)!));
  }

  private sortedItems(): Item[] {
    const all = [...this.data.items.values()];
    const names = new Map(all.map((i) => [i.ListID, this.data.itemFullName(i).toLowerCase()]));
    return all.sort((a, b) => names.get(a.ListID)!.localeCompare(names.get(b.ListID)!));
  }

  private listQuery<T extends { ListID: string; Name: string; IsActive: boolean; TimeModified: number }>(
    rq: XmlElement,
    session: Session,
    all: () => T[],
    toRet: (r: T) => XmlElement,
    options: { fullName?: (r: T) => string; extra?: (r: T) => boolean } = {},
  ): Outcome {
    const fullName = options.fullName ?? ((r: T) => r.Name);
    const page = (ids: string[]) => {
      const index = new Map(all().map((r) => [r.ListID, r]));
      return ids
        .map((id) => index.get(id))
        .filter((r): r is T => r !== undefined)
        .map((r) => onlyElements(toRet(r), includeRet(rq)));
    };
    return this.paged(rq, session, page, () => {
      const ids = children(rq, 'ListID').map((e) => e.text);
      const names = children(rq, 'FullName').map((e) => e.text);
      if (ids.length || names.length) {
        const records = all();
        const found: T[] = [];
        const missing: string[] = [];
        for (const id of ids) {
          const r = records.find((x) => x.ListID === id);
          if (r) found.push(r);
          else missing.push(id);
        }
        for (const n of names) {
          const r = records.find((x) => fullName(x).toLowerCase() === n.toLowerCase());
          if (r) found.push(r);
          else missing.push(n);
        }
        return { ids: found.map((r) => r.ListID), missing };
      }
      const active = childText(rq, 'ActiveStatus') ?? 'ActiveOnly';
      const from = this.time(childText(rq, 'FromModifiedDate'), false);
      const to = this.time(childText(rq, 'ToModifiedDate'), true);
      const nameFilter = child(rq, 'NameFilter');
      const range = child(rq, 'NameRangeFilter');
      const matches = all().filter((r) => {
        if (active === 'ActiveOnly' && !r.IsActive) return false;
        if (active === 'InactiveOnly' && r.IsActive) return false;
        if (from !== undefined && r.TimeModified < from) return false;
        if (to !== undefined && r.TimeModified > to) return false;
        const fn = fullName(r).toLowerCase();
        if (
          nameFilter &&
          !matchText(fn, childText(nameFilter, 'Name')!.toLowerCase(), childText(nameFilter, 'MatchCriterion')!)
        )
          return false;
        if (range) {
          const lo = childText(range, 'FromName')?.toLowerCase();
          const hi = childText(range, 'ToName')?.toLowerCase();
          if (lo !== undefined && fn < lo) return false;
          if (hi !== undefined && fn > hi) return false;
        }
        return options.extra ? options.extra(r) : true;
      });
      return { ids: matches.map((r) => r.ListID), missing: [] };
    });
  }

  /** Shared by list and transaction queries: MaxReturned, iterators (bound to the session), status 1 and 500. */
  private paged(
    rq: XmlElement,
    session: Session,
    page: (ids: string[]) => XmlElement[],
    select: () => { ids: string[]; missing: string[] },
  ): Outcome {
    const iterator = rq.attrs.iterator;
    const maxText = childText(rq, 'MaxReturned');
    const max = maxText === undefined ? undefined : Number(maxText);
    if (max !== undefined && max < 0) fail(3210, `The "MaxReturned" field has an invalid value "${maxText}".`);
    if (iterator === 'Continue' || iterator === 'Stop') {
      const id = rq.attrs.iteratorID;
      const state = id ? session.iterators.get(id) : undefined;
      if (!id || !state || state.requestType !== rq.name)
        fail(3120, `Object "${id ?? ''}" specified in the request cannot be found.`);
      if (iterator === 'Stop') {
        session.iterators.delete(id!);
        return { status: OK, rets: [], attrs: { iteratorRemainingCount: '0', iteratorID: id } };
      }
      const size = max ?? state!.maxReturned ?? state!.ids.length;
      const slice = state!.ids.slice(state!.position, state!.position + size);
      state!.position += slice.length;
      const remaining = state!.ids.length - state!.position;
      if (remaining === 0) session.iterators.delete(id!);
      const rets = page(slice);
      return {
        status: rets.length ? OK : noMatch(),
        rets,
        attrs: { iteratorRemainingCount: String(remaining), iteratorID: id! },
      };
    }
    const { ids, missing } = select();
    if (iterator === 'Start') {
      const id = `{${randomUUID()}}`;
      const size = max ?? ids.length;
      const slice = ids.slice(0, size);
      const remaining = ids.length - slice.length;
      if (remaining > 0)
        session.iterators.set(id, {
          requestType: rq.name,
          ids,
          position: slice.length,
          maxReturned: max,
          includeLines: false,
          includeRet: [],
        });
      const rets = page(slice);
      return {
        status: rets.length ? OK : noMatch(),
        rets,
        attrs: { iteratorRemainingCount: String(remaining), iteratorID: id },
      };
    }
    const rets = page(max === undefined ? ids : ids.slice(0, max));
    if (missing.length)
      return {
        status: status(
          500,
          `The query request has not been fully completed. There was a required element ("${missing[0]}") that could not be found in QuickBooks.`,
          'Warn',
        ),
        rets,
      };
    return { status: rets.length ? OK : noMatch(), rets };
  }

  private txnQuery(rq: XmlElement, session: Session, kind: TxnKind): Outcome {
    const includeLines = childText(rq, 'IncludeLineItems') === 'true';
    const page = (ids: string[]) =>
      ids
        .map((id) => this.data.txns.get(id))
        .filter((t): t is Txn => t !== undefined)
        .map((t) => onlyElements(txnRet(this.data, t, includeLines), includeRet(rq)));
    return this.paged(rq, session, page, () => {
      const all = [...this.data.txns.values()].filter((t) => t.kind === kind);
      const ids = children(rq, 'TxnID').map((e) => e.text);
      const refs = children(rq, 'RefNumber').map((e) => e.text);
      const exactRefs = children(rq, 'RefNumberCaseSensitive').map((e) => e.text);
      if (ids.length || refs.length || exactRefs.length) {
        const found: string[] = [];
        const missing: string[] = [];
        for (const id of ids) (this.data.txns.get(id)?.kind === kind ? found : missing).push(id);
        // A RefNumber is not an identifier (several transactions may share one): no match is status 1, not 500.
        for (const r of refs)
          found.push(...all.filter((t) => t.RefNumber?.toLowerCase() === r.toLowerCase()).map((t) => t.TxnID));
        for (const r of exactRefs) found.push(...all.filter((t) => t.RefNumber === r).map((t) => t.TxnID));
        return { ids: found, missing };
      }
      const modified = child(rq, 'ModifiedDateRangeFilter');
      const from = this.time(modified && childText(modified, 'FromModifiedDate'), false);
      const to = this.time(modified && childText(modified, 'ToModifiedDate'), true);
      const dates = child(rq, 'TxnDateRangeFilter');
      const fromDate = dates && childText(dates, 'FromTxnDate');
      const toDate = dates && childText(dates, 'ToTxnDate');
      const macro = dates && childText(dates, 'DateMacro');
      if (macro && macro !== 'All')
        fail(3250, `DateMacro ${macro} is not supported by the QuickBooks Desktop emulator.`);
      const entity = child(rq, 'EntityFilter');
      const customers = entity ? this.entityIds(entity) : undefined;
      const refFilter = child(rq, 'RefNumberFilter');
      const refRange = child(rq, 'RefNumberRangeFilter');
      const paid = childText(rq, 'PaidStatus') ?? 'All';
      const matches = all.filter((t) => {
        if (from !== undefined && t.TimeModified < from) return false;
        if (to !== undefined && t.TimeModified > to) return false;
        if (fromDate && t.TxnDate < fromDate) return false;
        if (toDate && t.TxnDate > toDate) return false;
        if (customers && !customers.has(t.CustomerListID)) return false;
        const ref = t.RefNumber ?? '';
        if (refFilter && !matchText(ref, childText(refFilter, 'RefNumber')!, childText(refFilter, 'MatchCriterion')!))
          return false;
        if (refRange) {
          const lo = childText(refRange, 'FromRefNumber');
          const hi = childText(refRange, 'ToRefNumber');
          if (lo !== undefined && compareRef(ref, lo) < 0) return false;
          if (hi !== undefined && compareRef(ref, hi) > 0) return false;
        }
        if (paid !== 'All') {
          const isPaid = t.TotalAmount + (t.AppliedAmount ?? 0) <= 0;
          if (paid === 'PaidOnly' ? !isPaid : isPaid) return false;
        }
        return true;
      });
      return { ids: matches.map((t) => t.TxnID), missing: [] };
    });
  }

  private entityIds(filter: XmlElement): Set<string> {
    const out = new Set<string>();
    for (const e of children(filter, 'ListID')) out.add(e.text);
    for (const e of children(filter, 'FullName')) {
      const c = this.data.findCustomer({ FullName: e.text });
      if (c) out.add(c.ListID);
    }
    const root =
      childText(filter, 'ListIDWithChildren') ??
      this.data.findCustomer({ FullName: childText(filter, 'FullNameWithChildren') })?.ListID;
    if (root) {
      out.add(root);
      let grew = true;
      while (grew) {
        grew = false;
        for (const c of this.data.customers.values())
          if (c.ParentListID && out.has(c.ParentListID) && !out.has(c.ListID)) {
            out.add(c.ListID);
            grew = true;
          }
      }
    }
    return out;
  }

  private deletedQuery(rq: XmlElement): Outcome {
    const isList = rq.name === 'ListDeletedQueryRq';
    const types = new Set(children(rq, isList ? 'ListDelType' : 'TxnDelType').map((e) => e.text));
    const range = child(rq, 'DeletedDateRangeFilter');
    const from = this.time(range && childText(range, 'FromDeletedDate'), false);
    const to = this.time(range && childText(range, 'ToDeletedDate'), true);
    const off = this.data.info.utcOffsetMinutes;
    const rets = this.data.deleted
      .filter(
        (d) =>
          types.has(d.type) &&
          (from === undefined || d.TimeDeleted >= from) &&
          (to === undefined || d.TimeDeleted <= to),
      )
      .map((d) =>
        onlyElements(
          isList
            ? el('ListDeletedRet', [
                el('ListDelType', d.type),
                el('ListID', d.id),
                el('TimeCreated', qbTime(d.TimeCreated, off)),
                el('TimeDeleted', qbTime(d.TimeDeleted, off)),
                opt('FullName', d.name),
              ])
            : el('TxnDeletedRet', [
                el('TxnDelType', d.type),
                el('TxnID', d.id),
                el('TimeCreated', qbTime(d.TimeCreated, off)),
                el('TimeDeleted', qbTime(d.TimeDeleted, off)),
                opt('RefNumber', d.name),
              ]),
          includeRet(rq),
        ),
      );
    return { status: rets.length ? OK : noMatch(), rets };
  }

  private time(text: string | undefined, endOfDay: boolean): number | undefined {
    if (text === undefined) return undefined;
    const ms = parseQbTime(text, this.data.info.utcOffsetMinutes);
    if (ms === undefined) return fail(3210, `The date "${text}" is not valid.`);
    // A bare date as upper bound covers the whole day, as QuickBooks reads ToModifiedDate.
    return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? ms + 86_399_999 : ms;
  }

  // ---- customers ------------------------------------------------------------------------------------------------

  private customerAdd(add: XmlElement, only: string[]): Outcome {
    const name = childText(add, 'Name')!;
    const parent = this.optionalRef(add, 'ParentRef', (r) => this.data.findCustomer(r), 'Customer', 'Customer');
    const fullName = parent ? `${this.data.customerFullName(parent)}:${name}` : name;
    if (this.data.nameInUse(fullName)) fail(3100, `The name "${fullName}" of the list element is already in use.`);
    const customer: Customer = {
      ...this.data.newList(name),
      ParentListID: parent?.ListID,
      fields: {},
      Balance: 0,
    };
    this.applyCustomerFields(customer, add);
    const guid = childText(add, 'ExternalGUID');
    if (guid) customer.ExternalGUID = guid.toUpperCase();
    const open = childText(add, 'OpenBalance');
    if (open) customer.Balance = toCents(open);
    this.data.customers.set(customer.ListID, customer);
    return { status: OK, rets: [onlyElements(customerRet(this.data, customer), only)] };
  }

  private customerMod(mod: XmlElement, only: string[]): Outcome {
    const id = childText(mod, 'ListID')!;
    const customer = this.data.customers.get(id);
    if (!customer) return fail(3120, `Object "${id}" specified in the request cannot be found.`);
    checkEditSequence(customer.EditSequence, childText(mod, 'EditSequence')!);
    const parentEl = child(mod, 'ParentRef');
    const parent = parentEl
      ? this.optionalRef(mod, 'ParentRef', (r) => this.data.findCustomer(r), 'Customer', 'Customer')
      : undefined;
    const name = childText(mod, 'Name') ?? customer.Name;
    const parentId = parentEl ? parent?.ListID : customer.ParentListID;
    const parentRecord = parentId ? this.data.customers.get(parentId) : undefined;
    const fullName = parentRecord ? `${this.data.customerFullName(parentRecord)}:${name}` : name;
    if (this.data.nameInUse(fullName, customer.ListID))
      fail(3100, `The name "${fullName}" of the list element is already in use.`);
    const isActive = childText(mod, 'IsActive');
    if (isActive === 'false' && this.hasOpenBalance(customer))
      fail(
        3210,
        `The "IsActive" field has an invalid value "false". QuickBooks error message: a customer with a balance cannot be made inactive.`,
      );
    customer.Name = name;
    customer.ParentListID = parentId;
    this.applyCustomerFields(customer, mod);
    this.data.touch(customer);
    return { status: OK, rets: [onlyElements(customerRet(this.data, customer), only)] };
  }

  private hasOpenBalance(c: Customer): boolean {
    return c.Balance !== 0;
  }

  private applyCustomerFields(customer: Customer, source: XmlElement): void {
    const active = childText(source, 'IsActive');
    if (active !== undefined) customer.IsActive = active === 'true';
    for (const f of [
      'CompanyName',
      'Salutation',
      'FirstName',
      'MiddleName',
      'LastName',
      'JobTitle',
      'Phone',
      'Mobile',
      'AltPhone',
      'Fax',
      'Email',
      'Cc',
      'Contact',
      'AltContact',
      'ResaleNumber',
      'AccountNumber',
      'CreditLimit',
      'JobDesc',
      'Notes',
    ]) {
      const v = childText(source, f);
      if (v !== undefined) customer.fields[f] = v;
    }
    const bill = child(source, 'BillAddress');
    if (bill) customer.BillAddress = addressOf(bill);
    const ship = child(source, 'ShipAddress');
    if (ship) customer.ShipAddress = addressOf(ship);
    const code = this.optionalRef(
      source,
      'SalesTaxCodeRef',
      (r) => this.data.findNamed(this.data.salesTaxCodes, r),
      'SalesTaxCode',
      'Customer',
    );
    if (code) customer.SalesTaxCodeListID = code.ListID;
    const taxItem = this.optionalRef(
      source,
      'ItemSalesTaxRef',
      (r) => this.salesTaxItem(r),
      'ItemSalesTax',
      'Customer',
    );
    if (taxItem) customer.ItemSalesTaxListID = taxItem.ListID;
    const level = this.optionalRef(
      source,
      'PriceLevelRef',
      (r) => this.data.findNamed(this.data.priceLevels, r),
      'PriceLevel',
      'Customer',
    );
    if (level) customer.PriceLevelListID = level.ListID;
  }

  private salesTaxItem(ref: { ListID?: string; FullName?: string }): Item | undefined {
    const item = this.data.findItem(ref);
    return item?.type === 'SalesTax' ? item : undefined;
  }

  /** CustomerRef is required: an empty or unknown reference is status 3140. */
  private requiredCustomer(source: XmlElement, object: string): Customer {
    const found = this.optionalRef(source, 'CustomerRef', (r) => this.data.findCustomer(r), 'Customer', object);
    if (!found) return fail(3140, `There is an invalid reference to QuickBooks Customer "" in the ${object}.`);
    return found;
  }

  /** Resolves a `*Ref` child; an unknown reference is status 3140. */
  private optionalRef<T>(
    parent: XmlElement,
    refName: string,
    find: (ref: { ListID?: string; FullName?: string }) => T | undefined,
    what: string,
    object: string,
  ): T | undefined {
    const refEl = child(parent, refName);
    if (!refEl) return undefined;
    const ref = refOf(refEl);
    if (ref.ListID === undefined && ref.FullName === undefined) return undefined;
    const found = find(ref);
    if (!found)
      fail(
        3140,
        `There is an invalid reference to QuickBooks ${what} "${ref.FullName ?? ref.ListID}" in the ${object}. QuickBooks error message: Invalid argument. The specified record does not exist in the list.`,
      );
    return found;
  }

  // ---- items ---------------------------------------------------------------------------------------------------

  /** Item names are unique in the item list by full name (a sub-item's name may repeat under another parent). */
  private itemAdd(rq: XmlElement, only: string[]): Outcome {
    const type = /^Item(Inventory|Service|NonInventory)AddRq$/.exec(rq.name)![1] as ItemType;
    const add = rq.children[0];
    const name = childText(add, 'Name')!;
    const parent = this.optionalRef(add, 'ParentRef', (r) => this.data.findItem(r), 'Item', `Item${type}`);
    const fullName = parent ? `${this.data.itemFullName(parent)}:${name}` : name;
    if (this.data.findItem({ FullName: fullName }))
      fail(3100, `The name "${fullName}" of the list element is already in use.`);
    const code = this.optionalRef(
      add,
      'SalesTaxCodeRef',
      (r) => this.data.findNamed(this.data.salesTaxCodes, r),
      'SalesTaxCode',
      `Item${type}`,
    );
    const prices = child(add, 'SalesOrPurchase') ?? child(add, 'SalesAndPurchase') ?? add;
    const price = childText(prices, 'Price') ?? childText(prices, 'SalesPrice');
    const item: Item = {
      ...this.data.newList(name),
      type,
      ParentListID: parent?.ListID,
      Desc: childText(prices, 'Desc') ?? childText(prices, 'SalesDesc'),
      Price: price === undefined ? undefined : normalizeDecimal(price),
      PricePercent: childText(prices, 'PricePercent'),
      SalesTaxCodeListID: code?.ListID,
      ExternalGUID: childText(add, 'ExternalGUID')?.toUpperCase(),
    };
    const active = childText(add, 'IsActive');
    if (active !== undefined) item.IsActive = active === 'true';
    const included = childText(add, 'IsTaxIncluded');
    if (included !== undefined) item.IsTaxIncluded = included === 'true';
    if (type === 'Inventory') {
      item.QuantityOnHand = normalizeDecimal(childText(add, 'QuantityOnHand') ?? '0');
      item.QuantityOnSalesOrder = '0';
      const cost = childText(add, 'PurchaseCost');
      if (cost !== undefined) item.AverageCost = normalizeDecimal(cost);
    }
    this.data.items.set(item.ListID, item);
    return { status: OK, rets: [onlyElements(itemRet(this.data, item), only)] };
  }

  // ---- transactions ---------------------------------------------------------------------------------------------

  private txnAdd(kind: TxnKind, add: XmlElement, only: string[]): Outcome {
    const customer = this.requiredCustomer(add, kind);
    if (!customer.IsActive)
      fail(
        3140,
        `There is an invalid reference to QuickBooks Customer "${this.data.customerFullName(customer)}" in the ${kind}. The customer is inactive.`,
      );
    const now = this.data.now();
    const refNumber = childText(add, 'RefNumber');
    const txn: Txn = {
      kind,
      TxnID: '',
      TxnNumber: 0,
      TimeCreated: now,
      TimeModified: now,
      EditSequence: this.data.nextEditSequence(),
      CustomerListID: customer.ListID,
      TxnDate: childText(add, 'TxnDate') ?? qbDate(now, this.data.info.utcOffsetMinutes),
      RefNumber: refNumber ?? this.data.nextRefNumber(kind),
      fields: {},
      BillAddress: customer.BillAddress,
      ShipAddress: customer.ShipAddress,
      ExternalGUID: childText(add, 'ExternalGUID')?.toUpperCase(),
      lines: [],
      Subtotal: 0,
      SalesTaxTotal: 0,
      TotalAmount: 0,
      IsActive: kind === 'Estimate' ? true : undefined,
    };
    this.applyTxnHeader(txn, add, customer);
    const lineName = `${kind}LineAdd`;
    const lines = add.children
      .filter((c) => c.name === lineName)
      .map((l) => this.buildLine(txn, customer, l, undefined));
    txn.lines = lines;
    this.computeTotals(txn, customer);
    // Nothing is stored until every reference resolved: a failed add leaves no trace, as in QuickBooks.
    txn.TxnID = this.data.newTxnID();
    for (const l of txn.lines) l.TxnLineID = this.data.newTxnLineID();
    this.data.counters.txnNumber += 1;
    txn.TxnNumber = this.data.counters.txnNumber;
    this.data.txns.set(txn.TxnID, txn);
    if (refNumber === undefined || /\d$/.test(refNumber)) this.data.lastRefNumber[kind] = txn.RefNumber;
    this.applyStock(txn, 1);
    if (kind === 'Invoice') customer.Balance += txn.TotalAmount;
    return { status: OK, rets: [onlyElements(txnRet(this.data, txn, true), only)] };
  }

  private txnMod(kind: TxnKind, mod: XmlElement, only: string[]): Outcome {
    const id = childText(mod, 'TxnID')!;
    const txn = this.data.txns.get(id);
    if (!txn || txn.kind !== kind) return fail(3120, `Object "${id}" specified in the request cannot be found.`);
    checkEditSequence(txn.EditSequence, childText(mod, 'EditSequence')!);
    const newCustomer = this.optionalRef(mod, 'CustomerRef', (r) => this.data.findCustomer(r), 'Customer', kind);
    const customer = newCustomer ?? this.data.customers.get(txn.CustomerListID)!;
    const draft: Txn = structuredClone(txn);
    draft.CustomerListID = customer.ListID;
    const date = childText(mod, 'TxnDate');
    if (date) draft.TxnDate = date;
    const ref = childText(mod, 'RefNumber');
    if (ref !== undefined) draft.RefNumber = ref;
    this.applyTxnHeader(draft, mod, customer);
    const lineMods = mod.children.filter((c) => c.name === `${kind}LineMod`);
    if (lineMods.length) {
      // With any line given, QuickBooks keeps only the lines listed: existing ones by TxnLineID, "-1" for new ones.
      draft.lines = lineMods.map((l) => {
        const lineId = childText(l, 'TxnLineID')!;
        if (lineId === '-1') return this.buildLine(draft, customer, l, undefined);
        const existing = txn.lines.find((x) => x.TxnLineID === lineId);
        if (!existing) return fail(3120, `Object "${lineId}" specified in the request cannot be found.`);
        return this.buildLine(draft, customer, l, existing);
      });
    }
    this.computeTotals(draft, customer);
    for (const l of draft.lines) if (!l.TxnLineID) l.TxnLineID = this.data.newTxnLineID();
    this.applyStock(txn, -1);
    const before = this.data.customers.get(txn.CustomerListID);
    if (kind === 'Invoice' && before) before.Balance -= txn.TotalAmount;
    Object.assign(txn, draft);
    this.data.touch(txn);
    this.applyStock(txn, 1);
    if (kind === 'Invoice') customer.Balance += txn.TotalAmount;
    return { status: OK, rets: [onlyElements(txnRet(this.data, txn, true), only)] };
  }

  private applyTxnHeader(txn: Txn, source: XmlElement, customer: Customer): void {
    for (const f of ['PONumber', 'DueDate', 'ShipDate', 'Memo', 'Other', 'FOB']) {
      const v = childText(source, f);
      if (v !== undefined) txn.fields[f] = v;
    }
    const pending = childText(source, 'IsPending');
    if (pending !== undefined) txn.fields.IsPending = pending;
    const bill = child(source, 'BillAddress');
    if (bill) txn.BillAddress = addressOf(bill);
    const ship = child(source, 'ShipAddress');
    if (ship) txn.ShipAddress = addressOf(ship);
    const included = childText(source, 'IsTaxIncluded');
    if (included !== undefined) txn.IsTaxIncluded = included === 'true';
    else txn.IsTaxIncluded ??= this.data.info.flavour === 'reckon' ? true : undefined;
    const closed = childText(source, 'IsManuallyClosed');
    if (closed !== undefined && txn.kind === 'SalesOrder') txn.IsManuallyClosed = closed === 'true';
    const active = childText(source, 'IsActive');
    if (active !== undefined && txn.kind === 'Estimate') txn.IsActive = active === 'true';
    const code = this.optionalRef(
      source,
      'CustomerSalesTaxCodeRef',
      (r) => this.data.findNamed(this.data.salesTaxCodes, r),
      'SalesTaxCode',
      txn.kind,
    );
    txn.CustomerSalesTaxCodeListID = code?.ListID ?? txn.CustomerSalesTaxCodeListID ?? customer.SalesTaxCodeListID;
    const taxItem = this.optionalRef(source, 'ItemSalesTaxRef', (r) => this.salesTaxItem(r), 'ItemSalesTax', txn.kind);
    if (this.data.info.flavour === 'us')
      txn.ItemSalesTaxListID =
        taxItem?.ListID ?? txn.ItemSalesTaxListID ?? customer.ItemSalesTaxListID ?? this.defaultSalesTaxItem()?.ListID;
  }

  private defaultSalesTaxItem(): Item | undefined {
    return [...this.data.items.values()].find((i) => i.type === 'SalesTax' && i.IsActive);
  }

  /** A line's rate: given Rate, or the price level's (named, else the customer's), else the item's price. */
  private buildLine(txn: Txn, customer: Customer, source: XmlElement, existing: TxnLine | undefined): TxnLine {
    const line: TxnLine = existing ? { ...existing } : { TxnLineID: '', Amount: 0 };
    const itemRef = child(source, 'ItemRef');
    let item = line.ItemListID ? this.data.items.get(line.ItemListID) : undefined;
    if (itemRef) {
      item = this.optionalRef(source, 'ItemRef', (r) => this.data.findItem(r), 'Item', txn.kind);
      if (item && item.type === 'Group')
        fail(
          3140,
          `There is an invalid reference to QuickBooks Item "${item.Name}" in the ${txn.kind}: a group item goes in a line group.`,
        );
      if (item && !item.IsActive)
        fail(
          3140,
          `There is an invalid reference to QuickBooks Item "${this.data.itemFullName(item)}" in the ${txn.kind}. The item is inactive.`,
        );
      line.ItemListID = item?.ListID;
    }
    const desc = childText(source, 'Desc');
    if (desc !== undefined) line.Desc = desc;
    else if (!existing && item) line.Desc = item.Desc;
    const qty = childText(source, 'Quantity');
    if (qty !== undefined) line.Quantity = normalizeDecimal(qty);
    const rate = childText(source, 'Rate');
    const ratePercent = childText(source, 'RatePercent');
    const levelEl = child(source, 'PriceLevelRef');
    const amount = childText(source, 'Amount');
    const level = levelEl
      ? this.optionalRef(
          source,
          'PriceLevelRef',
          (r) => this.data.findNamed(this.data.priceLevels, r),
          'PriceLevel',
          txn.kind,
        )
      : undefined;
    if (rate !== undefined) {
      line.Rate = normalizeDecimal(rate);
      line.RatePercent = undefined;
    } else if (ratePercent !== undefined) {
      line.RatePercent = normalizeDecimal(ratePercent);
      line.Rate = undefined;
    } else if (level && item) {
      line.Rate = this.levelPrice(level, item);
      line.PriceLevelListID = level.ListID;
    } else if (!existing && amount === undefined && item) {
      const customerLevel = customer.PriceLevelListID
        ? this.data.priceLevels.get(customer.PriceLevelListID)
        : undefined;
      if (item.PricePercent !== undefined) line.RatePercent = item.PricePercent;
      else line.Rate = customerLevel ? this.levelPrice(customerLevel, item) : normalizeDecimal(item.Price ?? '0');
    }
    if (amount !== undefined) {
      line.Amount = toCents(amount);
      if (rate === undefined && line.Quantity !== undefined && ratePercent === undefined)
        line.Rate = rateFrom(line.Amount, line.Quantity);
    } else if (line.RatePercent !== undefined) {
      const before = txn.lines.reduce((sum, l) => sum + l.Amount, 0);
      line.Amount = percentOfCents(before, line.RatePercent);
    } else if (line.Rate !== undefined) line.Amount = lineCents(line.Quantity ?? '1', line.Rate);
    const code = this.optionalRef(
      source,
      'SalesTaxCodeRef',
      (r) => this.data.findNamed(this.data.salesTaxCodes, r),
      'SalesTaxCode',
      txn.kind,
    );
    if (code) line.SalesTaxCodeListID = code.ListID;
    else if (!existing || itemRef) line.SalesTaxCodeListID = item?.SalesTaxCodeListID;
    const closed = childText(source, 'IsManuallyClosed');
    if (closed !== undefined) line.IsManuallyClosed = closed === 'true';
    // A percent line (e.g. a discount) applies to the lines before it, so it sees the draft as built so far.
    if (!existing) txn.lines = [...txn.lines, line];
    return line;
  }

  private levelPrice(level: PriceLevel, item: Item): string {
    const base = normalizeDecimal(item.Price ?? '0');
    if (level.PriceLevelType === 'FixedPercentage') return adjustPrice(base, level.FixedPercentage ?? '0');
    const entry = (level.PerItem ?? []).find((p) => p.ItemListID === item.ListID);
    if (!entry) return base;
    if (entry.CustomPrice !== undefined) return normalizeDecimal(entry.CustomPrice);
    return adjustPrice(base, entry.CustomPricePercent ?? '0');
  }

  /** US: one sales tax item's rate on taxable lines. Reckon/AU: each line's GST code's rate, inclusive or not. */
  private computeTotals(txn: Txn, customer: Customer): void {
    const subtotal = txn.lines.reduce((sum, l) => sum + l.Amount, 0);
    const customerCode = txn.CustomerSalesTaxCodeListID
      ? this.data.salesTaxCodes.get(txn.CustomerSalesTaxCodeListID)
      : undefined;
    let tax = 0;
    if (this.data.info.flavour === 'us') {
      const taxItem = txn.ItemSalesTaxListID ? this.data.items.get(txn.ItemSalesTaxListID) : undefined;
      const rate = taxItem?.TaxRate ?? '0';
      const taxable = txn.lines
        .filter((l) => {
          const code = l.SalesTaxCodeListID ? this.data.salesTaxCodes.get(l.SalesTaxCodeListID) : undefined;
          return code?.IsTaxable && customerCode?.IsTaxable !== false;
        })
        .reduce((sum, l) => sum + l.Amount, 0);
      tax = txn.IsTaxIncluded ? includedTaxCents(taxable, rate) : percentOfCents(taxable, rate);
      txn.SalesTaxPercentage = taxItem ? normalizeDecimal(rate) : undefined;
    } else {
      for (const l of txn.lines) {
        const code = l.SalesTaxCodeListID ? this.data.salesTaxCodes.get(l.SalesTaxCodeListID) : undefined;
        const rateItem = code?.ItemSalesTaxListID ? this.data.items.get(code.ItemSalesTaxListID) : undefined;
        if (!code?.IsTaxable || !rateItem?.TaxRate) continue;
        tax += txn.IsTaxIncluded
          ? includedTaxCents(l.Amount, rateItem.TaxRate)
          : percentOfCents(l.Amount, rateItem.TaxRate);
      }
      txn.SalesTaxPercentage = undefined;
    }
    void customer;
    txn.Subtotal = subtotal;
    txn.SalesTaxTotal = tax;
    txn.TotalAmount = txn.IsTaxIncluded ? subtotal : subtotal + tax;
  }

  /** Invoices lower QuantityOnHand; open sales orders raise QuantityOnSalesOrder. (Item TimeModified is not touched.) */
  private applyStock(txn: Txn, sign: 1 | -1): void {
    if (txn.kind !== 'Invoice' && txn.kind !== 'SalesOrder') return;
    for (const l of txn.lines) {
      const item = l.ItemListID ? this.data.items.get(l.ItemListID) : undefined;
      if (!item || item.type !== 'Inventory' || l.Quantity === undefined) continue;
      if (txn.kind === 'Invoice')
        item.QuantityOnHand = addQuantity(item.QuantityOnHand ?? '0', l.Quantity, sign === 1 ? -1 : 1);
      else if (!txn.IsManuallyClosed && !l.IsManuallyClosed)
        item.QuantityOnSalesOrder = addQuantity(item.QuantityOnSalesOrder ?? '0', l.Quantity, sign);
    }
  }

  private paymentAdd(add: XmlElement, only: string[]): Outcome {
    const customer = this.requiredCustomer(add, 'ReceivePayment');
    const now = this.data.now();
    const total = toCents(childText(add, 'TotalAmount') ?? '0');
    const open = [...this.data.txns.values()]
      .filter(
        (t) =>
          t.kind === 'Invoice' && t.CustomerListID === customer.ListID && t.TotalAmount + (t.AppliedAmount ?? 0) > 0,
      )
      .sort((a, b) => a.TxnDate.localeCompare(b.TxnDate) || a.TxnNumber - b.TxnNumber);
    const applied: Array<{ TxnID: string; Amount: number }> = [];
    if (childText(add, 'IsAutoApply') === 'true') {
      let left = total;
      for (const inv of open) {
        if (left <= 0) break;
        const amount = Math.min(left, inv.TotalAmount + (inv.AppliedAmount ?? 0));
        applied.push({ TxnID: inv.TxnID, Amount: amount });
        left -= amount;
      }
    } else {
      for (const a of children(add, 'AppliedToTxnAdd')) {
        const id = childText(a, 'TxnID')!;
        const inv = this.data.txns.get(id);
        if (!inv || inv.kind !== 'Invoice' || inv.CustomerListID !== customer.ListID)
          fail(3140, `There is an invalid reference to QuickBooks Invoice "${id}" in the ReceivePayment.`);
        const amount = toCents(childText(a, 'PaymentAmount') ?? '0');
        if (amount > inv!.TotalAmount + (inv!.AppliedAmount ?? 0))
          fail(
            3210,
            `The "PaymentAmount" field has an invalid value "${childText(a, 'PaymentAmount')}": more than the invoice's balance.`,
          );
        applied.push({ TxnID: id, Amount: amount });
      }
    }
    const used = applied.reduce((s, a) => s + a.Amount, 0);
    if (used > total)
      fail(
        3210,
        `The "TotalAmount" field has an invalid value "${childText(add, 'TotalAmount') ?? ''}": less than the amounts applied.`,
      );
    const refNumber = childText(add, 'RefNumber');
    const txn: Txn = {
      kind: 'ReceivePayment',
      TxnID: this.data.newTxnID(),
      TxnNumber: ++this.data.counters.txnNumber,
      TimeCreated: now,
      TimeModified: now,
      EditSequence: this.data.nextEditSequence(),
      CustomerListID: customer.ListID,
      TxnDate: childText(add, 'TxnDate') ?? qbDate(now, this.data.info.utcOffsetMinutes),
      RefNumber: refNumber,
      fields: { ...(childText(add, 'Memo') !== undefined ? { Memo: childText(add, 'Memo')! } : {}) },
      ExternalGUID: childText(add, 'ExternalGUID')?.toUpperCase(),
      lines: [],
      Subtotal: total,
      SalesTaxTotal: 0,
      TotalAmount: total,
      applied,
      UnusedPayment: total - used,
    };
    for (const a of applied) {
      const inv = this.data.txns.get(a.TxnID)!;
      inv.AppliedAmount = (inv.AppliedAmount ?? 0) - a.Amount;
    }
    customer.Balance -= total;
    this.data.txns.set(txn.TxnID, txn);
    return { status: OK, rets: [onlyElements(txnRet(this.data, txn, true), only)] };
  }

  // ---- host, company, preferences ------------------------------------------------------------------------------

  hostRet(): XmlElement {
    const info = this.data.info;
    const us = info.flavour === 'us';
    const max = Number(info.maxVersion);
    return el('HostRet', [
      el(
        'ProductName',
        us ? 'QuickBooks Enterprise Solutions: Wholesale Edition 23.0' : 'Reckon Accounts Enterprise 2023',
      ),
      el('MajorVersion', us ? '33' : '32'),
      el('MinorVersion', '0'),
      el('Country', us ? 'US' : 'AU'),
      ...QBXML_VERSIONS.filter((v) => Number(v) <= max).map((v) => el('SupportedQBXMLVersion', v)),
      el('IsAutomaticLogin', 'false'),
      el('QBFileMode', 'SingleUser'),
    ]);
  }

  companyRet(): XmlElement {
    const info = this.data.info;
    const us = info.flavour === 'us';
    return el('CompanyRet', [
      el('IsSampleCompany', 'false'),
      el('CompanyName', info.companyName),
      el('LegalCompanyName', info.companyName),
      el(
        'Address',
        us
          ? [
              el('Addr1', '100 Market Street'),
              el('City', 'San Francisco'),
              el('State', 'CA'),
              el('PostalCode', '94105'),
              el('Country', 'US'),
            ]
          : [
              el('Addr1', '1 George Street'),
              el('City', 'Sydney'),
              el('State', 'NSW'),
              el('PostalCode', '2000'),
              el('Country', 'Australia'),
            ],
      ),
      el('FirstMonthFiscalYear', us ? 'January' : 'July'),
      el('FirstMonthIncomeTaxYear', us ? 'January' : 'July'),
    ]);
  }

  preferencesRet(): XmlElement {
    const us = this.data.info.flavour === 'us';
    const taxable = [...this.data.salesTaxCodes.values()].find((c) => c.IsTaxable);
    const nonTaxable = [...this.data.salesTaxCodes.values()].find((c) => !c.IsTaxable);
    const taxItem = this.defaultSalesTaxItem();
    return el('PreferencesRet', [
      el('AccountingPreferences', [
        el('IsUsingAccountNumbers', 'false'),
        el('IsRequiringAccounts', 'true'),
        el('IsUsingClassTracking', 'false'),
        el('IsUsingAuditTrail', 'true'),
        el('IsAssigningJournalEntryNumbers', 'true'),
      ]),
      el('SalesAndCustomersPreferences', [
        el('IsTrackingReimbursedExpensesAsIncome', 'false'),
        el('IsAutoApplyingPayments', 'true'),
        el('PriceLevels', [el('IsUsingPriceLevels', 'true'), el('IsRoundingSalesPriceUp', 'false')]),
      ]),
      us && taxItem
        ? el('SalesTaxPreferences', [
            el('DefaultItemSalesTaxRef', [el('ListID', taxItem.ListID), el('FullName', taxItem.Name)]),
            el('PaySalesTax', 'Monthly'),
            taxable &&
              el('DefaultTaxableSalesTaxCodeRef', [el('ListID', taxable.ListID), el('FullName', taxable.Name)]),
            nonTaxable &&
              el('DefaultNonTaxableSalesTaxCodeRef', [
                el('ListID', nonTaxable.ListID),
                el('FullName', nonTaxable.Name),
              ]),
          ])
        : undefined,
    ]);
  }
}

function includeRet(rq: XmlElement): string[] {
  return children(rq, 'IncludeRetElement').map((e) => e.text);
}

function refOf(refEl: XmlElement): { ListID?: string; FullName?: string } {
  return { ListID: childText(refEl, 'ListID'), FullName: childText(refEl, 'FullName') };
}

function addressOf(e: XmlElement): Address {
  const a: Address = {};
  for (const f of ADDRESS_FIELDS) {
    const v = childText(e, f);
    if (v !== undefined) a[f] = v;
  }
  return a;
}

function checkEditSequence(current: string, given: string): void {
  if (current !== given) fail(3200, `The provided edit sequence "${given}" is out-of-date.`);
}

function noMatch(): Status {
  return status(1, 'A query request did not find a matching object in QuickBooks', 'Info');
}

function matchText(value: string, pattern: string, criterion: string): boolean {
  if (criterion === 'StartsWith') return value.startsWith(pattern);
  if (criterion === 'EndsWith') return value.endsWith(pattern);
  return value.includes(pattern);
}

function compareRef(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return Number(a) - Number(b);
  return a.localeCompare(b);
}

function sortByName<T extends { Name: string }>(records: T[]): T[] {
  return records.sort((a, b) => a.Name.toLowerCase().localeCompare(b.Name.toLowerCase()));
}

/** What QuickBooks keeps for error recovery about the object an add or mod touched. */
function errorRecovery(ret: XmlElement, requestName: string): XmlElement | undefined {
  if (!/(Add|Mod)Rq$/.test(requestName)) return undefined;
  const id = child(ret, 'ListID') ?? child(ret, 'TxnID');
  return el('ErrorRecovery', [
    id && el(id.name, id.text),
    opt('TxnNumber', childText(ret, 'TxnNumber')),
    opt('EditSequence', childText(ret, 'EditSequence')),
    opt('ExternalGUID', childText(ret, 'ExternalGUID')),
  ]);
}
