import { createHash } from 'node:crypto';

/** QuickBooks' limits on the `requestid` parameter. */
export const MAX_REQUEST_ID = 50;
export const MAX_BATCH_REQUEST_ID = 36;

function shortHash(parts: Array<string | number>): string {
  // The unit separator keeps ("a","bc") and ("ab","c") apart.
  return createHash('sha256').update(parts.map(String).join('\u001f')).digest('base64url').slice(0, 32);
}

/**
 * A requestid that is the same every time the same write is attempted — same tenant, entity, app record and app
 * version — so QuickBooks answers a retried activity with the original response instead of writing twice.
 * 32 characters: inside both the 50 of a single call and the 36 of a batch.
 */
export function deterministicRequestId(
  tenantId: string,
  entity: string,
  appRecordId: string | number,
  appVersion: string | number,
  ...more: Array<string | number>
): string {
  return shortHash([tenantId, entity, appRecordId, appVersion, ...more]);
}

/** The requestid of chunk `index` of a batch: readable `<base>-<index>` when it fits in 36 characters, else a hash of both. */
export function batchChunkRequestId(base: string, index: number): string {
  const readable = `${base}-${index}`;
  return readable.length <= MAX_BATCH_REQUEST_ID ? readable : shortHash(['batch', base, index]);
}

/** A derived requestid for a single call (a void sent beside a batch, …): `<base>-<suffix>` within 50 characters. */
export function derivedRequestId(base: string, suffix: string | number): string {
  const readable = `${base}-${suffix}`;
  return readable.length <= MAX_REQUEST_ID ? readable : shortHash(['derived', base, suffix]);
}
