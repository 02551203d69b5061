import { createHash, randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type {
  AgreedVersions,
  Backend,
  BackendCapabilities,
  ChangePage,
  Db,
  RecordProblem,
  SideRecord,
  SideWrite,
  SideWriteResult,
} from '../../sync/backend';
import { chunk } from '../../sync/entities/common';
import type { SaleToSend } from '../../sync/entities/sale';
import { MappingProblem, type AppEntity, type Ref } from '../../sync/entity';
import type { LinkStore } from '../../sync/links';
import { recordProblem } from '../../sync/records';
import type { EntityName } from '../../sync/model';
import type { DesktopRefMap, DesktopEntity } from './entity';
import { DESKTOP_ENTITIES } from './entities';
import {
  acceptedFromRet,
  carriesMark,
  desktopDocumentOf,
  externalGuid,
  saleLinkId,
  saleToAdd,
  type DesktopSaleDocument,
} from './entities/sale';
import type { ExchangeAnswer, Exchanges, ExchangeKind } from './exchange';
import { qbxmlDocument, responsesOf, textAt, x, type QbxmlResponse, type QbxmlVersion, type XNode } from './qbxml';

/**
 * Where reading an entity resumes: QuickBooks' own TimeModified of the last complete read (`since`), and, inside a read,
 * the iterator and the latest TimeModified seen so far. Results of an iterator are not in time order, so `since`
 * advances only once the iterator is exhausted (and the deletions since the previous `since` are read).
 */
export interface DesktopCursor {
  phase: 'list' | 'deleted';
  since: string | null;
  maxSeen: string | null;
  iteratorId?: string;
  /**
   * Pages already read from this iterator. It keeps each page's exchange key distinct: the iterator id stays the same
   * across pages and `maxSeen` need not move (records modified in the same second), so without it page 3 would find
   * page 2's answer under its key and read it again forever.
   */
  page?: number;
  /** Bumped when an iterator had to start again (its session died), so the new read gets its own exchange. */
  restarts: number;
}

/** Transaction deletions are read with this entity's deletions (customers: read at every incremental run). */
const TXN_DELETIONS_WITH: EntityName = 'customer';
const SALE_DOCUMENTS: DesktopSaleDocument[] = ['SalesOrder', 'Invoice', 'Estimate'];
const DOCUMENT_NAMES: Record<DesktopSaleDocument, string> = {
  SalesOrder: 'Sales Order',
  Invoice: 'Invoice',
  Estimate: 'Estimate',
};
/** The problem code of a handed-over document deleted in QuickBooks (`qbsync history`). */
export const DELETED_IN_QUICKBOOKS = 'qbsync-deleted-in-quickbooks';

/** One message set: at most this many adds (QuickBooks takes seconds per add; the Web Connector waits minutes at most). */
const BATCH = 20;

export function desktopCapabilities(flavour: 'quickbooks' | 'reckon'): BackendCapabilities {
  return {
    changeCapture: {
      customer: 'modified-since',
      item: 'modified-since',
      tax_rate: 'snapshot',
      tax_code: 'snapshot',
      price_level: 'snapshot',
    },
    removal: { customer: 'deactivate', item: 'deactivate', sale: 'none' },
    numbering: 'backend',
    batchSize: BATCH,
    // One request at a time per company file, through the Web Connector.
    rateLimits: { requestsPerMinute: 60, concurrent: 1 },
    taxModel: flavour === 'reckon' ? 'gst-inclusive' : 'us-sales-tax',
    transport: 'polled',
    saleDocuments: ['invoice', 'estimate', 'sales-order'],
  };
}

export interface DesktopTarget {
  tenantId: string;
  runId: string;
  /** The company as users know it ("waiting for the Web Connector of <company>"). */
  company: string;
  flavour: 'quickbooks' | 'reckon';
  /** How long one activity attempt waits for an answer, and how long an exchange may wait in all. */
  attemptMs: number;
  giveUpAfterMs: number;
  /** Records per iterator page (MaxReturned); QuickBooks takes seconds per thousand. */
  pageSize?: number;
}

const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 32);

