// The producer: partitions records (explicit, murmur2 by key, sticky or
// round-robin without a key), batches them per partition by size and linger
// time, and sends RecordBatch v2 bytes to the broker. Idempotent by default:
// with a producer id, epoch and per-partition sequence numbers, a batch retried
// after a lost answer is recognised by the broker and written once.
import { Either, isLeft, left } from 'fp-ts/Either';
import { CompressionName, RecordBatchBuilder, RecordHeader, unwritableCompression } from '../log';
import { BrokerError, ErrorCode, ProduceResult } from '../broker';
import type { RecordWriter } from './log-client';
import { DefaultPartitioner, KeylessPartitioning } from './partitioner';

export type Acks = -1 | 0 | 1;

/** What the producer needs from a broker: the embedded Broker satisfies it. */
export interface ProduceTarget {
  produce(topic: string, partition: number, batch: Buffer): Either<BrokerError, ProduceResult> | Promise<Either<BrokerError, ProduceResult>>;
  describeTopic(topic: string): Either<BrokerError, { partitions: number }>;
  initProducerId(): { producerId: number; producerEpoch: number };
  /** Learns the topic's partitions before a send, where describeTopic needs a round trip first (the Kafka protocol). */
  prepareTopic?(topic: string): Promise<void>;
}

/**
 * What a transactional producer's batches need (TransactionalProducer gives
 * it): the producer id and epoch of its transactional id, and each partition
 * added to the open transaction before its first batch.
 */
export interface TransactionHooks {
  ids(): { producerId: number; producerEpoch: number };
  /** Adds the partition to the open transaction (once per transaction); rejects when the coordinator refuses. */
  enlist(topic: string, partition: number): Promise<void>;
}

export interface ProducerOptions {
  /** Default true: no duplicates from retries. */
  idempotent?: boolean;
  /** -1 (all, default) and 1 wait for the append; 0 resolves at once with offset -1. */
  acks?: Acks;
  /** Send a partition's batch once it holds this many bytes (Kafka batch.size, default 16384). */
  batchSize?: number;
  /** Wait up to this long for more records before sending a batch (Kafka linger.ms, default 0). */
  lingerMs?: number;
  compression?: CompressionName;
  keylessPartitioning?: KeylessPartitioning;
  /** Retries of a batch after a transport failure or a retriable error (default 5). */
  retries?: number;
  /** Called with errors no caller waits for (acks = 0). */
  onError?: (error: Error) => void;
}

export interface ProducerRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  headers?: Readonly<Record<string, Buffer | string | null>> | readonly RecordHeader[];
  /** Default: now. */
  timestamp?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks = 0. */
  offset: number;
  timestamp: number;
}

/**
 * One send() call: its records' results, settled once all are known (one
 * promise per call, not per record). Without `results` (sendAll) it only
 * counts its records down: no metadata object per record.
 */
class SendRequest {
  readonly results: RecordMetadata[] | undefined;
  private remaining: number;
  private settled = false;

  promise: Promise<RecordMetadata[]>;
  private resolveAll!: (r: RecordMetadata[]) => void;
  private rejectAll!: (e: Error) => void;

  /**
   * `open`: records are added one at a time (add(), a RecordWriter's) and it
   * does not settle before close().
   */
  constructor(
    count: number,
    withResults: boolean,
    private open = false,
  ) {
    this.results = withResults ? new Array(count) : undefined;
    this.remaining = count;
    this.promise = new Promise((resolve, reject) => {
      this.resolveAll = resolve;
      this.rejectAll = reject;
    });
    if (count === 0 && !open) this.resolveAll(this.results ?? NO_RESULTS);
  }

  /** Record `index` is written at `offset` (`timestamp`: its own or the log's append time). */
  resolve(topic: string, partition: number, index: number, offset: number, timestamp: number): void {
    if (this.results !== undefined) this.results[index] = { topic, partition, offset, timestamp };
    this.written(1);
  }

  /** One more record of an open request. */
  add(): void {
    this.remaining++;
  }

  /** No more records: settles once those added are written. */
  close(): void {
    this.open = false;
    this.written(0);
  }

