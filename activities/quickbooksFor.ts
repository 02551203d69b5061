import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../schema/db';
import { TokenStore } from './connection/tokenStore';
import { QboClient, type RequestLimiterRegistry } from './quickbooks';
import { qboApiFromClient, type QboApi } from './backends/quickbooks-online/api';

/**
 * A tenant's QuickBooks, as activities get it: the connection's realm from PostgreSQL, the API base URL from this
 * worker's configuration (QBO_ENV, QBO_API_BASE_URL) — never from a database column, which would let one row send the
 * tokens elsewhere — tokens from the token store, and the worker-wide rate limiter of that realm.
 */
export function quickbooksFactory(db: Db, tokens: TokenStore, limiters: RequestLimiterRegistry, timeoutMs?: number) {
  const clients = new Map<string, QboClient>();
  return {
    async client(tenantId: string): Promise<QboClient> {
      const connection = await tokens.connection(tenantId);
      if (connection.environment !== tokens.environment)
        throw ApplicationFailure.create({
          type: 'QboEnvironmentMismatch',
          nonRetryable: true,
          message: `tenant ${tenantId} is connected to QuickBooks ${connection.environment} but this worker is configured for QBO_ENV=${tokens.environment}: run it with QBO_ENV=${connection.environment}, or reconnect the tenant with \`qbsync connect ${tenantId}\``,
        });
      const baseUrl = tokens.apiBaseUrl;
      const key = `${tenantId}:${connection.realm_id}:${baseUrl}`;
      let client = clients.get(key);
      if (!client) {
        client = new QboClient({
          baseUrl,
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