/** A message set id derived from the exchange key (so a resent plan carries the same one); QuickBooks keeps 23 characters. */
const messageSetId = (key: string) =>
  createHash('sha256').update(`set|${key}`).digest('hex').slice(0, 23).toUpperCase();

const LOCKED = new Set([3170, 3175, 3176, 3180]);

export function actionFor(code: number): string {
  if (code === 3100)
    return 'another QuickBooks name (customer, vendor, employee or other name) is already this one: rename one of them';
  if (code === 3140)
    return 'the record refers to something QuickBooks does not have or that is inactive: reactivate it in QuickBooks or change the reference in the app';
  if (LOCKED.has(code))
    return 'someone has the record open in QuickBooks: close it there; qbsync tries again at its next run';
  if (code === 3200) return 'the record changed in QuickBooks meanwhile: run the sync again';
  if (code === 3210) return 'correct the value QuickBooks names in the app and run the sync again';
  if (code === 3250 || code === 3260 || code === 3261)
    return 'the feature is off or the Web Connector user lacks permission in QuickBooks: ask the QuickBooks administrator';
  return 'correct the record in the app (or in QuickBooks) and run the sync again';
}

/**
 * QuickBooks Desktop (Premier, Enterprise) and Reckon Accounts through the QuickBooks Web Connector. Nothing here calls
 * QuickBooks: every read and write is a qbXML request posted to the exchange table and answered when the company's Web
 * Connector next asks for work. Writes carry a message set id and an ExternalGUID derived from the saved plan; an
 * answer that never came back is resolved (oldMessageSetID, then a search for twins by mark) before anything new is
 * sent.
 */
export class QuickBooksDesktopBackend implements Backend {
  readonly id = 'quickbooks-desktop' as const;
  readonly capabilities: BackendCapabilities;
  private readonly version: QbxmlVersion;

  constructor(
    private readonly exchanges: Exchanges,
    private readonly db: Db,
    private readonly links: LinkStore,
    private readonly appEntities: Partial<Record<EntityName, AppEntity<unknown>>>,
    private readonly target: DesktopTarget,
    private readonly entities: Partial<Record<EntityName, DesktopEntity<unknown>>> = DESKTOP_ENTITIES,
  ) {
    this.capabilities = desktopCapabilities(target.flavour);
    this.version = target.flavour === 'reckon' ? '6.1' : '13.0';
  }

  private entity(entity: EntityName): DesktopEntity<unknown> {
    const mapping = this.entities[entity];
    if (!mapping) throw new Error(`QuickBooks Desktop has no mapping for entity ${entity}`);
    return mapping;
  }

  private label(entity: EntityName, canonical: unknown): string {
    return this.appEntities[entity]?.label(canonical) ?? entity;
  }

  // ---- exchanges ---------------------------------------------------------------------------------------------------

  private async exchange(
    key: string,
    kind: ExchangeKind,
    requests: XNode[],
    sets: { newMessageSetID?: string; oldMessageSetID?: string } = {},
  ): Promise<ExchangeAnswer> {
    const document = qbxmlDocument(requests, { version: this.version, ...sets });
    const { tenantId, company, attemptMs, giveUpAfterMs } = this.target;
    return this.exchanges.exchange(tenantId, key, kind, document, {
      company,
      attemptMs,
      giveUpAfterMs,
      messageSetId: sets.newMessageSetID,
    });
  }

  /** A read: its responses, or a failure naming QuickBooks' verdict on the whole document. */
  private async read(key: string, requests: XNode[]): Promise<QbxmlResponse[]> {
    const answer = await this.exchange(key, 'read', requests);
    if (answer.state === 'answered') return responsesOf(answer.response);
    if (answer.state === 'failed') throw this.documentRejected(answer.hresult, answer.message);
    throw new Error(`tenant ${this.target.tenantId}: the read ${key} was lost and not asked again`);
  }

  private documentRejected(hresult: string, message: string): Error {
    return ApplicationFailure.create({
      type: 'QbxmlDocumentRejected',
      nonRetryable: true,
      message: `tenant ${this.target.tenantId}: QuickBooks rejected a whole qbXML document (${hresult}: ${message}); this is a qbsync defect — report it with the qbsync log`,
    });
  }

