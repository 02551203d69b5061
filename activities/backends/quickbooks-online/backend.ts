import type { Clock } from '../../../workers/clock';
import { CDC_MAX_OBJECTS, NOT_IN_CDC } from '../../quickbooks/cdc';
import { select, type QueryBuilder } from '../../quickbooks/query';
import type {
  AgreedVersions,
  Backend,
  BackendCapabilities,
  ChangePage,
  Db,
  SideRecord,
  SideWrite,
  SideWriteResult,
} from '../../sync/backend';
import { chunk } from '../../sync/entities/common';
import type { SaleToSend } from '../../sync/entities/sale';
import { MappingProblem, type AppEntity, type Ref } from '../../sync/entity';
import type { LinkStore } from '../../sync/links';
import type { EntityName } from '../../sync/model';
import type { QboApi, QboBatchItem, QboBatchResult } from './api';
import { PUSH_PAGE_SIZE, sendWrites } from './sendPlan';
import type { QboEntity, QboObject, RefMap } from './entity';
import { loadAccountBook, type AccountBook } from './accounts';
import { itemAccountSettings } from '../../sync/settings';
import { acceptedFrom, docNumberQueries, documentOf, isTwin, saleLinkId, saleToQbo } from './entities/sale';

/**
 * Where pulling an entity's QuickBooks changes resumes. Reads are keyset-paged on Id (`Id > afterId ORDERBY Id`):
 * a record updated or deleted between two pages cannot shift another out of the read, as an offset would.
 * - full: the first read of everything; then CDC from when it began (catching what changed during it);
 * - cdc: one change-data-capture call since `since` (deletions included);
 * - query: past CDC's 30 days or 1000 objects, records updated since `since`, then CDC from `until`.
 */
export type QboCursor =
  | { mode: 'full'; afterId: string | null; since: string }
  | { mode: 'cdc'; since: string }
  | { mode: 'query'; since: string; afterId: string | null; until: string };

/** CDC reaches back 30 days; keep clear of the edge. */
const CDC_WINDOW_MS = 29 * 24 * 3600 * 1000;
/**
 * Each read starts this long before the QuickBooks time the last one was answered at, for a write QuickBooks stamped
 * just before that answer but had not committed (or stamped on another of its servers' clocks, to the second). Every
 * time here is QuickBooks' own (an answer's `time`), never this machine's, so no clock skew needs covering. Re-reads
 * change nothing but cost their transfer — a record re-read at its agreed SyncToken is settled unmapped — so the
 * window is seconds, not minutes: everything changed within it is read again by the next run.
 */
export const OVERLAP_MS = 10 * 1000;
/** Name lists (customers, items) hide inactive records unless asked. */
const NAME_LISTS = new Set(['Customer', 'Item']);

/** An answer's `time` (QuickBooks' clock); this machine's only if QuickBooks left it out. */
function quickBooksTime(time: string | undefined, now: Date): number {
  const t = time ? Date.parse(time) : NaN;
  return Number.isFinite(t) ? t : now.getTime();
}

function withInactive(q: QueryBuilder): QueryBuilder {
  return NAME_LISTS.has(q.entity) ? q.whereIn('Active', [true, false]) : q;
}

/** Cursors saved before keyset paging (offset-based) start their read again: re-reads are no-ops. */
function upgrade(cursor: unknown): QboCursor | null {
  const c = cursor as QboCursor | null;
  if (!c) return null;
  if ((c.mode === 'full' || c.mode === 'query') && !('afterId' in c))
    return { ...(c as object), afterId: null } as QboCursor;
  return c;
}

export { batchRequestId } from './sendPlan';

