// How keys and values become Redis strings: strings as they are, everything
// else as JSON (so a number 3 is "3" and an object is its JSON text).
export function redisText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return JSON.stringify(v);
}

/**
 * A value as hash fields, or why it cannot be one: it must be a plain object;
 * nested values are stored as their JSON text.
 */
export function hashFields(value: unknown): { ok: true; fields: Record<string, string> } | { ok: false; reason: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
    return { ok: false, reason: `a hash needs an object value, got ${Array.isArray(value) ? 'an array' : typeof value}` };
  }
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined) fields[k] = redisText(v);
  if (Object.keys(fields).length === 0) return { ok: false, reason: 'a hash needs at least one field (use a tombstone to delete)' };
  return { ok: true, fields };
}