  private async refs(refs: Ref[]): Promise<DesktopRefMap> {
    const resolved = await this.links.resolve(this.db, refs);
    const codeIds = refs.flatMap((r) =>
      r.entity === 'tax_code' && typeof r.id === 'string' ? (resolved.appId('tax_code', r.id) ?? []) : [],
    );
    const taxable = new Map<number, boolean>();
    if (codeIds.length)
      for (const r of await this.db
        .selectFrom('tax_codes')
        .select(['id', 'taxable'])
        .where('tenant_id', '=', this.target.tenantId)
        .where('id', 'in', codeIds)
        .execute())
        taxable.set(r.id, r.taxable);
    return {
      appId: resolved.appId,
      listId: resolved.remoteId,
      taxable: (listId) => {
        const id = resolved.appId('tax_code', listId);
        return id === undefined ? false : (taxable.get(id) ?? false);
      },
      version: this.version,
      flavour: this.target.flavour,
    };
  }

  private toRecord(mapping: DesktopEntity<unknown>, ret: XNode, refs: DesktopRefMap): SideRecord {
    const id = textAt(ret, 'ListID') ?? textAt(ret, 'TxnID') ?? '';
    const updated = textAt(ret, 'TimeModified');
    const base = {
      id,
      version: textAt(ret, 'EditSequence'),
      updatedAt: updated ? new Date(updated) : undefined,
      raw: ret,
    };
    const canonical = mapping.fromRet(ret, refs);
    const name = textAt(ret, 'FullName') ?? textAt(ret, 'Name') ?? id;
    if (canonical instanceof MappingProblem)
      return { ...base, problem: canonical, label: `QuickBooks ${mapping.entity} "${name}" (${id})` };
    const late = mapping.lateRefs?.(ret).filter((r) => refs.appId(r.entity, r.remoteId) === undefined);
    return {
      ...base,
      canonical,
      deleted: mapping.removed(ret),
      label: `${this.label(mapping.entity, canonical)} (QuickBooks ${id})`,
      ...(late?.length ? { lateRefs: late } : {}),
    };
  }

  private async toRecords(
    mapping: DesktopEntity<unknown>,
    rets: XNode[],
    agreed?: AgreedVersions,
  ): Promise<SideRecord[]> {
    const mine = rets.filter((r) => mapping.accepts(r));
    const idOf = (r: XNode) => textAt(r, 'ListID') ?? textAt(r, 'TxnID') ?? '';
    // An EditSequence moves on every change in QuickBooks: one still at the agreed value has not changed since.
    const versions = agreed && !mapping.unversioned ? await agreed(mine.map(idOf)) : new Map<string, string>();
    const settled = (r: XNode) => {
      const version = textAt(r, 'EditSequence');
      return version !== undefined && versions.get(idOf(r)) === version ? version : undefined;
    };
    const refs = await this.refs(mine.filter((r) => !settled(r)).flatMap((r) => mapping.refs(r)));
    return mine.map((r): SideRecord => {
      const version = settled(r);
      if (version === undefined) return this.toRecord(mapping, r, refs);
      return { id: idOf(r), version, settled: true, label: `QuickBooks ${mapping.entity} (${idOf(r)})` };
    });
  }

  // ---- reading -----------------------------------------------------------------------------------------------------

