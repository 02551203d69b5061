import { createHash } from 'node:crypto';
import type { Clock } from '../../workers/clock';
import type { LinkStore } from './links';
import { MappingProblem, type EntityMapping, type QboObject, type Ref, type RefMap } from './mapping';
import type { EntityName } from './model';
import type { QboApi, QboBatchItem } from './qboApi';
import type { ChangePage, Db, SideRecord, SideWrite, SideWriteResult, SyncSide } from './side';
import { chunk } from './entities/common';

/** Where pulling an entity's QuickBooks changes resumes. */
export type QboCursor =
  | { mode: 'full'; startPosition: number; since: string }
  | { mode: 'cdc'; since: string }
  | { mode: 'query'; since: string; startPosition: number; until: string };

/** CDC reaches back 30 days; keep clear of the edge. */
const CDC_WINDOW_MS = 29 * 24 * 3600 * 1000;
/** Re-read a little before the last cursor: QuickBooks' timestamps and our clock may disagree. Re-reads are no-ops. */
const OVERLAP_MS = 60 * 1000;
const CDC_CAP = 1000;
/** Name lists (customers, items) hide inactive records unless asked. */
const NAME_LISTS = new Set(['Customer', 'Item']);

function activeClause(entityName: string, hasWhere: boolean): string {
  if (!NAME_LISTS.has(entityName)) return '';
  return `${hasWhere ? ' AND' : ' WHERE'} Active IN (true, false)`;
}

export function batchRequestId(keys: string[]): string {
  return createHash('sha256').update(keys.join('\n')).digest('base64url').slice(0, 36);
}

/** QuickBooks Online as a sync side. */
export class QboSide implements SyncSide {
  readonly name = 'quickbooks' as const;

  constructor(
    private readonly api: QboApi,
    private readonly db: Db,
    private readonly links: LinkStore,
    private readonly mappings: Record<string, EntityMapping<unknown>>,
    private readonly clock: Clock,
    /** How to learn QuickBooks' numbering preference; by default asked once per page of work. */
    private readonly readNumbering: () => Promise<boolean> = () => api.customTxnNumbers(),
  ) {}

  private mapping(entity: EntityName): EntityMapping<unknown> {
    const mapping = this.mappings[entity];
    if (!mapping) throw new Error(`no mapping for entity ${entity}`);
    return mapping;
  }

  async readChanges(entity: EntityName, cursor: unknown, limit: number): Promise<ChangePage> {
    const mapping = this.mapping(entity);
    const name = mapping.qboName;
    const now = this.clock.now();
    let state = cursor as QboCursor | null;
    if (!state) state = { mode: 'full', startPosition: 1, since: new Date(now.getTime() - OVERLAP_MS).toISOString() };
    const cdcCapable = name !== 'TaxCode' && name !== 'TaxRate';
    if (state.mode === 'cdc' && (!cdcCapable || now.getTime() - Date.parse(state.since) > CDC_WINDOW_MS)) {
      // Too old for CDC (or an entity CDC does not serve): read by last-updated time. Deletions in that gap are not visible.
      state = cdcCapable
        ? { mode: 'query', since: state.since, startPosition: 1, until: now.toISOString() }
        : { mode: 'full', startPosition: 1, since: now.toISOString() };
    }

    let objects: QboObject[];
    let next: QboCursor;
    let done: boolean;
    if (state.mode === 'full') {
      const q = `SELECT * FROM ${name}${activeClause(name, false)} ORDERBY Id STARTPOSITION ${state.startPosition} MAXRESULTS ${limit}`;
      objects = (await this.api.query(name, q)).objects;
      done = objects.length < limit;
      next = done
        ? { mode: 'cdc', since: state.since }
        : { ...state, startPosition: state.startPosition + objects.length };
    } else if (state.mode === 'query') {
      const q = `SELECT * FROM ${name} WHERE MetaData.LastUpdatedTime >= '${state.since}'${activeClause(name, true)} ORDERBY MetaData.LastUpdatedTime STARTPOSITION ${state.startPosition} MAXRESULTS ${limit}`;
      objects = (await this.api.query(name, q)).objects;
      done = objects.length < limit;
      next = done
        ? { mode: 'cdc', since: new Date(Date.parse(state.until) - OVERLAP_MS).toISOString() }
        : { ...state, startPosition: state.startPosition + objects.length };
    } else {
      const result = await this.api.cdc(name, new Date(state.since));
      objects = result.objects;
      const serverTime = Date.parse(result.time);
      const asOf = new Date((Number.isFinite(serverTime) ? serverTime : now.getTime()) - OVERLAP_MS).toISOString();
      if (objects.length >= CDC_CAP) {
        // CDC stops at 1000 objects: read the rest of the window page by page by last-updated time.
        next = { mode: 'query', since: state.since, startPosition: 1, until: asOf };
        done = false;
      } else {
        next = { mode: 'cdc', since: asOf };
        done = true;
      }
    }
    return { records: await this.toRecords(mapping, objects), nextCursor: next, done };
  }