export const QUICKBOOKS_ONLINE_CAPABILITIES: BackendCapabilities = {
  changeCapture: {
    customer: 'change-feed',
    item: 'change-feed',
    invoice: 'change-feed',
    payment: 'change-feed',
    tax_rate: 'snapshot',
    tax_code: 'snapshot',
  },
  removal: { customer: 'deactivate', item: 'deactivate', invoice: 'void', payment: 'delete', sale: 'none' },
  numbering: 'company-preference',
  // One push page: 4 batches of 30 and 40 single writes (sendPlan.ts).
  batchSize: PUSH_PAGE_SIZE,
  rateLimits: { requestsPerMinute: 500, concurrent: 10, batchesPerMinute: 40 },
  taxModel: 'us-sales-tax',
  transport: 'call',
  saleDocuments: ['invoice', 'estimate'],
};

/** QuickBooks Online as a backend, over its REST API (the typed client in activities/quickbooks). */
export class QuickBooksOnlineBackend implements Backend {
  readonly id = 'quickbooks-online' as const;
  readonly capabilities = QUICKBOOKS_ONLINE_CAPABILITIES;

  constructor(
    private readonly api: QboApi,
    private readonly db: Db,
    private readonly links: LinkStore,
    private readonly entities: Partial<Record<EntityName, QboEntity<unknown>>>,
    /** The app's half of the same entities (labels, references). */
    private readonly appEntities: Partial<Record<EntityName, AppEntity<unknown>>>,
    private readonly clock: Clock,
    /** How to learn QuickBooks' numbering preference; by default asked once per page of work. */
    private readonly readNumbering: () => Promise<boolean> = () => api.customTxnNumbers(),
    /** The chart of accounts with the tenant's item accounts; by default read once per page with default settings. */
    private readonly readAccounts: () => Promise<AccountBook> = () =>
      loadAccountBook(api, itemAccountSettings(undefined), '<tenant>'),
  ) {}

  private app(entity: EntityName): AppEntity<unknown> {
    const app = this.appEntities[entity];
    if (!app) throw new Error(`no app entity ${entity}`);
    return app;
  }

  private entity(entity: EntityName): QboEntity<unknown> {
    const mapping = this.entities[entity];
    if (!mapping) throw new Error(`QuickBooks Online has no mapping for entity ${entity}`);
    return mapping;
  }

  async readChanges(entity: EntityName, cursor: unknown, limit: number, agreed?: AgreedVersions): Promise<ChangePage> {
    const mapping = this.entity(entity);
    const name = mapping.qboName;
    const now = this.clock.now();
    const overlapped = (t: number) => new Date(t - OVERLAP_MS).toISOString();
    // A first read takes its start from QuickBooks' answer to its first page (below), not from this machine's clock.
    let state = upgrade(cursor) ?? { mode: 'full', afterId: null, since: '' };
    const cdcCapable = !NOT_IN_CDC.has(name);
    if (state.mode === 'cdc' && (!cdcCapable || now.getTime() - Date.parse(state.since) > CDC_WINDOW_MS)) {
      // Too old for CDC (or an entity CDC does not serve): read by last-updated time. Deletions in that gap are not visible.
      // Either read's end is the QuickBooks time of its first answer (below).
      state = cdcCapable
        ? { mode: 'query', since: state.since, afterId: null, until: '' }
        : { mode: 'full', afterId: null, since: '' };
    }

    let objects: QboObject[];
    let next: QboCursor;
    let done: boolean;
    if (state.mode === 'full' || state.mode === 'query') {
      let q = withInactive(select(name));
      if (state.mode === 'query') q = q.where('MetaData.LastUpdatedTime', '>=', new Date(state.since));
      if (state.afterId) q = q.where('Id', '>', state.afterId);
      const answer = await this.api.query(q.orderBy('Id').maxResults(limit));
      objects = answer.objects;
      const answered = quickBooksTime(answer.time, now);
      if (state.mode === 'full' && !state.since) state = { ...state, since: overlapped(answered) };
      if (state.mode === 'query' && !state.until) state = { ...state, until: new Date(answered).toISOString() };
      done = objects.length < limit;
      const afterId = objects.at(-1)?.Id ?? state.afterId;
      // What changed while the read went on is caught by CDC from when it began.
      const from = state.mode === 'full' ? state.since : overlapped(Date.parse(state.until));
      next = done ? { mode: 'cdc', since: from } : { ...state, afterId };
    } else {
      const result = await this.api.cdc(name, new Date(state.since));
      objects = result.objects;
      const answered = quickBooksTime(result.time, now);
      if (objects.length >= CDC_MAX_OBJECTS) {
        // CDC stops at 1000 objects: read the rest of the window page by page by last-updated time (its end is
        // this answer's time; the overlap is taken once, when CDC takes over again).
        next = { mode: 'query', since: state.since, afterId: null, until: new Date(answered).toISOString() };
        done = false;
      } else {
        next = { mode: 'cdc', since: overlapped(answered) };
        done = true;
      }
    }
    return { records: await this.toRecords(mapping, objects, agreed), nextCursor: next, done };
  }

