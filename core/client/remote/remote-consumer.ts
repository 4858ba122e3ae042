// The Rill protocol client's LogConsumer. It reads either exactly the
// partitions it is assigned, changed at any time by calling assign() again
// (Kafka's consumer.assign: `rill worker` gets its tasks from the Rill
// controller, not from a consumer group), or what its consumer group assigns
// (subscribe(), through GroupMember with the co-partitioned cooperative
// assignor).
//
// Each partition read is fetched at its leader by its own long-polling loop
// into one bounded buffer (a full buffer stops the loops: backpressure). A
// partition newly assigned starts at the group's committed offset, else at
// the log start. Offsets are committed as the group member when subscribed;
// when assigned, as the worker (`member`: its worker id and epoch, which a
// Rill cluster checks against the registered workers), else as "simple"
// commits (generation -1, no member id), which Kafka accepts for a group
// without members. A worker fenced by the controller marks the partitions it
// lost (ProtocolLogClient.fencePartitions): their commits are refused
// (CommitRefusedError) from then on, so a revocation does not move the
// offsets of a task that already runs elsewhere.
import { tpKey } from '../assignor';
import { coPartitionedAssignor } from '../co-partitioned-assignor';
import { FetchedBuffer } from '../fetched-buffer';
import { GroupMember } from '../group-member';
import {
  CommitRefusedError,
  type GroupMembershipOptions,
  type LogConsumer,
  type LogRebalanceListener,
  type LogRecord,
  type TopicPartition,
} from '../log-client';
import { KafkaClientError } from '../../protocol';
import type { PartitionReader } from './partition-reader';
import type { RetryPolicy } from './retry-policy';
import { protocolGroupPort } from './protocol-group-port';
import type { GroupCoordinator } from './group-coordinator';

/** Who commits: a member of the group's current generation. */
export interface CommitMember {
  readonly memberId: string;
  readonly generationId: number;
}

/** What a RemoteConsumer needs of its client. */
export interface RemoteConsumerClient {
  ownReader(): PartitionReader;
  offsets(topic: string): Promise<{ partition: number; start: number; end: number }[]>;
  committedOffsets(groupId: string, topic: string): Promise<Map<number, number>>;
  commitOffsets(groupId: string, offsets: readonly (TopicPartition & { offset: number })[], member?: CommitMember): Promise<void>;
  memberCoordinator(groupId: string, clientId: string): { coordinator: GroupCoordinator; close(): void };
}

export interface RemoteConsumerOptions {
  readonly groupId: string;
  readonly clientId: string;
  readonly membership: GroupMembershipOptions;
  readonly maxBufferedRecords: number;
  readonly maxWaitMs: number;
  readonly maxBytesPerFetch: number;
  /** Kafka's isolation_level: 1 read_committed, 0 read_uncommitted. */
  readonly isolationLevel: 0 | 1;
  readonly log?: (m: string) => void;
  /** Who commits the offsets of assigned partitions (see ProtocolLogClientOptions.member). */
  readonly member?: () => CommitMember | undefined;
  /** Partition numbers given to another worker: commits of them are refused. Shared by the client's consumers. */
  readonly fenced: Set<number>;
  readonly partitionCounts: (topics: readonly string[]) => Promise<Map<string, number>>;
  /** The client's retry policy: fetches ride out a broker's death this long, with its backoff. */
  readonly retry: RetryPolicy;
  readonly onClose: () => void;
}

export class RemoteConsumer {
  /** Per partition read: the token of its fetch loop (a new one on seek; none once unassigned). */
  private readonly loops = new Map<string, number>();
  private nextToken = 1;
  private readonly positions = new Map<string, number>();
  private readonly paused = new Set<string>();
  private readonly buffer: FetchedBuffer;
  /** Its fetches' own connections (long polls would hold up the client's other requests). */
  private readonly reader: PartitionReader;
  private readonly idlers = new Set<() => void>();
  private group: GroupMember | undefined;
  private closeCoordinator: () => void = () => undefined;
  private closed = false;
  /** A fetch the retry policy gave up on: the cluster could not serve it in time; poll() throws it. */
  private failure: Error | undefined;
  readonly api: LogConsumer;

