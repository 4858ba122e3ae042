// What an operator (through its TaskContext) and an interactive query see of a
// state store: its typed faces. They sit beside the records they hold, below
// dsl/state, whose in-memory stores implement them with changelogs, so the
// operator contract names a store without importing the stores.
import type { TimeWindow, Windowed } from './record';

export type StoreKind = 'key-value' | 'window';

export interface ReadOnlyKeyValueStore<K, V> {
  readonly name: string;
  get(key: K): V | undefined;
  all(): IterableIterator<[K, V]>;
  readonly size: number;
}

export interface KeyValueStore<K, V> extends ReadOnlyKeyValueStore<K, V> {
  put(key: K, value: V): void;
  /**
   * Read-modify-write in one lookup: puts `next(current value, input)` and
   * returns it, as `put(key, next(get(key), input))` does (`input` is handed
   * through so that `next` can be made once, not once per call). `next` must
   * not change this store; when it throws, nothing is written.
   */
  update<T>(key: K, next: (current: V | undefined, input: T) => V, input: T): V;
  delete(key: K): void;
}

export interface WindowEntry<V> {
  readonly window: TimeWindow;
  readonly value: V;
}

export interface ReadOnlyWindowStore<K, V> {
  readonly name: string;
  /** The window of `key` that starts at `start`. */
  get(key: K, start: number): WindowEntry<V> | undefined;
  /** Windows of `key` whose start lies in [timeFrom, timeTo], by start. */
  fetch(key: K, timeFrom: number, timeTo: number): WindowEntry<V>[];
  all(): IterableIterator<[Windowed<K>, V]>;
  readonly size: number;
}

export interface WindowStore<K, V> extends ReadOnlyWindowStore<K, V> {
  put(key: K, window: TimeWindow, value: V): void;
  remove(key: K, start: number): void;
  /** Drops windows that ended before `time` (retention); returns how many. */
  expireBefore(time: number): number;
}
