import { sql } from 'kysely';
import { MappingProblem, type AppEntity, type AppRow } from './entity';
import type { EntityName } from './model';
import type { ChangePage, Db, SideRecord, SideWrite, SideWriteResult, Trx } from './backend';

export interface AppCursor {
  /** Records are taken in id order; a record is considered at most once per run. */
  afterRecordId: number;
}

/** Runs `fn` in a transaction whose app writes the change log ignores: they are the sync's own, not the app's. */
export async function syncTransaction<T>(db: Db, fn: (trx: Trx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`select set_config('qbsync.origin', 'sync', true)`.execute(trx);
    return fn(trx);
  });
}

/** The app's PostgreSQL as a sync side: changes come from the trigger-maintained change log (app_changes). */
export class AppSide {
  readonly name = 'app' as const;

  constructor(
    private readonly db: Db,
    private readonly tenantId: string,
    private readonly mappings: Record<string, AppEntity<unknown>>,
  ) {}

  mapping(entity: EntityName): AppEntity<unknown> {
    const mapping = this.mappings[entity];
    if (!mapping) throw new Error(`no mapping for entity ${entity}`);
    return mapping;
  }

  async readChanges(entity: EntityName, cursor: unknown, limit: number): Promise<ChangePage> {
    const { recordIds, receipts, nextCursor, done } = await this.changedIds(entity, cursor, limit);
    const loaded = await this.load(entity, recordIds.map(String));
    // A record deleted from the app's tables outright leaves only its change rows: nothing to send, so they are consumed.
    const records = recordIds
      .map(String)
      .map(
        (id) => loaded.get(id) ?? { id, label: `${entity} ${id} (no longer in the app)`, deleted: 'deleted' as const },
      );
    return { records, receipts, nextCursor, done };
  }

  /** The ids of up to `limit` changed records after the cursor, with the change-log rows that acknowledging each consumes. */
  async changedIds(
    entity: EntityName,
    cursor: unknown,
    limit: number,
  ): Promise<{ recordIds: number[]; receipts: Record<string, number[]>; nextCursor: AppCursor; done: boolean }> {
    const after = (cursor as AppCursor | null)?.afterRecordId ?? 0;
    const ids = await this.db
      .selectFrom('app_changes')
      .select('record_id')
      .distinct()
      .where('tenant_id', '=', this.tenantId)
      .where('entity', '=', entity)
      .where('record_id', '>', after)
      .orderBy('record_id')
      .limit(limit)
      .execute();
    const recordIds = ids.map((r) => r.record_id);
    const changes = recordIds.length
      ? await this.db
          .selectFrom('app_changes')
          .select(['id', 'record_id'])
          .where('tenant_id', '=', this.tenantId)
          .where('entity', '=', entity)
          .where('record_id', 'in', recordIds)
          .execute()
      : [];
    const receipts: Record<string, number[]> = {};
    for (const c of changes) (receipts[String(c.record_id)] ??= []).push(c.id);
    return {
      recordIds,
      receipts,
      nextCursor: { afterRecordId: recordIds.at(-1) ?? after },
      done: recordIds.length < limit,
    };
  }

  async load(entity: EntityName, ids: string[], db: Db | Trx = this.db): Promise<Map<string, SideRecord>> {
    const mapping = this.mapping(entity);
    const rows = await mapping.loadApp(db, this.tenantId, ids.map(Number)).catch(async (error: unknown) => {
      // A row the canonical form cannot hold (a NaN price, cents beyond 2^53): find which, and let the rest through.
      const message = error instanceof Error ? error.message : String(error);
      if (!/not a (decimal|finite) number|safe integer|amount of money|too large|whole number of cents/.test(message))
        throw error;
      return this.loadOneByOne(db, mapping, ids, entity);
    });
    const out = new Map<string, SideRecord>();
    for (const [id, row] of rows) {
      if (!('canonical' in row) || row.problem) {
        const named = 'canonical' in row ? `${mapping.label(row.canonical)} (app ${id})` : `${entity} (app ${id})`;
        out.set(String(id), { id: String(id), label: named, problem: row.problem! });
        continue;
      }
      out.set(String(id), {
        id: String(id),
        canonical: row.canonical,
        deleted: row.removed,
        updatedAt: row.updatedAt,
        label: `${mapping.label(row.canonical)} (app ${id})`,
      });
    }
    return out;
  }

