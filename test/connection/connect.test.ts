import { randomBytes } from 'node:crypto';
import {
  completeConnect,
  connectNonInteractive,
  disconnect,
  runCallbackServer,
  startConnect,
  STATE_TTL_MS,
  type ConnectDeps,
} from '../../activities/connection/connect';
import { OAuthGrantError } from '../../activities/connection/oauth';
import { addTenant } from '../../activities/connection/tenants';
import { companyInfoStatus, createHarness, freePort, ShiftedClock, type Harness } from './harness';

let h: Harness;
let port: number;
let deps: ConnectDeps;
const clock = new ShiftedClock();

beforeAll(async () => {
  port = await freePort();
  h = await createHarness('connection_connect', { redirectUri: `http://127.0.0.1:${port}/callback` });
  deps = { db: h.database.db, oauth: h.oauth, cipher: h.cipher, clock };
});
afterAll(async () => h?.close());
afterEach(() => {
  clock.offsetMs = 0;
});

let n = 0;
async function newTenant(): Promise<string> {
  const id = `acme-${++n}`;
  await addTenant(h.database.db, { id, name: `Acme ${n}` });
  return id;
}

/** What the browser does: open the authorize URL and get sent back (the emulator consents at once). */
async function authorize(url: string, realmId: string): Promise<string> {
  const authorizeUrl = new URL(url);
  authorizeUrl.searchParams.set('realmId', realmId);
  const response = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return response.headers.get('location')!;
}

test('non-interactive connect: tokens stored encrypted, with expiries, and they work against QuickBooks', async () => {
  const tenantId = await newTenant();
  const { realmId } = await h.admin.createCompany({ name: 'Acme Inc' });
  const result = await connectNonInteractive(deps, tenantId, { realmId });
  expect(result).toEqual({ tenantId, realmId });
  const row = await h.database.db
    .selectFrom('qbo_connections')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  expect(row).toMatchObject({
    realm_id: realmId,
    status: 'connected',
    environment: 'emulator',
    api_base_url: h.emulator.url,
    key_version: h.cipher.keyVersion,
  });
  const issued = h.oauth.issued.at(-1)!;
  expect(row.access_token_enc).toMatch(/^v1:/);
  expect(row.access_token_enc).not.toContain(issued.access_token);
  expect(row.refresh_token_enc).not.toContain(issued.refresh_token);
  expect(h.cipher.decrypt(row.access_token_enc!, realmId, 'access_token')).toBe(issued.access_token);
  expect(h.cipher.decrypt(row.refresh_token_enc!, realmId, 'refresh_token')).toBe(issued.refresh_token);
  const now = Date.now();
  expect(row.access_token_expires_at!.getTime()).toBeGreaterThan(now + 50 * 60_000);
  expect(row.refresh_token_expires_at!.getTime()).toBeGreaterThan(now + 90 * 24 * 3600_000);
  // Asked for with x-include-refresh-token-hard-expires-in: about five years.
  expect(row.refresh_token_hard_expires_at!.getTime()).toBeGreaterThan(now + 4 * 365 * 24 * 3600_000);
  expect(await companyInfoStatus(h.emulator.url, realmId, issued.access_token)).toBe(200);
  const state = await h.database.db
    .selectFrom('oauth_states')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  expect(Buffer.from(state.state, 'base64url')).toHaveLength(32);
  expect(state.used_at).not.toBeNull();
});

test("the authorize URL is Intuit's, with the accounting scope, our client id, redirect URI and state", async () => {
  const tenantId = await newTenant();
  const { url, state } = await startConnect(deps, tenantId);
  const parsed = new URL(url);
  expect(`${parsed.origin}${parsed.pathname}`).toBe(`${h.emulator.url}/connect/oauth2`);
  expect(parsed.searchParams.get('scope')).toBe('com.intuit.quickbooks.accounting');
  expect(parsed.searchParams.get('client_id')).toBe(h.app.clientId);
  expect(parsed.searchParams.get('redirect_uri')).toBe(h.redirectUri);
  expect(parsed.searchParams.get('response_type')).toBe('code');
  expect(parsed.searchParams.get('state')).toBe(state);
});

