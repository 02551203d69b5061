import { sql } from 'kysely';
import type { TokenCipher } from '../connection/crypto';
import type { Db } from '../../schema/db';
import { EVENT_TYPES, type EventType } from '../../schema/tables/events';
import { generateSecret } from './signing';

export class EndpointError extends Error {
  override name = 'EndpointError';
}

export interface Endpoint {
  id: number;
  tenantId: string;
  url: string;
  types: EventType[] | null;
  description: string | null;
  enabled: boolean;
  createdAt: string;
}

/** AAD of an endpoint's stored secret: a secret copied to another tenant's row does not decrypt. */
function secretContext(tenantId: string): [string, string] {
  return [`event-endpoint:${tenantId}`, 'secret'];
}

/** Subscribes `url` to the tenant's events; returns the signing secret, which is shown this once and stored encrypted. */
export async function addEndpoint(
  db: Db,
  cipher: TokenCipher,
  input: { tenantId: string; url: string; types?: EventType[] | null; description?: string | null },
): Promise<{ endpoint: Endpoint; secret: string }> {
  let parsed: URL;
  try {
    parsed = new URL(input.url);
  } catch {
    throw new EndpointError(`endpoint url ${JSON.stringify(input.url)} is not a URL: give an http(s) URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new EndpointError(`endpoint url must be http(s), not ${parsed.protocol}`);
  for (const t of input.types ?? [])
    if (!EVENT_TYPES.includes(t)) throw new EndpointError(`unknown event type ${t}: one of ${EVENT_TYPES.join(', ')}`);
  const secret = generateSecret();
  const row = await db
    .insertInto('event_endpoints')
    .values({
      tenant_id: input.tenantId,
      url: input.url,
      secret_enc: cipher.encrypt(secret, ...secretContext(input.tenantId)),
      types: input.types && input.types.length > 0 ? input.types : null,
      description: input.description ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { endpoint: toEndpoint(row), secret };
}

export async function listEndpoints(db: Db, tenantId: string): Promise<Endpoint[]> {
  const rows = await db
    .selectFrom('event_endpoints')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
  return rows.map(toEndpoint);
}

export async function removeEndpoint(db: Db, tenantId: string, id: number): Promise<boolean> {
  const r = await db
    .deleteFrom('event_endpoints')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export function endpointSecret(cipher: TokenCipher, tenantId: string, secretEnc: string): string {
  return cipher.decrypt(secretEnc, ...secretContext(tenantId));
}

function toEndpoint(row: {
  id: number;
  tenant_id: string;
  url: string;
  types: string[] | null;
  description: string | null;
  enabled: boolean;
  created_at: Date;
}): Endpoint {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    types: row.types as EventType[] | null,
    description: row.description,
    enabled: row.enabled,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * Sends again every event of the tenant(s) created at or after `since`: their deliveries go back to pending (with a
 * fresh retry budget), and endpoints that did not exist then get one. Receivers drop repeats by webhook-id.
 */
export async function replayEvents(
  db: Db,
  options: { since: Date; tenantId?: string },
): Promise<{ deliveries: number }> {
  const inTransaction = <T>(work: (trx: Db) => Promise<T>) =>
    db.isTransaction ? work(db) : db.transaction().execute(work);
  return inTransaction(async (trx) => {
    const tenant = options.tenantId ?? null;
    await sql`
      insert into event_deliveries (endpoint_id, event_id, subject)
      select p.id, e.id, e.subject from events e join event_endpoints p on p.tenant_id = e.tenant_id
      where e.created_at >= ${options.since} and (${tenant}::text is null or e.tenant_id = ${tenant})
        and p.enabled and (p.types is null or e.type = any (p.types))
      on conflict do nothing`.execute(trx);
    const r = await sql`
      update event_deliveries d set status = 'pending', attempts = 0, next_attempt_at = clock_timestamp(),
        locked_until = null
      from events e where e.id = d.event_id and e.created_at >= ${options.since}
        and (${tenant}::text is null or e.tenant_id = ${tenant})`.execute(trx);
    await sql`select pg_notify('qbsync_events', '')`.execute(trx);
    return { deliveries: Number(r.numAffectedRows ?? 0) };
  });
}
