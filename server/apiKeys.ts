import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../schema/db';

/**
 * API keys: `qbs_<id>_<secret>`, the secret 256 random bits. Only SHA-256 of the secret is stored (a fast hash is
 * right for a random secret of that size); the full key is shown once, when created.
 */
export interface ApiKey {
  id: string;
  name: string;
  tenants: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export class ApiKeyError extends Error {
  override name = 'ApiKeyError';
}

const KEY = /^qbs_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const TENANT = /^(\*|[a-z0-9][a-z0-9-]{0,62})$/;

function hash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export async function createApiKey(
  db: Db,
  input: { name: string; tenants: string[] },
): Promise<{ key: string; apiKey: ApiKey }> {
  if (input.tenants.length === 0)
    throw new ApiKeyError('an API key needs at least one tenant (--tenant acme, or --tenant "*" for all)');
  for (const t of input.tenants)
    if (!TENANT.test(t)) throw new ApiKeyError(`tenant "${t}" is not a tenant id (or "*" for all tenants)`);
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const row = await db
    .insertInto('api_keys')
    .values({ id, name: input.name, key_hash: hash(secret), tenants: input.tenants })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key: `qbs_${id}_${secret}`, apiKey: toApiKey(row) };
}

export async function listApiKeys(db: Db): Promise<ApiKey[]> {
  return (await db.selectFrom('api_keys').selectAll().orderBy('created_at').execute()).map(toApiKey);
}

export async function revokeApiKey(db: Db, id: string): Promise<ApiKey> {
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new ApiKeyError(`no API key ${id}: see qbsync apikey list`);
  return toApiKey(row);
}

/** The key a presented secret belongs to, if valid and not revoked; the reason otherwise (never echoing the key). */
export async function authenticate(db: Db, presented: string | undefined): Promise<ApiKey | string> {
  if (!presented) return 'no API key: send Authorization: Bearer qbs_… (create one with qbsync apikey create)';
  const m = /^Bearer\s+(\S+)$/i.exec(presented.trim());
  const parsed = m ? KEY.exec(m[1]) : null;
  if (!parsed) return 'the Authorization header is not "Bearer qbs_<id>_<secret>"';
  const row = await db.selectFrom('api_keys').selectAll().where('id', '=', parsed[1]).executeTakeFirst();
  const expected = Buffer.from(row?.key_hash ?? hash('absent'), 'hex');
  const given = Buffer.from(hash(parsed[2]), 'hex');
  if (!row || !timingSafeEqual(expected, given)) return 'unknown API key';
  if (row.revoked_at) return 'this API key was revoked; create a new one with qbsync apikey create';
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000)
    await db
      .updateTable('api_keys')
      .set({ last_used_at: sql`now()` })
      .where('id', '=', row.id)
      .execute();
  return toApiKey(row);
}

export function allowsTenant(key: ApiKey, tenantId: string): boolean {
  return key.tenants.includes('*') || key.tenants.includes(tenantId);
}

function toApiKey(row: {
  id: string;
  name: string;
  tenants: string[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}): ApiKey {
  return {
    id: row.id,
    name: row.name,
    tenants: row.tenants,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}
