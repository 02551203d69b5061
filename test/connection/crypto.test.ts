import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  cipherFromConfig,
  DecryptionError,
  EncryptionKeyError,
  ensureDevelopmentKey,
  TokenCipher,
} from '../../activities/connection/crypto';
import { ConfigError } from '../../workers/config';

const key = () => randomBytes(32).toString('base64');

test('a value round-trips; each encryption uses a fresh IV; the format names version and key', () => {
  const cipher = new TokenCipher(key());
  const a = cipher.encrypt('secret-token', '9130350000000001', 'access_token');
  const b = cipher.encrypt('secret-token', '9130350000000001', 'access_token');
  expect(a).not.toBe(b);
  expect(a).not.toContain('secret-token');
  const [version, keyId, iv, tag, ct] = a.split(':');
  expect(version).toBe('v1');
  expect(keyId).toBe(cipher.keyVersion);
  expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
  expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
  expect(ct.length).toBeGreaterThan(0);
  expect(cipher.decrypt(a, '9130350000000001', 'access_token')).toBe('secret-token');
});

test('a value moved to another realm or column does not decrypt (realm and column are associated data)', () => {
  const cipher = new TokenCipher(key());
  const value = cipher.encrypt('rt-123', '111', 'refresh_token');
  expect(() => cipher.decrypt(value, '222', 'refresh_token')).toThrow(DecryptionError);
  expect(() => cipher.decrypt(value, '111', 'access_token')).toThrow(DecryptionError);
});

test('tampering with the ciphertext, tag or IV is detected', () => {
  const cipher = new TokenCipher(key());
  const value = cipher.encrypt('rt-123', '111', 'refresh_token');
  const parts = value.split(':');
  for (const index of [2, 3, 4]) {
    const bytes = Buffer.from(parts[index], 'base64url');
    bytes[0] ^= 1;
    const tampered = [...parts];
    tampered[index] = bytes.toString('base64url');
    expect(() => cipher.decrypt(tampered.join(':'), '111', 'refresh_token')).toThrow(/does not decrypt/);
  }
  expect(() => cipher.decrypt('v2:xx:yy', '111', 'refresh_token')).toThrow(/unknown format/);
});

test('key rotation: an old key still decrypts, new values use the current key', () => {
  const oldKey = key();
  const newKey = key();
  const before = new TokenCipher(oldKey);
  const stored = before.encrypt('rt-old', '111', 'refresh_token');
  const after = new TokenCipher(newKey, [oldKey]);
  expect(after.decrypt(stored, '111', 'refresh_token')).toBe('rt-old');
  expect(after.isStale(stored)).toBe(true);
  const rewritten = after.encrypt('rt-old', '111', 'refresh_token');
  expect(after.isStale(rewritten)).toBe(false);
  expect(rewritten.split(':')[1]).toBe(after.keyVersion);
  expect(after.keyVersion).not.toBe(before.keyVersion);
  // Without the old key configured, the error says which variable to set and never shows a key.
  const forgetful = new TokenCipher(newKey);
  let message = '';
  try {
    forgetful.decrypt(stored, '111', 'refresh_token');
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toMatch(/QBSYNC_ENCRYPTION_KEYS_OLD/);
  expect(message).not.toContain(oldKey);
  expect(message).not.toContain(newKey);
});

test('a missing or malformed key is a one-line configuration error that never echoes the key', () => {
  const bad = Buffer.alloc(16, 7).toString('base64');
  let error: unknown;
  try {
    new TokenCipher(bad);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(EncryptionKeyError);
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as Error).message).toMatch(/^QBSYNC_ENCRYPTION_KEY is invalid: expected 32 random bytes in base64/);
  expect((error as Error).message).not.toContain(bad);
  expect((error as Error).message).not.toContain('\n');
  expect(() => new TokenCipher('not base64 at all!!')).toThrow(EncryptionKeyError);
  expect(() => new TokenCipher(key(), ['short'])).toThrow(/QBSYNC_ENCRYPTION_KEYS_OLD is invalid/);
  expect(() => cipherFromConfig({ NODE_ENV: 'production', dataDir: os.tmpdir() })).toThrow(
    /QBSYNC_ENCRYPTION_KEY is missing/,
  );
});

test('development: a key is generated once under the data directory with mode 0600', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbsync-key-'));
  try {
    const first = ensureDevelopmentKey(dir);
    const file = path.join(dir, 'encryption.key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(first, 'base64')).toHaveLength(32);
    expect(ensureDevelopmentKey(dir)).toBe(first);
    const cipher = cipherFromConfig({ NODE_ENV: 'development', dataDir: dir });
    expect(cipher.decrypt(new TokenCipher(first).encrypt('x', '1', 'c'), '1', 'c')).toBe('x');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
