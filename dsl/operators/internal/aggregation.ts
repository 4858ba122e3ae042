// What count, reduce and aggregate have in common: an initial value, an adder,
// and (for session windows, whose sessions merge) a merger.
import type { Serde } from '../../../core/schema';
import type { Windows } from '../../windows/windows';

export interface Aggregation<K, V, A> {
  /** For describe() and log lines. */
  readonly kind: string;
  /** Undefined for reduce: the first value is the aggregate. */
  readonly init: (() => A) | undefined;
  readonly add: (key: K, value: V, aggregate: A | undefined) => A;
  readonly merge: ((key: K, a: A, b: A) => A) | undefined;
}

export interface AggregateOptions<K, A> {
  /** Store name (queryable, and names the changelog `<app>-<store>-changelog`). */
  store?: string;
  keySerde?: Serde<K>;
  valueSerde?: Serde<A>;
  /** false opts out of the changelog: the state is lost on restart. Logged loudly at start. */
  changelog?: false;
}

export type EmitMode = 'update' | 'final';

export interface WindowedOptions<K, A, W extends Windows = Windows> extends AggregateOptions<K, A> {
  window: W;
  /** 'update' (default): a result on every change; 'final': one result per window once it closes. */
  emit?: EmitMode;
  /** Where records arriving after their window closed go; default: dropped with a log line. */
  lateRecords?: { deadLetterTopic: string };
  /**
   * Close windows on wall-clock time too: when no record arrived for this
   * long, stream time moves on with the wall clock, so the last windows of a
   * quiet partition still close.
   */
  closeAfterIdleMs?: number;
  /** How long closed windows stay queryable (default one day). */
  retentionMs?: number;
}
