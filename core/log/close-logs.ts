// The clean close of many logs at once (a broker's shutdown): each log's
// closeAsync() runs its fsyncs on libuv's threads, so a few dozen logs in
// flight keep the disk busy while the event loop goes on serving timers and
// sockets. One after another, 10,000 logs held a stopping broker for minutes.
import type { PartitionLog } from './partition-log';

/**
 * Logs closed at once: their fsyncs run on libuv's threads (4 by default),
 * and this many logs in flight keep every one of them and the disk's queue
 * busy, while the descriptors their fsyncs open stay bounded.
 */
export const LOG_CLOSE_CONCURRENCY = 64;

/** A log whose files could not be made durable: it has no clean-shutdown mark, and its next open recovers it. */
export interface LogCloseFailure {
  /** Its place in the array given to closeLogsAsync. */
  readonly index: number;
  readonly log: PartitionLog;
  readonly error: Error;
}

/**
 * closeAsync() of every log, `concurrency` at a time. A log that fails to
 * close is a value in the answer, not a throw: the others still close, each
 * writing its own mark only once its own files are durable. The answer lists
 * the failures in the order of `logs`.
 */
export async function closeLogsAsync(logs: readonly PartitionLog[], concurrency: number = LOG_CLOSE_CONCURRENCY): Promise<LogCloseFailure[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`closeLogsAsync: concurrency must be an integer of at least 1, not ${concurrency}`);
  const failures: LogCloseFailure[] = [];
  let next = 0;
  const closeNext = async (): Promise<void> => {
    for (let index = next++; index < logs.length; index = next++) {
      const log = logs[index];
      try {
        await log.closeAsync();
      } catch (e) {
        failures.push({ index, log, error: e instanceof Error ? e : new Error(String(e)) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, logs.length) }, closeNext));
  return failures.sort((a, b) => a.index - b.index);
}
