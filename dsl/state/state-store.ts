// What every state store offers the runtime: a name, its changelog topic, the
// write-behind flush of changed entries to that changelog, restore from it, and
// a snapshot for the local checkpoint. Operators use the typed faces
// (KeyValueStore, WindowStore of dsl/store.ts); the runtime only this one.
import type { SerdeError, Serde } from '../../core/schema';
import type { StoreKind } from '../store';

export interface StateStore {
  readonly name: string;
  readonly kind: StoreKind;
  /** The compacted topic holding every change, or undefined when the user opted out. */
  readonly changelogTopic: string | undefined;
  /** Entries changed since the last flush, written to `emit` as changelog records; returns how many. */
  flushChangelog(emit: (key: Buffer, value: Buffer | null) => void, onError: (e: SerdeError) => void): number;
  /** Changed entries not yet flushed. */
  readonly dirtyCount: number;
  /** Applies one changelog record (null value: delete). */
  restore(key: Buffer, value: Buffer | null): SerdeError | undefined;
  /** Every entry as changelog bytes, for the local snapshot. */
  snapshot(): Iterable<[Buffer, Buffer]>;
  readonly size: number;
  clear(): void;
}

/**
 * A Map key for a record key. Strings and numbers are their own identity (no
 * allocation on the hot path); anything else is identified by its serialized
 * bytes, so two equal objects are the same key, as in Kafka.
 */
export function keyIdentity<K>(key: K, serde: Serde<K>): string | number {
  if (typeof key === 'string' || typeof key === 'number') return key;
  const bytes = serde.serialize(key);
  if (bytes._tag === 'Left') throw new Error(`store key cannot be serialized: ${bytes.left.message}`);
  return '\u0000' + bytes.right.toString('latin1');
}

/** Serialization inside a store is a bug in the user's serde choice, reported as a value. */
export function serializeOr<T>(serde: Serde<T>, value: T, onError: (e: SerdeError) => void): Buffer | undefined {
  const r = serde.serialize(value);
  if (r._tag === 'Left') {
    onError(r.left);
    return undefined;
  }
  return r.right;
}