  private numbering?: Promise<boolean>;

  /** Decides whether invoice numbers are sent or assigned by QuickBooks. */
  private customTxnNumbers(): Promise<boolean> {
    this.numbering ??= this.readNumbering();
    return this.numbering;
  }

  async resolve(entity: EntityName, record: SideRecord, pageLinks: Map<string, number>): Promise<SideRecord> {
    const mapping = this.entity(entity);
    const raw = record.raw as QboObject;
    const refs = await this.resolveRefs(mapping.qboRefs(raw));
    const overlay: RefMap = {
      ...refs,
      appId: (e, qboId) =>
        e === entity && qboId && pageLinks.has(qboId) ? pageLinks.get(qboId) : refs.appId(e, qboId),
    };
    return this.toRecord(mapping, raw, overlay);
  }

  private async resolveRefs(refs: Ref[], forWriting = false, withAccounts = false): Promise<RefMap> {
    const byEntity = new Map<EntityName, Set<string>>();
    const appByEntity = new Map<EntityName, Set<number>>();
    for (const r of refs) {
      if (typeof r.id === 'string') byEntity.set(r.entity, (byEntity.get(r.entity) ?? new Set()).add(r.id));
      else appByEntity.set(r.entity, (appByEntity.get(r.entity) ?? new Set()).add(r.id));
    }
    const toApp = new Map<string, number>();
    const toQbo = new Map<string, string>();
    for (const [entity, ids] of byEntity)
      for (const [qboId, appId] of await this.links.remoteToApp(this.db, entity, [...ids]))
        toApp.set(`${entity}:${qboId}`, appId);
    for (const [entity, ids] of appByEntity)
      for (const [appId, qboId] of await this.links.appToRemote(this.db, entity, [...ids]))
        toQbo.set(`${entity}:${appId}`, qboId);
    return {
      appId: (entity, qboId) => (qboId ? toApp.get(`${entity}:${qboId}`) : undefined),
      qboId: (entity, appId) => (appId ? toQbo.get(`${entity}:${appId}`) : undefined),
      customTxnNumbers: forWriting ? await this.customTxnNumbers() : false,
      accounts: withAccounts ? await this.readAccounts() : undefined,
    };
  }

  private async toRecords(
    mapping: QboEntity<unknown>,
    objects: QboObject[],
    agreed?: AgreedVersions,
  ): Promise<SideRecord[]> {
    const live = objects.filter((o) => (o as { status?: string }).status !== 'Deleted');
    // A SyncToken moves on every change in QuickBooks: one still at the agreed token has not changed since.
    const versions =
      agreed && !mapping.unversioned ? await agreed(live.map((o) => String(o.Id))) : new Map<string, string>();
    const isSettled = (o: QboObject) => o.SyncToken !== undefined && versions.get(String(o.Id)) === o.SyncToken;
    const refs = await this.resolveRefs(live.filter((o) => !isSettled(o)).flatMap((o) => mapping.qboRefs(o)));
    return objects.map((o) =>
      isSettled(o)
        ? { id: String(o.Id), version: o.SyncToken, settled: true, label: `QuickBooks ${mapping.qboName} ${o.Id}` }
        : this.toRecord(mapping, o, refs),
    );
  }

