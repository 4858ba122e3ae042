// In-memory window store: per key, its windows by start time, each with an end
// and a value. Serves tumbling, hopping and sliding windows (fixed ends) and
// session windows (ends that grow as sessions merge); join buffers use it too.
// Changelog records carry Kafka Streams' windowed key layout (key, start, end).
import type { Serde, SerdeError } from '../../core/schema';
import type { TimeWindow, Windowed } from '../record';
import { appendWindow } from '../serdes';
import type { WindowEntry, WindowStore } from '../store';
import { keyIdentity, serializeOr, type StateStore } from './state-store';

interface KeyWindows<K, V> {
  key: K;
  windows: Map<number, { end: number; value: V }>;
}

export class InMemoryWindowStore<K, V> implements WindowStore<K, V>, StateStore {
  readonly kind = 'window' as const;
  private readonly byKey = new Map<string | number, KeyWindows<K, V>>();
  private readonly dirty = new Map<string, { key: K; start: number; end: number }>();
  private count = 0;

  constructor(
    readonly name: string,
    readonly keySerde: Serde<K>,
    readonly valueSerde: Serde<V>,
    readonly changelogTopic: string | undefined,
  ) {}

  get(key: K, start: number): WindowEntry<V> | undefined {
    const w = this.byKey.get(keyIdentity(key, this.keySerde))?.windows.get(start);
    return w && { window: { start, end: w.end }, value: w.value };
  }

  fetch(key: K, timeFrom: number, timeTo: number): WindowEntry<V>[] {
    const kw = this.byKey.get(keyIdentity(key, this.keySerde));
    if (!kw) return [];
    const out: WindowEntry<V>[] = [];
    for (const [start, w] of kw.windows) if (start >= timeFrom && start <= timeTo) out.push({ window: { start, end: w.end }, value: w.value });
    return out.sort((a, b) => a.window.start - b.window.start);
  }

  put(key: K, window: TimeWindow, value: V): void {
    const id = keyIdentity(key, this.keySerde);
    const previousEnd = this.link(id, key, window.start, window.end, value);
    if (previousEnd !== undefined && previousEnd !== window.end) this.markDirty(id, key, window.start, previousEnd);
    this.markDirty(id, key, window.start, window.end);
  }

  remove(key: K, start: number): void {
    const id = keyIdentity(key, this.keySerde);
    const kw = this.byKey.get(id);
    const w = kw?.windows.get(start);
    if (!kw || !w) return;
    this.unlink(id, kw, start);
    this.markDirty(id, key, start, w.end);
  }

  expireBefore(time: number): number {
    let n = 0;
    for (const [id, kw] of this.byKey) {
      for (const [start, w] of kw.windows) {
        if (w.end >= time) continue;
        kw.windows.delete(start);
        this.count--;
        n++;
        this.markDirty(id, kw.key, start, w.end);
      }
      if (kw.windows.size === 0) this.byKey.delete(id);
    }
    return n;
  }

  *all(): IterableIterator<[Windowed<K>, V]> {
    for (const kw of this.byKey.values()) {
      for (const [start, w] of [...kw.windows].sort((a, b) => a[0] - b[0])) yield [{ key: kw.key, window: { start, end: w.end } }, w.value];
    }
  }

  get size(): number {
    return this.count;
  }

  get dirtyCount(): number {
    return this.dirty.size;
  }

  flushChangelog(emit: (key: Buffer, value: Buffer | null) => void, onError: (e: SerdeError) => void): number {
    let n = 0;
    for (const d of this.dirty.values()) {
      const k = serializeOr(this.keySerde, d.key, onError);
      if (!k) continue;
      const current = this.byKey.get(keyIdentity(d.key, this.keySerde))?.windows.get(d.start);
      if (current && current.end === d.end) {
        const v = serializeOr(this.valueSerde, current.value, onError);
        if (!v) continue;
        emit(appendWindow(k, d.start, d.end), v);
      } else emit(appendWindow(k, d.start, d.end), null);
      n++;
    }
    this.dirty.clear();
    return n;
  }

  restore(keyBytes: Buffer, valueBytes: Buffer | null): SerdeError | undefined {
    if (keyBytes.length < 16)
      return { kind: 'invalid-payload', message: `window store ${this.name}: changelog key shorter than 16 bytes`, location: { isKey: true } };
    const k = this.keySerde.deserialize(keyBytes.subarray(0, keyBytes.length - 16), { isKey: true });
    if (k._tag === 'Left') return k.left;
    const start = Number(keyBytes.readBigInt64BE(keyBytes.length - 16));
    const end = Number(keyBytes.readBigInt64BE(keyBytes.length - 8));
    const id = keyIdentity(k.right, this.keySerde);
    if (valueBytes === null) {
      const kw = this.byKey.get(id);
      if (kw?.windows.get(start)?.end === end) this.unlink(id, kw, start);
    } else {
      const v = this.valueSerde.deserialize(valueBytes);
      if (v._tag === 'Left') return v.left;
      this.link(id, k.right, start, end, v.right);
    }
    // What the changelog holds for this windowed key supersedes its change not yet
    // flushed; the changes of every other key still wait (a restore once dropped them all).
    if (this.dirty.size > 0) this.dirty.delete(dirtyKey(id, start, end));
    return undefined;
  }

  *snapshot(): Iterable<[Buffer, Buffer]> {
    const ignore = () => undefined;
    for (const [w, value] of this.all()) {
      const k = serializeOr(this.keySerde, w.key, ignore);
      const v = serializeOr(this.valueSerde, value, ignore);
      if (k && v) yield [appendWindow(k, w.window.start, w.window.end), v];
    }
  }

  clear(): void {
    this.byKey.clear();
    this.dirty.clear();
    this.count = 0;
  }

  /** Sets the window at `start` of `key`; returns the end of the window it replaced. */
  private link(id: string | number, key: K, start: number, end: number, value: V): number | undefined {
    let kw = this.byKey.get(id);
    if (!kw) this.byKey.set(id, (kw = { key, windows: new Map() }));
    const existing = kw.windows.get(start);
    if (!existing) this.count++;
    kw.windows.set(start, { end, value });
    return existing?.end;
  }

  private unlink(id: string | number, kw: KeyWindows<K, V>, start: number): void {
    kw.windows.delete(start);
    this.count--;
    if (kw.windows.size === 0) this.byKey.delete(id);
  }

  private markDirty(id: string | number, key: K, start: number, end: number): void {
    if (this.changelogTopic === undefined) return;
    this.dirty.set(dirtyKey(id, start, end), { key, start, end });
  }
}

/** One changelog key (record key, window start and end) as a Map key. */
function dirtyKey(id: string | number, start: number, end: number): string {
  return `${typeof id}:${id}|${start}|${end}`;
}
