// The unit that flows through a pipeline: a keyed, timestamped record. Plain
// RxJS operators see exactly this shape; Rill's keyed operators read `key` and
// `timestamp` (event time) from it.
import type { Serde } from '../core/schema';

export interface KRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Event time in ms: the record timestamp, or what a timestamp extractor returned. */
  readonly timestamp: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A time window [start, end): end is exclusive. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

/** The key of a windowed aggregation's result: the record key and its window. */
export interface Windowed<K> {
  readonly key: K;
  readonly window: TimeWindow;
}

/** The serdes of a topic's keys and values. */
export interface KeyValueSerdes<K, V> {
  readonly key: Serde<K>;
  readonly value: Serde<V>;
}

/** Where the record being processed came from: named in every error log line. */
export interface RecordOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export function describeOrigin(origin: RecordOrigin | undefined): string {
  return origin ? `topic ${origin.topic}, partition ${origin.partition}, offset ${origin.offset}` : 'no source record';
}

/**
 * V8 keeps a number field of an object shape unboxed (its own mutable box per
 * object) until a non-number is stored in that field of that shape; then the
 * field holds a pointer, and copying `timestamp: r.timestamp` into a new record
 * copies the pointer instead of allocating a 16-byte box. Every step that
 * makes a record per record (flatMapValues, selectKey, mapValues, ...) makes
 * {key, value, timestamp, headers}, and event times in ms are beyond the small
 * integers V8 stores inline, so this one record, made at load with no
 * timestamp, saves a box per record per step (32 of the word count's 250
 * bytes per word). Nothing reads it; other engines just ignore it. It is put
 * in a global slot so that a bundler cannot drop it as unused.
 */
const RECORD_SHAPE = Symbol.for('rill.record.shape');
(globalThis as unknown as { [RECORD_SHAPE]?: KRecord<undefined, undefined> })[RECORD_SHAPE] ??= {
  key: undefined,
  value: undefined,
  timestamp: undefined as unknown as number,
  headers: undefined,
};

/**
 * A record a step owns (see RecordSetup's `inputOwned`): made for it alone by
 * the step before it, so it may set a field and emit the same object instead
 * of a copy. Only Rill's own steps write through this type.
 */
export type OwnedRecord = { -readonly [F in keyof KRecord<unknown, unknown>]: KRecord<unknown, unknown>[F] };
