import type { QboClient } from './client';
import { QboValidationError } from './errors';
import { select } from './query';
import type { QboDeleted, QboObject } from './schemas';

/** QuickBooks' CDC looks back at most 30 days; a small margin keeps clock skew from turning a request into a fault. */
export const CDC_LOOK_BACK_MS = 30 * 24 * 3600 * 1000;
const SKEW_MARGIN_MS = 10 * 60 * 1000;
/** At most this many objects in one CDC answer; an answer that holds this many may have been cut. */
export const CDC_MAX_OBJECTS = 1000;
/** Entities CDC does not cover (Intuit's CDC reference). */
export const NOT_IN_CDC = new Set(['TaxCode', 'TaxRate', 'TaxAgency', 'JournalCode', 'TimeActivity']);

export interface CdcOptions {
  /** QuickBooks' "now", for the 30-day rule; defaults to this machine's clock. */
  now?: Date;
}

export interface CdcResult {
  /** Per entity asked for: changed objects, and deleted ones as `{ Id, status: 'Deleted' }`. */
  changes: Record<string, Array<QboObject | QboDeleted>>;
  /**
   * False when some entity was read with `MetaData.LastUpdatedTime >= since` queries instead of CDC (look-back over
   * 30 days, a cut CDC answer, or an entity CDC does not cover). Queries cannot see deletions, so the caller must
   * find deletions of those entities another way (e.g. compare the Ids it knows with a full Id listing).
   */
  complete: boolean;
  /** The entities read by query, whose deletions may be missing. */
  deletionsUnknown: string[];
  /** QuickBooks' time of the first answer: a safe `changedSince` for the next call. */
  time?: string;
}

type Changes = Record<string, Array<QboObject | QboDeleted>>;

/** One CDC call, parsed: what QuickBooks answered per entity, and how many objects in all (1000 means it may be cut). */
export async function cdcOnce(
  client: QboClient,
  entities: string[],
  since: Date,
): Promise<{ changes: Changes; total: number; time?: string }> {
  const body = await client.rawCdc(entities, since);
  const changes: Changes = Object.fromEntries(entities.map((e) => [e, []]));
  let total = 0;
  for (const response of body.CDCResponse ?? []) {
    for (const qr of response.QueryResponse ?? []) {
      for (const e of entities) {
        const list = qr[e];
        if (!Array.isArray(list)) continue;
        for (const o of list) changes[e].push(client.readEntity(e, o));
        total += list.length;
      }
    }
  }
  return { changes, total, time: body.time };
}

async function byQuery(client: QboClient, entity: string, since: Date): Promise<QboObject[]> {
  // Ordered by Id, not LastUpdatedTime: an update during paging would move a record to the end of a
  // LastUpdatedTime order and shift an unread one into the page already read; in Id order nothing moves.
  return client.queryAll(entity, select(entity).where('MetaData.LastUpdatedTime', '>=', since).orderBy('Id'));
}

const tooOld = (error: unknown) =>
  error instanceof QboValidationError && /30 days/i.test(`${error.qboMessage ?? ''} ${error.detail ?? ''}`);

/**
 * Changes since `since` for `entities`. One CDC call for all; if its answer holds 1000 objects (it may have been cut),
 * each entity gets its own CDC call, and an entity that alone fills an answer is read by query instead. Beyond the
 * 30-day look-back every entity is read by query. Deletions seen in a cut CDC answer are kept.
 */
export async function changeDataCapture(
  client: QboClient,
  entities: string[],
  since: Date,
  options: CdcOptions = {},
): Promise<CdcResult> {
  const now = (options.now ?? new Date()).getTime();
  const changes: Changes = Object.fromEntries(entities.map((e) => [e, []]));
  const viaQuery = new Set(entities.filter((e) => NOT_IN_CDC.has(e)));
  let viaCdc = entities.filter((e) => !viaQuery.has(e));
  let time: string | undefined;

  if (now - since.getTime() > CDC_LOOK_BACK_MS - SKEW_MARGIN_MS) {
    viaCdc.forEach((e) => viaQuery.add(e));
    viaCdc = [];
  }

  const keepDeletions = (from: Changes, entity: string) =>
    changes[entity].push(...from[entity].filter((o) => (o as QboDeleted).status === 'Deleted'));

  if (viaCdc.length) {
    try {
      const all = await cdcOnce(client, viaCdc, since);
      time = all.time;
      if (all.total < CDC_MAX_OBJECTS) {
        for (const e of viaCdc) changes[e].push(...all.changes[e]);
      } else {
        for (const e of viaCdc) {
          const one = viaCdc.length === 1 ? all : await cdcOnce(client, [e], since);
          if (one.total < CDC_MAX_OBJECTS) changes[e].push(...one.changes[e]);
          else {
            keepDeletions(one.changes, e);
            viaQuery.add(e);
          }
        }
      }
    } catch (error) {
      // QuickBooks' clock decides the 30 days; if ours is behind, it refuses: read by query instead.
      if (!tooOld(error)) throw error;
      viaCdc.forEach((e) => viaQuery.add(e));
    }
  }

  for (const e of entities.filter((x) => viaQuery.has(x))) {
    const seen = new Set(changes[e].map((o) => o.Id));
    for (const o of await byQuery(client, e, since)) if (!seen.has(o.Id)) changes[e].push(o);
  }
  const deletionsUnknown = entities.filter((e) => viaQuery.has(e));
  return { changes, complete: deletionsUnknown.length === 0, deletionsUnknown, time };
}
