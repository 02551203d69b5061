import { randomBytes } from 'node:crypto';
import { qboTime } from './clock';
import { faults } from './faults';
import { applyRules, type WriteOptions } from './entities/rules';
import { checkEntityBody } from './entities/fields';
import { DEFAULT_TERMS_ID, ensureChartAndTerms } from './entities/accounts';
import { CompanyIndexes } from './entities/indexes';
import { recomputeCustomer, recomputeInvoice } from './entities/balances';
import { voidTransaction } from './entities/void';
import { parseQuery } from './query/parser';
import { evaluate, sortBy } from './query/evaluate';

export type Obj = Record<string, unknown> & {
  Id: string;
  SyncToken: string;
  MetaData: { CreateTime: string; LastUpdatedTime: string };
};
export type { WriteOptions };

export const ENTITIES = [
  'Customer',
  'Item',
  'TaxCode',
  'TaxRate',
  'Invoice',
  'Estimate',
  'Payment',
  'Account',
  'Term',
] as const;
export type EntityName = (typeof ENTITIES)[number];
const TRANSACTIONS = new Set<string>(['Invoice', 'Estimate', 'Payment']);
/** Written only by seeding here (QuickBooks has an API for accounts and terms; see README, "does not do"). */
const READ_ONLY = new Set<string>(['TaxCode', 'TaxRate', 'Account', 'Term']);
/** Name lists: inactive records hidden unless the query asks, and sorted by name when the query does not say. */
const NAME_LISTS = new Map<string, string>([
  ['Customer', 'FullyQualifiedName'],
  ['Item', 'FullyQualifiedName'],
  ['Account', 'FullyQualifiedName'],
  ['Term', 'Name'],
  ['TaxCode', 'Name'],
  ['TaxRate', 'Name'],
]);
/** QuickBooks' US pseudo tax codes: the only Ids that are not numbers. */
const NAMED_IDS = new Set(['TAX', 'NON', 'CustomSalesTax']);
const BY_LOWER = new Map<string, EntityName>(ENTITIES.map((e) => [e.toLowerCase(), e]));

export interface CompanyState {
  realmId: string;
  name: string;
  customTxnNumbers: boolean;
  nextId: number;
  lastDocNumber: number;
  nextAddressId?: number;
  defaultTermsId?: string;
  entities: Record<string, Obj[]>;
  deletions: Array<{ entity: string; Id: string; at: number }>;
  requestIds: Array<[string, StoredReply]>;
  createdAt: number;
}

/** A remembered answer for `requestid` replays, kept serialized so later changes to the object don't leak into it. */
export interface StoredReply {
  status: number;
  json: string;
}

export function entityOf(name: string): EntityName {
  const found = BY_LOWER.get(name.toLowerCase());
  if (!found) throw faults.unsupported(name);
  return found;
}

/** An Id QuickBooks can parse: digits (and the US pseudo tax codes); anything else is 2030 Invalid ID, not 610. */
export function checkId(entity: string, id: string): void {
  if (!/^\d{1,18}$/.test(id) && !(entity === 'TaxCode' && NAMED_IDS.has(id))) throw faults.invalidId(entity, id);
}

export type ChangeListener = (entity: string, id: string, operation: 'Create' | 'Update' | 'Delete' | 'Void') => void;

/** One QuickBooks company (realm): its objects and indexes, the write pipeline, and its query and CDC views. */
export class Company {
  readonly tables = new Map<string, Map<string, Obj>>();
  readonly requestIds = new Map<string, StoredReply>();
  readonly indexes = new CompanyIndexes();
  deletions: CompanyState['deletions'] = [];
  nextId = 1;
  lastDocNumber = 1000;
  /** Addresses have Ids of their own in QuickBooks. */
  nextAddressId = 1;
  /** Preferences.SalesFormsPrefs.DefaultTerms: the terms of an invoice whose customer has none. */
  defaultTermsId = DEFAULT_TERMS_ID;
  onChange?: ChangeListener;

  constructor(
    readonly realmId: string,
    public name: string,
    public customTxnNumbers: boolean,
    readonly now: () => number,
    readonly createdAt = now(),
  ) {
    for (const e of ENTITIES) this.tables.set(e, new Map());
    ensureChartAndTerms(this);
  }

  table(entity: string): Map<string, Obj> {
    return this.tables.get(entityOf(entity))!;
  }

