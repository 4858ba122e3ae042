// The replica logs a cluster broker has yet to open. A metadata entry can give a
// broker a thousand new partitions at once (one CreateTopics), and a restarted
// broker all of its 10,000; opening each log is synchronous disk work (a
// directory, segment and index files, the topic-id file, recovery of what is
// past the recovery point). Done in one go it held the event loop for seconds,
// heartbeats went late and the controller fenced the broker. So logs are opened
// a time budget's worth at a time, the rest waiting here, and the event loop
// runs timers and I/O (heartbeats, metadata, replication) between two chunks.
// Until its log is open a replica is not hosted: as a leader it answers
// NOT_LEADER_OR_FOLLOWER, as a follower it does not fetch (as Kafka's replicas
// do while their logs load). Partitions this broker leads go first.

/** What the queue needs of a partition's state to place its log: who leads it and who is in sync. */
export interface PlacedPartition {
  readonly leader: number;
  readonly isr: readonly number[];
}

/** Whether broker `brokerId`'s log of `p` opens before the rest: it leads `p` and no other replica is in sync (no follower waits on it). */
export function opensFirst(p: PlacedPartition, brokerId: number): boolean {
  return p.leader === brokerId && p.isr.every((id) => id === brokerId);
}

/** One partition whose log waits to be opened. */
export interface QueuedLog {
  readonly topicId: number;
  readonly partition: number;
}

export interface LogOpenQueueOptions {
  /** Opens one log; it must not throw (a log that cannot be opened is the caller's to report). */
  readonly open: (name: string, queued: QueuedLog) => void;
  /** After each chunk: what was opened is hosted now (waiters, coordinators). */
  readonly opened: (count: number) => void;
  /** How long one chunk may run before the event loop gets a turn (at least one log per chunk). */
  readonly budgetMs: number;
  readonly now: () => number;
  /** Runs the next chunk after the event loop's timers and I/O (setImmediate). */
  readonly schedule: (next: () => void) => void;
}

export class LogOpenQueue {
  /** Opened before the rest: partitions this broker leads with no other in-sync replica. */
  private readonly urgent = new Map<string, QueuedLog>();
  /** The rest, in the order the metadata named them. */
  private readonly inOrder = new Map<string, QueuedLog>();
  private scheduled = false;
  private paused = false;
  private closed = false;

  constructor(private readonly options: LogOpenQueueOptions) {}

  get size(): number {
    return this.urgent.size + this.inOrder.size;
  }

  has(name: string): boolean {
    return this.urgent.has(name) || this.inOrder.has(name);
  }

  /**
   * Queues a log to open, or re-queues it with the partition's latest topic id
   * and urgency; one queued alike keeps its place (every ISR change names it
   * again). `urgent`: it goes before every log queued in order.
   */
  add(name: string, queued: QueuedLog, urgent: boolean): void {
    if (this.closed) return;
    const there = (urgent ? this.urgent : this.inOrder).get(name);
    if (there?.topicId === queued.topicId && there.partition === queued.partition) return;
    this.remove(name);
    (urgent ? this.urgent : this.inOrder).set(name, queued);
    this.scheduleChunk();
  }

  /** Takes a log out of the queue; what was queued for it, if anything (its data is the caller's to keep or delete). */
  remove(name: string): QueuedLog | undefined {
    const queued = this.urgent.get(name) ?? this.inOrder.get(name);
    this.urgent.delete(name);
    this.inOrder.delete(name);
    return queued;
  }

  /** Test hook: nothing is opened until resume(), so the queued state can be looked at. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.scheduleChunk();
  }

  /** The broker stops: what is queued stays unopened (its data stays on disk). */
  close(): void {
    this.closed = true;
    this.urgent.clear();
    this.inOrder.clear();
  }

  /** Opens queued logs, urgent ones first, until the budget is spent; schedules the rest. */
  private chunk(): void {
    this.scheduled = false;
    const start = this.options.now();
    let count = 0;
    for (let next = this.first(); next !== undefined && !this.paused && !this.closed; next = this.first()) {
      this.remove(next[0]);
      this.options.open(next[0], next[1]);
      count++;
      if (this.options.now() - start >= this.options.budgetMs) break;
    }
    if (count > 0 && !this.closed) this.options.opened(count);
    this.scheduleChunk();
  }

  private first(): [string, QueuedLog] | undefined {
    for (const queue of [this.urgent, this.inOrder]) for (const entry of queue) return entry;
    return undefined;
  }

  private scheduleChunk(): void {
    if (this.scheduled || this.paused || this.closed || this.size === 0) return;
    this.scheduled = true;
    this.options.schedule(() => this.chunk());
  }
}
