// How the HTTP interactive queries (query-server.ts) read keys from a URL and
// write keys and values as JSON, with the store's own serdes:
//
// - A key in a path or a query parameter is text. For a store whose key serde
//   is 'string' it is the key itself; 'bytes': its UTF-8 bytes; any other
//   (JSON, Avro): JSON text when it parses as JSON (`42`, `{"id":7}`,
//   `"alpha"`), else the text as a JSON string (`alpha`).
// - With `keyEncoding=base64` the text is the base64 of the key's serialized
//   bytes, read with the store's key serde: any key, binary included.
// - Answers are JSON; binary (a bytes serde's Buffer, Avro bytes and fixed
//   fields) is written as a base64 string, and a bigint as a decimal string.
import type { ResolvedStore } from '../topology/topology';

export type KeyEncoding = 'text' | 'base64';

/** Serde errors about a query's key say "record key". */
const KEY = { isKey: true } as const;

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export function keyEncodingOf(text: string | null): Decoded<KeyEncoding> {
  if (text === null || text === 'text') return { ok: true, value: 'text' };
  if (text === 'base64') return { ok: true, value: 'base64' };
  return { ok: false, error: `keyEncoding must be "text" or "base64" (got "${text}")` };
}

/** The store key a URL's text stands for, checked against the store's key serde. */
export function decodeKey(store: ResolvedStore, text: string, encoding: KeyEncoding): Decoded<unknown> {
  const serde = store.keySerde;
  if (encoding === 'base64') {
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return { ok: false, error: `the key "${text}" is not base64` };
    const read = serde.deserialize(Buffer.from(text, 'base64'), KEY);
    if (read._tag === 'Left')
      return { ok: false, error: `the key does not read with store "${store.name}"'s key serde (${serde.format}): ${read.left.message}` };
    return { ok: true, value: read.right };
  }
  const key = textKey(serde.format, text);
  const fits = serde.serialize(key, KEY);
  if (fits._tag === 'Left')
    return { ok: false, error: `the key ${text} does not fit store "${store.name}"'s key serde (${serde.format}): ${fits.left.message}` };
  return { ok: true, value: key };
}

/** A key's serialized bytes: the order of range scans and their prefixes, as Kafka Streams. */
export function keyBytes(store: ResolvedStore, key: unknown): Buffer {
  const bytes = store.keySerde.serialize(key, KEY);
  if (bytes._tag === 'Left') throw new Error(`store "${store.name}": a key does not serialize with its key serde: ${bytes.left.message}`);
  return bytes.right;
}

/** A prefix of serialized keys: UTF-8 text, or base64 bytes. */
export function decodePrefix(text: string, encoding: KeyEncoding): Decoded<Buffer> {
  if (encoding === 'text') return { ok: true, value: Buffer.from(text, 'utf8') };
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return { ok: false, error: `the prefix "${text}" is not base64` };
  return { ok: true, value: Buffer.from(text, 'base64') };
}

function textKey(format: string, text: string): unknown {
  if (format === 'string') return text;
  if (format === 'bytes') return Buffer.from(text, 'utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** JSON text of an answer: Buffers as base64, bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, name: string, v: unknown) {
    // `this[name]` is the value before Buffer's own toJSON turned it into { type, data }.
    const raw = this[name];
    if (Buffer.isBuffer(raw) || raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
    return typeof v === 'bigint' ? v.toString() : v;
  });
}