  /** Loads rows one at a time after a page's load failed on a bad value: the bad ones become problems naming them. */
  private async loadOneByOne(db: Db | Trx, mapping: AppEntity<unknown>, ids: string[], entity: EntityName) {
    const out = new Map<number, AppRow<unknown> | { problem: MappingProblem }>();
    for (const id of ids.map(Number)) {
      try {
        for (const [k, row] of await mapping.loadApp(db, this.tenantId, [id])) out.set(k, row);
      } catch (error) {
        const message = `${entity} ${id} in the app holds a value qbsync cannot carry: ${(error as Error).message}`;
        const action = `correct the value in the app (${entity} ${id}); the record is sent on the next run`;
        out.set(id, { problem: new MappingProblem(message, action, 'qbsync-bad-value') });
      }
    }
    return out;
  }

  /** Locks the app rows a page will write, so a concurrent app edit waits for the sync's commit rather than being overwritten. */
  async lock(trx: Trx, entity: EntityName, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const table = TABLES[entity];
    await sql`select id from ${sql.table(table)} where tenant_id = ${this.tenantId} and id in (${sql.join(ids.map(Number))}) for update`.execute(
      trx,
    );
  }

  async findMatches(
    entity: EntityName,
    records: unknown[],
    db: Db | Trx = this.db,
  ): Promise<Array<SideRecord | undefined>> {
    const ids = await this.mapping(entity).matchApp(db, this.tenantId, records);
    const found = await this.load(entity, ids.filter((id): id is number => id !== undefined).map(String), db);
    return ids.map((id) => (id === undefined ? undefined : found.get(String(id))));
  }

  async applyPage(entity: EntityName, writes: SideWrite[], trx?: Trx): Promise<SideWriteResult[]> {
    if (!trx) throw new Error('app writes run inside the page transaction');
    const mapping = this.mapping(entity);
    const results: SideWriteResult[] = [];
    for (const write of writes) {
      if (write.kind === 'remove') {
        await mapping.removeApp(trx, this.tenantId, Number(write.targetId), write.how);
        results.push({ ok: true, targetId: write.targetId });
      } else {
        const id = await mapping.writeApp(
          trx,
          this.tenantId,
          write.kind === 'update' ? Number(write.targetId) : undefined,
          write.canonical,
        );
        results.push({ ok: true, targetId: String(id), canonical: write.canonical });
      }
    }
    return results;
  }

  /** Inserts a page's new app records together (the entity's bulk insert when it has one); ids in input order. */
  async createMany(entity: EntityName, canonicals: unknown[], trx: Trx): Promise<number[]> {
    if (canonicals.length === 0) return [];
    const mapping = this.mapping(entity);
    if (mapping.createApp) return mapping.createApp(trx, this.tenantId, canonicals);
    const ids: number[] = [];
    for (const c of canonicals) ids.push(await mapping.writeApp(trx, this.tenantId, undefined, c));
    return ids;
  }

  /** Consumes the change rows read with a page (by exact id: rows committed since then stay for the next run). */
  async acknowledge(trx: Trx, changeIds: number[]): Promise<void> {
    if (changeIds.length) await trx.deleteFrom('app_changes').where('id', 'in', changeIds).execute();
  }

  /** Queues a record to be pushed (its app version won a conflict on pull). */
  async requeue(trx: Trx, entity: EntityName, id: string): Promise<void> {
    await trx
      .insertInto('app_changes')
      .values({ tenant_id: this.tenantId, entity, record_id: Number(id) })
      .execute();
  }

  async pendingChanges(entity: EntityName): Promise<number> {
    const row = await this.db
      .selectFrom('app_changes')
      .select((eb) => eb.fn.count<number>('record_id').distinct().as('n'))
      .where('tenant_id', '=', this.tenantId)
      .where('entity', '=', entity)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }
}

const TABLES: Record<EntityName, string> = {
  customer: 'customers',
  item: 'items',
  tax_rate: 'tax_rates',
  tax_code: 'tax_codes',
  invoice: 'invoices',
  payment: 'payments',
  estimate: 'estimates',
  sale: 'sales',
  price_level: 'price_levels',
};
