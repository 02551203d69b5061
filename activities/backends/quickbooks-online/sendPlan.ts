import { createHash } from 'node:crypto';
import { BATCH_MAX_ITEMS } from '../../quickbooks/client';
import { chunk } from '../../sync/entities/common';
import type { QboApi, QboBatchItem, QboBatchResult } from './api';

/**
 * A push page's writes and how they reach QuickBooks, using the whole budget of a company: 40 batch requests of 30
 * a minute AND the rest of its 500 requests as single writes, all in flight together (the realm's limiter keeps 10).
 * A page of 160 = 4 batches of 30 + 40 single writes, plus its few reads (match and load queries): ~48 requests and 4
 * batches, so 10 pages a minute fill both limits — about 1,600 records a minute instead of 1,200.
 */
export const PUSH_PAGE_SIZE = 160;

/** The limits a page's split follows: the realm limiter's (QuickBooks: 500 requests and 40 batches a minute). */
export interface WriteBudget {
  requestsPerWindow: number;
  batchesPerWindow: number;
}

/**
 * The share of a page sent as single writes: what the request budget leaves once every batch of the window goes out
 * with about one read beside it (QuickBooks: 500 − 2 × 40 = 420 single writes beside 1,200 batched records, 26 %);
 * none where batches are not the scarce budget (limits off: one batch always costs less than 30 requests).
 */
export function singleShare({ requestsPerWindow, batchesPerWindow }: WriteBudget): number {
  const singles = requestsPerWindow - 2 * batchesPerWindow;
  return singles <= 0 ? 0 : singles / (singles + batchesPerWindow * BATCH_MAX_ITEMS);
}

/**
 * How many of `n` writes go out as single requests: the last ones. A function of `n` and the configured limits alone
 * (the same on every worker of a deployment), so the retry of a saved plan sends every write exactly as the first
 * attempt did, under the same requestid — QuickBooks answers the replay with the original response instead of
 * writing twice.
 */
export function singleWrites(n: number, budget: WriteBudget): number {
  const share = singleShare(budget);
  // A page that fits one batch goes as one request: the split only pays where the batch budget binds (big pushes);
  // a nightly run's few changes would otherwise cost a request each.
  if (share === 0 || n <= BATCH_MAX_ITEMS) return 0;
  return Math.round(n * share);
}

/** A batch request's requestid: from the keys of the writes it carries. */
export function batchRequestId(keys: string[]): string {
  return createHash('sha256').update(keys.join('\n')).digest('base64url').slice(0, 36);
}

/** A single write's requestid: from its own key (≤ 50 characters, as QuickBooks allows). */
export function singleRequestId(key: string): string {
  return createHash('sha256').update(`single\n${key}`).digest('base64url').slice(0, 40);
}

/** Sends the writes (batches first, then singles, all at once under the limiter); answers in input order. */
export async function sendWrites(
  api: QboApi,
  writes: Array<{ item: QboBatchItem; key: string }>,
): Promise<QboBatchResult[]> {
  const results: QboBatchResult[] = new Array(writes.length);
  const split = writes.length - singleWrites(writes.length, api.budget);
  const indexed = writes.map((w, index) => ({ ...w, index }));
  const batches = chunk(indexed.slice(0, split), BATCH_MAX_ITEMS).map(async (part) => {
    const answers = await api.batch(
      part.map((p) => p.item),
      batchRequestId(part.map((p) => p.key)),
    );
    part.forEach((p, i) => (results[p.index] = answers[i]));
  });
  const singles = indexed.slice(split).map(async (w) => {
    results[w.index] = await api.single(w.item, singleRequestId(w.key));
  });
  // Every request settles before the page fails: a retry must not overlap this attempt's requests.
  const failure = (await Promise.allSettled([...batches, ...singles])).find((s) => s.status === 'rejected');
  if (failure) throw failure.reason;
  return results;
}