  private toRecord(mapping: QboEntity<unknown>, o: QboObject, refs: RefMap): SideRecord {
    const { label } = this.app(mapping.entity);
    const updated = o.MetaData?.LastUpdatedTime ? new Date(o.MetaData.LastUpdatedTime) : undefined;
    const base = { id: String(o.Id), version: o.SyncToken, updatedAt: updated, raw: o };
    const status = (o as { status?: string }).status;
    const name = mapping.qboName;
    if (status === 'Deleted') return { ...base, deleted: 'deleted', label: `${name} ${o.Id} (deleted in QuickBooks)` };
    const canonical = mapping.fromQbo(o, refs);
    if (canonical instanceof MappingProblem)
      return { ...base, problem: canonical, label: `QuickBooks ${name} ${o.Id}` };
    return { ...base, canonical, deleted: mapping.qboRemoved(o), label: `${label(canonical)} (QuickBooks ${o.Id})` };
  }

  async load(entity: EntityName, ids: string[]): Promise<Map<string, SideRecord>> {
    const mapping = this.entity(entity);
    const out = new Map<string, SideRecord>();
    for (const part of chunk([...new Set(ids)], 100)) {
      const q = withInactive(select(mapping.qboName).whereIn('Id', part)).maxResults(1000);
      const { objects } = await this.api.query(q);
      for (const record of await this.toRecords(mapping, objects)) out.set(record.id, record);
    }
    return out;
  }

  async findTwins(
    entity: EntityName,
    records: unknown[],
    taken?: ReadonlySet<string>,
  ): Promise<Array<SideRecord | undefined>> {
    if (records.length === 0) return [];
    if (entity === 'sale') return this.findSaleTwins(records as SaleToSend[]);
    const mapping = this.entity(entity);
    const objects: QboObject[] = [];
    for (const q of mapping.qboMatchQueries(records)) objects.push(...(await this.api.query(q)).objects);
    // A candidate already linked to another app record is not a twin: left out before it is converted (a big push
    // queries back mostly its own earlier records — payments by date: up to 1,000 a query).
    const linked = await this.links.byRemoteIds(
      this.db,
      entity,
      objects.map((o) => String(o.Id)),
    );
    const candidates = await this.toRecords(
      mapping,
      objects.filter((o) => !linked.has(String(o.Id)) && !taken?.has(String(o.Id))),
    );
    const free = candidates.filter((c) => c.canonical !== undefined);
    const picked = new Set<string>();
    const { label } = this.app(entity);
    return records.map((r) => {
      const options = free.filter((c) => !picked.has(c.id));
      const pick = mapping.pickQboMatch(
        r,
        options.map((c) => c.canonical),
      );
      if (pick !== undefined && typeof pick === 'object')
        return ambiguousTwin(
          label(r),
          pick.ambiguous.map((i) => options[i]),
        );
      const hit = pick === undefined ? undefined : options[pick];
      if (hit) picked.add(hit.id);
      return hit;
    });
  }

