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
import type { AppEntity } from '../../sync/entity';
import { fingerprint } from '../../sync/fingerprint';
import type { LinkStore } from '../../sync/links';
import type { EntityName } from '../../sync/model';

/**
 * The in-memory reference backend: a company that holds canonical records directly, with versions, a change feed and
 * idempotency keys, and that can be told to fail or to lose an answer after applying a write. It lets the core's
 * decisions (echo suppression, conflicts, removals, stamp-back, a crash between plan and settle) be tested in
 * milliseconds, and it is the simplest honest implementation of the Backend contract every backend passes.
 */
export interface MemoryRecord {
  id: string;
  version: number;
  canonical: unknown;
  removed?: 'deleted' | 'voided' | 'inactive';
  updatedAt: Date;
  /** Position in the change feed. */
  seq: number;
}

export type MemoryFault = { kind: 'reject'; code: string; message: string } | { kind: 'lose-answer' };

export class MemoryCompany {
  private readonly records = new Map<EntityName, Map<string, MemoryRecord>>();
  private readonly answers = new Map<string, SideWriteResult>();
  private seq = 0;
  private nextId = 1;
  private readonly faults: Array<{ match: (w: SideWrite) => boolean; fault: MemoryFault; times: number }> = [];
  /** Every write request the company received, resends included. */
  readonly requests: Array<{ entity: EntityName; write: SideWrite }> = [];
  /**
   * Fills in what the backend would (numbers, totals) when a record is written: receives the canonical record
   * sent and returns the one stored. Identity by default.
   */
  fill: (entity: EntityName, canonical: unknown, id: string) => unknown = (_e, c) => c;

  constructor(readonly removal: BackendCapabilities['removal'] = {}) {}

  private table(entity: EntityName): Map<string, MemoryRecord> {
    let table = this.records.get(entity);
    if (!table) this.records.set(entity, (table = new Map()));
    return table;
  }

  /** A change made in the company directly (as a user of the accounting program would). */
  put(entity: EntityName, canonical: unknown, id?: string): MemoryRecord {
    const table = this.table(entity);
    const existing = id ? table.get(id) : undefined;
    // As in QuickBooks' name lists, a record whose `active` is false is an inactive one.
    const inactive = (canonical as { active?: unknown } | null)?.active === false;
    const record: MemoryRecord = {
      id: id ?? String(this.nextId++),
      version: (existing?.version ?? -1) + 1,
      canonical,
      ...(inactive ? { removed: 'inactive' as const } : {}),
      updatedAt: new Date(),
      seq: ++this.seq,
    };
    table.set(record.id, record);
    return record;
  }

  remove(entity: EntityName, id: string, how: 'deleted' | 'voided' | 'inactive'): void {
    const record = this.table(entity).get(id);
    if (!record) throw new Error(`memory company: no ${entity} ${id}`);
    Object.assign(record, { removed: how, version: record.version + 1, seq: ++this.seq, updatedAt: new Date() });
  }

  get(entity: EntityName, id: string): MemoryRecord | undefined {
    return this.table(entity).get(id);
  }

  all(entity: EntityName): MemoryRecord[] {
    return [...this.table(entity).values()];
  }

