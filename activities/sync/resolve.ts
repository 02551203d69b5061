import { AppSide, syncTransaction } from './appSide';
import type { Db } from './backend';
import { fingerprint } from './fingerprint';
import { LinkStore } from './links';
import type { EntityName } from './model';
import { mappingsFor } from './modes';
import { readSyncSettings } from './settings';

/** The side a person keeps, as users name them (SIDE_NAMES). */
export type Keep = 'app' | 'quickbooks';

/**
 * What resolving did: `nothing-to-do` (the kept side is the one the policy let win: both sides hold it already),
 * `written-to-app` (the kept version is in the app row and agrees with the accounting side), `queued-for-push` (the
 * kept version is in the app row and the next run sends it to the accounting side, as an ordinary update).
 */
export type ResolveAction = 'nothing-to-do' | 'written-to-app' | 'queued-for-push';

export class ConflictResolutionError extends Error {
  override name = 'ConflictResolutionError';
  constructor(
    readonly reason: 'not-found' | 'already-resolved' | 'cannot-resolve' | 'changed-since',
    message: string,
  ) {
    super(message);
  }
}

export interface ResolveInput {
  tenantId: string;
  conflictId: number;
  keep: Keep;
  /** Who chose (an API key's name, a CLI user): kept with the conflict. */
  by: string;
  at: Date;
}

/** A version recorded for a removal (decide.ts: `{ removed, record }`): not a record the app row can take. */
function isRemoval(version: unknown): boolean {
  return typeof version === 'object' && version !== null && 'removed' in version && 'record' in version;
}

/**
 * Resolves a recorded conflict by keeping one side's version. The policy already applied the winner's version to both
 * sides, so keeping the winner only marks the conflict resolved. Keeping the other side's version writes it into the
 * app row with the pull's own writer (a sync write: the change log ignores it); when the accounting side holds
 * something else (the link's agreed fingerprint differs), the record is queued like a conflict the app won on pull,
 * so the next run's push planner sends it as an ordinary update against the unchanged agreement — not a conflict again.
 * Nothing here talks to the accounting side.
 */
export async function resolveConflict(db: Db, input: ResolveInput): Promise<{ action: ResolveAction }> {
  const { tenantId, conflictId, keep } = input;
  const settings = await readSyncSettings(db, tenantId);
  return syncTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom('sync_conflicts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', conflictId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new ConflictResolutionError('not-found', `tenant ${tenantId} has no conflict ${conflictId}`);
    const what = `conflict ${conflictId} (${row.entity} ${row.app_id ?? '?'} in the app, ${row.remote_id ?? '?'} in QuickBooks)`;
    if (row.resolved_at)
      throw new ConflictResolutionError(
        'already-resolved',
        `${what} was already resolved by ${row.resolved_by} at ${row.resolved_at.toISOString()}, keeping the ${row.resolved_keep} version; to change the record now, edit it in the app or in QuickBooks`,
      );
    let action: ResolveAction = 'nothing-to-do';
    if (keep !== row.winner) {
      const kept = keep === 'app' ? row.app_version : row.remote_version;
      if (isRemoval(row.app_version) || isRemoval(row.remote_version) || kept === null || row.app_id === null)
        throw new ConflictResolutionError(
          'cannot-resolve',
          `${what} is about a removal (a delete, void or deactivation), which choosing a side cannot undo; restore or remove the record by hand in the app or in QuickBooks, then sync`,
        );
      const entity = row.entity as EntityName;
      const mappings = mappingsFor(settings.mode);
      const mapping = mappings[entity];
      if (!mapping)
        throw new ConflictResolutionError(
          'cannot-resolve',
          `${what}: ${entity} is not synced in ${settings.mode} mode any more; edit the record by hand`,
        );
      const app = new AppSide(db, tenantId, mappings);
      const appId = String(row.app_id);
      await app.lock(trx, entity, [appId]);
      const pending = await trx
        .selectFrom('app_changes')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('entity', '=', entity)
        .where('record_id', '=', row.app_id)
        .executeTakeFirst();
      const link = (await new LinkStore(tenantId, settings.backend).byAppIds(trx, entity, [row.app_id])).get(
        row.app_id,
      );
      if (pending || !link)
        throw new ConflictResolutionError(
          'changed-since',
          `${what}: the record ${link ? 'changed in the app' : 'is no longer linked'} since the conflict and that is not synced yet; run a sync, then resolve (or edit the record by hand)`,
        );
      await mapping.writeApp(trx, tenantId, row.app_id, kept);
      action = 'written-to-app';
      if (fingerprint(kept) !== link.fingerprint) {
        await app.requeue(trx, entity, appId);
        action = 'queued-for-push';
      }
    }
    await trx
      .updateTable('sync_conflicts')
      .set({ resolved_at: input.at, resolved_by: input.by, resolved_keep: keep })
      .where('id', '=', conflictId)
      .execute();
    return { action };
  });
}
