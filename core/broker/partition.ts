// One topic-partition of the broker: its log, the idempotent-producer state, and
// the fetchers waiting for new data (long-poll Fetch).
import { PartitionLog } from '../log';
import { BrokerError, ErrorCode, fromLogError } from './errors';
import { ProducerStateTable, batchSpans, nextOffsetAfter, producerFields, storedProducerBatches } from './producer-state';

/**
 * How far back (in offsets) the producer state is rebuilt from the log when a
 * partition opens. A producer whose last write is older than this is forgotten,
 * like Kafka's producer-id expiry; its next batch then starts a new sequence.
 */
export const PRODUCER_STATE_WINDOW = 10_000;
const REBUILD_CHUNK = 1024 * 1024;

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
  readonly producers = new ProducerStateTable();
  private readonly appendListeners = new Set<() => void>();

  constructor(
    readonly topic: string,
    readonly index: number,
    readonly log: PartitionLog,
  ) {
    this.rebuildProducerState();
  }

  /**
   * Reads the batch headers of the last PRODUCER_STATE_WINDOW offsets, so a batch
   * retried across a broker restart is still recognised as a duplicate.
   */
  private rebuildProducerState(): void {
    const log = this.log;
    let offset = Math.max(log.logStartOffset, log.logEndOffset - PRODUCER_STATE_WINDOW);
    while (offset < log.logEndOffset) {
      const bytes = log.read(offset, REBUILD_CHUNK);
      const next = nextOffsetAfter(bytes);
      if (next === undefined) break;
      for (const b of storedProducerBatches(bytes)) {
        if (b.lastOffset >= offset) this.producers.record(b.fields, { baseOffset: b.baseOffset, lastOffset: b.lastOffset, logAppendTime: b.logAppendTime });
      }
      offset = next;
    }
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
      const first = producerFields(batches, 0);
      const result = first === undefined ? this.appendPlain(batches) : this.appendIdempotent(batches);
      if (!result.duplicate) for (const listener of [...this.appendListeners]) listener();
      return result;
    } catch (e) {
      throw fromLogError(e);
    }
  }

  private appendPlain(batches: Buffer): ProduceResult {
    const r = this.log.append(batches);
    return { baseOffset: r.baseOffset, lastOffset: r.lastOffset, logAppendTime: r.logAppendTime, logStartOffset: this.log.logStartOffset, duplicate: false };
  }

  private appendIdempotent(batches: Buffer): ProduceResult {
    let result: ProduceResult | undefined;
    let allDuplicates = true;
    for (const span of batchSpans(batches)) {
      const batch = batches.subarray(span.position, span.position + span.size);
      const fields = producerFields(batch);
      if (fields === undefined) throw new BrokerError(ErrorCode.INVALID_RECORD, 'A Produce request mixes idempotent and plain batches; send one kind per request.');
      const check = this.producers.check(fields);
      let r: { baseOffset: number; lastOffset: number; logAppendTime: number };
      if (check.kind === 'duplicate') {
        r = check;
      } else {
        allDuplicates = false;
        r = this.log.append(batch);
        this.producers.record(fields, { baseOffset: r.baseOffset, lastOffset: r.lastOffset, logAppendTime: r.logAppendTime });
      }
      result = {
        baseOffset: result?.baseOffset ?? r.baseOffset,
        lastOffset: r.lastOffset,
        logAppendTime: r.logAppendTime,
        logStartOffset: this.log.logStartOffset,
        duplicate: false,
      };
    }
    return { ...result!, duplicate: allDuplicates };
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

  /** Calls `listener` after each append; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }
}
