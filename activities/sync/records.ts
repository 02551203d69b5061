import type { Trx } from './backend';
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
