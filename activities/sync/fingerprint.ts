import { createHash } from 'node:crypto';

/** JSON with sorted keys and undefined dropped, so equal content always serialises the same way. */
export function stableJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The fingerprint of a canonical record: what both sides agreed on when a link was last written. */
export function fingerprint(canonical: unknown): string {
  return createHash('sha256').update(stableJson(canonical)).digest('base64url').slice(0, 32);
}