  time(): string {
    return qboTime(this.now());
  }

  /** Stores an object and keeps every index in step with it. */
  put(entity: EntityName, obj: Obj, previous?: Obj): void {
    if (previous) this.indexes.remove(entity, previous);
    this.table(entity).set(obj.Id, obj);
    this.indexes.add(entity, obj);
  }

  private stamp(obj: Record<string, unknown>, created?: string): void {
    const t = this.time();
    obj.domain = 'QBO';
    obj.sparse = false;
    obj.MetaData = { CreateTime: created ?? t, LastUpdatedTime: t };
  }

  /** A changed copy of a stored object: next SyncToken, fresh LastUpdatedTime. */
  bump(entity: EntityName, current: Obj, change: (next: Obj) => void): Obj {
    const next = structuredClone(current);
    change(next);
    next.SyncToken = String(Number(current.SyncToken) + 1);
    this.stamp(next, current.MetaData.CreateTime);
    this.put(entity, next, current);
    return next;
  }

  ref(entity: EntityName, ref: unknown, element: string, requireActive = true): Obj {
    const id = ref && typeof ref === 'object' ? (ref as { value?: unknown }).value : undefined;
    if (typeof id !== 'string' || !id) throw faults.required(element);
    checkId(entity, id);
    const obj = this.table(entity).get(id);
    if (!obj || (requireActive && obj.Active === false)) throw faults.notFound(entity, id);
    return obj;
  }

  get(entity: string, id: string): Obj {
    checkId(entityOf(entity), id);
    const obj = this.table(entity).get(id);
    if (!obj) throw faults.notFound(entity, id);
    return obj;
  }

  create(entity: string, body: Record<string, unknown>, options: WriteOptions = {}): Obj {
    const e = entityOf(entity);
    if (READ_ONLY.has(e) && !options.seeding) throw faults.unsupported(`Create for ${e}`);
    checkEntityBody(e, body);
    const obj = structuredClone(body) as Obj;
    delete (obj as Record<string, unknown>).sparse;
    obj.Id = options.seeding && typeof body.Id === 'string' ? body.Id : String(this.nextId++);
    obj.SyncToken = '0';
    applyRules(this, e, obj, undefined, body, options);
    this.stamp(obj);
    this.put(e, obj);
    this.afterWrite(e, obj, undefined);
    this.onChange?.(e, obj.Id, 'Create');
    return obj;
  }

  private current(e: EntityName, body: Record<string, unknown>): Obj {
    const id = body.Id;
    if (id === undefined || id === null || id === '') throw faults.required('Id');
    const current = this.get(e, String(id));
    if (body.SyncToken === undefined) throw faults.required('SyncToken');
    if (String(body.SyncToken) !== current.SyncToken) throw faults.stale(String(id));
    return current;
  }

  /** Full update (omitted writable fields become null) or `sparse: true` (only the fields sent change). */
  update(entity: string, body: Record<string, unknown>, options: WriteOptions = {}): Obj {
    const e = entityOf(entity);
    if (READ_ONLY.has(e)) throw faults.unsupported(`Update for ${e}`);
    checkEntityBody(e, body);
    const current = this.current(e, body);
    const sent = structuredClone(body);
    const next = (body.sparse === true ? { ...structuredClone(current), ...sent } : sent) as Obj;
    delete (next as Record<string, unknown>).sparse;
    next.Id = current.Id;
    next.SyncToken = String(Number(current.SyncToken) + 1);
    applyRules(this, e, next, current, body, options);
    this.stamp(next, current.MetaData.CreateTime);
    this.put(e, next, current);
    this.afterWrite(e, next, current);
    this.onChange?.(e, next.Id, 'Update');
    return next;
  }

  /** Transactions only (`?operation=delete`); customers and items are made inactive instead. */
  remove(entity: string, body: Record<string, unknown>): Record<string, unknown> {
    const e = entityOf(entity);
    if (!TRANSACTIONS.has(e)) throw faults.unsupported(`Delete for ${e}; make it inactive instead`);
    checkEntityBody(e, body);
    const current = this.current(e, body);
    this.table(e).delete(current.Id);
    this.indexes.remove(e, current);
    this.deletions.push({ entity: e, Id: current.Id, at: this.now() });
    this.afterWrite(e, undefined, current);
    this.onChange?.(e, current.Id, 'Delete');
    return { domain: 'QBO', status: 'Deleted', Id: current.Id };
  }

