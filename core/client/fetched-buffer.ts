// The bounded buffer between a fetcher and the LogConsumer's reader, shared by
// the kafkajs consumer (kafkajs/kafkajs-consumer.ts) and the Kafka protocol
// one (remote/assigned-consumer.ts): records in fetch order
// (so in offset order per partition), what each partition's latest fetch
// answer said about its end (for fetchedLag), and the wake-ups both sides
// wait on: a reader for records or a fetch answer, a fetcher for room.
import type { LogRecord, TopicPartition } from './log-client';
import { Waiters } from './waiters';

interface PartitionState {
  readonly tp: TopicPartition;
  /** Its records buffered and not taken. */
  unread: number;
  /** The high watermark the latest fetch answer reported (undefined: none since assign or seek). */
  highWatermark?: number;
  /** The next offset that will be fetched after that answer. */
  nextOffset?: number;
}

export class FetchedBuffer {
  private records: LogRecord[] = [];
  private head = 0;
  /** Per topic, per partition (no key string built per record). */
  private readonly partitions = new Map<string, Map<number, PartitionState>>();
  private readonly readers = new Waiters();
  private readonly fetchers = new Waiters();

  constructor(readonly max: number) {}

  /** Records buffered and not taken. */
  get size(): number {
    return this.records.length - this.head;
  }

  get full(): boolean {
    return this.size >= this.max;
  }

  push(record: LogRecord): void {
    this.records.push(record);
    this.state(record).unread++;
  }

  /** A fetch of `tp` answered: its high watermark, and where the next fetch starts. Wakes the reader. */
  answered(tp: TopicPartition, highWatermark: number, nextOffset: number): void {
    const s = this.state(tp);
    s.highWatermark = highWatermark;
    s.nextOffset = nextOffset;
    this.wakeReaders();
  }

  /** See LogConsumer.fetchedLag. */
  lag(tp: TopicPartition): number | undefined {
    const s = this.partitions.get(tp.topic)?.get(tp.partition);
    if (s?.highWatermark === undefined) return undefined;
    return s.unread + Math.max(0, s.highWatermark - s.nextOffset!);
  }

  /** Forgets a partition's buffered records and its end (a seek, or it was unassigned). */
  drop(keep: (tp: TopicPartition) => boolean): void {
    const kept = this.records.slice(this.head).filter(keep);
    this.records = kept;
    this.head = 0;
    for (const byPartition of this.partitions.values()) for (const [p, s] of byPartition) if (!keep(s.tp)) byPartition.delete(p);
    this.wakeFetchers();
  }

  private state(tp: TopicPartition): PartitionState {
    let byPartition = this.partitions.get(tp.topic);
    if (byPartition === undefined) this.partitions.set(tp.topic, (byPartition = new Map()));
    let s = byPartition.get(tp.partition);
    if (s === undefined) byPartition.set(tp.partition, (s = { tp: { topic: tp.topic, partition: tp.partition }, unread: 0 }));
    return s;
  }

  /** Takes the next record, or undefined when none is buffered. */
  take(): LogRecord | undefined {
    if (this.head >= this.records.length) return undefined;
    const r = this.records[this.head];
    this.records[this.head++] = undefined as unknown as LogRecord;
    if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    const s = this.partitions.get(r.topic)?.get(r.partition);
    if (s) s.unread--;
    if (this.size < this.max) this.wakeFetchers();
    return r;
  }

  /** Up to `max` records; with none buffered, waits up to `waitMs` for records or a fetch answer. */
  async poll(max: number, waitMs: number, closed: () => boolean): Promise<LogRecord[]> {
    if (this.size === 0 && waitMs > 0 && !closed()) await this.waitForReader(waitMs);
    const out: LogRecord[] = [];
    while (out.length < max) {
      const r = this.take();
      if (r === undefined) break;
      out.push(r);
    }
    return out;
  }

  /** Resolves on the next push or answer, or after `ms` (no limit when undefined). */
  waitForReader(ms?: number): Promise<void> {
    return this.readers.wait(ms);
  }

  /** Resolves once there is room (or wakeFetchers() is called, e.g. on close), or after `ms` (no limit when undefined). */
  waitForRoom(ms?: number): Promise<void> {
    return this.fetchers.wait(ms);
  }

  wakeReaders(): void {
    this.readers.wakeAll();
  }

  wakeFetchers(): void {
    this.fetchers.wakeAll();
  }
}
