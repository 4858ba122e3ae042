// Exponential backoff for a lost connection: initialMs, doubling up to maxMs,
// for at most maxAttempts tries in a row (default: forever, reporting each).
import type { Clock } from './clock';

export interface BackoffOptions {
  /** First wait (default 100 ms). */
  readonly initialMs?: number;
  /** Longest wait (default 30 s). */
  readonly maxMs?: number;
  /** Tries in a row before the connector fails (default Infinity). */
  readonly maxAttempts?: number;
}

export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 30_000;
  return Math.min(max, initial * 2 ** Math.min(attempt - 1, 30));
}

export type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export type RetryResult<T> =
  | { readonly kind: 'done'; readonly value: T }
  | { readonly kind: 'gave-up'; readonly reason: string; readonly attempts: number }
  | { readonly kind: 'stopped' };

/**
 * Runs `attempt` until it succeeds, waiting with backoff between failures and
 * telling `report` about each. A throw counts as a failure. The first try
 * always runs (a stopping connector still commits what it wrote); waiting for
 * another ends as soon as `signal` aborts.
 */
export async function retryWithBackoff<T>(
  attempt: () => Promise<Attempt<T>>,
  options: { backoff?: BackoffOptions; clock: Clock; signal: AbortSignal; report: (reason: string, attempt: number, delayMs: number) => void },
): Promise<RetryResult<T>> {
  const maxAttempts = options.backoff?.maxAttempts ?? Infinity;
  for (let n = 1; ; n++) {
    let result: Attempt<T>;
    try {
      result = await attempt();
    } catch (e) {
      result = { ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
    if (result.ok) return { kind: 'done', value: result.value };
    if (n >= maxAttempts) return { kind: 'gave-up', reason: result.reason, attempts: n };
    const delay = backoffDelay(n, options.backoff);
    options.report(result.reason, n, delay);
    await options.clock.sleep(delay, options.signal);
    if (options.signal.aborted) return { kind: 'stopped' };
  }
}
