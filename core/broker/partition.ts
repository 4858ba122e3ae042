// One topic-partition of the broker: its log, the idempotent-producer state, and
// the fetchers waiting for new data (long-poll Fetch).
import { LogError, PartitionLog, systemClock, type Clock, type TxnMarkerFields } from '../log';
import { fromLogError } from './errors';
import { appendTxnMarker, appendWithProducerState, nextOffsetAfter, rebuildProducerState, ProducerStateTable } from './producer-state';

/** An aborted transaction as a Fetch response lists it. */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

/**
 * The aborted transactions a read_committed consumer needs to drop records
 * from `records` (stored batches read from `offset`): those ending at or after
 * `offset` and starting before the end of the batches.
 */
export function abortedTransactionsIn(log: Pick<PartitionLog, 'abortedTransactions'>, offset: number, records: Buffer): AbortedTransaction[] {
  // Most logs hold no aborted transaction past `offset`: then the batches need no walk.
  const candidates = log.abortedTransactions(offset, Number.MAX_SAFE_INTEGER);
  if (candidates.length === 0) return [];
  const end = nextOffsetAfter(records);
  if (end === undefined) return [];
  return candidates.filter((t) => t.firstOffset < end).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
}

/** Kafka's isolation_level: 0 read_uncommitted (up to the high watermark), 1 read_committed (up to the last stable offset). */
export type IsolationLevel = 0 | 1;

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
  /** The first offset of the oldest open transaction, at most the high watermark. */
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
    /** Stamps transaction markers (the coordinator's time, as Kafka's markers carry). */
    private readonly clock: Clock = systemClock,
  ) {
    this.producers = rebuildWhenReadable(log);
  }

  get offsets(): PartitionOffsets {
    const log = this.log;
    return { logStartOffset: log.logStartOffset, highWatermark: log.highWatermark, lastStableOffset: log.lastStableOffset, logEndOffset: log.logEndOffset };
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

  /**
   * Appends the COMMIT or ABORT marker ending the producer's transaction here
   * (WriteTxnMarkers). An older producer epoch is refused (PRODUCER_FENCED); a
   * newer one fences the old producer's writes.
   */
  writeTxnMarker(marker: TxnMarkerFields): { offset: number } {
    try {
      const r = appendTxnMarker(marker, this.producers, this.clock.now(), (batch) => this.log.append(batch, { origin: 'coordinator' }));
      for (const listener of [...this.appendListeners]) listener();
      return { offset: r.baseOffset };
    } catch (e) {
      throw fromLogError(e);
    }
  }

  /**
   * Stored batches from the one holding `offset`, at most `maxBytes` (at least
   * one batch), up to the high watermark, or the last stable offset for
   * read_committed (isolation 1).
   */
  read(offset: number, maxBytes: number, isolation: IsolationLevel = 0): Buffer {
    try {
      return this.log.read(offset, maxBytes, isolation === 1 ? this.log.lastStableOffset : this.log.highWatermark);
    } catch (e) {
      throw fromLogError(e);
    }
  }

  /**
   * ListOffsets: -2 earliest (log start), -1 latest (high watermark, or the
   * last stable offset for read_committed), -3 the
   * offset of the newest timestamp, otherwise the first offset whose timestamp is
   * at or after `timestamp` (-1 offset when there is none, as Kafka answers).
   */
  offsetForTimestamp(timestamp: number, isolation: IsolationLevel = 0): { offset: number; timestamp: number } {
    if (timestamp === -2) return { offset: this.log.logStartOffset, timestamp: -1 };
    if (timestamp === -1) return { offset: isolation === 1 ? this.log.lastStableOffset : this.log.highWatermark, timestamp: -1 };
    const found = this.log.recordForTimestamp(timestamp);
    // read_committed sees nothing at or past the last stable offset (Kafka's lastFetchableOffset).
    if (found === undefined || (isolation === 1 && found.offset >= this.log.lastStableOffset)) return { offset: -1, timestamp: -1 };
    return found;
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
