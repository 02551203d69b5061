import type { FaultRule } from './injection';
import type { RequestLogEntry } from './options';
import type { BulkSeed } from './seed';

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  x_refresh_token_expires_in: number;
}

/** The emulator's admin API (not QuickBooks'): companies, apps, seeding, faults, clock and the request log. */
export class EmulatorAdmin {
  constructor(readonly baseUrl: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}/_emulator${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`emulator admin ${method} ${path}: HTTP ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  createCompany(
    input: { name?: string; realmId?: string; customTxnNumbers?: boolean; seed?: 'demo' | 'empty' } = {},
  ): Promise<{ realmId: string }> {
    return this.call('POST', '/companies', input);
  }
  registerApp(input: {
    clientId?: string;
    clientSecret?: string;
    redirectUris: string[];
  }): Promise<{ clientId: string; clientSecret: string }> {
    return this.call('POST', '/apps', input);
  }
  issueTokens(input: { realmId: string; clientId: string }): Promise<TokenResponse> {
    return this.call('POST', '/tokens', input);
  }
  reset(): Promise<void> {
    return this.call('POST', '/reset');
  }
  seed(
    realmId: string,
    seed: { kind: 'demo' } | ({ kind: 'bulk' } & BulkSeed),
  ): Promise<{ counts: Record<string, number> }> {
    return this.call('POST', `/companies/${realmId}/seed`, seed);
  }
  setPreferences(realmId: string, preferences: { customTxnNumbers?: boolean; defaultTermsId?: string }): Promise<void> {
    return this.call('POST', `/companies/${realmId}/preferences`, preferences);
  }
  injectFaults(rule: FaultRule): Promise<void> {
    return this.call('POST', '/faults', rule);
  }
  clearFaults(): Promise<void> {
    return this.call('DELETE', '/faults');
  }
  expireTokens(realmId: string): Promise<void> {
    return this.call('POST', `/companies/${realmId}/expire-tokens`);
  }
  advanceClock(ms: number): Promise<{ now: string }> {
    return this.call('POST', '/clock', { advanceMs: ms });
  }
  requests(filter: { realmId?: string; sinceSeq?: number } = {}): Promise<RequestLogEntry[]> {
    const q = new URLSearchParams();
    if (filter.realmId) q.set('realmId', filter.realmId);
    if (filter.sinceSeq) q.set('sinceSeq', String(filter.sinceSeq));
    return this.call('GET', `/requests?${q}`);
  }
  clearRequests(): Promise<void> {
    return this.call('DELETE', '/requests');
  }
  entities<T = Record<string, unknown>>(realmId: string, entity: string): Promise<T[]> {
    return this.call('GET', `/companies/${realmId}/entities?entity=${encodeURIComponent(entity)}`);
  }
  setWebhook(realmId: string, hook: { url: string; verifierToken: string }): Promise<void> {
    return this.call('POST', `/companies/${realmId}/webhook`, hook);
  }
}
