// A kafkajs LogClient whose consumers read exactly the partitions they are
// assigned, changed at any time by calling assign() again (Kafka's
// consumer.assign), and commit to their group without being members of it:
// `rill worker` gets its tasks from the Rill controller, not from a Kafka
// consumer group, and runs RillStreams with taskAssignment 'external' on it.
//
// Each assigned partition is fetched by its own long-polling loop into one
// bounded buffer (a full buffer stops the loops: backpressure). A partition
// newly assigned starts at the group's committed offset, else at the log
// start. Offsets are committed as the worker (member id and generation: its
// worker id and epoch, given by `member`), which a Rill cluster checks against
// the registered workers, or else as "simple" commits (generation -1, no member
// id), which Kafka accepts for a group without members. A worker fenced by
// the controller marks the partitions it lost with fencePartitions(): their
// commits are refused (CommitRefusedError) from then on, so a revocation does
// not move the offsets of a task that already runs elsewhere.
import type { LogConsumer, LogRecord } from '../../dsl';
import { CommitRefusedError } from '../../dsl';
import type { TopicPartition } from '../log-types';
import { FetchedBuffer, tpKey } from './fetched-buffer';
import { kafkaLogClient, kafkaConfig, type KafkaLogClient, type KafkaLogClientOptions } from './kafka-log-client';
import { oneShotFetcher, type CommitMember, type OneShotFetcher } from './one-shot-fetch';

export interface AssignedLogClientOptions extends KafkaLogClientOptions {
  /** How long a fetch may wait at the leader for new records (default 250 ms). */
  readonly maxWaitMs?: number;
  /** Bytes per partition fetch (default 1 MiB). */
  readonly maxBytesPerFetch?: number;
  readonly log?: (m: string) => void;
  /**
   * Who commits: `rill worker` names its worker id and epoch, so the cluster
   * refuses the commits of a worker it has fenced. Undefined (or returning
   * undefined): simple commits, for a group without members.
   */
  readonly member?: () => CommitMember | undefined;
}

export interface AssignedLogClient extends KafkaLogClient {
  /**
   * These partition numbers (of every topic) now belong to someone else: their
   * commits are refused until a consumer is assigned them again.
   */
  fencePartitions(partitions: readonly number[]): void;
}

/** Kafka errors that say a simple commit was refused because of the group's membership. */
const REFUSED = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID']);

export function assignedLogClient(options: AssignedLogClientOptions): AssignedLogClient {
  const base = kafkaLogClient(options);
  const fetcher = oneShotFetcher(kafkaConfig(options));
  const consumers = new Set<AssignedConsumer>();
  const fenced = new Set<number>();

  return {
    ...base,
    consumer({ groupId }) {
      if (groupId === undefined) throw new Error('an assigned consumer commits to a group: give it a groupId (the application id)');
      const c = new AssignedConsumer(base, fetcher, groupId, options, fenced, () => consumers.delete(c));
      consumers.add(c);
      return c.api;
    },
    fencePartitions(partitions) {
      for (const p of partitions) fenced.add(p);
    },
    async close() {
      await Promise.all([...consumers].map((c) => c.api.close().catch(() => undefined)));
      await fetcher.close().catch(() => undefined);
      await base.close();
    },
  };
}

class AssignedConsumer {
  /** Per assigned partition: the token of its fetch loop (a new one on seek; none once unassigned). */
  private readonly loops = new Map<string, number>();
  private nextToken = 1;
  private readonly positions = new Map<string, number>();
  private readonly paused = new Set<string>();
  private readonly buffer: FetchedBuffer;
  private readonly idlers = new Set<() => void>();
  private closed = false;
  readonly api: LogConsumer;