  /** The next `times` writes matching `match` meet `fault`. */
  inject(fault: MemoryFault, match: (w: SideWrite) => boolean = () => true, times = 1): void {
    this.faults.push({ match, fault, times });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  changesAfter(entity: EntityName, seq: number, limit: number): MemoryRecord[] {
    return this.all(entity)
      .filter((r) => r.seq > seq)
      .sort((a, b) => a.seq - b.seq)
      .slice(0, limit);
  }

  /** Applies one write, idempotently by its key; a lost answer is applied but thrown away, as a dropped response. */
  apply(entity: EntityName, write: SideWrite): SideWriteResult {
    this.requests.push({ entity, write });
    const known = this.answers.get(write.requestKey);
    if (known) return known;
    const fault = this.faults.find((f) => f.times > 0 && f.match(write));
    if (fault) fault.times--;
    if (fault?.fault.kind === 'reject') {
      const { code, message } = fault.fault;
      return { ok: false, problem: { code, message, action: 'correct the record and run the sync again' } };
    }
    const result = this.write(entity, write);
    this.answers.set(write.requestKey, result);
    if (fault?.fault.kind === 'lose-answer')
      throw new Error(`memory company: the answer to ${write.requestKey} was lost`);
    return result;
  }

  private write(entity: EntityName, write: SideWrite): SideWriteResult {
    if (write.kind === 'create') {
      const id = String(this.nextId);
      const record = this.put(entity, this.fill(entity, write.canonical, id));
      return { ok: true, targetId: record.id, version: String(record.version), canonical: record.canonical };
    }
    const current = this.get(entity, write.targetId);
    if (!current)
      return { ok: false, problem: { code: 'not-found', message: `no ${entity} ${write.targetId}`, action: 'relink' } };
    if (write.baseVersion !== undefined && write.baseVersion !== String(current.version))
      return { ok: false, stale: true, problem: { code: 'stale', message: 'changed meanwhile', action: 'run again' } };
    if (write.kind === 'remove') {
      const how = this.removal[entity] ?? 'delete';
      if (how !== 'none')
        this.remove(entity, write.targetId, how === 'deactivate' ? 'inactive' : how === 'void' ? 'voided' : 'deleted');
      const after = this.get(entity, write.targetId)!;
      return { ok: true, targetId: after.id, version: String(after.version) };
    }
    const record = this.put(entity, this.fill(entity, write.canonical, write.targetId), write.targetId);
    return { ok: true, targetId: record.id, version: String(record.version), canonical: record.canonical };
  }
}

/** The companies of the memory backend, one per tenant. */
export class MemoryCompanies {
  private readonly companies = new Map<string, MemoryCompany>();
  company(tenantId: string): MemoryCompany {
    let company = this.companies.get(tenantId);
    if (!company) this.companies.set(tenantId, (company = new MemoryCompany(MEMORY_CAPABILITIES.removal)));
    return company;
  }
}

export const MEMORY_CAPABILITIES: BackendCapabilities = {
  changeCapture: { customer: 'change-feed', item: 'change-feed', invoice: 'change-feed', payment: 'change-feed' },
  removal: { customer: 'deactivate', item: 'deactivate', invoice: 'void', payment: 'delete' },
  numbering: 'app',
  batchSize: 30,
  rateLimits: null,
  taxModel: 'none',
  transport: 'call',
  saleDocuments: ['invoice', 'estimate', 'sales-order'],
};

/** Twins are found by fingerprint: a record equal in every canonical field is the same thing. */
export class MemoryBackend implements Backend {
  readonly id = 'memory' as const;
  readonly capabilities = MEMORY_CAPABILITIES;

  constructor(
    readonly company: MemoryCompany,
    private readonly links: LinkStore,
    private readonly db: Db,
    private readonly appEntities: Partial<Record<EntityName, AppEntity<unknown>>>,
  ) {}

  private toRecord(entity: EntityName, r: MemoryRecord): SideRecord {
    const label = `${this.appEntities[entity]?.label(r.canonical) ?? entity} (memory ${r.id})`;
    const base = { id: r.id, version: String(r.version), updatedAt: r.updatedAt, label };
    return r.removed === 'deleted'
      ? { ...base, deleted: 'deleted' }
      : { ...base, canonical: r.canonical, deleted: r.removed };
  }

  async readChanges(entity: EntityName, cursor: unknown, limit: number, agreed?: AgreedVersions): Promise<ChangePage> {
    const after = (cursor as { seq: number } | null)?.seq ?? 0;
    const changed = this.company.changesAfter(entity, after, limit);
    const seq = changed.at(-1)?.seq ?? after;
    const versions = agreed ? await agreed(changed.map((r) => r.id)) : new Map<string, string>();
    const records = changed.map((r): SideRecord => {
      const version = String(r.version);
      if (versions.get(r.id) === version)
        return { id: r.id, version, settled: true, label: `${entity} (memory ${r.id})` };
      return this.toRecord(entity, r);
    });
    return { records, nextCursor: { seq }, done: changed.length < limit };
  }

  async load(entity: EntityName, ids: string[]): Promise<Map<string, SideRecord>> {
    const out = new Map<string, SideRecord>();
    for (const id of ids) {
      const r = this.company.get(entity, id);
      if (r) out.set(id, this.toRecord(entity, r));
    }
    return out;
  }

  async findTwins(
    entity: EntityName,
    records: unknown[],
    taken?: ReadonlySet<string>,
  ): Promise<Array<SideRecord | undefined>> {
    const all = this.company.all(entity).filter((r) => !r.removed && !taken?.has(r.id));
    const linked = await this.links.byRemoteIds(
      this.db,
      entity,
      all.map((r) => r.id),
    );
    const picked = new Set<string>();
    return records.map((c) => {
      const hit = all.find(
        (r) => !linked.has(r.id) && !picked.has(r.id) && fingerprint(r.canonical) === fingerprint(c),
      );
      if (hit) picked.add(hit.id);
      return hit ? this.toRecord(entity, hit) : undefined;
    });
  }

  async resolve(_entity: EntityName, record: SideRecord): Promise<SideRecord> {
    return record;
  }

  async send(entity: EntityName, writes: SideWrite[]): Promise<SideWriteResult[]> {
    return writes.map((w) => this.company.apply(entity, w));
  }
}
