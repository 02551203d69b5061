import { sql } from 'kysely';
import type { Db } from '../../schema/db';
import { DecryptionError, type TokenCipher } from './crypto';
import { TenantError } from './tenants';

/** The associated data of a tenant secret: a value copied to another tenant does not decrypt. */
const aad = (tenantId: string) => `tenant:${tenantId}`;
const COLUMN = 'webhook_secret';

export class SecretError extends Error {
  override name = 'SecretError';
}

/** A webhook signing secret as entered: 16 to 512 printable characters (a trailing newline from stdin is dropped). */
export function checkWebhookSecret(value: string): string {
  const secret = value.replace(/\r?\n$/, '');
  if (secret.length < 16 || secret.length > 512)
    throw new SecretError(
      `the webhook secret must be 16 to 512 characters (got ${secret.length}); make one with: openssl rand -hex 32`,
    );
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(secret))
    throw new SecretError('the webhook secret must not contain control characters or line breaks');
  return secret;
}

/** Stores (or replaces) the tenant's webhook signing secret, encrypted with the current key. */
export async function storeWebhookSecret(db: Db, cipher: TokenCipher, tenantId: string, value: string): Promise<void> {
  const secret = checkWebhookSecret(value);
  const exists = await db.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst();
  if (!exists)
    throw new TenantError(`tenant ${tenantId} does not exist: add it with \`qbsync tenant add ${tenantId}\``);
  await sql`
    insert into tenant_secrets (tenant_id, name, value_enc, key_version)
    values (${tenantId}, 'webhook', ${cipher.encrypt(secret, aad(tenantId), COLUMN)}, ${cipher.keyVersion})
    on conflict (tenant_id, name)
    do update set value_enc = excluded.value_enc, key_version = excluded.key_version, updated_at = now()`.execute(db);
}

export async function clearWebhookSecret(db: Db, tenantId: string): Promise<boolean> {
  const result = await sql`delete from tenant_secrets where tenant_id = ${tenantId} and name = 'webhook'`.execute(db);
  return Number(result.numAffectedRows ?? 0) > 0;
}

export async function hasWebhookSecret(db: Db, tenantId: string): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from tenant_secrets where tenant_id = ${tenantId} and name = 'webhook'`.execute(db);
  return rows[0].n > 0;
}

/** The tenant's webhook secret, or undefined when none is stored; a wrong key is named with what to do. */
export async function loadWebhookSecret(db: Db, cipher: TokenCipher, tenantId: string): Promise<string | undefined> {
  const { rows } = await sql<{ value_enc: string }>`
    select value_enc from tenant_secrets where tenant_id = ${tenantId} and name = 'webhook'`.execute(db);
  if (!rows[0]) return undefined;
  try {
    return cipher.decrypt(rows[0].value_enc, aad(tenantId), COLUMN);
  } catch (error) {
    if (error instanceof DecryptionError)
      throw new SecretError(
        `tenant ${tenantId}: the stored webhook secret does not decrypt (${error.message}): check QBSYNC_ENCRYPTION_KEY and QBSYNC_ENCRYPTION_KEYS_OLD, or store it again with \`qbsync tenant set ${tenantId} --webhook-secret\``,
      );
    throw error;
  }
}
