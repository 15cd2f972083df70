import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so that two equal settings objects give the same
 * text whatever order their keys were written in. `undefined` members are dropped, as JSON does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, member]) => member !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
  return `{${entries.join(',')}}`;
}

/** SHA-256 of the canonical JSON of `value`, in hex. */
export function hashSettings(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