  /** `n` records are written (their metadata is not kept). */
  written(n: number): void {
    this.remaining -= n;
    if (this.remaining === 0 && !this.open && !this.settled) {
      this.settled = true;
      this.resolveAll(this.results ?? NO_RESULTS);
    }
  }

  reject(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectAll(error);
  }
}

const NO_RESULTS: RecordMetadata[] = [];

/**
 * Consecutive records of a partition's batch that came from one send call:
 * `count` records, the first being the call's record `first` (for a call
 * that keeps results, its next `count` records; for sendAll, whose records
 * only count down, its records to this partition, which may be apart in the
 * call). A batch tracks its callers per call, not per record.
 */
interface Run {
  readonly request: SendRequest;
  readonly first: number;
  count: number;
  /** Each record's timestamp, for the results of a call that keeps them (the batch holds bytes, not records). */
  readonly timestamps: number[] | undefined;
}

interface PartitionBatch {
  topic: string;
  partition: number;
  /** The topic's partition count when the batch started (for the sticky partitioner). */
  partitions: number;
  /** The batch's records, written as they are appended (no record object is kept). */
  records: RecordBatchBuilder;
  runs: Run[];
  bytes: number;
  timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
}

/** Kafka errors worth retrying with the same batch (idempotence makes it safe). */
const RETRIABLE = new Set<number>([2, 5, 6, 7, 13, 19, 20, 56]);
/** Largest first size of a batch's buffer: a producer with a larger batch.size lets it grow. */
const BUILDER_CAPACITY = 64 * 1024;
/** Per-record overhead estimate on top of key and value bytes. */
const RECORD_OVERHEAD = 20;

