import type { FaultKind } from '../../emulator/injection';
import { createStack, type Stack } from '../helpers/stack';
import { compareTenant, summary } from './compare';
import { recordScenario } from './record';
import { seedBothSides, startRun } from './scenario';

/**
 * QuickBooks failing about 10% of the tenant's requests for a whole run: 500 and 503 answers, answers held past the
 * client's timeout, connections dropped before the request is executed and dropped after it was (the write happened,
 * the answer is lost) — and a 429 once. QuickBooks answers 429 only to a company over its limits, which qbsync's shared
 * limiter keeps it under; each 429 costs the 60 s QuickBooks asks every worker to wait, so 429s at random on 10 % of
 * a push's requests (a page is ~45) would be a run of hours spent waiting, not a fault to survive.
 */
const TIMEOUT_MS = 1500;
const FAULTS: Array<{ name: string; fault: FaultKind }> = [
  { name: '500', fault: { kind: 'status', status: 500 } },
  { name: '503', fault: { kind: 'status', status: 503 } },
  { name: 'timeout', fault: { kind: 'delay', ms: TIMEOUT_MS * 2 } },
  { name: 'dropped before executing', fault: { kind: 'drop' } },
  { name: 'dropped after executing', fault: { kind: 'drop', afterExecute: true } },
];
const THROTTLED: FaultKind = { kind: 'status', status: 429 };
// Five rules tried in turn, each taking this share of what reaches it: 1 - (1 - p)^5 ≈ 10% of requests.
const P = 1 - Math.pow(0.9, 1 / FAULTS.length);

let stack: Stack;

beforeAll(async () => {
  stack = await createStack('chaos_faults', { qboTimeoutMs: TIMEOUT_MS });
});
afterAll(async () => stack?.close());

test('QuickBooks failing 10% of requests (500, 503, timeouts, dropped connections) and a 429: the run completes, both sides identical', async () => {
  const startedAt = Date.now();
  const { tenantId, realmId } = await stack.addTenant();
  await seedBothSides(stack, tenantId, realmId, {
    quickbooks: { customers: 100, items: 40, invoices: 400, payments: 250, maxLinesPerInvoice: 5 },
    app: { customers: 150, items: 40, invoices: 1200, payments: 600, maxLinesPerInvoice: 5 },
  });
  // Each kind at least once on a batch write (the requests whose loss could duplicate), then ~10% of everything at random.
  for (const fault of [...FAULTS.map((f) => f.fault), THROTTLED])
    await stack.admin.injectFaults({ realmId, match: { operation: 'batch' }, count: 1, fault });
  for (const { fault } of FAULTS) await stack.admin.injectFaults({ realmId, count: 1_000_000, probability: P, fault });
  const handle = await startRun(stack, tenantId, 'faults');
  const result = await handle.result();
  await stack.admin.clearFaults();
  expect(result.status).toBe('succeeded');

  const log = await stack.admin.requests({ realmId });
  const injected = log.filter((e) => e.injected);
  const byKind: Record<string, number> = {};
  for (const e of injected) {
    const kind =
      e.injected === 'status'
        ? String(e.status)
        : e.injected === 'delay'
          ? 'timeout'
          : e.injected === 'drop'
            ? 'dropped connection'
            : String(e.injected);
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  const comparison = await compareTenant(stack.database.db, stack.admin, tenantId, realmId);
  recordScenario({
    scenario: 'QuickBooks faults',
    what: `about 10% of the tenant's QuickBooks requests fail: ${FAULTS.map((f) => f.name).join(', ')} (client timeout ${TIMEOUT_MS} ms); one 429`,
    disruptions: {
      requests: log.length,
      'faults injected': injected.length,
      ...Object.fromEntries(Object.entries(byKind).map(([k, v]) => [`faults ${k}`, v])),
      'writes answered from requestid memory': log.filter((e) => e.replayed).length,
    },
    comparison,
    startedAt,
  });
  console.log(`QuickBooks faults: ${injected.length} of ${log.length} requests; ${summary(comparison)}`);
  expect(injected.length / log.length).toBeGreaterThan(0.07);
  for (const kind of ['500', '503', '429', 'timeout', 'dropped connection'])
    expect({ kind, seen: (byKind[kind] ?? 0) > 0 }).toEqual({ kind, seen: true });
  expect({ duplicates: comparison.duplicates, losses: comparison.losses, mismatches: comparison.mismatches }).toEqual({
    duplicates: [],
    losses: [],
    mismatches: [],
  });
  expect(comparison.recordsCompared).toBeGreaterThan(5000);
});
