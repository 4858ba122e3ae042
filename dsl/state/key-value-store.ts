// In-memory key-value store backed by a compacted changelog. Writes land in a
// Map and mark the key dirty; the runtime flushes dirty keys to the changelog
// at commit (write-behind, like Kafka Streams' record cache), so a key updated
// a thousand times between commits costs one changelog record.
import type { Serde, SerdeError } from '../../core/schema';
import type { KeyValueStore } from '../store';
import { keyIdentity, serializeOr, type StateStore } from './state-store';

/** The location of every changelog key read by restore (shared: it is only read, in error messages). */
const KEY_LOCATION = { isKey: true } as const;

/**
 * A key's value and whether it waits for its changelog write. The flag lives
 * beside the value so an update costs the one Map lookup (and a cache line
 * already read by the get before it), not a second lookup in a dirty set.
 */
interface Entry<V> {
  value: V;
  dirty: boolean;
}

export class InMemoryKeyValueStore<K, V> implements KeyValueStore<K, V>, StateStore {
  readonly kind = 'key-value' as const;
  private readonly values = new Map<string | number, Entry<V>>();
  /** The record key of each entry whose identity is not the key itself. */
  private readonly keys = new Map<string | number, K>();
  /**
   * The identities awaiting a changelog write, in the order they first
   * changed: each once, as long as its entry is dirty or its tombstone pending.
   */
  private dirty: (string | number)[] = [];
  /** Deleted keys awaiting their tombstone, by identity (each also in `dirty`). */
  private readonly deleted = new Map<string | number, K>();

  constructor(
    readonly name: string,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V>,
    readonly changelogTopic: string | undefined,
  ) {}

  get(key: K): V | undefined {
    return this.values.get(keyIdentity(key, this.keySerde))?.value;
  }

  put(key: K, value: V): void {
    const id = keyIdentity(key, this.keySerde);
    const entry = this.values.get(id);
    if (entry !== undefined) this.overwrite(id, entry, value);
    else this.insert(id, key, value);
  }

  /**
   * One hash lookup per update instead of a get's and a put's: in the word
   * count these lookups are most of the store's cost, and they miss the CPU
   * cache (10 000 keys, each compare loading a key string from the old space).
   */
  update<T>(key: K, next: (current: V | undefined, input: T) => V, input: T): V {
    const id = keyIdentity(key, this.keySerde);
    const entry = this.values.get(id);
    const value = next(entry?.value, input);
    if (entry !== undefined) this.overwrite(id, entry, value);
    else this.insert(id, key, value);
    return value;
  }

  private overwrite(id: string | number, entry: Entry<V>, value: V): void {
    entry.value = value;
    if (this.changelogTopic !== undefined && !entry.dirty) {
      entry.dirty = true;
      this.dirty.push(id);
    }
  }

  private insert(id: string | number, key: K, value: V): void {
    const logged = this.changelogTopic !== undefined;
    this.values.set(id, { value, dirty: logged });
    if (typeof id === 'string' && id.charCodeAt(0) === 0) this.keys.set(id, key);
    // A key deleted and put again before the flush is listed already (for its tombstone): it now writes its value.
    if (logged && !this.deleted.delete(id)) this.dirty.push(id);
  }

  delete(key: K): void {
    const id = keyIdentity(key, this.keySerde);
    const entry = this.values.get(id);
    if (entry === undefined) return;
    this.values.delete(id);
    this.keys.delete(id);
    if (this.changelogTopic !== undefined) {
      if (!entry.dirty) this.dirty.push(id);
      this.deleted.set(id, key);
    }
  }

  *all(): IterableIterator<[K, V]> {
    for (const [id, e] of this.values) yield [this.keyOf(id), e.value];
  }

  get size(): number {
    return this.values.size;
  }

  get dirtyCount(): number {
    return this.dirty.length;
  }

  flushChangelog(emit: (key: Buffer, value: Buffer | null) => void, onError: (e: SerdeError) => void): number {
    let n = 0;
    const dirty = this.dirty;
    this.dirty = [];
    let i = 0;
    // Most flushes have no deletes: no lookup in the (empty) tombstone map per key then.
    const deletes = this.deleted.size > 0;
    try {
      for (; i < dirty.length; i++) {
        const id = dirty[i];
        const tombstoneKey = deletes ? this.deleted.get(id) : undefined;
        const entry = tombstoneKey === undefined ? this.values.get(id) : undefined;
        if (entry === undefined && tombstoneKey === undefined) continue; // no longer pending: nothing to write
        const key = tombstoneKey !== undefined ? tombstoneKey : this.keyOf(id);
        const k = serializeOr(this.keySerde, key, onError);
        const v = k && entry !== undefined ? serializeOr(this.valueSerde, entry.value, onError) : null;
        if (k && (entry === undefined || v)) {
          emit(k, v ?? null);
          n++;
        }
        // Written, or skipped by the error policy: either way no longer waiting.
        if (entry !== undefined) entry.dirty = false;
        else this.deleted.delete(id);
      }
    } catch (e) {
      // emit threw: the keys not yet written wait for the next flush, first as before.
      this.dirty = dirty.slice(i).concat(this.dirty);
      throw e;
    }
    return n;
  }

  restore(keyBytes: Buffer, valueBytes: Buffer | null): SerdeError | undefined {
    const k = this.keySerde.deserialize(keyBytes, KEY_LOCATION);
    if (k._tag === 'Left') return k.left;
    const id = keyIdentity(k.right, this.keySerde);
    const entry = this.values.get(id);
    if (valueBytes === null) {
      this.dropPending(id, entry);
      this.values.delete(id);
      this.keys.delete(id);
      return undefined;
    }
    const v = this.valueSerde.deserialize(valueBytes);
    if (v._tag === 'Left') return v.left;
    this.dropPending(id, entry);
    if (entry !== undefined) entry.value = v.right;
    else this.values.set(id, { value: v.right, dirty: false });
    if (typeof id === 'string' && id.charCodeAt(0) === 0) this.keys.set(id, k.right);
    return undefined;
  }

  /**
   * A restored record is what the changelog already holds for its key, so a change
   * of that key not yet flushed is superseded: it leaves the pending keys. Left
   * listed, a put after a restore that removed the entry listed the key twice (its
   * value written twice, dirtyCount one too high), and a restored value over a
   * pending delete was followed by that delete's tombstone.
   */
  private dropPending(id: string | number, entry: Entry<V> | undefined): void {
    if (entry?.dirty) entry.dirty = false;
    else if (this.deleted.size === 0 || !this.deleted.delete(id)) return;
    // Rare (restores run before processing), so a search here keeps put and delete free of an index into the list.
    const at = this.dirty.indexOf(id);
    if (at >= 0) this.dirty.splice(at, 1);
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
    this.dirty = [];
    this.deleted.clear();
  }

  private keyOf(id: string | number): K {
    return (typeof id === 'string' && id.charCodeAt(0) === 0 ? this.keys.get(id) : id) as K;
  }
}
