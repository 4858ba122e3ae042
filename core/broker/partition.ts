// One topic-partition of the broker: its log, the idempotent-producer state, and
// the fetchers waiting for new data (long-poll Fetch).
import { LogError, PartitionLog } from '../log';
import { fromLogError } from './errors';
import { appendWithProducerState, rebuildProducerState, ProducerStateTable } from './producer-state';

export interface ProduceResult {
  baseOffset: number;
  lastOffset: number;
  /** Broker time stamped under LogAppendTime, else -1. */
  logAppendTime: number;
  logStartOffset: number;
  /** True when every batch was a retry of one already written (idempotent producer). */
  duplicate: boolean;
}

export interface PartitionOffsets {
  logStartOffset: number;
  highWatermark: number;
  /** Without transactions the last stable offset is the high watermark. */
  lastStableOffset: number;
  logEndOffset: number;
}

export class Partition {
  /** Rebuilt from the log on open, so a batch retried across a broker restart is still recognised. */
  readonly producers: ProducerStateTable;
  private readonly appendListeners = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: PartitionLog,
  ) {
    this.producers = rebuildWhenReadable(log);
  }

  get offsets(): PartitionOffsets {
    const log = this.log;
    return { logStartOffset: log.logStartOffset, highWatermark: log.highWatermark, lastStableOffset: log.highWatermark, logEndOffset: log.logEndOffset };
  }

  /**
   * Appends the RecordBatch v2 bytes of one Produce request for this partition.
   * Batches of an idempotent producer are checked against its sequence numbers
   * first; a retried batch is answered with the offsets it got the first time.
   * The buffer is handed over (the log writes offsets into it).
   */
  produce(batches: Buffer): ProduceResult {
    try {
      const r = appendWithProducerState(batches, this.producers, (batch) => this.log.append(batch));
      if (!r.duplicate) this.notifyAppend();
      return {
        baseOffset: r.baseOffset,
        lastOffset: r.lastOffset,
        logAppendTime: r.logAppendTime,
        logStartOffset: this.log.logStartOffset,
        duplicate: r.duplicate,
      };
    } catch (e) {
      throw fromLogError(e);
    }
  }

  /** Stored batches from the one holding `offset`, at most `maxBytes` (at least one batch). */
  read(offset: number, maxBytes: number): Buffer {
    try {
      return this.log.read(offset, maxBytes);
    } catch (e) {
      throw fromLogError(e);
    }
  }

  /**
   * ListOffsets: -2 earliest (log start), -1 latest (high watermark), -3 the
   * offset of the newest timestamp, otherwise the first offset whose timestamp is
   * at or after `timestamp` (-1 offset when there is none, as Kafka answers).
   */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } {
    if (timestamp === -2) return { offset: this.log.logStartOffset, timestamp: -1 };
    if (timestamp === -1) return { offset: this.log.highWatermark, timestamp: -1 };
    if (timestamp === -3) {
      const max = this.log.maxTimestamp;
      if (max < 0) return { offset: -1, timestamp: -1 };
      return this.log.offsetForTimestamp(max) ?? { offset: -1, timestamp: -1 };
    }
    return this.log.offsetForTimestamp(timestamp) ?? { offset: -1, timestamp: -1 };
  }

  /** Wakes the fetchers waiting for data after an append made past produce (a transaction marker). */
  notifyAppend(): void {
    for (const listener of [...this.appendListeners]) listener();
  }

  /** Calls `listener` after each append; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }
}

/**
 * Producer state from the log's tail; empty when the log is failed (damaged on
 * disk: it answers KAFKA_STORAGE_ERROR until repaired, and the broker serves
 * every other partition meanwhile).
 */
function rebuildWhenReadable(log: PartitionLog): ProducerStateTable {
  try {
    return rebuildProducerState(log);
  } catch (e) {
    if (e instanceof LogError && log.failure !== undefined) return new ProducerStateTable();
    throw e;
  }
}