  async readChanges(entity: EntityName, cursor: unknown, limit: number, agreed?: AgreedVersions): Promise<ChangePage> {
    const mapping = this.entity(entity);
    const { runId } = this.target;
    if (mapping.capture === 'snapshot') {
      const [rs] = await this.read(`${runId}|read|${entity}|snapshot`, [
        x(mapping.query, [x('ActiveStatus', 'All')], { requestID: '1' }),
      ]);
      this.check(rs, entity);
      return { records: await this.toRecords(mapping, rs.rets, agreed), nextCursor: null, done: true };
    }
    const c: DesktopCursor = (cursor as DesktopCursor | null) ?? {
      phase: 'list',
      since: null,
      maxSeen: null,
      restarts: 0,
    };
    const key = `${runId}|read|${entity}|${hash(c)}`;
    if (c.phase === 'deleted') {
      const since = x('DeletedDateRangeFilter', [x('FromDeletedDate', c.since!)]);
      // Handed-over documents deleted in QuickBooks are asked in the customers' document (one request more, no trip).
      const txns = entity === TXN_DELETIONS_WITH;
      const requests = [
        x('ListDeletedQueryRq', [...mapping.deletedTypes.map((t) => x('ListDelType', t)), since], { requestID: '1' }),
      ];
      if (txns)
        requests.push(
          x('TxnDeletedQueryRq', [...SALE_DOCUMENTS.map((t) => x('TxnDelType', t)), since], { requestID: '2' }),
        );
      const [rs, deletedTxns] = await this.read(key, requests);
      this.check(rs, entity);
      if (txns) await this.handedOverDeleted(deletedTxns);
      const records: SideRecord[] = rs.rets.map((r) => ({
        id: textAt(r, 'ListID') ?? '',
        deleted: 'deleted',
        label: `${entity} "${textAt(r, 'FullName') ?? ''}" (deleted in QuickBooks)`,
      }));
      return {
        records,
        nextCursor: { phase: 'list', since: c.maxSeen ?? c.since, maxSeen: null, restarts: 0 },
        done: true,
      };
    }
    const attrs: Record<string, string> = { requestID: '1', iterator: c.iteratorId ? 'Continue' : 'Start' };
    if (c.iteratorId) attrs.iteratorID = c.iteratorId;
    const [rs] = await this.read(key, [
      x(
        mapping.query,
        [
          x('MaxReturned', Math.min(limit, this.target.pageSize ?? 500)),
          x('ActiveStatus', 'All'),
          c.since ? x('FromModifiedDate', c.since) : undefined,
        ],
        attrs,
      ),
    ]);
    if (c.iteratorId && rs.statusSeverity === 'Error') {
      // The iterator died with its Web Connector session: read again from the same point (re-reads change nothing).
      return {
        records: [],
        nextCursor: { ...c, iteratorId: undefined, page: 0, restarts: c.restarts + 1 },
        done: false,
      };
    }
    this.check(rs, entity);
    let maxSeen = c.maxSeen;
    for (const r of rs.rets) {
      const t = textAt(r, 'TimeModified');
      if (t && (!maxSeen || Date.parse(t) > Date.parse(maxSeen))) maxSeen = t;
    }
    const records = await this.toRecords(mapping, rs.rets, agreed);
    const remaining = rs.iteratorRemainingCount ?? 0;
    if (remaining > 0 && rs.iteratorID)
      return {
        records,
        nextCursor: { ...c, maxSeen, iteratorId: rs.iteratorID, page: (c.page ?? 0) + 1 },
        done: false,
      };
    if (c.since)
      return {
        records,
        nextCursor: { phase: 'deleted', since: c.since, maxSeen, restarts: 0 },
        done: false,
      };
    return { records, nextCursor: { phase: 'list', since: maxSeen, maxSeen: null, restarts: 0 }, done: true };
  }

