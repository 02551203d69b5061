import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { encryptionKeys, parseKey } from '../activities/connection/crypto';
import { ConfigError } from './config';

/** Metadata `encoding` of a payload this codec encrypted; anything else passes through untouched. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a payload was encrypted with (a hash prefix of the key, never the key). */
export const KEY_ID_METADATA = 'encryption-key-id';
const HKDF_INFO = 'qbsync payload codec v1';

const PayloadProto = temporal.api.common.v1.Payload;

export class PayloadKeyError extends ConfigError {
  override name = 'PayloadKeyError';
}

/** The payload key derived from a token encryption key (HKDF-SHA256): one secret to keep, two independent keys. */
export function derivePayloadKey(encryptionKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', encryptionKey, Buffer.alloc(0), HKDF_INFO, 32));
}

export function payloadKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/**
 * AES-256-GCM over each whole payload (its metadata and data, serialized): Temporal stores and shows only ciphertext,
 * with the key id in plain metadata so keys can rotate (old keys still decrypt). Payloads without this codec's
 * encoding (histories recorded before it, or by a client without it) pass through unchanged.
 */
export class PayloadCipher implements PayloadCodec {
  private readonly current: { id: string; key: Buffer };
  private readonly keys = new Map<string, Buffer>();

  constructor(current: Buffer, old: Buffer[] = []) {
    this.current = { id: payloadKeyId(current), key: current };
    for (const key of [current, ...old]) if (!this.keys.has(payloadKeyId(key))) this.keys.set(payloadKeyId(key), key);
  }

  get keyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      const plain = PayloadProto.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: Buffer.from(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: Buffer.from(this.current.id),
        },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || Buffer.from(encoding).toString() !== ENCRYPTED_ENCODING) return payload;
      const idBytes = payload.metadata?.[KEY_ID_METADATA];
      const id = idBytes ? Buffer.from(idBytes).toString() : '(none)';
      const key = this.keys.get(id);
      if (!key)
        throw new PayloadKeyError(
          `a Temporal payload is encrypted with payload key ${id}, which is not configured: set the key it was made with in QBSYNC_PAYLOAD_KEYS_OLD (or QBSYNC_ENCRYPTION_KEYS_OLD when the payload key is derived)`,
        );
      const data = Buffer.from(payload.data ?? new Uint8Array());
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
        decipher.setAuthTag(data.subarray(data.length - 16));
        const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
        return PayloadProto.decode(plain);
      } catch {
        throw new PayloadKeyError(`a Temporal payload encrypted with payload key ${id} does not decrypt (tampered?)`);
      }
    });
  }
}

export interface PayloadKeyConfig {
  QBSYNC_PAYLOAD_KEY?: string;
  QBSYNC_PAYLOAD_KEYS_OLD?: string;
  QBSYNC_ENCRYPTION_KEY?: string;
  QBSYNC_ENCRYPTION_KEYS_OLD?: string;
  NODE_ENV: string;
  dataDir: string;
}

/**
 * `QBSYNC_PAYLOAD_KEY` when set (then `QBSYNC_PAYLOAD_KEYS_OLD` decrypt too); otherwise derived from
 * `QBSYNC_ENCRYPTION_KEY` (and its old keys), so a deployment has one secret to keep.
 */
export function payloadCipherFromConfig(config: PayloadKeyConfig): PayloadCipher {
  const old = (config.QBSYNC_PAYLOAD_KEYS_OLD ?? '')
    .split(',')
    .filter((k) => k.trim())
    .map((k) => parseKey(k, 'QBSYNC_PAYLOAD_KEYS_OLD'));
  const tokenKeys = () => {
    const { current, old: tokenOld } = encryptionKeys(config);
    return { current: derivePayloadKey(current), old: tokenOld.map(derivePayloadKey) };
  };
  if (config.QBSYNC_PAYLOAD_KEY) {
    const current = parseKey(config.QBSYNC_PAYLOAD_KEY, 'QBSYNC_PAYLOAD_KEY');
    // Payloads written before a dedicated key was set were encrypted with the derived one: keep reading them.
    let derived: Buffer[] = [];
    try {
      const t = tokenKeys();
      derived = [t.current, ...t.old];
    } catch {
      derived = [];
    }
    return new PayloadCipher(current, [...old, ...derived]);
  }
  const t = tokenKeys();
  return new PayloadCipher(t.current, [...old, ...t.old]);
}

export const FAILURE_CONVERTER_PATH = require.resolve('./failureConverter');

/** What every Temporal client and worker of qbsync uses: the encrypting codec and failures encoded through it. */
export function dataConverter(codec: PayloadCodec): DataConverter {
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}

export function dataConverterFromConfig(config: PayloadKeyConfig): DataConverter {
  return dataConverter(payloadCipherFromConfig(config));
}