  private numbering?: Promise<boolean>;

  /** Decides whether invoice numbers are sent or assigned by QuickBooks. */
  private customTxnNumbers(): Promise<boolean> {
    this.numbering ??= this.readNumbering();
    return this.numbering;
  }

  /** Maps a record again, with references created earlier in the same page (`pageLinks`: QuickBooks id → app id). */
  async remap(entity: EntityName, record: SideRecord, pageLinks: Map<string, number>): Promise<SideRecord> {
    const mapping = this.mapping(entity);
    const raw = record.raw as QboObject;
    const refs = await this.resolveRefs(mapping.qboRefs(raw));
    const overlay: RefMap = {
      ...refs,
      appId: (e, qboId) =>
        e === entity && qboId && pageLinks.has(qboId) ? pageLinks.get(qboId) : refs.appId(e, qboId),
    };
    return this.toRecord(mapping, raw, overlay);
  }

  private async resolveRefs(refs: Ref[], forWriting = false): Promise<RefMap> {
    const byEntity = new Map<EntityName, Set<string>>();
    const appByEntity = new Map<EntityName, Set<number>>();
    for (const r of refs) {
      if (typeof r.id === 'string') byEntity.set(r.entity, (byEntity.get(r.entity) ?? new Set()).add(r.id));
      else appByEntity.set(r.entity, (appByEntity.get(r.entity) ?? new Set()).add(r.id));
    }
    const toApp = new Map<string, number>();
    const toQbo = new Map<string, string>();
    for (const [entity, ids] of byEntity)
      for (const [qboId, appId] of await this.links.qboToApp(this.db, entity, [...ids]))
        toApp.set(`${entity}:${qboId}`, appId);
    for (const [entity, ids] of appByEntity)
      for (const [appId, qboId] of await this.links.appToQbo(this.db, entity, [...ids]))
        toQbo.set(`${entity}:${appId}`, qboId);
    return {
      appId: (entity, qboId) => (qboId ? toApp.get(`${entity}:${qboId}`) : undefined),
      qboId: (entity, appId) => (appId ? toQbo.get(`${entity}:${appId}`) : undefined),
      customTxnNumbers: forWriting ? await this.customTxnNumbers() : false,
    };
  }

  private async toRecords(mapping: EntityMapping<unknown>, objects: QboObject[]): Promise<SideRecord[]> {
    const live = objects.filter((o) => (o as { status?: string }).status !== 'Deleted');
    const refs = await this.resolveRefs(live.flatMap((o) => mapping.qboRefs(o)));
    return objects.map((o) => this.toRecord(mapping, o, refs));
  }

  private toRecord(mapping: EntityMapping<unknown>, o: QboObject, refs: RefMap): SideRecord {
    const updated = o.MetaData?.LastUpdatedTime ? new Date(o.MetaData.LastUpdatedTime) : undefined;
    const base = { id: String(o.Id), version: o.SyncToken, updatedAt: updated, raw: o };
    const status = (o as { status?: string }).status;
    if (status === 'Deleted')
      return { ...base, deleted: 'deleted', label: `${mapping.entity} ${o.Id} (deleted in QuickBooks)` };
    const canonical = mapping.fromQbo(o, refs);
    if (canonical instanceof MappingProblem)
      return { ...base, problem: canonical, label: `QuickBooks ${mapping.qboName} ${o.Id}` };
    return {
      ...base,
      canonical,
      deleted: mapping.qboRemoved(o),
      label: `${mapping.label(canonical)} (QuickBooks ${o.Id})`,
    };
  }