  /**
   * Sales Orders, Invoices and Estimates qbsync handed over that a user deleted in QuickBooks. The sale stays Closed in
   * the app (it is never sent again, so nothing is resurrected); each deletion is recorded once as a problem of the run
   * (`qbsync history`, notices) naming the sale and what to do. Deleted documents qbsync never sent are not its concern.
   */
  private async handedOverDeleted(rs: QbxmlResponse | undefined): Promise<void> {
    if (!rs) return;
    if (rs.statusSeverity === 'Error' && rs.statusCode !== 1) {
      // Not knowing about deletions must not stop the customers: say so, the next run asks again.
      await this.noteOnce(undefined, `txn-deleted-query:${rs.statusCode}`, {
        label: 'deleted QuickBooks transactions',
        message: `QuickBooks refused the query for deleted transactions (${rs.statusCode}: ${rs.statusMessage})`,
        action: 'nothing to do now; qbsync asks again at the next run (report it if it keeps happening)',
      });
      return;
    }
    const deleted = rs.rets.flatMap((r) => {
      const type = textAt(r, 'TxnDelType') as DesktopSaleDocument | undefined;
      const txnId = textAt(r, 'TxnID');
      return type && txnId && SALE_DOCUMENTS.includes(type) ? [{ type, txnId, ret: r }] : [];
    });
    if (deleted.length === 0) return;
    const links = await this.links.byRemoteIds(
      this.db,
      'sale',
      deleted.map((d) => saleLinkId(d.type, d.txnId)),
    );
    for (const d of deleted) {
      const link = links.get(saleLinkId(d.type, d.txnId));
      if (!link) continue;
      const number = textAt(d.ret, 'RefNumber');
      const when = textAt(d.ret, 'TimeDeleted');
      const doc = DOCUMENT_NAMES[d.type];
      await this.noteOnce(link.appId, saleLinkId(d.type, d.txnId), {
        label: `sale ${link.appId} (QuickBooks ${doc}${number ? ` ${number}` : ''})`,
        message: `the ${doc}${number ? ` ${number}` : ''} qbsync made from sale ${link.appId} was deleted in QuickBooks${when ? ` on ${when}` : ''}; the sale stays Closed in the app and is not sent again`,
        action: `if the sale should still be in QuickBooks, enter it again there (or copy it to a new sale in the app with the ready status); otherwise cancel it in the app`,
      });
    }
  }

  /** A problem of this run about a QuickBooks deletion, recorded once however often the read is repeated. */
  private async noteOnce(
    appId: number | undefined,
    remoteId: string,
    p: { label: string; message: string; action: string },
  ): Promise<void> {
    const seen = await this.db
      .selectFrom('sync_problems')
      .select('id')
      .where('tenant_id', '=', this.target.tenantId)
      .where('code', '=', DELETED_IN_QUICKBOOKS)
      .where('remote_id', '=', remoteId)
      .executeTakeFirst();
    if (seen) return;
    // Found while the customers step reads QuickBooks' deletions.
    await this.db.transaction().execute((trx) =>
      recordProblem(trx, this.target.tenantId, this.target.runId, 'customers', {
        entity: 'sale',
        direction: 'pull',
        appId: appId === undefined ? undefined : String(appId),
        remoteId,
        code: DELETED_IN_QUICKBOOKS,
        skipped: true,
        ...p,
      }),
    );
  }

  /** Status 0 (found) and 1 (no match) are answers; anything else of severity Error fails the read. */
  private check(rs: QbxmlResponse | undefined, entity: EntityName): void {
    if (!rs) throw new Error(`tenant ${this.target.tenantId}: QuickBooks answered no ${entity} query`);
    if (rs.statusSeverity === 'Error' && rs.statusCode !== 1)
      throw new Error(
        `tenant ${this.target.tenantId}: QuickBooks refused the ${entity} query (${rs.statusCode}: ${rs.statusMessage})`,
      );
  }

  async load(entity: EntityName, ids: string[]): Promise<Map<string, SideRecord>> {
    const out = new Map<string, SideRecord>();
    if (entity === 'sale' || ids.length === 0) return out;
    const mapping = this.entity(entity);
    for (const part of chunk([...new Set(ids)], 100)) {
      const [rs] = await this.read(`${this.target.runId}|load|${entity}|${randomUUID()}`, [
        x(
          mapping.query,
          part.map((id) => x('ListID', id)),
          { requestID: '1' },
        ),
      ]);
      for (const record of await this.toRecords(mapping, rs?.rets ?? [])) out.set(record.id, record);
    }
    return out;
  }

  async findTwins(
    entity: EntityName,
    records: unknown[],
    taken?: ReadonlySet<string>,
  ): Promise<Array<SideRecord | undefined>> {
    if (records.length === 0) return [];
    // A sale's twin is found by its mark when a write is in doubt (send); the handoff's plan has none yet.
    if (entity === 'sale') return records.map(() => undefined);
    const mapping = this.entity(entity);
    if (!mapping.twinNames || !mapping.pickTwin) return records.map(() => undefined);
    const candidates = await this.byNames(
      mapping,
      records.map((r) => mapping.twinNames!(r)),
    );
    const linked = await this.links.byRemoteIds(
      this.db,
      entity,
      candidates.map((c) => c.id),
    );
    const free = candidates.filter((c) => !linked.has(c.id) && !taken?.has(c.id) && c.canonical !== undefined);
    const picked = new Set<string>();
    return records.map((r) => {
      const options = free.filter((c) => !picked.has(c.id));
      const index = mapping.pickTwin!(
        r,
        options.map((c) => c.canonical),
      );
      const hit = index === undefined ? undefined : options[index];
      if (hit) picked.add(hit.id);
      return hit;
    });
  }

