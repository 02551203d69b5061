import { derivedRequestId, QboError, QboStaleObjectError, QboTransientError, type QboClient } from '../../quickbooks';
import type { QueryBuilder } from '../../quickbooks/query';
import type { QboObject } from './entity';
import type { WriteBudget } from './sendPlan';

/** The few QuickBooks calls the sync needs; activities/quickbooks' client provides them (see qboApiFromClient). */
export interface QboApi {
  /** The realm limiter's limits: how a push page is split into batches and single writes (sendPlan.ts). */
  readonly budget: WriteBudget;
  /** One page of a query built with the query builder (quoting and refusals in one place). */
  query(query: QueryBuilder): Promise<{ objects: QboObject[]; time?: string }>;
  /** One CDC call for one entity; deleted objects come as `{ Id, status: 'Deleted' }`. */
  cdc(entityName: string, since: Date): Promise<{ objects: QboObject[]; time: string }>;
  batch(items: QboBatchItem[], requestId: string): Promise<QboBatchResult[]>;
  /** One write as its own request (sendPlan.ts); a fault of the whole request (429, 5xx, timeout) throws, as a batch's does. */
  single(item: QboBatchItem, requestId: string): Promise<QboBatchResult>;
  /** Preferences.SalesFormsPrefs.CustomTxnNumbers. */
  customTxnNumbers(): Promise<boolean>;
}

export type QboBatchItem =
  | { operation: 'create' | 'update'; entityName: string; body: Record<string, unknown> }
  | { operation: 'delete' | 'void'; entityName: string; body: { Id: string; SyncToken?: string } };

export type QboBatchResult =
  | { ok: true; object: QboObject }
  | { ok: false; code?: string; message: string; detail?: string; stale: boolean; transient: boolean };

function failed(error: unknown): QboBatchResult {
  if (!(error instanceof QboError) || error.name === 'QboReconnectRequiredError') throw error;
  return {
    ok: false,
    code: error.code,
    message: error.qboMessage ?? error.message,
    detail: error.detail,
    stale: error instanceof QboStaleObjectError,
    transient: error instanceof QboTransientError,
  };
}

/** The sync's view of QuickBooks, over the typed client. */
export function qboApiFromClient(client: QboClient): QboApi {
  return {
    budget: client.limiter.limits,
    async query(query) {
      const { QueryResponse, time } = await client.rawQuery(query.build(), query.entity);
      return { objects: (QueryResponse[query.entity] as QboObject[] | undefined) ?? [], time };
    },
    async cdc(entityName, since) {
      // The sync keeps its own CDC windows and cursors (backend.ts), so it asks for exactly one CDC call.
      const { changes, time } = await client.cdcOnce([entityName], since);
      return { objects: (changes[entityName] ?? []) as QboObject[], time: time ?? '' };
    },
    async batch(items: QboBatchItem[], requestId: string): Promise<QboBatchResult[]> {
      const results: QboBatchResult[] = new Array(items.length);
      // QuickBooks' batch knows create, update and delete; a void is its own call, with its own derived requestid.
      const batched = items.map((item, index) => ({ item, index })).filter(({ item }) => item.operation !== 'void');
      for (const [n, { item, index }] of items
        .map((item, index) => ({ item, index }))
        .filter(({ item }) => item.operation === 'void')
        .entries()) {
        try {
          results[index] = {
            ok: true,
            object: (await client.void(item.entityName, item.body as { Id: string; SyncToken: string }, {
              requestId: derivedRequestId(requestId, `v${n}`),
            })) as QboObject,
          };
        } catch (error) {
          results[index] = failed(error);
        }
      }
      if (batched.length) {
        const answers = await client.batch(
          batched.map(({ item }) => ({
            operation: item.operation as 'create' | 'update' | 'delete',
            entity: item.entityName,
            body: item.body,
          })),
          { requestId },
        );
        answers.forEach((answer, i) => {
          results[batched[i].index] = answer.ok
            ? { ok: true, object: answer.entity as QboObject }
            : failed(answer.error);
        });
      }
      return results;
    },
    async single(item, requestId) {
      const options = { requestId };
      try {
        const { entityName, body } = item;
        const ref = body as { Id: string; SyncToken: string };
        const object =
          item.operation === 'create'
            ? await client.create(entityName, body, options)
            : item.operation === 'update'
              ? // As in a batch: a full update unless the body says sparse.
                await client.update(entityName, body as typeof ref, {
                  ...options,
                  sparse: (body as { sparse?: boolean }).sparse === true,
                })
              : item.operation === 'void'
                ? await client.void(entityName, ref, options)
                : await client.delete(entityName, ref, options);
        return { ok: true, object: object as QboObject };
      } catch (error) {
        if (error instanceof QboTransientError) throw error;
        return failed(error);
      }
    },
    async customTxnNumbers() {
      const prefs = await client.preferences();
      return (prefs.SalesFormsPrefs as { CustomTxnNumbers?: boolean } | undefined)?.CustomTxnNumbers === true;
    },
  };
}
