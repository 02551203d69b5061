import { QBO_LIMITS } from '../../activities/quickbooks';
import {
  batchRequestId,
  PUSH_PAGE_SIZE,
  singleRequestId,
  singleShare,
  singleWrites,
} from '../../activities/backends/quickbooks-online/sendPlan';

/** How a push page is split between batches and single writes, and the requestids that make its retry safe. */
test("QuickBooks' limits: a page of 160 is 4 batches and ~41 single writes, filling 40 batches and ~420 singles a minute", () => {
  expect(singleShare(QBO_LIMITS)).toBeCloseTo(420 / 1620, 5);
  const singles = singleWrites(PUSH_PAGE_SIZE, QBO_LIMITS);
  expect(singles).toBe(41);
  expect(Math.ceil((PUSH_PAGE_SIZE - singles) / 30)).toBe(4);
  // Ten such pages a minute: 40 batches, and batches + singles + ~4 reads a page stay within 500 requests.
  expect(10 * (4 + singles + 4)).toBeLessThanOrEqual(QBO_LIMITS.requestsPerWindow);
  // A page that fits one batch is one batch; the split depends on the count alone, so a retry repeats it.
  expect(singleWrites(7, QBO_LIMITS)).toBe(0);
  expect(singleWrites(30, QBO_LIMITS)).toBe(0);
  expect(singleWrites(75, QBO_LIMITS)).toBe(singleWrites(75, QBO_LIMITS));
});

test('limits off: every write goes in batches (one batch costs less than 30 requests)', () => {
  const off = { requestsPerWindow: 1_000_000_000, batchesPerWindow: 1_000_000_000 };
  expect(singleShare(off)).toBe(0);
  expect(singleWrites(PUSH_PAGE_SIZE, off)).toBe(0);
  expect(singleWrites(3, off)).toBe(0);
});

test('requestids: the same keys give the same ids, within QuickBooks’ 36 (batch) and 50 (single) characters', () => {
  const keys = ['plan|t1|customer|1|create', 'plan|t1|customer|2|create'];
  expect(batchRequestId(keys)).toBe(batchRequestId([...keys]));
  expect(batchRequestId(keys).length).toBeLessThanOrEqual(36);
  expect(singleRequestId(keys[0])).toBe(singleRequestId(keys[0]));
  expect(singleRequestId(keys[0])).not.toBe(singleRequestId(keys[1]));
  expect(singleRequestId(keys[0]).length).toBeLessThanOrEqual(50);
});