  private async byNames(mapping: DesktopEntity<unknown>, names: string[]): Promise<SideRecord[]> {
    const out: SideRecord[] = [];
    for (const part of chunk([...new Set(names)], 50)) {
      const [rs] = await this.read(`${this.target.runId}|names|${mapping.entity}|${randomUUID()}`, [
        x(
          mapping.query,
          part.map((n) => x('FullName', n)),
          { requestID: '1' },
        ),
      ]);
      out.push(...(await this.toRecords(mapping, rs?.rets ?? [])));
    }
    return out;
  }

  async resolve(entity: EntityName, record: SideRecord, pageLinks: Map<string, number>): Promise<SideRecord> {
    const mapping = this.entity(entity);
    const raw = record.raw as XNode | undefined;
    if (!raw) return record;
    const refs = await this.refs(mapping.refs(raw));
    const overlay: DesktopRefMap = {
      ...refs,
      appId: (e, id) => (e === entity && id && pageLinks.has(id) ? pageLinks.get(id) : refs.appId(e, id)),
    };
    return this.toRecord(mapping, raw, overlay);
  }

  // ---- writing -----------------------------------------------------------------------------------------------------

  async send(entity: EntityName, writes: SideWrite[]): Promise<SideWriteResult[]> {
    if (entity === 'sale') return this.sendSales(writes);
    const mapping = this.entity(entity);
    if (!mapping.writeName)
      return writes.map(() => ({
        ok: false,
        problem: {
          code: 'qbsync-read-only',
          message: `${entity} records are QuickBooks' and are not written by qbsync`,
          action: 'make the change in QuickBooks',
        },
      }));
    const refs = await this.refs(
      writes.flatMap((w) => (w.kind === 'remove' ? [] : (this.appEntities[entity]?.appRefs(w.canonical) ?? []))),
    );
    const results: SideWriteResult[] = new Array(writes.length);
    const sendable: Array<{ index: number; request: XNode }> = [];
    writes.forEach((w, index) => {
      let body: XNode | MappingProblem;
      if (w.kind === 'create') body = mapping.toAdd!(w.canonical, refs);
      else if (w.kind === 'update') body = mapping.toMod!(w.canonical, refs, w.targetId, w.baseVersion);
      else body = mapping.toDeactivate!(w.targetId, w.baseVersion);
      if (body instanceof MappingProblem) {
        results[index] = { ok: false, problem: body };
        return;
      }
      const op = w.kind === 'create' ? 'Add' : 'Mod';
      sendable.push({ index, request: x(`${mapping.writeName}${op}Rq`, [body], { requestID: String(index) }) });
    });
    for (const part of chunk(sendable, BATCH)) {
      const key = `write|${entity}|${hash(part.map((p) => writes[p.index].requestKey))}`;
      const responses = await this.write(
        key,
        part.map((p) => p.request),
        async (missing) => {
          // In doubt and not known to QuickBooks' message-set memory: an add whose name QuickBooks now has was applied.
          const names = missing.flatMap((p) => {
            const w = writes[Number(p.attrs.requestID)];
            return w.kind === 'create' && mapping.twinNames ? [mapping.twinNames(w.canonical)] : [];
          });
          const found = names.length ? await this.byNames(mapping, names) : [];
          return missing.filter((p) => {
            const w = writes[Number(p.attrs.requestID)];
            if (w.kind !== 'create' || !mapping.twinNames) return true;
            const twin = found.find(
              (f) => f.canonical !== undefined && mapping.pickTwin!(w.canonical, [f.canonical]) === 0,
            );
            if (!twin) return true;
            results[Number(p.attrs.requestID)] = {
              ok: true,
              targetId: twin.id,
              version: twin.version,
              canonical: twin.canonical,
            };
            return false;
          });
        },
      );
      for (const p of part) {
        if (results[p.index]) continue;
        const rs = responses.get(String(p.index));
        results[p.index] = rs
          ? await this.writeResult(mapping, writes[p.index], rs)
          : {
              ok: false,
              retryable: true,
              problem: { message: 'QuickBooks gave no answer for this record', action: 'run the sync again' },
            };
      }
    }
    return results;
  }