  constructor(
    private readonly base: KafkaLogClient,
    private readonly fetcher: OneShotFetcher,
    private readonly groupId: string,
    private readonly options: AssignedLogClientOptions,
    private readonly fenced: Set<number>,
    private readonly onClose: () => void,
  ) {
    const buffer = (this.buffer = new FetchedBuffer(options.maxBufferedRecords ?? 5000));
    const isClosed = () => this.closed;
    this.api = {
      assign: (tps) => this.assign(tps),
      seek: async (tp, offset) => {
        const key = tpKey(tp);
        buffer.drop((x) => x.topic !== tp.topic || x.partition !== tp.partition);
        this.positions.set(key, offset);
        if (this.loops.has(key)) this.startLoop(tp);
      },
      position: (tp) => this.positions.get(tpKey(tp)),
      bufferedRecords: () => buffer.size,
      fetchedLag: (tp) => buffer.lag(tp),
      pause: (tps) => {
        for (const tp of tps) this.paused.add(tpKey(tp));
      },
      resume: (tps) => {
        for (const tp of tps) this.paused.delete(tpKey(tp));
        buffer.wakeFetchers();
      },
      poll: (max, waitMs) => buffer.poll(max, waitMs, isClosed),
      records(): AsyncIterator<LogRecord> {
        return {
          async next() {
            while (buffer.size === 0 && !isClosed()) await buffer.waitForReader();
            const r = buffer.take();
            return r === undefined ? { done: true, value: undefined } : { done: false, value: r };
          },
        };
      },
      commit: async (offsets) => {
        const refused = [...new Set(offsets.filter((o) => this.fenced.has(o.partition)).map((o) => o.partition))];
        if (refused.length > 0) throw new CommitRefusedError(`partition(s) ${refused.join(', ')} of ${this.groupId} were given to another worker`);
        try {
          await this.fetcher.commit(this.groupId, offsets, this.options.member?.());
        } catch (e) {
          const type = (e as { type?: string }).type;
          if (type !== undefined && REFUSED.has(type)) {
            throw new CommitRefusedError(
              `group ${this.groupId} refused the commit (${type}): this worker is no longer registered with the controller (fenced: its tasks run elsewhere), or the group also has Kafka consumer-group members (an application run by rill worker must not also run as a consumer group)`,
            );
          }
          throw e;
        }
      },
      close: async () => {
        if (this.closed) return;
        this.closed = true;
        this.loops.clear();
        this.buffer.drop(() => false);
        this.buffer.wakeReaders();
        this.buffer.wakeFetchers();
        for (const stop of [...this.idlers]) stop();
        this.onClose();
      },
    };
  }

  private log(m: string): void {
    this.options.log?.(m);
  }

  /** Reads exactly `tps` from now on: dropped ones stop (their buffered records go), new ones start at the committed offset. */
  private async assign(tps: readonly TopicPartition[]): Promise<void> {
    if (this.closed) throw new Error('assign() on a closed consumer');
    const want = new Map(tps.map((tp) => [tpKey(tp), tp]));
    for (const key of [...this.loops.keys()]) if (!want.has(key)) this.loops.delete(key);
    this.buffer.drop((tp) => want.has(tpKey(tp)));
    const fresh = [...want.values()].filter((tp) => !this.loops.has(tpKey(tp)));
    if (fresh.length === 0) return;
    // Where each starts: the group's committed offset, else the log start.
    for (const topic of new Set(fresh.map((tp) => tp.topic))) {
      const committed = await this.base.committedOffsets(this.groupId, topic);
      const ranges = await this.base.offsets(topic);
      for (const tp of fresh.filter((x) => x.topic === topic)) {
        const c = committed.get(tp.partition) ?? -1;
        const range = ranges.find((r) => r.partition === tp.partition);
        if (range === undefined) throw new Error(`topic ${topic} has no partition ${tp.partition}`);
        this.positions.set(tpKey(tp), c >= 0 ? c : range.start);
      }
    }
    for (const tp of fresh) {
      this.fenced.delete(tp.partition);
      // Assigned again meanwhile (or dropped, or seeked): leave it to that call.
      if (!this.closed && !this.loops.has(tpKey(tp))) this.startLoop(tp);
    }
  }

  private startLoop(tp: TopicPartition): void {
    const token = this.nextToken++;
    this.loops.set(tpKey(tp), token);
    void this.fetchLoop(tp, token);
  }

  private async fetchLoop(tp: TopicPartition, token: number): Promise<void> {
    const key = tpKey(tp);
    const live = () => !this.closed && this.loops.get(key) === token;
    const maxWait = this.options.maxWaitMs ?? 250;
    const maxBytes = this.options.maxBytesPerFetch ?? 1024 * 1024;
    while (live()) {
      while ((this.buffer.full || this.paused.has(key)) && live()) await this.buffer.waitForRoom();
      if (!live()) return;
      const from = this.positions.get(key) ?? 0;
      const started = Date.now();
      try {
        const { records, nextOffset, highWatermark } = await this.fetcher.fetch(tp, from, maxBytes, maxWait);
        if (!live() || this.positions.get(key) !== from) continue;
        for (const r of records) this.buffer.push({ topic: tp.topic, partition: tp.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value });
        this.positions.set(key, nextOffset);
        if (highWatermark !== undefined) this.buffer.answered(tp, highWatermark, nextOffset);
        else if (records.length > 0) this.buffer.wakeReaders();
        // A leader that does not hold empty fetches must not turn this loop into a busy one.
        else if (Date.now() - started < maxWait / 4) await this.idle(maxWait);
      } catch (e) {
        if (!live()) return;
        this.log(`fetch of ${tp.topic}-${tp.partition} at ${from} failed (${(e as Error).message}); retrying`);
        await this.fetcher.refresh();
        await this.idle(200);
      }
    }
  }

  /** Waits `ms`, or less when the consumer closes. */
  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idlers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.idlers.add(done);
      if (this.closed) done();
    });
  }

}
