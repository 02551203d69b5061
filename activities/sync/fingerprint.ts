import { createHash } from 'node:crypto';

/** Keys as JSON strings, kept: canonical records have few distinct field names, quoted millions of times a night. */
const quotedKeys = new Map<string, string>();
function quoted(key: string): string {
  let json = quotedKeys.get(key);
  if (json === undefined) {
    json = JSON.stringify(key);
    if (quotedKeys.size < 10_000) quotedKeys.set(key, json);
  }
  return json;
}

/**
 * JSON with sorted keys and undefined dropped, so equal content always serialises the same way. Written as loops with
 * string building (no entries/filter/map arrays per object): it runs several times per record on every page. Its
 * output is what stored fingerprints were computed from and must not change.
 */
export function stableJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    // (A function in an array serialises as nothing, as Array.join writes undefined.)
    for (let i = 0; i < value.length; i++)
      out += (i === 0 ? '' : ',') + ((stableJson(value[i]) as string | undefined) ?? '');
    return `${out}]`;
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  const record = value as Record<string, unknown>;
  // Default sort: by UTF-16 code units, as `a < b` compares strings.
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${quoted(key)}:${stableJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

/** The fingerprint of a canonical record: what both sides agreed on when a link was last written. */
export function fingerprint(canonical: unknown): string {
  return createHash('sha256').update(stableJson(canonical)).digest('base64url').slice(0, 32);
}
