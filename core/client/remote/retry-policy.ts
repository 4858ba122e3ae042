// The one retry policy of the Kafka protocol client: how long a request rides
// out a cluster that cannot serve it (a broker killed, a leader or group
// coordinator being elected elsewhere), and how it waits between attempts.
// Kafka's clients do the same with retry.backoff.ms (100 ms) growing to
// retry.backoff.max.ms (1 s) with ±20 % jitter, bounded by delivery.timeout.ms
// / default.api.timeout.ms. A broker's death is noticed by the controller only
// after its session timeout (9 s by default), then leaders and coordinators
// move: the default deadline is minutes, not seconds, so a worker does not give
// up before the cluster has had a chance to recover.
import { KafkaClientError } from '../../protocol';

/** How long a request keeps being retried while the cluster cannot serve it (default). */
export const DEFAULT_BROKER_UNAVAILABLE_TIMEOUT_MS = 300_000;

export interface RetryOptions {
  /** Give up after this long without success (default DEFAULT_BROKER_UNAVAILABLE_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** The first pause (default 100 ms); each one doubles... */
  readonly backoffMs?: number;
  /** ...up to this (default 1000 ms). */
  readonly maxBackoffMs?: number;
  /** In [0, 1): the jitter's source (tests pass their own). */
  readonly random?: () => number;
}

/**
 * Returned by an attempt whose answer said "not here, not now" (a moved leader
 * or coordinator): try again, after the backoff unless `now` (the answer said
 * where to go instead).
 */
export class RetryLater {
  readonly now: boolean;
  constructor(
    readonly reason: string,
    options: { now?: boolean } = {},
  ) {
    this.now = options.now ?? false;
  }
}

export class RetryPolicy {
  readonly timeoutMs: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly random: () => number;

  constructor(options: RetryOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_BROKER_UNAVAILABLE_TIMEOUT_MS;
    this.backoffMs = options.backoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 1000;
    this.random = options.random ?? Math.random;
  }

  /** The pause before attempt `n + 1`: exponential, capped, ±20 % jitter (so many clients do not retry in step). */
  delayMs(n: number): number {
    const base = Math.min(this.backoffMs * 2 ** Math.min(n, 20), this.maxBackoffMs);
    return Math.round(base * (0.8 + 0.4 * this.random()));
  }

  /**
   * Runs `attempt` (given its number, from 0) until it returns something
   * other than RetryLater. A KafkaClientError (a refused or broken
   * connection, a timeout) or a RetryLater waits delayMs and tries again
   * (after an error, `onError` first: drop the connection); once `timeoutMs`
   * has passed, it fails with a KafkaClientError naming `what` and the last
   * reason. Any other error is not retried. `stopped()`: the client was
   * closed, the last failure is thrown at once.
   */
  async run<T>(
    what: string,
    attempt: (n: number) => Promise<T | RetryLater>,
    hooks: { onError?: (e: KafkaClientError) => void; stopped?: () => boolean } = {},
  ): Promise<T> {
    const deadline = Date.now() + this.timeoutMs;
    for (let n = 0; ; n++) {
      let reason: string;
      try {
        const r = await attempt(n);
        if (!(r instanceof RetryLater)) return r;
        reason = r.reason;
        if (r.now && Date.now() < deadline) continue;
      } catch (e) {
        if (!(e instanceof KafkaClientError) || hooks.stopped?.()) throw e;
        reason = e.message;
        hooks.onError?.(e);
      }
      if (Date.now() >= deadline) throw new KafkaClientError(`${what}: the cluster could not serve it within ${this.timeoutMs} ms (last: ${reason})`);
      await new Promise((r) => setTimeout(r, Math.min(this.delayMs(n), Math.max(0, deadline - Date.now()))));
    }
  }
}

/** A policy, or just its timeout (the other settings default). */
export function retryPolicy(retry: RetryPolicy | number | undefined): RetryPolicy {
  return retry instanceof RetryPolicy ? retry : new RetryPolicy({ timeoutMs: retry });
}

const DEFAULT_POLICY = new RetryPolicy();

/** The default policy's pause before attempt `n + 1` (for loops that keep their own deadline). */
export function backoff(n: number): Promise<void> {
  return new Promise((r) => setTimeout(r, DEFAULT_POLICY.delayMs(n)));
}