  /**
   * With custom transaction numbers on, a ready sale may already be in QuickBooks under its number (handed over before
   * its link was lost): found by number, customer and amount, it is adopted instead of created a second time.
   */
  private async findSaleTwins(sales: SaleToSend[]): Promise<Array<SideRecord | undefined>> {
    const twins: Array<SideRecord | undefined> = sales.map(() => undefined);
    const refs = await this.resolveRefs(
      sales.map((s) => ({ entity: 'customer' as const, id: s.customerId })),
      true,
    );
    if (!refs.customTxnNumbers) return twins;
    for (const document of ['Invoice', 'Estimate'] as const) {
      const mine = sales
        .map((sale, i) => ({ sale, i }))
        .filter((c) => documentOf(c.sale) === document && c.sale.number);
      if (mine.length === 0) continue;
      const objects: QboObject[] = [];
      for (const q of docNumberQueries(
        document,
        mine.map((c) => c.sale.number!),
      ))
        objects.push(...(await this.api.query(q)).objects);
      const linked = await this.links.byRemoteIds(
        this.db,
        'sale',
        objects.map((o) => saleLinkId(document, o.Id)),
      );
      const free = objects.filter((o) => !linked.has(saleLinkId(document, o.Id)));
      for (const { sale, i } of mine) {
        const customer = refs.qboId('customer', sale.customerId);
        const twin = customer ? free.find((o) => isTwin(sale, customer, o)) : undefined;
        if (!twin) continue;
        free.splice(free.indexOf(twin), 1);
        const id = saleLinkId(document, twin.Id);
        twins[i] = {
          id,
          version: twin.SyncToken,
          canonical: acceptedFrom(document, twin),
          label: `${document} ${twin.Id}`,
        };
      }
    }
    return twins;
  }

  /** Sends the page as batch requests of at most 30; the same writes always produce the same requestids. */
  async send(entity: EntityName, writes: SideWrite[]): Promise<SideWriteResult[]> {
    if (entity === 'sale') return this.sendSales(writes);
    const mapping = this.entity(entity);
    const writing = writes.filter((w) => w.kind !== 'remove');
    const refs = await this.resolveRefs(
      writing.flatMap((w) => this.app(entity).appRefs(w.canonical)),
      true,
      mapping.qboName === 'Item' && writing.length > 0,
    );
    const results: SideWriteResult[] = new Array(writes.length);
    const sendable: Array<{ index: number; item: QboBatchItem; key: string }> = [];
    writes.forEach((w, index) => {
      if (w.kind === 'remove') {
        const item = removalItem(mapping, w.targetId, w.baseVersion);
        if (item) sendable.push({ index, item, key: w.requestKey });
        else results[index] = { ok: true, targetId: w.targetId };
        return;
      }
      const base = w.kind === 'update' ? { Id: w.targetId, SyncToken: w.baseVersion } : undefined;
      const body = toQboOrProblem(() => mapping.toQbo(w.canonical, refs, base), `${mapping.entity} ${w.sourceId}`);
      if (body instanceof MappingProblem) {
        results[index] = { ok: false, problem: body };
        return;
      }
      sendable.push({ index, item: { operation: w.kind, entityName: mapping.qboName, body }, key: w.requestKey });
    });

    // Batches and single writes at once, within the company's limits (sendPlan.ts).
    const answers = await sendWrites(this.api, sendable);
    const objects = answers.flatMap((a) => (a.ok ? [a.object] : []));
    const answerRefs = await this.resolveRefs(objects.flatMap((o) => mapping.qboRefs(o)));
    sendable.forEach((p, i) => {
      const answer = answers[i];
      if (!answer.ok) {
        results[p.index] = failure(answer);
        return;
      }
      const record = this.toRecord(mapping, answer.object, answerRefs);
      results[p.index] = { ok: true, targetId: record.id, version: record.version, canonical: record.canonical };
    });
    return results;
  }

