import type { SideRecord, Trx } from './backend';
import type { AppEntity } from './entity';
import { fingerprint } from './fingerprint';
import type { EntityName, PageCounts } from './model';
import { DEFERRED, recordProblem, runsDeferred, type ProblemRecord } from './records';
import type { EngineContext } from './engine';

/**
 * Late references: a pulled record may name a record that is pulled later in the same run (a QuickBooks Desktop
 * customer's price level and tax code are read in the items step, after customers). The backend leaves such a
 * reference out of the canonical form and reports it on the record (`SideRecord.lateRefs`); the app entity declares
 * which fields may be late (`AppEntity.lateRefs`). The record is written without it and the reference is kept in
 * sync_late_references with the record's pulled canonical form. When the referenced entity's pull page settles, the
 * references it now links are filled in the app rows and the referring links' fingerprints move to the full state, in
 * the page's transaction, so the next run sees no change on either side. What is still pending once that entity's pull
 * is done is reported as deferred (or failed after `deferRuns` runs) and tried again on later runs.
 */

/** The problem code of a reference whose record is still not in the app after it was pulled. */
export const MISSING_REFERENCE = 'qbsync-missing-reference';

export interface WrittenRecord {
  appId: number;
  source: SideRecord;
  /** Created in this page: it can have no pending reference yet. */
  created: boolean;
}

function pending(ctx: EngineContext) {
  return (trx: Trx) =>
    trx
      .selectFrom('sync_late_references')
      .where('tenant_id', '=', ctx.tenantId)
      .where('backend', '=', ctx.links.backend);
}

/** Replaces the pending references of the records a pull page wrote with the late references they now carry. */
export async function notePending(
  trx: Trx,
  ctx: EngineContext,
  mapping: AppEntity<unknown>,
  written: WrittenRecord[],
): Promise<void> {
  const { entity } = mapping;
  const again = written.filter((w) => !w.created).map((w) => w.appId);
  if (again.length)
    await trx
      .deleteFrom('sync_late_references')
      .where('tenant_id', '=', ctx.tenantId)
      .where('backend', '=', ctx.links.backend)
      .where('entity', '=', entity)
      .where('app_id', 'in', again)
      .execute();
  const rows = written.flatMap(({ appId, source }) =>
    (source.lateRefs ?? []).map((ref) => {
      if (mapping.lateRefs?.fields[ref.field] !== ref.entity)
        throw new Error(`${entity}.${ref.field} is not declared as a late reference to ${ref.entity} (qbsync defect)`);
      const { tenantId: tenant_id } = ctx;
      const record = { tenant_id, backend: ctx.links.backend, entity, app_id: appId, field: ref.field };
      return {
        ...record,
        ref_entity: ref.entity,
        ref_remote_id: ref.remoteId,
        canonical: JSON.stringify(source.canonical),
      };
    }),
  );
  for (let i = 0; i < rows.length; i += 1000)
    await trx
      .insertInto('sync_late_references')
      .values(rows.slice(i, i + 1000))
      .execute();
}

type Row = { entity: string; app_id: number; field: string; ref_remote_id: string; canonical: Record<string, unknown> };

function byRecord<R extends Row>(rows: R[]): R[][] {
  const groups = new Map<string, R[]>();
  for (const r of rows) {
    const key = `${r.entity}:${r.app_id}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()];
}

/**
 * After a page of `refEntity` linked its records: fills the pending references they satisfy (app rows and link
 * fingerprints); once the entity's pull is done (`done`), reports those still pending. Returns the problems that fail
 * the run under `onRecordError: stop`.
 */
export async function settleLateRefs(
  trx: Trx,
  ctx: EngineContext,
  refEntity: EntityName,
  done: boolean,
  counts: PageCounts,
): Promise<ProblemRecord[]> {
  const resolved = await trx
    .selectFrom('sync_late_references')
    .innerJoin('sync_links as l', (join) =>
      join
        .onRef('l.tenant_id', '=', 'sync_late_references.tenant_id')
        .onRef('l.backend', '=', 'sync_late_references.backend')
        .onRef('l.entity', '=', 'sync_late_references.ref_entity')
        .onRef('l.remote_id', '=', 'sync_late_references.ref_remote_id'),
    )
    .select([
      'sync_late_references.entity',
      'sync_late_references.app_id',
      'sync_late_references.field',
      'sync_late_references.ref_remote_id',
      'sync_late_references.canonical',
      'l.app_id as ref_app_id',
    ])
    .where('sync_late_references.tenant_id', '=', ctx.tenantId)
    .where('sync_late_references.backend', '=', ctx.links.backend)
    .where('sync_late_references.ref_entity', '=', refEntity)
    .execute();
  for (const group of byRecord(resolved)) {
    const { entity, app_id: appId, canonical: before } = group[0];
    const mapping = ctx.app.mapping(entity as EntityName);
    const values = Object.fromEntries(group.map((r) => [r.field, Number(r.ref_app_id)]));
    const after = { ...before, ...values };
    await ctx.app.lock(trx, mapping.entity, [String(appId)]);
    await mapping.lateRefs!.fill(trx, ctx.tenantId, appId, values);
    const ofRecord = { tenant_id: ctx.tenantId, backend: ctx.links.backend, entity, app_id: appId };
    // The agreement moves to the full state only if it is still the one the record was pulled with.
    await trx
      .updateTable('sync_links')
      .set({ fingerprint: fingerprint(after) })
      .where((eb) => eb.and({ ...ofRecord, fingerprint: fingerprint(before) }))
      .execute();
    await trx
      .deleteFrom('sync_late_references')
      .where((eb) => eb.and(ofRecord))
      .where(
        'field',
        'in',
        group.map((r) => r.field),
      )
      .execute();
    // The record's other late references (another entity's) now start from the state including these.
    await trx
      .updateTable('sync_late_references')
      .set({ canonical: JSON.stringify(after) })
      .where((eb) => eb.and(ofRecord))
      .execute();
  }
  if (!done) return [];

  const failures: ProblemRecord[] = [];
  const waiting = await pending(ctx)(trx)
    .select(['entity', 'app_id', 'field', 'ref_remote_id', 'canonical'])
    .where('ref_entity', '=', refEntity)
    .orderBy('app_id')
    .execute();
  for (const group of byRecord(waiting)) {
    const { entity, app_id: appId, canonical } = group[0];
    const mapping = ctx.app.mapping(entity as EntityName);
    const label = mapping.label(canonical);
    const refs = group.map((r) => `${r.field} (${refEntity} ${r.ref_remote_id})`).join(', ');
    const problem: ProblemRecord = {
      entity: mapping.entity,
      direction: 'pull',
      appId: String(appId),
      label,
      code: MISSING_REFERENCE,
      message: `${label} (app ${appId}) names ${refs}, which is not in the app after this run's pull of ${refEntity}`,
      action: `check that ${refEntity} on the accounting side is active and not refused (see this run's problems); the reference is filled in when it syncs`,
      skipped: ctx.onRecordError === 'skip',
    };
    if ((await runsDeferred(trx, ctx.tenantId, mapping.entity, String(appId))) < ctx.deferRuns) {
      const detail = MISSING_REFERENCE;
      const action = `nothing to do if it clears on the next run; else: ${problem.action}`;
      await recordProblem(trx, ctx.tenantId, ctx.runId, ctx.step, { ...problem, code: DEFERRED, detail, action });
      counts.deferred = (counts.deferred ?? 0) + 1;
      continue;
    }
    await recordProblem(trx, ctx.tenantId, ctx.runId, ctx.step, problem);
    counts.failed++;
    failures.push(problem);
  }
  return failures;
}
