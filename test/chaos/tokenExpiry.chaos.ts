import { createStack, type Stack } from '../helpers/stack';
import { compareTenant, summary } from './compare';
import { recordScenario } from './record';
import { until } from '../helpers/until';
import { closed, logSeq, seedBothSides, TWO_WAY_COMPANY, startRun } from './scenario';

/**
 * The tenant's access token expires (QuickBooks answers 401) several times during a run; each refresh rotates the
 * refresh token, which qbsync must store before using the new access token, or the next refresh would fail.
 */
const EXPIRIES = 4;
let stack: Stack;

beforeAll(async () => {
  stack = await createStack('chaos_tokens');
});
afterAll(async () => stack?.close());

test(`the access token expiring ${EXPIRIES} times during a run, the refresh token rotating each time: the run completes, both sides identical`, async () => {
  const startedAt = Date.now();
  const { tenantId, realmId } = await stack.addTenant();
  await seedBothSides(stack, tenantId, realmId, TWO_WAY_COMPANY);
  const storedRefresh = async () =>
    (
      await stack.database.db
        .selectFrom('qbo_connections')
        .select('refresh_token_enc')
        .where('tenant_id', '=', tenantId)
        .executeTakeFirstOrThrow()
    ).refresh_token_enc;
  const before = await storedRefresh();
  const since = await logSeq(stack);
  const handle = await startRun(stack, tenantId, 'tokens');
  let expiries = 0;
  for (let i = 0; i < EXPIRIES; i++) {
    const from = await logSeq(stack);
    await until(
      'the run to make progress',
      async () => ({ n: (await logSeq(stack, from)) - from, done: await closed(handle) }),
      (v) => v.n >= 8 || v.done,
    );
    if (await closed(handle)) break;
    await stack.admin.expireTokens(realmId);
    expiries++;
  }
  const result = await handle.result();
  expect(result.status).toBe('succeeded');
  expect(expiries).toBe(EXPIRIES);

  const log = await stack.admin.requests({ sinceSeq: since });
  const refreshes = log.filter((e) => e.operation === 'token' && e.status === 200).length;
  const unauthorized = log.filter((e) => e.realmId === realmId && e.status === 401).length;
  const after = await storedRefresh();
  // The rotated refresh token was stored (each refresh answers a new one; the stored ciphertext changed).
  expect(after).not.toEqual(before);
  expect(refreshes).toBeGreaterThanOrEqual(EXPIRIES);

  const comparison = await compareTenant(stack.database.db, stack.admin, tenantId, realmId);
  recordScenario({
    scenario: 'token expiry and refresh rotation',
    what: `the access token expired ${EXPIRIES} times during a two-way run; every refresh rotates the refresh token`,
    disruptions: { expiries, '401 answers': unauthorized, 'token refreshes': refreshes },
    comparison,
    startedAt,
  });
  console.log(`token expiry: ${refreshes} refreshes, ${unauthorized} 401s; ${summary(comparison)}`);
  expect({ duplicates: comparison.duplicates, losses: comparison.losses, mismatches: comparison.mismatches }).toEqual({
    duplicates: [],
    losses: [],
    mismatches: [],
  });
});