  /** Sales become Invoices or Estimates, numbered by QuickBooks unless the company sends its own numbers. */
  private async sendSales(writes: SideWrite[]): Promise<SideWriteResult[]> {
    const sales = writes.map((w) => (w.kind === 'create' ? (w.canonical as SaleToSend) : undefined));
    const refs = await this.resolveRefs(
      sales.flatMap((s) => (s ? this.app('sale').appRefs(s) : [])),
      true,
    );
    const results: SideWriteResult[] = new Array(writes.length);
    const sendable: Array<{ index: number; item: QboBatchItem; key: string }> = [];
    sales.forEach((sale, index) => {
      if (!sale) throw new Error('a sale is only ever created in QuickBooks');
      const document = documentOf(sale);
      const body = toQboOrProblem(() => saleToQbo(sale, sale.transfer.kind, document, refs), `sale ${sale.id}`);
      if (body instanceof MappingProblem) results[index] = { ok: false, problem: body };
      else
        sendable.push({
          index,
          item: { operation: 'create', entityName: document, body },
          key: writes[index].requestKey,
        });
    });
    if (sendable.length === 0) return results;
    const answers = await sendWrites(this.api, sendable);
    sendable.forEach(({ index, item }, i) => {
      const answer = answers[i];
      if (!answer.ok) {
        results[index] = failure(answer);
        return;
      }
      const accepted = acceptedFrom(item.entityName as 'Invoice' | 'Estimate', answer.object);
      const targetId = saleLinkId(accepted.entity, accepted.qboId);
      results[index] = { ok: true, targetId, version: answer.object.SyncToken, canonical: accepted };
    });
    return results;
  }
}

/**
 * Several QuickBooks records could be this app record's twin: none is taken (a guess would link the wrong one); the
 * record waits as a problem naming every candidate.
 */
function ambiguousTwin(label: string, candidates: SideRecord[]): SideRecord {
  const names = candidates.map((c) => c.label).join(' and ');
  return {
    id: candidates[0].id,
    label: candidates[0].label,
    problem: {
      code: 'qbsync-ambiguous-match',
      message: `${label} matches ${candidates.length} QuickBooks records: ${names}`,
      action:
        'make the app record tell them apart (its parent, its name or its email), or rename one of them in QuickBooks, then run the sync again',
    },
  };
}

/** The request that removes a record in QuickBooks: a sparse deactivation, a void or a delete (none for tax lists). */
export function removalItem(
  mapping: QboEntity<unknown>,
  targetId: string,
  baseVersion: string | undefined,
): QboBatchItem | undefined {
  const op = mapping.qboRemoval;
  if (op === 'none') return undefined;
  const entityName = mapping.qboName;
  if (op === 'deactivate')
    return {
      operation: 'update',
      entityName,
      body: { Id: targetId, SyncToken: baseVersion, sparse: true, Active: false },
    };
  return { operation: op, entityName, body: { Id: targetId, SyncToken: baseVersion } };
}

/** A value QuickBooks' JSON cannot carry exactly (cents beyond 2^53, a NaN) refuses that record, not the page. */
function toQboOrProblem(build: () => Record<string, unknown> | MappingProblem, what: string) {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const message = `${what} in the app holds a value QuickBooks cannot take: ${error.message}`;
    return new MappingProblem(message, `correct the value in the app (${what})`, 'qbsync-bad-value');
  }
}

function failure(answer: Extract<QboBatchResult, { ok: false }>): SideWriteResult {
  const { code, message, detail } = answer;
  return {
    ok: false,
    stale: answer.stale,
    retryable: answer.transient,
    problem: { code, message, detail, action: actionFor(code) },
  };
}

/** What the user should do about a QuickBooks validation fault on one record. */
export function actionFor(code: string | undefined): string {
  switch (code) {
    case '6240':
      return 'another QuickBooks record already has this name: rename one of them (names are shared by customers, vendors and employees)';
    case '6140':
      return 'QuickBooks already has a transaction with this number: change the number in the app';
    case '6000':
      return 'fix the value QuickBooks names in the detail (e.g. a DocNumber longer than 21 characters) in the app';
    case '610':
      return 'the record refers to something QuickBooks no longer has or that is inactive: reactivate it in QuickBooks or change the reference in the app';
    case '5010':
      return 'the record changed in QuickBooks meanwhile: run the sync again';
    default:
      return 'correct the record in the app (or in QuickBooks) and run the sync again';
  }
}
