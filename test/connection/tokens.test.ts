import { TokenCipher } from '../../activities/connection/crypto';
import { connectNonInteractive, type ConnectDeps } from '../../activities/connection/connect';
import { ReconnectRequiredError } from '../../activities/connection/errors';
import { addTenant } from '../../activities/connection/tenants';
import { EXPIRY_WARNING_MS, TokenStore } from '../../activities/connection/tokenStore';
import { QboReconnectRequiredError, NON_RETRYABLE_QBO_ERROR_TYPES } from '../../activities/quickbooks/errors';
import { createDb, type Db } from '../../schema/db';
import {
  companyInfoStatus,
  createHarness,
  lastSeq,
  logBuffer,
  ShiftedClock,
  tokenGrants,
  type Harness,
  type RecordingOAuth,
} from './harness';

let h: Harness;
const pools: Db[] = [];
const logs = logBuffer();
const errorMessages: string[] = [];
const oauths: RecordingOAuth[] = [];

beforeAll(async () => {
  h = await createHarness('connection_tokens');
  oauths.push(h.oauth);
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
  // No token handed out during this file appears in the log output or any error message.
  const secrets = oauths.flatMap((o) => o.secrets());
  expect(secrets.length).toBeGreaterThan(10);
  const haystack = `${logs.text()}\n${errorMessages.join('\n')}`;
  expect(logs.text()).toContain('refreshed the QuickBooks access token');
  for (const secret of [...secrets, h.app.clientSecret, h.key]) expect(haystack).not.toContain(secret);
  await h?.close();
});

/** A "process": its own connection pool, OAuth client and token store, as a separate worker would have. */
function process(clock = new ShiftedClock(), cipher: TokenCipher = h.cipher) {
  const db = createDb(h.database.url, { max: 3 });
  pools.push(db);
  const oauth = h.newOAuth();
  oauths.push(oauth);
  return { db, oauth, clock, store: new TokenStore(db, cipher, oauth, clock, logs.logger) };
}

let n = 0;
async function connectedTenant(): Promise<{ tenantId: string; realmId: string }> {
  const tenantId = `co-${++n}`;
  const { realmId } = await h.admin.createCompany();
  await addTenant(h.database.db, { id: tenantId });
  const deps: ConnectDeps = {
    db: h.database.db,
    oauth: h.oauth,
    cipher: h.cipher,
    clock: new ShiftedClock(),
    logger: logs.logger,
  };
  await connectNonInteractive(deps, tenantId, { realmId });
  return { tenantId, realmId };
}

async function stored(tenantId: string, cipher = h.cipher) {
  const row = await h.database.db
    .selectFrom('qbo_connections')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return {
    row,
    access: row.access_token_enc ? cipher.decrypt(row.access_token_enc, row.realm_id, 'access_token') : null,
    refresh: row.refresh_token_enc ? cipher.decrypt(row.refresh_token_enc, row.realm_id, 'refresh_token') : null,
  };
}

async function capture<T>(promise: Promise<T>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    errorMessages.push((error as Error).message);
    return error as Error;
  }
  throw new Error('expected a failure');
}

const NEAR_EXPIRY = 56 * 60_000;

test('a fresh access token is served from the database without calling Intuit', async () => {
  const { tenantId, realmId } = await connectedTenant();
  const since = await lastSeq(h.admin);
  const a = process();
  const token = await a.store.forTenant(tenantId).accessToken();
  expect(token).toBe((await stored(tenantId)).access);
  expect(await tokenGrants(h.admin, since)).toHaveLength(0);
  expect(await companyInfoStatus(h.emulator.url, realmId, token)).toBe(200);
});

test('two processes refreshing at once spend the refresh token once; the stored token is the newest', async () => {
  const { tenantId, realmId } = await connectedTenant();
  const before = await stored(tenantId);
  const clock = new ShiftedClock();
  clock.offsetMs = NEAR_EXPIRY; // within 5 minutes of expiry for both "processes"
  const a = process(clock);
  const b = process(clock);
  const since = await lastSeq(h.admin);
  const tokens = await Promise.all([a, b, a, b, a, b].map((p) => p.store.forTenant(tenantId).accessToken()));
  expect(new Set(tokens).size).toBe(1);
  expect(tokens[0]).not.toBe(before.access);
  expect(await tokenGrants(h.admin, since)).toHaveLength(1);
  const issued = [...a.oauth.issued, ...b.oauth.issued];
  expect(issued).toHaveLength(1);
  const after = await stored(tenantId);
  expect(after.access).toBe(issued[0].access_token);
  expect(after.refresh).toBe(issued[0].refresh_token);
  expect(after.refresh).not.toBe(before.refresh);
  expect(after.row.last_refreshed_at).not.toBeNull();
  expect(await companyInfoStatus(h.emulator.url, realmId, tokens[0])).toBe(200);
});

test('after a 401 the store refreshes once; a caller holding an already-replaced token gets the new one without a refresh', async () => {
  const { tenantId } = await connectedTenant();
  const a = process();
  const b = process();
  const rejected = await a.store.forTenant(tenantId).accessToken();
  const since = await lastSeq(h.admin);
  const [fromA, fromB] = await Promise.all([
    a.store.forTenant(tenantId).refreshAfterUnauthorized(rejected),
    b.store.forTenant(tenantId).refreshAfterUnauthorized(rejected),
  ]);
  expect(fromA).toBe(fromB);
  expect(fromA).not.toBe(rejected);
  expect(await tokenGrants(h.admin, since)).toHaveLength(1);
  // A third caller that still had the old token: someone already refreshed, so no second refresh.
  const c = process();
  expect(await c.store.forTenant(tenantId).refreshAfterUnauthorized(rejected)).toBe(fromA);
  expect(await tokenGrants(h.admin, since)).toHaveLength(1);
});

