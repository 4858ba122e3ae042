// What sink and source tasks share: the lifecycle (start once, stop once,
// `done` settles when the task ends), stats, and the options every runner takes.
import type { ErrorPolicy, Logger } from '../../dsl';
import type { BackoffOptions } from './backoff';
import type { Clock } from './clock';

export type ConnectorState = 'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface ConnectorStats {
  /** Records written to the outside (sinks) or to the topic (sources). */
  written: number;
  skipped: number;
  deadLettered: number;
  /** Failed tries that were retried with backoff. */
  retries: number;
  /** The last connection problem reported, if any. */
  lastError?: string;
}

export interface CommonTaskOptions {
  /** What to do with a record that cannot be written or read (default 'fail'). */
  readonly badRecords?: ErrorPolicy;
  /** Records per write or poll, which also bounds what is in flight (default 500). */
  readonly maxBatch?: number;
  readonly retry?: BackoffOptions;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface ConnectorTask {
  readonly name: string;
  readonly state: ConnectorState;
  readonly stats: ConnectorStats;
  /** Resolves when the task stopped; rejects with the reason when it failed. */
  readonly done: Promise<void>;
  start(): Promise<void>;
  /** Graceful: finishes the batch in hand, commits what the outside acknowledged, closes. */
  stop(): Promise<void>;
}

/** The `done` promise of a task, settled by the task itself. */
export function settleable(): { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export function newStats(): ConnectorStats {
  return { written: 0, skipped: 0, deadLettered: 0, retries: 0 };
}
