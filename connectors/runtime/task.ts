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

/**
 * The lifecycle both tasks share: start once (prepare, then run the loop), stop
 * once (abort the loop and wait for it), and end by closing what the task holds
 * and settling `done`.
 */
export abstract class TaskLifecycle implements ConnectorTask {
  state: ConnectorState = 'created';
  readonly stats: ConnectorStats = newStats();
  private readonly finished = settleable();
  readonly done = this.finished.promise;
  protected readonly stopSignal = new AbortController();
  private loop: Promise<void> | undefined;

  protected constructor(
    private readonly kind: 'sink' | 'source',
    protected readonly logger: Logger,
  ) {}

  abstract get name(): string;
  /** Opens what the loop needs; a throw ends the task as failed. */
  protected abstract prepare(): Promise<void>;
  /** The task's loop; it calls end() when it finishes. */
  protected abstract run(): Promise<void>;
  /** Starts closing what the task holds (consumer, producer, the connector). */
  protected abstract closeResources(): readonly unknown[];
  /** After the resources are closed, before `done` settles. */
  protected onClosed(): void {}

  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`${this.kind} ${this.name}: start() called in state ${this.state}; a task runs once.`);
    this.state = 'starting';
    try {
      await this.prepare();
    } catch (e) {
      await this.end(e instanceof Error ? e : new Error(String(e)));
      throw e;
    }
    this.state = 'running';
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    if (this.state === 'created') this.state = 'stopped';
    this.stopSignal.abort();
    await this.loop;
    await this.done.catch(() => undefined);
  }

  protected reportRetry(what: string, reason: string, attempt: number, delayMs: number): void {
    this.stats.retries++;
    this.stats.lastError = reason;
    this.logger.warn(`${this.kind} ${this.name}: ${what} failed (try ${attempt}): ${reason}; retrying in ${delayMs} ms`);
  }

  protected async end(failure: Error | undefined): Promise<void> {
    this.state = 'stopping';
    for (const c of this.closeResources())
      await Promise.resolve(c).catch((e: Error) => this.logger.warn(`${this.kind} ${this.name}: while closing: ${e.message}`));
    this.onClosed();
    if (failure) {
      this.state = 'failed';
      this.logger.error(`${this.kind} ${this.name} failed: ${failure.message}`);
      this.finished.reject(failure);
    } else {
      this.state = 'stopped';
      this.finished.resolve();
    }
  }
}