export class Producer {
  /** Each partition's batch, by topic then partition: found per record without building a "topic\0partition" key. */
  private readonly batchesByTopic = new Map<string, PartitionBatch[]>();
  /** Per partition: the send in flight, so batches of a partition go out in order. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly sequences = new Map<string, number>();
  private readonly partitioner: DefaultPartitioner;
  private producerId = -1;
  private producerEpoch = -1;
  private closed = false;
  private readonly acks: Acks;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly retries: number;
  private readonly idempotent: boolean;

  constructor(
    private readonly target: ProduceTarget,
    private readonly options: ProducerOptions = {},
    /** Present for a transactional producer: its batches carry the transactional id's producer and the transactional flag. */
    private readonly transaction?: TransactionHooks,
  ) {
    this.acks = options.acks ?? -1;
    if (![-1, 0, 1].includes(this.acks)) throw new BrokerError(ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, not ${options.acks}.`);
    this.batchSize = options.batchSize ?? 16384;
    this.lingerMs = options.lingerMs ?? 0;
    this.retries = options.retries ?? 5;
    this.idempotent = transaction !== undefined || (options.idempotent ?? true);
    const refused = options.compression === undefined ? undefined : unwritableCompression(options.compression);
    if (refused !== undefined) throw new BrokerError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, refused);
    this.partitioner = new DefaultPartitioner(options.keylessPartitioning ?? 'sticky');
  }

  /**
   * Sends records to a topic. Resolves, in the order given, with each record's
   * partition and offset once it is appended; rejects with a BrokerError carrying
   * the Kafka error code when the broker refuses.
   */
  send(topic: string, records: ProducerRecord | readonly ProducerRecord[]): Promise<RecordMetadata[]> {
    const list = Array.isArray(records) ? (records as readonly ProducerRecord[]) : [records as ProducerRecord];
    return this.enqueue(topic, list, true);
  }

  /**
   * Sends records to a topic and resolves once all are appended, without
   * per-record metadata (the DSL's writes: one promise and no object per
   * record). Like send(), it writes each record into its partition's batch
   * before it returns: the records and their Buffers are the caller's again.
   */
  async sendAll(topic: string, records: readonly ProducerRecord[]): Promise<void> {
    await this.enqueue(topic, records, false);
  }

  private enqueue(topic: string, list: readonly ProducerRecord[], withResults: boolean): Promise<RecordMetadata[]> {
    if (this.closed) return Promise.reject(new Error('The producer is closed.'));
    const described = this.target.describeTopic(topic);
    if (isLeft(described)) return Promise.reject(described.left);
    const partitions = described.right.partitions;
    const now = Date.now();
    const request = new SendRequest(list.length, withResults);
    const byPartition = this.topicBatches(topic);
    for (let index = 0; index < list.length; index++) {
      const r = list[index];
      if (r.partition !== undefined && !validPartition(r.partition, partitions)) {
        request.reject(partitionRefused(topic, partitions, r.partition));
        continue;
      }
      const key = toBuffer(r.key ?? null);
      const partition = this.partitioner.partitionOf(topic, partitions, key, r.partition);
      this.append(byPartition, topic, partition, partitions, key, toBuffer(r.value), toHeaders(r.headers), r.timestamp ?? now, request, index);
    }
    return request.promise;
  }

  /**
   * A write to `topic` whose records come one at a time as byte ranges (the
   * DSL's serialized writes, from its scratch space): each is written into its
   * partition's batch as it is appended, so the bytes are the caller's again
   * at once. end() resolves once every record appended is acknowledged, and
   * rejects as sendAll() does.
   */
  openWrite(topic: string): RecordWriter {
    const request = new SendRequest(0, false, true);
    // Read at end(), maybe turns after a record was refused: until then its rejection is not unhandled.
    request.promise.catch(() => undefined);
    const described = this.closed ? left(new Error('The producer is closed.')) : this.target.describeTopic(topic);
    if (isLeft(described)) {
      request.reject(described.left);
      return new RangeWriter(this, topic, 0, [], request);
    }
    return new RangeWriter(this, topic, described.right.partitions, this.topicBatches(topic), request);
  }

  /** A RangeWriter's record: partitioned by its key bytes (or `explicit`), written into the batch from the ranges. */
  appendRange(
    writer: RangeWriter,
    src: Buffer,
    keyStart: number,
    keyEnd: number,
    valueStart: number,
    valueEnd: number,
    timestamp: number,
    explicit: number | undefined,
  ): void {
    const { topic, partitions, request } = writer;
    const index = writer.appended++;
    request.add();
    // A topic refused when the writer opened (closed producer, unknown topic): its request is rejected already.
    if (partitions === 0) return;
    if (explicit !== undefined && !validPartition(explicit, partitions)) return request.reject(partitionRefused(topic, partitions, explicit));
    const partition = this.partitioner.partitionOfRange(topic, partitions, src, keyStart, keyEnd, explicit);
    const batch = this.batchOf(writer.byPartition, topic, partition, partitions);
    try {
      batch.records.appendRange(src, keyStart, keyEnd, valueStart, valueEnd, timestamp);
    } catch (e) {
      return request.reject(unwritable(topic, index, e as Error));
    }
    this.appended(batch, request, index, timestamp, Math.max(0, keyEnd - keyStart) + Math.max(0, valueEnd - valueStart));
  }

  /** Sends everything batched now and waits for it. */
  async flush(): Promise<void> {
    for (const byPartition of this.batchesByTopic.values()) for (const batch of byPartition) if (batch) this.drain(batch);
    await Promise.all([...this.inFlight.values()]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }

  /** The topic's partition batches: looked up once per send call, not per record. */
  private topicBatches(topic: string): PartitionBatch[] {
    let byPartition = this.batchesByTopic.get(topic);
    if (!byPartition) this.batchesByTopic.set(topic, (byPartition = []));
    return byPartition;
  }

  private append(
    byPartition: PartitionBatch[],
    topic: string,
    partition: number,
    partitions: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: RecordHeader[] | undefined,
    timestamp: number,
    request: SendRequest,
    index: number,
  ): void {
    const batch = this.batchOf(byPartition, topic, partition, partitions);
    try {
      batch.records.append(key, value, timestamp, headers);
    } catch (e) {
      request.reject(unwritable(topic, index, e as Error));
      return;
    }
    this.appended(batch, request, index, timestamp, (key?.length ?? 0) + (value?.length ?? 0));
  }

  /** A partition batch's records, sized for a full batch on its first record (up to BUILDER_CAPACITY: a large batch.size grows as records come). */
  private newBuilder(): RecordBatchBuilder {
    return new RecordBatchBuilder(Math.min(this.batchSize, BUILDER_CAPACITY));
  }

  /** The partition's open batch, started when it has none. */
  private batchOf(byPartition: PartitionBatch[], topic: string, partition: number, partitions: number): PartitionBatch {
    let batch = byPartition[partition];
    if (!batch) {
      batch = { topic, partition, partitions, records: this.newBuilder(), runs: [], bytes: 0, timer: undefined };
      byPartition[partition] = batch;
    }
    return batch;
  }

  /** Record `index` of `request` is in the batch: tracks its caller and sends the batch when full (or on the linger timer). */
  private appended(batch: PartitionBatch, request: SendRequest, index: number, timestamp: number, fieldBytes: number): void {
    const run = batch.runs.length === 0 ? undefined : batch.runs[batch.runs.length - 1];
    // With results, a run is one call's records with consecutive indices: a call whose
    // partitions interleave ([p0, p1, p0]) starts a new run, so each result lands at its
    // own index. Without (sendAll) only the count matters: one run per call and batch,
    // not one per record when keys spread a call's records over the partitions.
    if (run !== undefined && run.request === request && (request.results === undefined || run.first + run.count === index)) {
      run.count++;
      run.timestamps?.push(timestamp);
    } else batch.runs.push({ request, first: index, count: 1, timestamps: request.results === undefined ? undefined : [timestamp] });
    batch.bytes += fieldBytes + RECORD_OVERHEAD;
    if (batch.bytes >= this.batchSize) {
      this.drain(batch);
    } else if (batch.timer === undefined) {
      const b = batch;
      // linger 0 still gathers the records of one synchronous burst (one send call).
      b.timer = this.lingerMs > 0 ? setTimeout(() => this.drain(b), this.lingerMs) : setImmediate(() => this.drain(b));
    }
    if (this.acks === 0) request.resolve(batch.topic, batch.partition, index, -1, timestamp);
  }

  /** Takes the partition's batch and queues its send behind the one in flight. */
  private drain(batch: PartitionBatch): void {
    if (batch.timer) clearTimer(batch.timer);
    batch.timer = undefined;
    const records = batch.records;
    if (records.count === 0) return;
    const runs = batch.runs;
    batch.records = this.newBuilder();
    batch.runs = [];
    batch.bytes = 0;
    // Sticky partitioning: keyless records move on once their partition's batch is sent.
    this.partitioner.batchSent(batch.topic, batch.partition, batch.partitions);
    const key = `${batch.topic}\0${batch.partition}`;
    const previous = this.inFlight.get(key) ?? Promise.resolve();
    const sending = previous.then(() => this.sendBatch(batch.topic, batch.partition, records, runs));
    this.inFlight.set(key, sending);
    void sending.finally(() => {
      if (this.inFlight.get(key) === sending) this.inFlight.delete(key);
    });
  }

  private async sendBatch(topic: string, partition: number, records: RecordBatchBuilder, runs: Run[]): Promise<void> {
    const key = `${topic}\0${partition}`;
    if (this.transaction !== undefined) {
      try {
        await this.transaction.enlist(topic, partition);
      } catch (e) {
        return this.fail(runs, e as Error);
      }
    }
    let batch: { bytes: Buffer; producerId: number; baseSequence: number } | undefined;
    let lastError: Error | undefined;
    let uncertain = false;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      try {
        batch ??= this.encode(key, records);
      } catch (e) {
        return this.fail(runs, e as Error);
      }
      let result: Either<BrokerError, ProduceResult>;
      try {
        // Resending the same bytes is fine: the broker only rewrites baseOffset, outside the CRC.
        result = await this.target.produce(topic, partition, batch.bytes);
      } catch (e) {
        lastError = e as Error; // transport failure: the batch may or may not be written
        uncertain = true;
        continue;
      }
      if (isLeft(result)) {
        lastError = result.left;
        if (result.left.code === ErrorCode.UNKNOWN_PRODUCER_ID && this.idempotent && this.transaction === undefined) {
          // The broker lost our state (restart): start over with a new producer id.
          this.resetProducerId(batch.producerId);
          batch = undefined;
          continue;
        }
        if (RETRIABLE.has(result.left.code)) continue;
        break;
      }
      if (this.idempotent && batch.producerId === this.producerId) this.sequences.set(key, (batch.baseSequence + records.count) % 0x80000000);
      if (this.acks !== 0) this.written(topic, partition, runs, result.right);
      return;
    }
    // Unknown whether the batch was written: reusing its sequence numbers could make the
    // broker take the next batch for a retry of this one, so move to a new producer id
    // (a transactional producer's transaction is then aborted, which re-initialises it).
    if (uncertain && batch && this.transaction === undefined) this.resetProducerId(batch.producerId);
    this.fail(runs, lastError ?? new Error('produce failed'));
  }

  /** Settles each send call's share of an appended batch: its records' offsets in order, or only their count. */
  private written(topic: string, partition: number, runs: Run[], appended: ProduceResult): void {
    const appendTime = appended.logAppendTime;
    let at = 0;
    for (const run of runs) {
      const timestamps = run.timestamps;
      if (timestamps === undefined) run.request.written(run.count);
      else
        for (let i = 0; i < run.count; i++)
          run.request.resolve(topic, partition, run.first + i, appended.baseOffset + at + i, appendTime >= 0 ? appendTime : timestamps[i]);
      at += run.count;
    }
  }

  private encode(key: string, records: RecordBatchBuilder): { bytes: Buffer; producerId: number; baseSequence: number } {
    if (!this.idempotent) return { bytes: records.build({ compression: this.options.compression }), producerId: -1, baseSequence: -1 };
    if (this.transaction !== undefined) {
      // A new epoch (the transactional id re-initialised) starts every partition's sequence again.
      const ids = this.transaction.ids();
      if (ids.producerId !== this.producerId || ids.producerEpoch !== this.producerEpoch) this.sequences.clear();
      this.producerId = ids.producerId;
      this.producerEpoch = ids.producerEpoch;
    } else if (this.producerId < 0) {
      const id = this.target.initProducerId();
      this.producerId = id.producerId;
      this.producerEpoch = id.producerEpoch;
    }
    const baseSequence = this.sequences.get(key) ?? 0;
    const bytes = records.build({
      compression: this.options.compression,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence,
      transactional: this.transaction !== undefined,
    });
    return { bytes, producerId: this.producerId, baseSequence };
  }

  private resetProducerId(failed: number): void {
    if (this.producerId !== failed) return;
    this.producerId = -1;
    this.sequences.clear();
  }

  private fail(runs: Run[], error: Error): void {
    if (this.acks === 0) this.options.onError?.(error);
    else for (const run of runs) run.request.reject(error);
  }
}

/** One open write to a topic (Producer.openWrite): records appended as byte ranges, one request for them all. */
class RangeWriter implements RecordWriter {
  /** Records appended so far (the next one's index in the request). */
  appended = 0;

  constructor(
    private readonly producer: Producer,
    readonly topic: string,
    readonly partitions: number,
    /** The topic's partition batches, looked up once per writer. */
    readonly byPartition: PartitionBatch[],
    readonly request: SendRequest,
  ) {}

  append(src: Buffer, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, timestamp: number, partition: number | undefined): void {
    this.producer.appendRange(this, src, keyStart, keyEnd, valueStart, valueEnd, timestamp, partition);
  }

  async end(): Promise<void> {
    this.request.close();
    await this.request.promise;
  }
}

function validPartition(partition: number, partitions: number): boolean {
  return Number.isInteger(partition) && partition >= 0 && partition < partitions;
}

function partitionRefused(topic: string, partitions: number, partition: number): BrokerError {
  return new BrokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${topic}" has ${partitions} partition(s); record asks for partition ${partition}.`);
}

function unwritable(topic: string, index: number, e: Error): BrokerError {
  return new BrokerError(ErrorCode.INVALID_TIMESTAMP, `Topic "${topic}": record ${index} cannot be written: ${e.message}`);
}

function clearTimer(t: NodeJS.Timeout | NodeJS.Immediate): void {
  if ('hasRef' in t && 'refresh' in t) clearTimeout(t as NodeJS.Timeout);
  else clearImmediate(t as NodeJS.Immediate);
}

function toBuffer(v: Buffer | string | null): Buffer | null {
  if (v === null) return null;
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
}

function toHeaders(h: ProducerRecord['headers']): RecordHeader[] | undefined {
  if (h === undefined) return undefined;
  if (Array.isArray(h)) return h as RecordHeader[];
  return Object.entries(h as Record<string, Buffer | string | null>).map(([key, value]) => ({ key, value: toBuffer(value) }));
}
