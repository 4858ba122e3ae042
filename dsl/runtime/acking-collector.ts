// The runtime's RecordCollector: hands every write to the producer and counts
// the writes not yet acknowledged. The main loop stops pulling records while
// that count is above the bound (backpressure from sink to source), and a
// commit waits for it to reach zero (offsets only after the writes are acked).
//
// Writes are gathered per topic and handed over in batches (one send call per
// batch, at the latest on the next turn of the event loop): per-record send
// calls cost more than the write itself. Writes of serialized ranges
// (sendRange, when the producer has openWrite) go into the producer's batch
// at once, through one open writer per topic, ended the same way.
import type { LogProducer, OutgoingRecord, RecordWriter } from '../../core/client';
import type { RecordCollector } from './stream-task';

/** A topic's open writer and the records appended to it. */
interface OpenWrite {
  readonly writer: RecordWriter;
  count: number;
}

const BATCH = 500;

export class AckingCollector implements RecordCollector {
  private inFlightCount = 0;
  /** Records handed over so far (metrics). */
  sent = 0;
  private failure: Error | undefined;
  private waiters: { below: number; resolve: () => void }[] = [];
  private readonly batches = new Map<string, OutgoingRecord[]>();
  /** The topic written last and its batch: consecutive writes to one topic skip the Map lookup. */
  private lastTopic: string | undefined;
  private lastBatch: OutgoingRecord[] | undefined;
  private scheduled: NodeJS.Immediate | undefined;
  private readonly writers = new Map<string, OpenWrite>();
  private lastWriteTopic: string | undefined;
  private lastWrite: OpenWrite | undefined;
  /** Present when the producer takes range writes (LogProducer.openWrite); without it the task copies the ranges into send(). */
  readonly sendRange: RecordCollector['sendRange'];

  constructor(private readonly producer: LogProducer) {
    // Parameters spelled out: a rest array would be one more object per record.
    this.sendRange =
      producer.openWrite === undefined
        ? undefined
        : (topic, src, keyStart, keyEnd, valueStart, valueEnd, timestamp) => this.writeRange(topic, src, keyStart, keyEnd, valueStart, valueEnd, timestamp);
  }

  send(topic: string, key: Buffer | null, value: Buffer | null, timestamp: number, partition: number | undefined, headers?: Record<string, string>): void {
    this.inFlightCount++;
    this.sent++;
    let batch = topic === this.lastTopic ? this.lastBatch : this.batches.get(topic);
    if (!batch) this.batches.set(topic, (batch = []));
    this.lastTopic = topic;
    this.lastBatch = batch;
    batch.push({ key, value, timestamp, partition, headers });
    if (batch.length >= BATCH) this.sendBatch(topic);
    else this.scheduled ??= setImmediate(() => this.sendAll());
  }

  private writeRange(topic: string, src: Buffer, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, timestamp: number): void {
    // Records gathered by send() for this topic are written first: the producer's batches keep the order of the writes.
    if (this.batches.size > 0 && this.batches.has(topic)) this.sendBatch(topic);
    let open = topic === this.lastWriteTopic ? this.lastWrite : this.writers.get(topic);
    if (!open) this.writers.set(topic, (open = { writer: this.producer.openWrite!(topic), count: 0 }));
    this.lastWriteTopic = topic;
    this.lastWrite = open;
    this.inFlightCount++;
    this.sent++;
    open.count++;
    open.writer.append(src, keyStart, keyEnd, valueStart, valueEnd, timestamp, undefined);
    if (open.count >= BATCH) this.endWrite(topic);
    else this.scheduled ??= setImmediate(() => this.sendAll());
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  /** The first write that failed after the producer's own retries: the app must stop (nothing after it may be committed). */
  get failed(): Error | undefined {
    return this.failure;
  }

  /** Resolves once at most `max` writes are unacknowledged. */
  waitUntilAtMost(max: number): Promise<void> {
    this.sendAll();
    if (this.inFlightCount <= max) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ below: max, resolve }));
  }

  /**
   * Exactly-once, after a failed transaction: sends what is gathered, waits
   * until every write has settled (acknowledged or failed) and forgets the
   * failure. The writes are aborted with their transaction.
   */
  async discard(): Promise<void> {
    this.sendAll();
    await this.producer.flush().catch(() => undefined);
    await this.waitUntilAtMost(0);
    this.failure = undefined;
  }

  /** Sends what is gathered and waits for every write to be acknowledged. */
  async flush(): Promise<void> {
    this.sendAll();
    await this.producer.flush();
    await this.waitUntilAtMost(0);
    if (this.failure) throw this.failure;
  }

  private sendAll(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    for (const topic of [...this.batches.keys()]) this.sendBatch(topic);
    for (const topic of [...this.writers.keys()]) this.endWrite(topic);
  }

  private endWrite(topic: string): void {
    const open = this.writers.get(topic);
    if (!open) return;
    this.writers.delete(topic);
    if (this.lastWrite === open) {
      this.lastWriteTopic = undefined;
      this.lastWrite = undefined;
    }
    this.track(topic, open.count, open.writer.end());
  }

  private sendBatch(topic: string): void {
    const batch = this.batches.get(topic);
    if (!batch || batch.length === 0) return;
    this.batches.delete(topic);
    if (this.lastBatch === batch) {
      this.lastTopic = undefined;
      this.lastBatch = undefined;
    }
    this.track(topic, batch.length, this.producer.sendBatch(topic, batch));
  }

  /** Counts `n` writes as settled once `written` does; the first failure is kept. */
  private track(topic: string, n: number, written: Promise<void>): void {
    written.then(
      () => this.settled(n),
      (e: Error) => {
        this.failure ??= new Error(`write to topic ${topic} failed: ${e.message}`);
        this.settled(n);
      },
    );
  }

  private settled(n: number): void {
    this.inFlightCount -= n;
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => {
      if (this.inFlightCount > w.below) return true;
      w.resolve();
      return false;
    });
  }
}
