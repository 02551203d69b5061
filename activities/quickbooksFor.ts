import type { Db } from '../schema/db';
import { TokenStore } from './connection/tokenStore';
import { QboClient, RateLimiterRegistry } from './quickbooks';
import { qboApiFromClient, type QboApi } from './backends/quickbooks-online/api';

/**
 * A tenant's QuickBooks, as activities get it: the connection's realm and base URL from PostgreSQL, tokens from the
 * token store, and the worker-wide rate limiter of that realm. Nothing secret leaves this function.
 */
export function quickbooksFactory(db: Db, tokens: TokenStore, limiters: RateLimiterRegistry, timeoutMs?: number) {
  const clients = new Map<string, QboClient>();
  return {
    async client(tenantId: string): Promise<QboClient> {
      const connection = await tokens.connection(tenantId);
      const key = `${tenantId}:${connection.realm_id}:${connection.api_base_url}`;
      let client = clients.get(key);
      if (!client) {
        client = new QboClient({
          baseUrl: connection.api_base_url,
          realmId: connection.realm_id,
          tenantId,
          tokens: tokens.forTenant(tenantId),
          limiter: limiters.forRealm(connection.realm_id),
          timeoutMs,
        });
        clients.set(key, client);
      }
      return client;
    },
    async api(tenantId: string): Promise<QboApi> {
      return qboApiFromClient(await this.client(tenantId));
    },
  };
}

export type QuickbooksFactory = ReturnType<typeof quickbooksFactory>;