  /** Invoices and payments (`?operation=void`): kept, with zero amounts. */
  void(entity: string, body: Record<string, unknown>): Obj {
    const e = entityOf(entity);
    if (e !== 'Invoice' && e !== 'Payment') throw faults.unsupported(`Void for ${e}`);
    checkEntityBody(e, body);
    const current = this.current(e, body);
    const next = this.bump(e, current, (n) => voidTransaction(e, n));
    this.afterWrite(e, next, current);
    this.onChange?.(e, next.Id, 'Void');
    return next;
  }

  /** Balances that follow a write: invoices follow the payments applied to them, customers their open invoices. */
  private afterWrite(e: EntityName, next: Obj | undefined, previous: Obj | undefined): void {
    if (e === 'Payment') {
      const touched = new Set<string>();
      for (const p of [previous, next]) for (const id of CompanyIndexes.linkedInvoices(p)) touched.add(id);
      for (const id of touched) recomputeInvoice(this, id);
    }
    if (e === 'Invoice' || e === 'Payment') {
      const customers = new Set<string>();
      for (const o of [previous, next]) {
        const id = (o?.CustomerRef as { value?: string } | undefined)?.value;
        if (id) customers.add(id);
      }
      for (const id of customers) recomputeCustomer(this, id);
    }
  }

  /** Runs a query; name lists hide inactive records unless the query filters on Active, as QuickBooks does. */
  query(text: string): Record<string, unknown> {
    const q = parseQuery(text);
    const e = BY_LOWER.get(q.entity.toLowerCase());
    if (!e) throw faults.queryValidation(`Entity ${q.entity} is not supported`);
    let rows: Array<Record<string, unknown>> = [...this.table(e).values()];
    const nameField = NAME_LISTS.get(e);
    if (nameField && !q.where.some((c) => c.field.toLowerCase() === 'active'))
      rows = rows.filter((r) => r.Active !== false);
    return evaluate(rows, q, e, nameField);
  }

  /** Changes since a time, for CDC: objects updated since (inactive included) and deletions. */
  changedSince(entity: string, since: number): Array<Record<string, unknown>> {
    const e = entityOf(entity);
    if (READ_ONLY.has(e)) throw faults.unsupported(`CDC for ${e}`);
    const out: Array<Record<string, unknown>> = [];
    // Times carry whole seconds: a change in the same second as `since` counts.
    const from = Math.floor(since / 1000) * 1000;
    for (const obj of this.table(e).values()) if (Date.parse(obj.MetaData.LastUpdatedTime) >= from) out.push(obj);
    for (const d of this.deletions)
      if (d.entity === e && d.at >= since)
        out.push({ domain: 'QBO', status: 'Deleted', Id: d.Id, MetaData: { LastUpdatedTime: qboTime(d.at) } });
    return sortBy(out, 'MetaData.LastUpdatedTime', false);
  }

  snapshot(): CompanyState {
    return {
      realmId: this.realmId,
      name: this.name,
      customTxnNumbers: this.customTxnNumbers,
      nextId: this.nextId,
      lastDocNumber: this.lastDocNumber,
      nextAddressId: this.nextAddressId,
      defaultTermsId: this.defaultTermsId,
      entities: Object.fromEntries([...this.tables].map(([e, t]) => [e, [...t.values()]])),
      deletions: this.deletions,
      requestIds: [...this.requestIds],
      createdAt: this.createdAt,
    };
  }

  static restore(state: CompanyState, now: () => number): Company {
    const c = new Company(state.realmId, state.name, state.customTxnNumbers, now, state.createdAt);
    c.nextId = state.nextId;
    c.lastDocNumber = state.lastDocNumber;
    c.nextAddressId = state.nextAddressId ?? 1;
    c.defaultTermsId = state.defaultTermsId ?? DEFAULT_TERMS_ID;
    c.deletions = state.deletions;
    for (const [e, objs] of Object.entries(state.entities)) for (const o of objs) c.put(entityOf(e), o);
    for (const [k, v] of state.requestIds) if (typeof v?.json === 'string') c.requestIds.set(k, v);
    ensureChartAndTerms(c);
    return c;
  }
}

export function newRealmId(): string {
  return `9130${randomBytes(6).readUIntBE(0, 6).toString().padStart(12, '0').slice(0, 12)}`;
}