  constructor(
    private readonly client: RemoteConsumerClient,
    private readonly options: RemoteConsumerOptions,
  ) {
    const buffer = (this.buffer = new FetchedBuffer(options.maxBufferedRecords));
    this.reader = client.ownReader();
    const isClosed = () => this.closed;
    const failed = () => this.failure;
    this.api = {
      assign: (tps) => {
        if (this.group) throw new Error('this consumer is subscribed; assign() and subscribe() do not mix');
        return this.read(tps);
      },
      subscribe: (topics, listener) => this.subscribe(topics, listener),
      seek: async (tp, offset) => {
        const key = tpKey(tp);
        buffer.drop((x) => x.topic !== tp.topic || x.partition !== tp.partition);
        this.positions.set(key, offset);
        if (this.loops.has(key)) this.startLoop(tp);
      },
      position: (tp) => this.positions.get(tpKey(tp)),
      bufferedRecords: () => buffer.size,
      groupMetadata: () => (this.group ? { memberId: this.group.memberId, generationId: this.group.generationId } : this.options.member?.()),
      fetchedLag: (tp) => buffer.lag(tp),
      pause: (tps) => {
        for (const tp of tps) this.paused.add(tpKey(tp));
      },
      resume: (tps) => {
        for (const tp of tps) this.paused.delete(tpKey(tp));
        buffer.wakeFetchers();
      },
      poll: async (max, waitMs) => {
        const records = await buffer.poll(max, waitMs, () => isClosed() || failed() !== undefined);
        if (records.length === 0 && failed() !== undefined) throw failed();
        return records;
      },
      records(): AsyncIterator<LogRecord> {
        return {
          async next() {
            while (buffer.size === 0 && !isClosed() && failed() === undefined) await buffer.waitForReader();
            if (buffer.size === 0 && failed() !== undefined) throw failed();
            const r = buffer.take();
            return r === undefined ? { done: true, value: undefined } : { done: false, value: r };
          },
        };
      },
      commit: (offsets) => this.commit(offsets),
      close: () => this.close(),
    };
  }

  private async commit(offsets: readonly (TopicPartition & { offset: number })[]): Promise<void> {
    const { groupId } = this.options;
    if (this.group) {
      await this.client.commitOffsets(groupId, offsets, { memberId: this.group.memberId, generationId: this.group.generationId });
      return;
    }
    const refused = [...new Set(offsets.filter((o) => this.options.fenced.has(o.partition)).map((o) => o.partition))];
    if (refused.length > 0) throw new CommitRefusedError(`partition(s) ${refused.join(', ')} of ${groupId} were given to another worker`);
    try {
      await this.client.commitOffsets(groupId, offsets, this.options.member?.());
    } catch (e) {
      if (!(e instanceof CommitRefusedError)) throw e;
      throw new CommitRefusedError(
        `${e.message}: this worker is no longer registered with the controller (fenced: its tasks run elsewhere), or the group also has consumer-group members (an application run by rill worker must not also run as a consumer group)`,
      );
    }
  }

  /** Joins the group; what it assigns is read from the committed offsets (see LogConsumer.subscribe). */
  private async subscribe(topics: readonly string[], listener: LogRebalanceListener): Promise<void> {
    if (this.group) throw new Error('this consumer is already subscribed');
    if (this.loops.size > 0) throw new Error('this consumer is assigned; assign() and subscribe() do not mix');
    const { groupId, clientId, membership } = this.options;
    const sessionTimeoutMs = membership.sessionTimeoutMs ?? 10_000;
    const own = this.client.memberCoordinator(groupId, clientId);
    this.closeCoordinator = own.close;
    const group = (this.group = new GroupMember(
      protocolGroupPort(own.coordinator, this.options.partitionCounts),
      {
        groupId,
        clientId,
        groupInstanceId: membership.groupInstanceId ?? null,
        sessionTimeoutMs,
        rebalanceTimeoutMs: membership.rebalanceTimeoutMs ?? sessionTimeoutMs,
        heartbeatIntervalMs: membership.heartbeatIntervalMs ?? Math.max(10, Math.floor(sessionTimeoutMs / 3)),
        assignors: [coPartitionedAssignor],
      },
      {
        topics: () => [...topics],
        onRevoked: async (revoked) => {
          // Its work is flushed and committed first, then its reading stops.
          await listener.onRevoked(revoked);
          const gone = new Set(revoked.map(tpKey));
          await this.read(group.assignment.filter((tp) => !gone.has(tpKey(tp))));
        },
        onAssigned: async (all, added) => {
          await this.read(all);
          listener.onAssigned(added);
        },
        onError: (e) => this.log(`group ${groupId}: ${e.message}`),
      },
    ));
    await group.start();
  }

