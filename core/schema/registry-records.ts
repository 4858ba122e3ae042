// The records of the `_schemas` topic, keyed like the Confluent Schema
// Registry's own: the key says what the record is about, compaction keeps the
// latest value per key, a null value (tombstone) deletes it.
//
//   {"keytype":"SCHEMA","subject":"orders-value","version":2,"magic":1}
//     -> {"subject":"orders-value","version":2,"id":7,"schema":"...","deleted":false}
//   {"keytype":"CONFIG","subject":"orders-value","magic":0}   (subject null: global)
//     -> {"compatibilityLevel":"FULL"}
//
// Keys are built field by field so the same key is always the same bytes:
// compaction compares key bytes, not JSON meaning.
import { parseCompatibilityLevel, type CompatibilityLevel } from './compatibility';

export interface SchemaKey {
  readonly keytype: 'SCHEMA';
  readonly subject: string;
  readonly version: number;
}

export interface ConfigKey {
  readonly keytype: 'CONFIG';
  /** null: the global config. */
  readonly subject: string | null;
}

export interface SchemaValue {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schema: string;
  readonly deleted: boolean;
}

export interface ConfigValue {
  readonly compatibilityLevel: CompatibilityLevel;
}

/** One record of the `_schemas` topic, decoded. A null value is a tombstone. */
export type RegistryRecord = { readonly key: SchemaKey; readonly value: SchemaValue | null } | { readonly key: ConfigKey; readonly value: ConfigValue | null };

/** A keyed record as storage sees it. */
export interface StoredRecord {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

export function encodeRegistryRecord(record: RegistryRecord): StoredRecord {
  if (record.key.keytype === 'SCHEMA') {
    const key = record.key;
    const value = record.value as SchemaValue | null;
    return {
      key: Buffer.from(JSON.stringify({ keytype: 'SCHEMA', subject: key.subject, version: key.version, magic: 1 })),
      value:
        value === null
          ? null
          : Buffer.from(JSON.stringify({ subject: value.subject, version: value.version, id: value.id, schema: value.schema, deleted: value.deleted })),
    };
  }
  const value = record.value as ConfigValue | null;
  return {
    key: Buffer.from(JSON.stringify({ keytype: 'CONFIG', subject: record.key.subject, magic: 0 })),
    value: value === null ? null : Buffer.from(JSON.stringify({ compatibilityLevel: value.compatibilityLevel })),
  };
}

/**
 * Decodes a stored record. Undefined for records this registry does not
 * understand (other key types, e.g. Confluent's NOOP, or damaged JSON):
 * replay skips them rather than refusing to start.
 */
export function decodeRegistryRecord(stored: StoredRecord): RegistryRecord | undefined {
  const key = parseJson(stored.key);
  if (!isObject(key)) return undefined;
  const value = stored.value === null ? null : parseJson(stored.value);
  if (key.keytype === 'SCHEMA' && typeof key.subject === 'string' && Number.isInteger(key.version)) {
    const schemaKey: SchemaKey = { keytype: 'SCHEMA', subject: key.subject, version: key.version as number };
    if (value === null) return { key: schemaKey, value: null };
    if (!isObject(value) || !Number.isInteger(value.id) || typeof value.schema !== 'string') return undefined;
    return {
      key: schemaKey,
      value: { subject: key.subject, version: key.version as number, id: value.id as number, schema: value.schema, deleted: value.deleted === true },
    };
  }
  if (key.keytype === 'CONFIG' && (key.subject === null || typeof key.subject === 'string')) {
    const configKey: ConfigKey = { keytype: 'CONFIG', subject: key.subject };
    if (value === null) return { key: configKey, value: null };
    const level = isObject(value) ? parseCompatibilityLevel(value.compatibilityLevel) : undefined;
    return level === undefined ? undefined : { key: configKey, value: { compatibilityLevel: level } };
  }
  return undefined;
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