test('connect through the local callback server, with a real HTTP GET from the "browser"', async () => {
  const tenantId = await newTenant();
  const { realmId } = await h.admin.createCompany();
  const server = await runCallbackServer(deps, { port, path: '/callback' });
  try {
    expect(server.url).toBe(h.redirectUri);
    const { url } = await startConnect(deps, tenantId);
    const location = await authorize(url, realmId);
    expect(location.startsWith(h.redirectUri)).toBe(true);
    const page = await fetch(location);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Tenant ${tenantId} is linked to QuickBooks company ${realmId}`);
    await expect(server.done).resolves.toEqual({ tenantId, realmId });
    expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).toBe(404);
  } finally {
    await server.close();
  }
  const row = await h.database.db
    .selectFrom('qbo_connections')
    .select(['status', 'realm_id'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  expect(row).toEqual({ status: 'connected', realm_id: realmId });
});

test('a wrong state is rejected by the callback server and nothing is stored; the code is not spent', async () => {
  const tenantId = await newTenant();
  const { realmId } = await h.admin.createCompany();
  const server = await runCallbackServer(deps, { port });
  try {
    const { url } = await startConnect(deps, tenantId);
    const location = new URL(await authorize(url, realmId));
    location.searchParams.set('state', randomBytes(32).toString('base64url'));
    const page = await fetch(location);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('state is unknown');
    await expect(server.done).rejects.toThrow(/state is unknown, already used or expired/);
  } finally {
    await server.close();
  }
  expect(
    await h.database.db
      .selectFrom('qbo_connections')
      .select('tenant_id')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst(),
  ).toBeUndefined();
});

test('a state issued by this connect must match (constant-time) even if another valid state is presented', async () => {
  const tenantId = await newTenant();
  const { realmId } = await h.admin.createCompany();
  const mine = await startConnect(deps, tenantId);
  const other = await startConnect(deps, tenantId);
  const location = await authorize(other.url, realmId);
  await expect(completeConnect(deps, location, mine.state)).rejects.toThrow(/does not match/);
});

test('a state is single use: replaying the callback is rejected', async () => {
  const tenantId = await newTenant();
  const { realmId } = await h.admin.createCompany();
  const { url } = await startConnect(deps, tenantId);
  const location = await authorize(url, realmId);
  await completeConnect(deps, location);
  await expect(completeConnect(deps, location)).rejects.toThrow(/state is unknown, already used or expired/);
});

test('a state older than 10 minutes is rejected', async () => {
  const tenantId = await newTenant();
  const { realmId } = await h.admin.createCompany();
  const { url } = await startConnect(deps, tenantId);
  const location = await authorize(url, realmId);
  clock.offsetMs = STATE_TTL_MS + 1000;
  await expect(completeConnect(deps, location)).rejects.toThrow(/state is unknown, already used or expired/);
});

test('a realm cannot be linked to two tenants; after disconnect (which revokes) it can move', async () => {
  const first = await newTenant();
  const second = await newTenant();
  const { realmId } = await h.admin.createCompany();
  await connectNonInteractive(deps, first, { realmId });
  const firstTokens = h.oauth.issued.at(-1)!;
  const before = h.oauth.issued.length;
  await expect(connectNonInteractive(deps, second, { realmId })).rejects.toThrow(
    `QuickBooks company ${realmId} is already linked to tenant ${first}; a company can belong to one tenant only (to move it, run \`qbsync disconnect ${first}\` first)`,
  );
  // Refused before the code was exchanged: no tokens were issued for the second tenant.
  expect(h.oauth.issued.length).toBe(before);
  expect(
    await h.database.db
      .selectFrom('qbo_connections')
      .select('tenant_id')
      .where('tenant_id', '=', second)
      .executeTakeFirst(),
  ).toBeUndefined();
  // Reconnecting the same tenant to its own realm is fine.
  await connectNonInteractive(deps, first, { realmId });
  const current = h.oauth.issued.at(-1)!;

  await expect(disconnect(deps, first)).resolves.toEqual({ revoked: true });
  const row = await h.database.db
    .selectFrom('qbo_connections')
    .selectAll()
    .where('tenant_id', '=', first)
    .executeTakeFirstOrThrow();
  expect(row).toMatchObject({ status: 'disconnected', access_token_enc: null, refresh_token_enc: null });
  // Revoked at Intuit: the refresh token no longer works.
  await expect(h.newOAuth().refresh(current.refresh_token)).rejects.toThrow(OAuthGrantError);
  expect(firstTokens.refresh_token).not.toBe(current.refresh_token);

  await connectNonInteractive(deps, second, { realmId });
  const moved = await h.database.db
    .selectFrom('qbo_connections')
    .select(['tenant_id', 'realm_id'])
    .where('realm_id', '=', realmId)
    .execute();
  expect(moved).toEqual([{ tenant_id: second, realm_id: realmId }]);
});

test('connecting an unknown tenant says how to add it', async () => {
  await expect(startConnect(deps, 'nobody')).rejects.toThrow(
    'tenant nobody does not exist: add it with `qbsync tenant add nobody`',
  );
});