  private log(m: string): void {
    this.options.log?.(m);
  }

  /** Reads exactly `tps` from now on: dropped ones stop (their buffered records go), new ones start at the committed offset. */
  private async read(tps: readonly TopicPartition[]): Promise<void> {
    if (this.closed) throw new Error('assign() on a closed consumer');
    const want = new Map(tps.map((tp) => [tpKey(tp), tp]));
    for (const key of [...this.loops.keys()]) if (!want.has(key)) this.loops.delete(key);
    this.buffer.drop((tp) => want.has(tpKey(tp)));
    const fresh = [...want.values()].filter((tp) => !this.loops.has(tpKey(tp)));
    if (fresh.length === 0) return;
    // Where each starts: the group's committed offset, else the log start.
    for (const topic of new Set(fresh.map((tp) => tp.topic))) {
      const committed = await this.client.committedOffsets(this.options.groupId, topic);
      const ranges = await this.client.offsets(topic);
      for (const tp of fresh.filter((x) => x.topic === topic)) {
        const c = committed.get(tp.partition) ?? -1;
        const range = ranges.find((r) => r.partition === tp.partition);
        if (range === undefined) throw new Error(`topic ${topic} has no partition ${tp.partition}`);
        this.positions.set(tpKey(tp), c >= 0 ? c : range.start);
      }
    }
    for (const tp of fresh) {
      this.options.fenced.delete(tp.partition);
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
    const { maxWaitMs, maxBytesPerFetch, retry } = this.options;
    let failures = 0;
    while (live()) {
      while ((this.buffer.full || this.paused.has(key)) && live()) await this.buffer.waitForRoom();
      if (!live()) return;
      const from = this.positions.get(key) ?? 0;
      const started = Date.now();
      try {
        const { records, nextOffset, highWatermark } = await this.reader.fetch(tp, from, maxBytesPerFetch, maxWaitMs, this.options.isolationLevel);
        if (!live() || this.positions.get(key) !== from) continue;
        for (const r of records)
          this.buffer.push({ topic: tp.topic, partition: tp.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value });
        this.positions.set(key, nextOffset);
        if (highWatermark !== undefined) this.buffer.answered(tp, highWatermark, nextOffset);
        else if (records.length > 0) this.buffer.wakeReaders();
        // A leader that does not hold empty fetches must not turn this loop into a busy one.
        else if (Date.now() - started < maxWaitMs / 4) await this.idle(maxWaitMs);
        failures = 0;
      } catch (e) {
        if (!live()) return;
        if (e instanceof KafkaClientError) {
          // The retry policy rode out an unreachable leader until its deadline: the cluster cannot serve this partition.
          this.failure ??= e;
          this.buffer.wakeReaders();
          return;
        }
        this.log(`fetch of ${tp.topic}-${tp.partition} at ${from} failed (${(e as Error).message}); retrying`);
        await this.idle(retry.delayMs(failures++));
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

  private async close(): Promise<void> {
    if (this.closed) return;
    // A subscribed consumer hands its partitions over (listener awaited) and leaves the group first.
    await this.group?.stop().catch((e: Error) => this.log(`group ${this.options.groupId}: ${e.message}`));
    this.closeCoordinator();
    this.reader.brokers.close();
    this.closed = true;
    this.loops.clear();
    this.buffer.drop(() => false);
    this.buffer.wakeReaders();
    this.buffer.wakeFetchers();
    for (const stop of [...this.idlers]) stop();
    this.options.onClose();
  }
}