test('a restart between refreshes loses nothing: the rotated refresh token was committed before use', async () => {
  const { tenantId, realmId } = await connectedTenant();
  const clock = new ShiftedClock();
  clock.offsetMs = NEAR_EXPIRY;
  const first = process(clock);
  const token1 = await first.store.forTenant(tenantId).accessToken();
  // The process dies: its pool goes away.
  await first.db.destroy();
  pools.splice(pools.indexOf(first.db), 1);
  // A day and more passes at Intuit: every superseded refresh token is now dead; only the newest works.
  await h.admin.advanceClock(25 * 3600_000);
  const restarted = process(new ShiftedClock());
  restarted.clock.offsetMs = NEAR_EXPIRY + 25 * 3600_000;
  const since = await lastSeq(h.admin);
  const token2 = await restarted.store.forTenant(tenantId).accessToken();
  expect(token2).not.toBe(token1);
  expect(await tokenGrants(h.admin, since)).toHaveLength(1);
  expect((await stored(tenantId)).refresh).toBe(restarted.oauth.issued[0].refresh_token);
  expect(await companyInfoStatus(h.emulator.url, realmId, token2)).toBe(200);
});

test('invalid_grant marks the connection needs-reconnect and fails fast, non-retryable, telling the user to reconnect', async () => {
  const { tenantId } = await connectedTenant();
  // Intuit revoked the grant (the user disconnected the app in QuickBooks).
  const current = await stored(tenantId);
  await h.newOAuth().revoke(current.refresh!);
  const a = process();
  const error = await capture(a.store.forTenant(tenantId).refreshAfterUnauthorized(current.access!));
  expect(error).toBeInstanceOf(ReconnectRequiredError);
  expect(error).toBeInstanceOf(QboReconnectRequiredError);
  expect(error.name).toBe('QboReconnectRequiredError');
  expect(NON_RETRYABLE_QBO_ERROR_TYPES).toContain(error.name);
  expect((error as QboReconnectRequiredError).retryable).toBe(false);
  expect(error.message).toContain(`tenant ${tenantId}`);
  expect(error.message).toContain(`qbsync connect ${tenantId}`);
  expect((await stored(tenantId)).row).toMatchObject({ status: 'needs-reconnect' });
  // Fails fast from now on: no further calls to Intuit.
  const since = await lastSeq(h.admin);
  const again = await capture(a.store.forTenant(tenantId).accessToken());
  expect(again.name).toBe('QboReconnectRequiredError');
  expect((await h.admin.requests({ sinceSeq: since })).filter((e) => e.path.startsWith('/oauth2'))).toHaveLength(0);
  const health = await a.store.connectionHealth(tenantId);
  expect(health.status).toBe('needs-reconnect');
  expect(health.warnings.join(' ')).toContain(`qbsync connect ${tenantId}`);
});

test('a refresh token left behind (not persisted) dies after the 24-hour grace: invalid_grant, needs-reconnect', async () => {
  const { tenantId } = await connectedTenant();
  const original = await stored(tenantId);
  const clock = new ShiftedClock();
  clock.offsetMs = NEAR_EXPIRY;
  const a = process(clock);
  await a.store.forTenant(tenantId).accessToken();
  // Simulate the failure qbsync prevents: the rotated token lost and the old row written back.
  await h.database.db
    .updateTable('qbo_connections')
    .set({ refresh_token_enc: original.row.refresh_token_enc, access_token_expires_at: new Date(0) })
    .where('tenant_id', '=', tenantId)
    .execute();
  await h.admin.advanceClock(25 * 3600_000);
  const error = await capture(a.store.forTenant(tenantId).accessToken());
  expect(error.name).toBe('QboReconnectRequiredError');
  expect((await stored(tenantId)).row.status).toBe('needs-reconnect');
});

test('key rotation: a connection written under the old key is read and rewritten under the new one on refresh', async () => {
  const { tenantId, realmId } = await connectedTenant();
  const oldKeyCipher = h.cipher;
  const rotated = new TokenCipher(Buffer.alloc(32, 9).toString('base64'), [h.key]);
  const clock = new ShiftedClock();
  const a = process(clock, rotated);
  expect(await a.store.forTenant(tenantId).accessToken()).toBe((await stored(tenantId, oldKeyCipher)).access);
  clock.offsetMs = NEAR_EXPIRY;
  const token = await a.store.forTenant(tenantId).accessToken();
  const after = await stored(tenantId, rotated);
  expect(after.row.key_version).toBe(rotated.keyVersion);
  expect(after.access).toBe(token);
  expect(() => oldKeyCipher.decrypt(after.row.refresh_token_enc!, realmId, 'refresh_token')).toThrow();
});

test('connection health warns 30 days before the refresh token or the 5-year authorisation ends', async () => {
  const { tenantId, realmId } = await connectedTenant();
  const a = process();
  expect((await a.store.connectionHealth(tenantId)).warnings).toEqual([]);
  const soon = new Date(Date.now() + EXPIRY_WARNING_MS - 24 * 3600_000);
  await h.database.db
    .updateTable('qbo_connections')
    .set({ refresh_token_hard_expires_at: soon, refresh_token_expires_at: soon })
    .where('tenant_id', '=', tenantId)
    .execute();
  const health = await a.store.connectionHealth(tenantId);
  expect(health).toMatchObject({ status: 'connected', realmId });
  expect(health.warnings).toHaveLength(2);
  expect(health.warnings[0]).toMatch(/refresh token expires in 28 days/);
  expect(health.warnings[1]).toMatch(/5-year limit .* ends in 28 days/);
  expect(JSON.stringify(health)).not.toContain('token_enc');
  expect((await a.store.connectionHealth('nobody')).status).toBe('not-connected');
});