  private async writeResult(
    mapping: DesktopEntity<unknown>,
    w: SideWrite,
    rs: QbxmlResponse,
  ): Promise<SideWriteResult> {
    if (rs.statusSeverity !== 'Error') {
      const ret = rs.rets[0];
      const [record] = await this.toRecords(mapping, ret ? [ret] : []);
      if (!record) return { ok: true, targetId: w.kind === 'create' ? '' : w.targetId };
      return { ok: true, targetId: record.id, version: record.version, canonical: record.canonical };
    }
    if (rs.statusCode === 3100 && w.kind === 'create' && mapping.twinNames) {
      // Customers: the name exists (added by an earlier attempt, or by a user): adopt it.
      const [twin] = await this.findTwins(mapping.entity, [w.canonical]);
      if (twin) return { ok: true, targetId: twin.id, version: twin.version, canonical: twin.canonical };
    }
    return {
      ok: false,
      stale: rs.statusCode === 3200,
      retryable: LOCKED.has(rs.statusCode),
      problem: this.problem(rs),
    };
  }

  private problem(rs: QbxmlResponse): RecordProblem {
    return { code: String(rs.statusCode), message: rs.statusMessage, action: actionFor(rs.statusCode) };
  }

  /**
   * Sends one message set exactly once. An answer already stored is used; an exchange in doubt (its answer lost) is
   * resolved first: QuickBooks is asked for the old message set's outcome; if it does not know it, `confirmAbsent`
   * searches for what was applied anyway and returns the requests confirmed absent, which alone are sent again.
   */
  private async write(
    key: string,
    requests: XNode[],
    confirmAbsent: (missing: XNode[]) => Promise<XNode[]>,
  ): Promise<Map<string, QbxmlResponse>> {
    const out = new Map<string, QbxmlResponse>();
    const setId = messageSetId(key);
    let answer = await this.exchange(key, 'write', requests, { newMessageSetID: setId });
    if (answer.state === 'lost') {
      const recovery = await this.exchange(`${key}|recover`, 'read', [x('HostQueryRq', [], { requestID: 'recover' })], {
        oldMessageSetID: setId,
      });
      const known =
        recovery.state === 'answered' ? responsesOf(recovery.response).filter((r) => r.requestID !== 'recover') : [];
      for (const r of known) if (r.requestID !== undefined) out.set(r.requestID, r);
      const missing = requests.filter((r) => !out.has(r.attrs.requestID));
      const absent = missing.length ? await confirmAbsent(missing) : [];
      if (absent.length === 0) return out;
      const resendKey = `${key}|resend`;
      answer = await this.exchange(resendKey, 'write', absent, { newMessageSetID: messageSetId(resendKey) });
      if (answer.state === 'lost')
        throw new Error(
          `tenant ${this.target.tenantId}: the answer to a resent write was lost too; the next attempt asks QuickBooks again`,
        );
    }
    if (answer.state === 'failed') throw this.documentRejected(answer.hresult, answer.message);
    for (const r of responsesOf(answer.response)) if (r.requestID !== undefined) out.set(r.requestID, r);
    return out;
  }

