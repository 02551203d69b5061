import { RunMemo } from '../../activities/sync/runMemo';

test('a value is read once per run, afresh for a new run, again after a failed read, and old runs are dropped', async () => {
  const memo = new RunMemo<number>(2);
  let reads = 0;
  const read = async () => ++reads;
  expect(await memo.get('run-1', read)).toBe(1);
  expect(await memo.get('run-1', read)).toBe(1);
  expect(await memo.get('run-2', read)).toBe(2);
  expect(reads).toBe(2);

  await expect(memo.get('run-3', () => Promise.reject(new Error('QuickBooks unreachable')))).rejects.toThrow(
    'unreachable',
  );
  expect(await memo.get('run-3', read)).toBe(3);

  // Bound 2: run-1 (the oldest) is gone and is read again.
  expect(await memo.get('run-1', read)).toBe(4);
});
