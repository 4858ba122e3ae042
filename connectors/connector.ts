// The two shapes a connector takes (Kafka Connect's, fitted to Rill's one
// LogClient): a sink writes records of topic partitions to the outside, a
// source brings records from the outside into a topic. The runners in
// runtime/ do everything else: consuming and producing, serdes, batching,
// retries with backoff, bad-record policies, and the commit rule (a topic
// offset is committed only after the sink acknowledged the write; an outside
// position is acknowledged only after the log acknowledged the append).

// A source's poll() parks on the clients' Waiters until records arrive or its signal aborts.
export { Waiters } from '../core/client';

/** A record handed to a sink: decoded key and value, and where it came from. */
export interface SinkRecord<K, V> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  /** null: the record has no key. */
  readonly key: K | null;
  /** null: a tombstone (the key was deleted). */
  readonly value: V | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** A record of the batch the outside refused (wrong shape, remote error): it follows the bad-record policy. */
export interface Rejection {
  /** Index in the batch given to write(). */
  readonly index: number;
  readonly reason: string;
}

/**
 * What a sink's write came to. 'written': the outside acknowledged every record
 * of the batch except the rejected ones. 'unavailable': it could not be reached
 * (nothing is known to be written); the runner retries the whole batch with
 * backoff, so a sink's writes must be safe to repeat (at-least-once).
 */
export type SinkWriteOutcome =
  | { readonly kind: 'written'; readonly rejected: readonly Rejection[] }
  | { readonly kind: 'unavailable'; readonly reason: string };

export const written = (rejected: readonly Rejection[] = []): SinkWriteOutcome => ({ kind: 'written', rejected });
export const unavailable = (reason: string): SinkWriteOutcome => ({ kind: 'unavailable', reason });

export interface SinkConnector<K, V> {
  /** Names the connector in log lines and its default consumer group (`connect-<name>`). */
  readonly name: string;
  start?(): Promise<void>;
  /** Writes a batch (records in offset order per partition) and resolves once the outside acknowledged it. */
  write(batch: readonly SinkRecord<K, V>[]): Promise<SinkWriteOutcome>;
  /** Releases connections; called once, after the last write. */
  stop?(): Promise<void>;
}

/** A record a source brings in. Unset fields: no key, the current time, the default partitioner. */
export interface SourceRecord<K, V> {
  readonly key?: K | null;
  readonly value: V | null;
  readonly timestamp?: number;
  readonly partition?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * One item of a poll, with the outside position it stands for (a file offset,
 * a stream entry id, an HTTP request). 'bad': input the source could not make
 * a record of (a line that is not JSON): it follows the bad-record policy.
 */
export type SourceEntry<K, V, P> =
  | { readonly kind: 'record'; readonly record: SourceRecord<K, V>; readonly position: P }
  | { readonly kind: 'bad'; readonly reason: string; readonly raw: Buffer; readonly position: P };

export type SourcePoll<K, V, P> =
  /** `end`: the source has nothing more, ever (a file read to its end without following). */
  | { readonly kind: 'entries'; readonly entries: readonly SourceEntry<K, V, P>[]; readonly end?: boolean }
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface SourceConnector<K, V, P = unknown> {
  readonly name: string;
  start?(): Promise<void>;
  /**
   * Up to `max` entries. Waits while there is nothing to read, and returns
   * (possibly empty) when `signal` aborts. Entries not yet acknowledged are
   * not handed out twice in one run.
   */
  poll(max: number, signal: AbortSignal): Promise<SourcePoll<K, V, P>>;
  /**
   * The log acknowledged (or the policy disposed of) these entries, a prefix of
   * what poll() handed out, in order: advance the outside position past them
   * (store the file offset, XACK, reply 2xx). Throwing means "try again later".
   */
  acknowledge(entries: readonly SourceEntry<K, V, P>[]): Promise<void>;
  stop?(): Promise<void>;
}