  /** Sales become Sales Orders, Invoices or Estimates, numbered by QuickBooks, each marked with its ExternalGUID. */
  private async sendSales(writes: SideWrite[]): Promise<SideWriteResult[]> {
    const sales = writes.map((w) => {
      if (w.kind !== 'create') throw new Error('a sale is only ever created in QuickBooks');
      return w.canonical as SaleToSend;
    });
    const refs = await this.refs(sales.flatMap((s) => this.appEntities.sale?.appRefs(s) ?? []));
    const results: SideWriteResult[] = new Array(writes.length);
    const sendable: Array<{
      index: number;
      request: XNode;
      document: DesktopSaleDocument;
      guid: string;
      customer: string;
    }> = [];
    sales.forEach((sale, index) => {
      const guid = externalGuid(writes[index].requestKey);
      const add = saleToAdd(sale, refs, guid);
      if (add instanceof MappingProblem) {
        results[index] = { ok: false, problem: add };
        return;
      }
      sendable.push({
        index,
        request: x(`${add.document}AddRq`, [add.body], { requestID: String(index) }),
        document: add.document,
        guid,
        customer: refs.listId('customer', sale.customerId)!,
      });
    });
    if (sendable.length === 0) return results;
    const key = `write|sale|${hash(sendable.map((s) => writes[s.index].requestKey))}`;
    const responses = await this.write(
      key,
      sendable.map((s) => s.request),
      async (missing) => {
        const wanted = sendable.filter((s) => missing.some((m) => m.attrs.requestID === String(s.index)));
        const twins = await this.saleTwins(key, wanted);
        return missing.filter((m) => {
          const s = sendable.find((c) => String(c.index) === m.attrs.requestID)!;
          const twin = twins.get(s.index);
          if (!twin) return true;
          const accepted = acceptedFromRet(s.document, twin);
          results[s.index] = {
            ok: true,
            targetId: saleLinkId(s.document, accepted.qboId),
            version: textAt(twin, 'EditSequence'),
            canonical: accepted,
          };
          return false;
        });
      },
    );
    for (const s of sendable) {
      if (results[s.index]) continue;
      const rs = responses.get(String(s.index));
      if (!rs) {
        results[s.index] = {
          ok: false,
          retryable: true,
          problem: { message: 'QuickBooks gave no answer for this sale', action: 'run the sync again' },
        };
        continue;
      }
      if (rs.statusSeverity === 'Error') {
        const sale = sales[s.index];
        results[s.index] = {
          ok: false,
          retryable: LOCKED.has(rs.statusCode),
          problem: {
            ...this.problem(rs),
            message: `QuickBooks refused it as a ${desktopDocumentOf(sale)}: ${rs.statusMessage}`,
          },
        };
        continue;
      }
      const ret = rs.rets[0];
      const accepted = acceptedFromRet(s.document, ret);
      results[s.index] = {
        ok: true,
        targetId: saleLinkId(s.document, accepted.qboId),
        version: textAt(ret, 'EditSequence'),
        canonical: accepted,
      };
    }
    return results;
  }

  /**
   * Documents QuickBooks holds for these sales though their answer was lost: the customer's documents of that type
   * modified since the write was posted (a day's margin for clocks), compared by ExternalGUID (or `Other` on 6.1).
   */
  private async saleTwins(
    key: string,
    wanted: Array<{ index: number; document: DesktopSaleDocument; guid: string; customer: string }>,
  ): Promise<Map<number, XNode>> {
    const posted = await this.db
      .selectFrom('qbxml_exchanges')
      .select('created_at')
      .where('tenant_id', '=', this.target.tenantId)
      .where('exchange_key', '=', key)
      .executeTakeFirst();
    const from = new Date((posted?.created_at ?? new Date()).getTime() - 24 * 3600 * 1000);
    const fromText = from.toISOString().slice(0, 19);
    const found = new Map<number, XNode>();
    const groups = new Map<string, typeof wanted>();
    for (const w of wanted)
      groups.set(`${w.document}|${w.customer}`, [...(groups.get(`${w.document}|${w.customer}`) ?? []), w]);
    let n = 0;
    for (const [group, members] of groups) {
      const [document, customer] = group.split('|') as [DesktopSaleDocument, string];
      const [rs] = await this.read(`${key}|twins|${n++}`, [
        x(
          `${document}QueryRq`,
          [x('ModifiedDateRangeFilter', [x('FromModifiedDate', fromText)]), x('EntityFilter', [x('ListID', customer)])],
          { requestID: '1' },
        ),
      ]);
      for (const m of members) {
        const twin = rs?.rets.find((r) => carriesMark(r, m.guid));
        if (twin) found.set(m.index, twin);
      }
    }
    return found;
  }
}