  async load(entity: EntityName, ids: string[]): Promise<Map<string, SideRecord>> {
    const mapping = this.mapping(entity);
    const out = new Map<string, SideRecord>();
    for (const part of chunk([...new Set(ids)], 100)) {
      const q = `SELECT * FROM ${mapping.qboName} WHERE Id IN (${part.map((id) => `'${id.replace(/[^0-9A-Za-z-]/g, '')}'`).join(', ')})${activeClause(mapping.qboName, true)} MAXRESULTS 1000`;
      const { objects } = await this.api.query(mapping.qboName, q);
      for (const record of await this.toRecords(mapping, objects)) out.set(record.id, record);
    }
    return out;
  }

  async findMatches(entity: EntityName, records: unknown[]): Promise<Array<SideRecord | undefined>> {
    const mapping = this.mapping(entity);
    if (records.length === 0) return [];
    const candidates: SideRecord[] = [];
    for (const q of mapping.qboMatchQueries(records)) {
      const { objects } = await this.api.query(mapping.qboName, q);
      candidates.push(...(await this.toRecords(mapping, objects)));
    }
    // A candidate already linked to another app record is not a twin.
    const linked = await this.links.byQboIds(
      this.db,
      entity,
      candidates.map((c) => c.id),
    );
    const free = candidates.filter((c) => !linked.has(c.id) && c.canonical !== undefined);
    const taken = new Set<string>();
    return records.map((r) => {
      const options = free.filter((c) => !taken.has(c.id));
      const index = mapping.pickQboMatch(
        r,
        options.map((c) => c.canonical),
      );
      const hit = index === undefined ? undefined : options[index];
      if (hit) taken.add(hit.id);
      return hit;
    });
  }

  /** Sends the page as batch requests of at most 30; the same writes always produce the same requestids. */
  async applyPage(entity: EntityName, writes: SideWrite[]): Promise<SideWriteResult[]> {
    const mapping = this.mapping(entity);
    const refs = await this.resolveRefs(
      writes.flatMap((w) => (w.kind === 'remove' ? [] : mapping.appRefs(w.canonical))),
      true,
    );
    const results: SideWriteResult[] = new Array(writes.length);
    const sendable: Array<{ index: number; item: QboBatchItem; key: string }> = [];
    writes.forEach((w, index) => {
      if (w.kind === 'remove') {
        const op = mapping.qboRemoval;
        if (op === 'none') {
          results[index] = { ok: true, targetId: w.targetId };
          return;
        }
        const item: QboBatchItem =
          op === 'deactivate'
            ? {
                operation: 'update',
                entityName: mapping.qboName,
                body: { Id: w.targetId, SyncToken: w.baseVersion, sparse: true, Active: false },
              }
            : { operation: op, entityName: mapping.qboName, body: { Id: w.targetId, SyncToken: w.baseVersion } };
        sendable.push({ index, item, key: w.requestKey });
        return;
      }
      const body = mapping.toQbo(
        w.canonical,
        refs,
        w.kind === 'update' ? { Id: w.targetId, SyncToken: w.baseVersion } : undefined,
      );
      if (body instanceof MappingProblem) {
        results[index] = { ok: false, problem: body };
        return;
      }
      sendable.push({ index, item: { operation: w.kind, entityName: mapping.qboName, body }, key: w.requestKey });
    });

    for (const part of chunk(sendable, 30)) {
      const answers = await this.api.batch(
        part.map((p) => p.item),
        batchRequestId(part.map((p) => p.key)),
      );
      const objects = answers.flatMap((a) => (a.ok ? [a.object] : []));
      const answerRefs = await this.resolveRefs(objects.flatMap((o) => mapping.qboRefs(o)));
      part.forEach((p, i) => {
        const answer = answers[i];
        if (!answer.ok) {
          results[p.index] = {
            ok: false,
            stale: answer.stale,
            retryable: answer.transient,
            problem: {
              code: answer.code,
              message: answer.message,
              detail: answer.detail,
              action: actionFor(answer.code),
            },
          };
          return;
        }
        const record = this.toRecord(mapping, answer.object, answerRefs);
        results[p.index] = { ok: true, targetId: record.id, version: record.version, canonical: record.canonical };
      });
    }
    return results;
  }
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
