// Background upkeep of the partition logs: retention (delete old segments),
// compaction (the cleaner) and flushes, the work Kafka's LogManager schedules.
//
// Appends are synchronous on the event loop, so "not blocking appends" means
// never holding the loop for long: a pass handles one partition per macrotask
// and yields (setImmediate) between partitions. Errors of one partition are
// reported and the pass goes on. stop() waits for a running pass to finish.
import { LogCleaner, type Clock, type PartitionLog } from '../log';

export interface SchedulerOptions {
  clock: Clock;
  /** How often a pass runs (flush checks every pass). Default 1000 ms. */
  intervalMs?: number;
  /** How often retention and compaction run (Kafka's log.retention.check.interval.ms is 300000). Default 30000 ms. */
  retentionCheckIntervalMs?: number;
  /** Compaction of logs whose cleanup.policy includes "compact" (default: core/log's LogCleaner). */
  cleanLog?: (log: PartitionLog, now: number) => void;
  onError?: (error: unknown, log: PartitionLog) => void;
}

export class LogScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastRetentionCheck: number;
  private readonly intervalMs: number;
  private readonly retentionCheckIntervalMs: number;
  private readonly cleanLog: (log: PartitionLog, now: number) => void;

  constructor(
    private readonly logs: () => PartitionLog[],
    private readonly options: SchedulerOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.retentionCheckIntervalMs = options.retentionCheckIntervalMs ?? 30_000;
    this.lastRetentionCheck = options.clock.now();
    const cleaner = new LogCleaner();
    this.cleanLog = options.cleanLog ?? ((log, now) => void cleaner.clean(log, now));
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.runPass(), this.intervalMs);
    this.timer.unref(); // upkeep alone never keeps a process alive
  }

  /** One pass over every log; a second call while one runs joins it. */
  runPass(options: { forceRetention?: boolean } = {}): Promise<void> {
    if (this.running) return this.running;
    this.running = this.pass(options.forceRetention ?? false).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(forceRetention: boolean): Promise<void> {
    const now = this.options.clock.now();
    const retention = forceRetention || now - this.lastRetentionCheck >= this.retentionCheckIntervalMs;
    if (retention) this.lastRetentionCheck = now;
    for (const log of this.logs()) {
      if (this.stopped) return;
      try {
        if (retention) {
          log.deleteOldSegments(now);
          if (log.config['cleanup.policy'] !== 'delete') this.cleanLog(log, now);
        }
        log.maybeFlush(now);
      } catch (e) {
        // A log closed under us (topic deleted during the pass) is not an error.
        if ((e as Error).name !== 'LogClosedError') this.options.onError?.(e, log);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Stops scheduling and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
