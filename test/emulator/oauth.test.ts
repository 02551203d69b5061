import { contract, type Target } from './target';

const HOUR = 3600 * 1000;

function basic(target: Target): string {
  return `Basic ${Buffer.from(`${target.clientId}:${target.clientSecret}`).toString('base64')}`;
}

async function tokenRequest(target: Target, form: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${target.oauthBaseUrl}${target.tokenPath}`, {
    method: 'POST',
    headers: {
      authorization: basic(target),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...headers,
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function authorize(target: Target, redirectUri: string, state: string, realmId?: string): Promise<URL> {
  const url = new URL('/connect/oauth2', target.oauthBaseUrl);
  url.search = new URLSearchParams({
    client_id: target.clientId!,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'com.intuit.quickbooks.accounting',
    state,
    ...(realmId ? { realmId } : {}),
  }).toString();
  const response = await fetch(url, { redirect: 'manual' });
  expect(response.status).toBe(302);
  return new URL(response.headers.get('location')!);
}

contract('Intuit OAuth 2.0', ({ target, emulatorOnly }) => {
  emulatorOnly('authorize redirects with code, realmId and state; the code is exchanged once for tokens', async () => {
    const t = target();
    const realm = await t.realm();
    const callback = await authorize(t, 'http://127.0.0.1:1/callback', 'st-1', realm.realmId);
    expect(callback.origin + callback.pathname).toBe('http://127.0.0.1:1/callback');
    expect(callback.searchParams.get('state')).toBe('st-1');
    expect(callback.searchParams.get('realmId')).toBe(realm.realmId);
    const code = callback.searchParams.get('code')!;
    const first = await tokenRequest(
      t,
      { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:1/callback' },
      { 'x-include-refresh-token-hard-expires-in': 'true' },
    );
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ token_type: 'bearer', expires_in: 3600, x_refresh_token_expires_in: 8726400 });
    expect(typeof first.json.access_token).toBe('string');
    expect(String(first.json.access_token).split('.')).toHaveLength(1); // opaque, not a JWT
    expect(first.json.x_refresh_token_hard_expires_in).toEqual(expect.any(Number));
    const api = await fetch(realm.url(`companyinfo/${realm.realmId}`), {
      headers: { authorization: `Bearer ${String(first.json.access_token)}`, accept: 'application/json' },
    });
    expect(api.status).toBe(200);
    const again = await tokenRequest(t, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:1/callback',
    });
    expect(again).toEqual({ status: 400, json: { error: 'invalid_grant' } });
  });

  emulatorOnly('bad client credentials are 401 invalid_client', async () => {
    const t = target();
    const response = await fetch(`${t.oauthBaseUrl}${t.tokenPath}`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${t.clientId}:wrong`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=refresh_token&refresh_token=x',
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: 'invalid_client' });
  });

  emulatorOnly(
    'each refresh rotates the refresh token; the previous one works for 24 h, then invalid_grant',
    async () => {
      const t = target();
      const realm = await t.realm();
      const first = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: realm.refreshToken! });
      expect(first.status).toBe(200);
      expect(first.json.refresh_token).not.toBe(realm.refreshToken);
      await t.admin!.advanceClock(23 * HOUR);
      const withinGrace = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: realm.refreshToken! });
      expect(withinGrace.status).toBe(200);
      await t.admin!.advanceClock(2 * HOUR);
      try {
        const afterGrace = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: realm.refreshToken! });
        expect(afterGrace).toEqual({ status: 400, json: { error: 'invalid_grant' } });
        const newest = await tokenRequest(t, {
          grant_type: 'refresh_token',
          refresh_token: String(withinGrace.json.refresh_token),
        });
        expect(newest.status).toBe(200);
      } finally {
        await t.admin!.advanceClock(-25 * HOUR);
      }
    },
  );

  emulatorOnly(
    'an access token expires after 3600 s of emulator clock: 401 with the lowercase fault 3200',
    async () => {
      const t = target();
      const realm = await t.realm();
      expect((await realm.call('GET', `companyinfo/${realm.realmId}`)).status).toBe(200);
      await t.admin!.advanceClock(3601 * 1000);
      try {
        const r = await realm.call('GET', `companyinfo/${realm.realmId}`);
        expect(r.status).toBe(401);
        expect(r.json.fault.type).toBe('AUTHENTICATION');
        expect(r.json.fault.error[0]).toMatchObject({
          code: '3200',
          message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401',
        });
        expect(typeof r.json.time).toBe('number');
      } finally {
        await t.admin!.advanceClock(-3601 * 1000);
      }
    },
  );

  emulatorOnly('expireTokens makes a realm’s access tokens fail with 401; a refresh brings access back', async () => {
    const t = target();
    const realm = await t.realm();
    await t.admin!.expireTokens(realm.realmId);
    expect((await realm.call('GET', `companyinfo/${realm.realmId}`)).status).toBe(401);
    const refreshed = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: realm.refreshToken! });
    const api = await fetch(realm.url(`companyinfo/${realm.realmId}`), {
      headers: { authorization: `Bearer ${String(refreshed.json.access_token)}`, accept: 'application/json' },
    });
    expect(api.status).toBe(200);
  });

  emulatorOnly('revoke ends the grant: its refresh and access tokens stop working', async () => {
    const t = target();
    const realm = await t.realm();
    const response = await fetch(`${t.oauthBaseUrl}${t.revokePath}`, {
      method: 'POST',
      headers: { authorization: basic(t), 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token: realm.refreshToken }),
    });
    expect(response.status).toBe(200);
    expect((await realm.call('GET', `companyinfo/${realm.realmId}`)).status).toBe(401);
    expect((await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: realm.refreshToken! })).json).toEqual({
      error: 'invalid_grant',
    });
  });

  emulatorOnly('token requests are logged (operation "token") and can be faulted', async () => {
    const t = target();
    const realm = await t.realm();
    const since = Math.max(0, ...(await t.admin!.requests()).map((e) => e.seq));
    await t.admin!.injectFaults({ match: { operation: 'token' }, count: 1, fault: { kind: 'status', status: 503 } });
    const faulted = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: realm.refreshToken! }).catch(
      () => ({ status: 503, json: {} }),
    );
    expect(faulted.status).toBe(503);
    expect((await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: realm.refreshToken! })).status).toBe(
      200,
    );
    const log = await t.admin!.requests({ sinceSeq: since });
    expect(log.map((e) => [e.operation, e.entity, e.status])).toEqual([
      ['token', undefined, 503],
      ['token', undefined, 200],
    ]);
  });

  it('an unknown access token is a 401 with code 3200', async () => {
    const realm = await target().realm();
    const r = await fetch(realm.url(`companyinfo/${realm.realmId}`), {
      headers: { authorization: 'Bearer not-a-token', accept: 'application/json' },
    });
    expect(r.status).toBe(401);
    const body = (await r.json()) as { fault: { error: Array<{ code: string }> } };
    expect(body.fault.error[0].code).toBe('3200');
  });
});
