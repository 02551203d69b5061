import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../workers/config';
import { preparePrivateDir } from '../../workers/dataDir';

/** Raised when the encryption key is missing or malformed; the message never contains the key. A ConfigError, so the CLI prints one line. */
export class EncryptionKeyError extends ConfigError {
  override name = 'EncryptionKeyError';
}

export class DecryptionError extends Error {
  override name = 'DecryptionError';
}

/** A 32-byte base64 key from `variable`, or an error naming the variable (never the value). */
export function parseKey(value: string, variable: string): Buffer {
  const key = Buffer.from(value.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== value.trim().replace(/=+$/, '')) {
    // Says what is wrong and how to fix it, never the value itself.
    throw new EncryptionKeyError(
      `${variable} is invalid: expected 32 random bytes in base64, 44 characters (make one with: openssl rand -base64 32)`,
    );
  }
  return key;
}

function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/**
 * AES-256-GCM for tokens at rest: a random 12-byte IV per value, the realm and column as associated data (a value
 * copied to another row or column does not decrypt), and a versioned format naming the key, so keys can rotate:
 * `v1:<key id>:<iv>:<tag>:<ciphertext>`. Old keys decrypt; new values always use the current key.
 */
export class TokenCipher {
  private readonly current: { id: string; key: Buffer };
  private readonly keys = new Map<string, Buffer>();

  constructor(currentKey: string, oldKeys: string[] = []) {
    const key = parseKey(currentKey, 'QBSYNC_ENCRYPTION_KEY');
    this.current = { id: keyId(key), key };
    this.keys.set(this.current.id, key);
    for (const old of oldKeys) {
      const k = parseKey(old, 'QBSYNC_ENCRYPTION_KEYS_OLD');
      this.keys.set(keyId(k), k);
    }
  }

  encrypt(plaintext: string, realmId: string, column: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    cipher.setAAD(Buffer.from(`${realmId}:${column}`));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      'v1',
      this.current.id,
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ct.toString('base64url'),
    ].join(':');
  }

  decrypt(value: string, realmId: string, column: string): string {
    const [version, id, iv, tag, ct] = value.split(':');
    if (version !== 'v1' || !ct) throw new DecryptionError(`stored ${column} has an unknown format`);
    const key = this.keys.get(id);
    if (!key)
      throw new DecryptionError(
        `stored ${column} was encrypted with key ${id}, which is not configured (set it in QBSYNC_ENCRYPTION_KEYS_OLD)`,
      );
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(`${realmId}:${column}`));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError(
        `stored ${column} of realm ${realmId} does not decrypt (wrong key, or the value was tampered with or moved)`,
      );
    }
  }

  /** The id of the key new values are encrypted with (stored as the connection's key_version). */
  get keyVersion(): string {
    return this.current.id;
  }

  /** Whether a stored value should be re-encrypted with the current key. */
  isStale(value: string): boolean {
    return value.split(':')[1] !== this.current.id;
  }
}

/** The key for `npm start`: generated once under .data/ (mode 0600) when none is configured. */
export function ensureDevelopmentKey(dataDir: string): string {
  const file = path.join(dataDir, 'encryption.key');
  if (fs.existsSync(file)) {
    const key = fs.readFileSync(file, 'utf8').trim();
    parseKey(key, file);
    return key;
  }
  preparePrivateDir(dataDir);
  const key = randomBytes(32).toString('base64');
  // 'wx': two processes starting at once must not each write a different key; the loser reads the winner's.
  try {
    fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return ensureDevelopmentKey(dataDir);
    throw error;
  }
  return key;
}

export interface EncryptionKeyConfig {
  QBSYNC_ENCRYPTION_KEY?: string;
  QBSYNC_ENCRYPTION_KEYS_OLD?: string;
  NODE_ENV: string;
  dataDir: string;
}

/** The configured token keys (the current one generated under .data/ on a developer's machine), as text. */
export function encryptionKeyTexts(config: EncryptionKeyConfig): { current: string; old: string[] } {
  let key = config.QBSYNC_ENCRYPTION_KEY;
  if (!key) {
    // Only a developer's machine may invent a key: anywhere else a lost key means every stored token is lost.
    if (config.NODE_ENV !== 'development' && config.NODE_ENV !== 'test')
      throw new EncryptionKeyError(
        `QBSYNC_ENCRYPTION_KEY is missing: expected 32 random bytes in base64 (make one with: openssl rand -base64 32); NODE_ENV=${config.NODE_ENV} does not generate a development key`,
      );
    key = ensureDevelopmentKey(config.dataDir);
  }
  return { current: key, old: (config.QBSYNC_ENCRYPTION_KEYS_OLD ?? '').split(',').filter(Boolean) };
}

/** The token keys as bytes (validated), for keys derived from them (the payload codec's). */
export function encryptionKeys(config: EncryptionKeyConfig): { current: Buffer; old: Buffer[] } {
  const { current, old } = encryptionKeyTexts(config);
  return {
    current: parseKey(current, 'QBSYNC_ENCRYPTION_KEY'),
    old: old.map((k) => parseKey(k, 'QBSYNC_ENCRYPTION_KEYS_OLD')),
  };
}

export function cipherFromConfig(config: EncryptionKeyConfig): TokenCipher {
  const { current, old } = encryptionKeyTexts(config);
  return new TokenCipher(current, old);
}
