import type { Db, Trx } from './backend';
import { SIDE_NAMES, type Direction, type EntityName, type StepName } from './model';
import type { Conflict } from './decide';

export interface ProblemRecord {
  entity: EntityName;
  direction: Direction;
  appId?: string;
  remoteId?: string;
  label: string;
  code?: string;
  message: string;
  detail?: string;
  action: string;
  skipped: boolean;
}

/**
 * Problems whose cause is a dependency not on the other side yet: the record waits for the next run (deferred)
 * instead of failing this one, until it has waited the tenant's `deferRuns`.
 */
export const DEPENDENCY_CODES = new Set([
  'qbsync-missing-customer',
  'qbsync-missing-item',
  'qbsync-missing-parent',
  'qbsync-missing-tax-code',
  'qbsync-missing-invoice',
  'qbsync-missing-rate',
]);

/** The problem code of a linked record the backend no longer has (or of a record referring to one). */
export const VANISHED = 'qbsync-vanished';

/** The problem code of a record deferred to the next run ("deferred" in `qbsync history`); detail names the cause. */
export const DEFERRED = 'qbsync-deferred';

/** How many earlier runs already deferred this record. */
export async function runsDeferred(db: Db | Trx, tenantId: string, entity: EntityName, appId: string): Promise<number> {
  const row = await db
    .selectFrom('sync_problems')
    .select((eb) => eb.fn.count<number>('run_id').distinct().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', entity)
    .where('app_id', '=', Number(appId))
    .where('code', '=', DEFERRED)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The problem code of app changes deliberately not sent (order-taking mode; "ignored" in `qbsync history`). */
export const IGNORED = 'qbsync-ignored';

/** Per-record problems and conflicts, kept for `qbsync history` and notifications. */
export async function recordProblem(
  trx: Trx,
  tenantId: string,
  runId: string,
  step: StepName,
  p: ProblemRecord,
): Promise<void> {
  await trx
    .insertInto('sync_problems')
    .values({
      tenant_id: tenantId,
      run_id: runId,
      step,
      entity: p.entity,
      direction: p.direction,
      app_id: p.appId ? Number(p.appId) : null,
      remote_id: p.remoteId ?? null,
      record_label: p.label,
      code: p.code ?? null,
      message: p.message,
      detail: p.detail ?? null,
      user_action: p.action,
      skipped: p.skipped,
    })
    .execute();
}

export async function recordConflict(
  trx: Trx,
  tenantId: string,
  runId: string,
  entity: EntityName,
  policy: string,
  ids: { appId?: string; remoteId?: string },
  conflict: Conflict,
  sourceSide: 'app' | 'remote',
): Promise<void> {
  const appVersion = sourceSide === 'app' ? conflict.source : conflict.target;
  const remoteVersion = sourceSide === 'remote' ? conflict.source : conflict.target;
  const winningSide = conflict.winner === 'source' ? sourceSide : sourceSide === 'app' ? 'remote' : 'app';
  await trx
    .insertInto('sync_conflicts')
    .values({
      tenant_id: tenantId,
      run_id: runId,
      entity,
      app_id: ids.appId ? Number(ids.appId) : null,
      remote_id: ids.remoteId ?? null,
      policy,
      winner: SIDE_NAMES[winningSide],
      app_version: JSON.stringify(appVersion ?? null),
      remote_version: JSON.stringify(remoteVersion ?? null),
    })
    .execute();
}
