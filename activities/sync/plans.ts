import type { Db, RecordProblem, SideWrite, Trx } from './backend';
import type { Decision } from './decide';
import type { EntityName } from './model';

/** One changed app record in a push plan: what was decided for it and, when it writes, which write is its. */
export interface PlanEntry {
  sourceId: string;
  label: string;
  sourceFp?: string;
  decision: Decision;
  /** Index into plan.writes, when the decision writes to the backend. */
  write?: number;
  /** The backend's record kept by a conflict or adopted as a twin, carried back into the app. */
  keep?: { canonical: unknown; fp: string };
  /** Why the record is not sent (decided before sending), or why it is ignored. */
  problem?: RecordProblem;
  /** Recorded with the record's outcome when it succeeds (e.g. created again because the backend lost it). */
  notice?: RecordProblem;
  /** References the backend no longer has, found when the write failed: why, and what the policy does about it. */
  vanished?: Array<{ entity: string; appId: number; remoteId: string }>;
}

/**
 * A page of app → backend, decided before anything is sent and saved (push_intents) when it writes: a retry after a
 * crash sends exactly these writes again, with the same keys, so the backend recognises them. Settling it (links,
 * stamp-back, consumed change rows) deletes it in the same transaction.
 */
export interface PushPlan {
  id: string;
  writes: SideWrite[];
  entries: PlanEntry[];
  receipts: Record<string, number[]>;
  nextCursor: unknown;
  done: boolean;
  /** What the planner tells the entity's `settle` (a sale's "done" status). */
  settleWith?: unknown;
}

/**
 * The first plan saved for this tenant and entity and not settled, if any; `queued` when another was saved after it
 * (the next page, sent while this one settled): that one is sent and settled next, nothing is planned beside it. The
 * plan itself is not read when it is `known` (kept in memory by the step attempt that sent it).
 */
export async function loadPlan(
  db: Db,
  tenantId: string,
  entity: EntityName,
  known?: string,
): Promise<{ id: string; plan?: PushPlan; queued: boolean } | undefined> {
  const rows = await db
    .selectFrom('push_intents')
    .select((eb) => [
      'request_id',
      eb
        .case()
        .when('request_id', '=', known ?? '')
        .then(null)
        .else(eb.ref('plan'))
        .end()
        .as('plan'),
    ])
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', entity)
    .orderBy('seq')
    .limit(2)
    .execute();
  if (rows.length === 0) return undefined;
  const [first] = rows;
  return { id: first.request_id, plan: (first.plan as PushPlan | null) ?? undefined, queued: rows.length > 1 };
}

export async function savePlan(db: Db, tenantId: string, entity: EntityName, plan: PushPlan): Promise<void> {
  await db
    .insertInto('push_intents')
    .values({ tenant_id: tenantId, entity, request_id: plan.id, plan: JSON.stringify(plan) })
    .execute();
}

/** Forgets the plan: called inside the transaction that settles it (a plan saved after it stays). */
export async function settlePlan(trx: Trx, tenantId: string, entity: EntityName, planId: string): Promise<void> {
  await trx
    .deleteFrom('push_intents')
    .where('tenant_id', '=', tenantId)
    .where('entity', '=', entity)
    .where('request_id', '=', planId)
    .execute();
}
