// The bounded buffer between a kafkajs-fed fetcher and the LogConsumer's
// reader, shared by the group-assigned consumer (kafka-consumer.ts) and the
// externally assigned one (assigned-log-client.ts): records in fetch order
// (so in offset order per partition), what each partition's latest fetch
// answer said about its end (for fetchedLag), and the wake-ups both sides
// wait on: a reader for records or a fetch answer, a fetcher for room.
import type { LogRecord } from '../../dsl';
import type { TopicPartition } from '../log-types';

export const tpKey = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;

interface PartitionEnd {
  /** The high watermark the latest fetch answer reported. */
  highWatermark: number;
  /** The next offset that will be fetched after that answer. */
  nextOffset: number;
}

export class FetchedBuffer {
  private records: LogRecord[] = [];
  private head = 0;
  private readonly unread = new Map<string, number>();
  private readonly ends = new Map<string, PartitionEnd>();
  private readonly readers = new Set<() => void>();
  private readonly fetchers = new Set<() => void>();

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
    const key = tpKey(record);
    this.unread.set(key, (this.unread.get(key) ?? 0) + 1);
  }

  /** A fetch of `tp` answered: its high watermark, and where the next fetch starts. Wakes the reader. */
  answered(tp: TopicPartition, highWatermark: number, nextOffset: number): void {
    this.ends.set(tpKey(tp), { highWatermark, nextOffset });
    this.wakeReaders();
  }

  /** See LogConsumer.fetchedLag. */
  lag(tp: TopicPartition): number | undefined {
    const key = tpKey(tp);
    const end = this.ends.get(key);
    if (end === undefined) return undefined;
    return (this.unread.get(key) ?? 0) + Math.max(0, end.highWatermark - end.nextOffset);
  }

  /** Forgets a partition's buffered records and its end (a seek, or it was unassigned). */
  drop(keep: (tp: TopicPartition) => boolean): void {
    const kept = this.records.slice(this.head).filter(keep);
    this.records = kept;
    this.head = 0;
    for (const key of [...this.unread.keys(), ...this.ends.keys()]) {
      const [topic, partition] = key.split('\u0000');
      if (keep({ topic, partition: Number(partition) })) continue;
      this.unread.delete(key);
      this.ends.delete(key);
    }
    this.wakeFetchers();
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
    const key = tpKey(r);
    this.unread.set(key, (this.unread.get(key) ?? 1) - 1);
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
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const readers = this.readers;
      function done() {
        if (timer) clearTimeout(timer);
        readers.delete(done);
        resolve();
      }
      readers.add(done);
    });
  }

  /** Resolves once there is room (or wakeFetchers() is called, e.g. on close). */
  waitForRoom(): Promise<void> {
    return new Promise<void>((resolve) => this.fetchers.add(resolve));
  }

  wakeReaders(): void {
    const waiting = [...this.readers];
    this.readers.clear();
    for (const w of waiting) w();
  }

  wakeFetchers(): void {
    const waiting = [...this.fetchers];
    this.fetchers.clear();
    for (const w of waiting) w();
  }
}
