// Event-time alignment of one task's inputs, as Kafka Streams' PartitionGroup:
// a task reads partition p of several topics (two sides of a join, merged
// streams, a source and its repartition topic) and processes, among them, the
// buffered record with the smallest timestamp. Within a partition, offset
// order is kept.
//
// A partition with nothing buffered holds the task back while the log is
// known to have more of it (its fetched lag is above 0, or no fetch has
// answered yet): processing the other side first would move stream time past
// records still on their way and turn them late. A partition known to be
// empty holds the task back for maxTaskIdleMs at most (Kafka's
// max.task.idle.ms with KIP-695's lag rule; 0, the default, waits only for
// data known to exist); -1 never holds it back.
import type { LogRecord, TopicPartition } from '../../core/client';

/** Kafka Streams' default max.task.idle.ms. */
export const DEFAULT_MAX_TASK_IDLE_MS = 0;
/** Never wait for an empty partition (Kafka's MAX_TASK_IDLE_MS_DISABLED). */
export const TASK_IDLE_DISABLED = -1;

/**
 * One input partition's buffered records, in offset order: a ring that grows
 * by doubling and is kept while the queue runs empty and fills again (each
 * poll refills it), so buffering a record allocates nothing.
 */
class RecordQueue {
  private ring: (LogRecord | undefined)[] = new Array(16).fill(undefined);
  private head = 0;
  private size = 0;
  /** Its fetching is paused (the queue filled while the task waited on another input). */
  paused = false;
  /** The offset after the last record added (undefined: none yet). */
  nextAfterAdded: number | undefined;

  constructor(readonly tp: TopicPartition) {}

  get length(): number {
    return this.size;
  }

  get headTimestamp(): number {
    return this.ring[this.head]!.timestamp;
  }

  push(r: LogRecord): void {
    if (this.size === this.ring.length) this.grow();
    this.ring[(this.head + this.size) & (this.ring.length - 1)] = r;
    this.size++;
  }

  shift(): LogRecord {
    const r = this.ring[this.head]!;
    this.ring[this.head] = undefined; // the record is the task's now: the queue keeps no reference
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.size--;
    return r;
  }

  /** Twice the room (capacities stay powers of two), the records moved to the front in order. */
  private grow(): void {
    const old = this.ring;
    const ring: (LogRecord | undefined)[] = new Array(old.length * 2).fill(undefined);
    for (let i = 0; i < this.size; i++) ring[i] = old[(this.head + i) & (old.length - 1)];
    this.ring = ring;
    this.head = 0;
  }
}

export class PartitionGroup {
  private readonly queues: RecordQueue[];
  private readonly byTopic = new Map<string, RecordQueue>();
  /** Per empty queue with zero lag: the wall-clock time until which it holds the task back. */
  private readonly idleDeadlines = new Map<RecordQueue, number>();
  private count = 0;
  /** The queue the last record was added to: a fetch hands over runs of one partition's records (no Map lookup each). */
  private lastAdded: RecordQueue | undefined;

  constructor(
    readonly partition: number,
    topics: readonly string[],
    private readonly maxTaskIdleMs: number,
  ) {
    this.queues = topics.map((topic) => new RecordQueue({ topic, partition }));
    for (const q of this.queues) this.byTopic.set(q.tp.topic, q);
  }

  /** Records buffered across the task's partitions. */
  get buffered(): number {
    return this.count;
  }

  /** Records buffered of one of the task's partitions. */
  bufferedOf(topic: string): number {
    return this.byTopic.get(topic)?.length ?? 0;
  }

  /** The offset after the last record added of one of the task's partitions (undefined: none yet). */
  nextAfterAdded(topic: string): number | undefined {
    return this.byTopic.get(topic)?.nextAfterAdded;
  }

  /** Buffers a fetched record of one of the task's partitions (others are ignored). */
  add(record: LogRecord): boolean {
    let q = this.lastAdded;
    if (q === undefined || q.tp.topic !== record.topic) {
      q = this.byTopic.get(record.topic);
      if (q === undefined) return false;
      this.lastAdded = q;
    }
    q.push(record);
    q.nextAfterAdded = record.offset + 1;
    this.count++;
    return true;
  }

  /** Marks the partitions with at least `limit` records queued as paused; returns those newly paused. */
  pauseFull(limit: number): TopicPartition[] {
    return this.setPaused((q) => !q.paused && q.length >= limit, true);
  }

  /** Unmarks the paused partitions with fewer than `below` records queued; returns them. */
  resumeDrained(below: number): TopicPartition[] {
    return this.setPaused((q) => q.paused && q.length < below, false);
  }

  /** Unmarks every paused partition (the group is dropped); returns them. */
  resumeAll(): TopicPartition[] {
    return this.setPaused((q) => q.paused, false);
  }

  private setPaused(which: (q: RecordQueue) => boolean, paused: boolean): TopicPartition[] {
    const changed: TopicPartition[] = [];
    for (const q of this.queues) {
      if (!which(q)) continue;
      q.paused = paused;
      changed.push(q.tp);
    }
    return changed;
  }

  /**
   * Whether the task may process its next record now (Kafka's
   * PartitionGroup.readyToProcess): some partition has a record, and every
   * empty one is known to have no more (lag 0) and has held the task back
   * for maxTaskIdleMs already.
   */
  readyToProcess(now: number, fetchedLag: (tp: TopicPartition) => number | undefined): boolean {
    if (this.count === 0) return false;
    if (this.maxTaskIdleMs === TASK_IDLE_DISABLED) return true;
    for (const q of this.queues) {
      if (q.length > 0) {
        this.idleDeadlines.delete(q);
        continue;
      }
      const lag = fetchedLag(q.tp);
      if (lag === undefined || lag > 0) {
        // Records of it exist (or may): wait until they are fetched.
        this.idleDeadlines.delete(q);
        return false;
      }
      let deadline = this.idleDeadlines.get(q);
      if (deadline === undefined) this.idleDeadlines.set(q, (deadline = now + this.maxTaskIdleMs));
      if (now < deadline) return false;
    }
    return true;
  }

  /** The earliest idle deadline still ahead of `now`, if the task waits on one. */
  nextDeadline(now: number): number | undefined {
    let next: number | undefined;
    for (const d of this.idleDeadlines.values()) if (d > now && (next === undefined || d < next)) next = d;
    return next;
  }

  /** The smallest timestamp among the buffered records (the next one's); Infinity when none is buffered. */
  get headTimestamp(): number {
    let t = Infinity;
    for (const q of this.queues) if (q.length > 0 && q.headTimestamp < t) t = q.headTimestamp;
    return t;
  }

  /**
   * Takes the buffered record with the smallest timestamp (ties: the first
   * topic); call only when buffered > 0. Readiness (readyToProcess) can only
   * change when a queue runs empty: `emptiedQueue` says whether this take did.
   */
  next(): LogRecord {
    let best: RecordQueue | undefined;
    for (const q of this.queues) if (q.length > 0 && (best === undefined || q.headTimestamp < best.headTimestamp)) best = q;
    this.count--;
    const r = best!.shift();
    this.emptiedQueue = best!.length === 0;
    return r;
  }

  /** Whether the last next() took a queue's last record. */
  emptiedQueue = false;
}
