// In-memory key-value store backed by a compacted changelog. Writes land in a
// Map and mark the key dirty; the runtime flushes dirty keys to the changelog
// at commit (write-behind, like Kafka Streams' record cache), so a key updated
// a thousand times between commits costs one changelog record.
import type { Serde, SerdeError } from '../../core/schema';
import type { KeyValueStore } from '../store';
import { keyIdentity, serializeOr, type StateStore } from './state-store';

/** The location of every changelog key read by restore (shared: it is only read, in error messages). */
const KEY_LOCATION = { isKey: true } as const;

export class InMemoryKeyValueStore<K, V> implements KeyValueStore<K, V>, StateStore {
  readonly kind = 'key-value' as const;
  private readonly values = new Map<string | number, V>();
  /** The record key of each entry whose identity is not the key itself. */
  private readonly keys = new Map<string | number, K>();
  private readonly dirty = new Set<string | number>();
  /** Deleted keys awaiting their tombstone, by identity. */
  private readonly deleted = new Map<string | number, K>();

  constructor(
    readonly name: string,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V>,
    readonly changelogTopic: string | undefined,
  ) {}

  get(key: K): V | undefined {
    return this.values.get(keyIdentity(key, this.keySerde));
  }

  put(key: K, value: V): void {
    const id = keyIdentity(key, this.keySerde);
    this.values.set(id, value);
    if (typeof id === 'string' && id.charCodeAt(0) === 0) this.keys.set(id, key);
    if (this.changelogTopic !== undefined) {
      this.dirty.add(id);
      this.deleted.delete(id);
    }
  }

  delete(key: K): void {
    const id = keyIdentity(key, this.keySerde);
    if (!this.values.delete(id)) return;
    this.keys.delete(id);
    if (this.changelogTopic !== undefined) {
      this.dirty.add(id);
      this.deleted.set(id, key);
    }
  }

  *all(): IterableIterator<[K, V]> {
    for (const [id, v] of this.values) yield [this.keyOf(id), v];
  }

  get size(): number {
    return this.values.size;
  }

  get dirtyCount(): number {
    return this.dirty.size;
  }

  flushChangelog(emit: (key: Buffer, value: Buffer | null) => void, onError: (e: SerdeError) => void): number {
    let n = 0;
    for (const id of this.dirty) {
      const tombstoneKey = this.deleted.get(id);
      const key = tombstoneKey !== undefined ? tombstoneKey : this.keyOf(id);
      const k = serializeOr(this.keySerde, key, onError);
      if (!k) continue;
      if (tombstoneKey !== undefined || !this.values.has(id)) emit(k, null);
      else {
        const v = serializeOr(this.valueSerde, this.values.get(id) as V, onError);
        if (!v) continue;
        emit(k, v);
      }
      n++;
    }
    this.dirty.clear();
    this.deleted.clear();
    return n;
  }

  restore(keyBytes: Buffer, valueBytes: Buffer | null): SerdeError | undefined {
    const k = this.keySerde.deserialize(keyBytes, KEY_LOCATION);
    if (k._tag === 'Left') return k.left;
    const id = keyIdentity(k.right, this.keySerde);
    if (valueBytes === null) {
      this.values.delete(id);
      this.keys.delete(id);
      return undefined;
    }
    const v = this.valueSerde.deserialize(valueBytes);
    if (v._tag === 'Left') return v.left;
    this.values.set(id, v.right);
    if (typeof id === 'string' && id.charCodeAt(0) === 0) this.keys.set(id, k.right);
    return undefined;
  }

  *snapshot(): Iterable<[Buffer, Buffer]> {
    const ignore = () => undefined;
    for (const [key, value] of this.all()) {
      const k = serializeOr(this.keySerde, key, ignore);
      const v = serializeOr(this.valueSerde, value, ignore);
      if (k && v) yield [k, v];
    }
  }

  clear(): void {
    this.values.clear();
    this.keys.clear();
    this.dirty.clear();
    this.deleted.clear();
  }

  private keyOf(id: string | number): K {
    return (typeof id === 'string' && id.charCodeAt(0) === 0 ? this.keys.get(id) : id) as K;
  }
}
