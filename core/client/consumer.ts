// The consumer: partitions by assignment or by group subscription (topics or a
// pattern), positions moved by seek (offset, timestamp, earliest, latest), and
// records read as an async iterator or an RxJS Observable.
//
// Backpressure: one fetch loop fills a buffer bounded by maxBufferedBytes and
// stops fetching while it is full; records leave the buffer only as the reader
// pulls them. A slow reader slows fetching, it never grows memory.
//
// Offsets: a record counts as processed once the reader asks for the next one
// (or the Observable subscriber's next() returned), so commits are at-least-once.
import { isLeft } from 'fp-ts/Either';
import { Observable } from 'rxjs';
import { RecordHeader, decodeRecordBatches } from '../log';
import { Broker, BrokerError, ErrorCode } from '../broker';
import type { Assignor } from './assignor';
import { tpKey } from './assignor';
import type { FetchPartitionResponse, TopicPartition } from '../broker';
import { AbortedTransactionFilter } from './aborted-filter';
import { cooperativeStickyAssignor } from './cooperative-sticky-assignor';
import { brokerGroupPort, GroupMember } from './group-member';
import { SpanRecord } from './span-record';
import { Waiters } from './waiters';

export interface ConsumerOptions {
  /** Needed for subscribe() and commits. */
  groupId?: string;
  clientId?: string;
  /** Static membership: a restart within the session timeout keeps the assignment. */
  groupInstanceId?: string;
  /** Where to start without a committed offset (Kafka auto.offset.reset, default "latest"). */
  autoOffsetReset?: 'earliest' | 'latest';
  /** Default true when a groupId is given. */
  autoCommit?: boolean;
  autoCommitIntervalMs?: number;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Preference order; default cooperative-sticky. */
  assignors?: readonly Assignor[];
  /** Upper bound of fetched-but-unread bytes (default 8 MiB). */
  maxBufferedBytes?: number;
  /** Per-partition fetch budget (Kafka max.partition.fetch.bytes, default 1 MiB). */
  maxBytesPerPartition?: number;
  /** Long-poll wait when there is nothing to read (default 500 ms). */
  fetchMaxWaitMs?: number;
  /**
   * Kafka's isolation.level (default read_uncommitted, as Kafka's): with
   * read_committed the consumer reads up to the last stable offset and never
   * delivers a record of an aborted transaction.
   */
  isolationLevel?: 'read_committed' | 'read_uncommitted';
  onError?: (error: Error) => void;
  /** Told about each rebalance (Kafka's ConsumerRebalanceListener). */
  rebalanceListener?: RebalanceListener;
  /**
   * Hand out SpanRecords: key and value stay ranges of the fetched bytes and
   * are views made on each read of `key`/`value` (getters, so not own
   * properties: a spread or a structural compare does not see them). For a
   * reader that reads the ranges itself: the DSL runtime.
   */
  recordSpans?: boolean;
}

export interface RebalanceListener {
  /** After a rebalance: the consumer's whole assignment and what is new in it. */
  onAssigned?(assignment: TopicPartition[], added: TopicPartition[]): void;
  /** Before partitions go (their offsets are committed first when auto-commit is on). */
  onRevoked?(revoked: TopicPartition[]): void;
}

export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type SeekTarget = number | 'earliest' | 'latest' | { timestamp: number };

interface PartitionState {
  tp: TopicPartition;
  /** Next offset to fetch. */
  position: number;
  /** Offset after the last processed record: what a commit stores. */
  processed: number | undefined;
  /** Bumped by seek/revoke so records fetched before are dropped. */
  epoch: number;
  paused: boolean;
  /** The high watermark the latest fetch answer reported (undefined: none answered since assign/seek). */
  highWatermark: number | undefined;
  /** Records of this partition (current epoch) in the buffer, not yet handed out. */
  unread: number;
}

/**
 * One fetched batch's deliverable records, handed out from `next` on: the
 * buffer holds one of these per batch, not an entry per record.
 */
interface Chunk {
  readonly records: ConsumerRecord[];
  next: number;
  /** What the chunk counts for against maxBufferedBytes, given back when its last record is taken. */
  readonly bytes: number;
  readonly state: PartitionState;
  /** The partition's epoch when fetched: a seek or revoke since then drops the chunk's records. */
  readonly epoch: number;
}

/** The last record handed out of a partition (what it counts as processed when the reader comes back). */
interface Handed {
  readonly state: PartitionState;
  readonly epoch: number;
  offset: number;
}

/** What a buffered record counts for against maxBufferedBytes. */
function bufferedSize(r: ConsumerRecord): number {
  return (r instanceof SpanRecord ? r.payloadSize : (r.key?.length ?? 0) + (r.value?.length ?? 0)) + 64;
}

export class Consumer implements AsyncIterable<ConsumerRecord> {
  private readonly partitions = new Map<string, PartitionState>();
  private chunks: Chunk[] = [];
  private chunkHead = 0;
  private bufferedRecords = 0;
  private bufferedBytes = 0;
  private member: GroupMember | undefined;
  private subscription: { topics: string[] } | { pattern: RegExp } | undefined;
  private fetching: Promise<void> | undefined;
  private fetchAbort: AbortController | undefined;
  private wakeFetcher: (() => void) | undefined;
  /** Readers waiting for records (an iterator, an Observable subscription). */
  private readonly readersWaiting = new Waiters();
  private autoCommitTimer: NodeJS.Timeout | undefined;
  /**
   * What was handed out since the reader last came back, one entry per chunk
   * taken from: counts as processed at the next poll() or next().
   */
  private handedOut: Handed[] = [];
  /** The chunk the latest record was taken from (extends the last `handed` entry instead of adding one). */
  private takenFrom: Chunk | undefined;
  private closed = false;
  private readonly maxBufferedBytes: number;
  private readonly autoCommit: boolean;

  constructor(
    private readonly broker: Broker,
    private readonly options: ConsumerOptions = {},
  ) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.autoCommit = options.autoCommit ?? options.groupId !== undefined;
    if (this.autoCommit && options.groupId) {
      this.autoCommitTimer = setInterval(() => void this.commit().catch((e) => this.reportError(e)), options.autoCommitIntervalMs ?? 5000);
      this.autoCommitTimer.unref();
    }
  }

  // ---------------------------------------------------------------- what to read

  /** Reads exactly these partitions (no group membership); starts from committed offsets or autoOffsetReset. */
  async assign(partitions: readonly TopicPartition[]): Promise<void> {
    if (this.subscription) throw new Error('This consumer is subscribed; assign() and subscribe() do not mix.');
    for (const tp of partitions) {
      const d = this.broker.describeTopic(tp.topic);
      if (isLeft(d)) throw d.left;
      if (tp.partition < 0 || tp.partition >= d.right.partitions) {
        throw new BrokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic "${tp.topic}" has no partition ${tp.partition}.`);
      }
    }
    await this.setAssignment(partitions);
  }

  /** Joins the group (groupId required) and reads what the group assigns; a RegExp also picks up topics created later. */
  async subscribe(topics: readonly string[] | RegExp): Promise<void> {
    const groupId = this.options.groupId;
    if (!groupId) throw new Error('subscribe() needs a groupId in the consumer options; use assign() to read without a group.');
    if (this.member) throw new Error('This consumer is already subscribed.');
    this.subscription = topics instanceof RegExp ? { pattern: topics } : { topics: [...topics] };
    const sessionTimeoutMs = this.options.sessionTimeoutMs ?? 10_000;
    this.member = new GroupMember(
      brokerGroupPort(this.broker),
      {
        groupId,
        clientId: this.options.clientId ?? 'rill-consumer',
        groupInstanceId: this.options.groupInstanceId ?? null,
        sessionTimeoutMs,
        rebalanceTimeoutMs: this.options.rebalanceTimeoutMs ?? sessionTimeoutMs,
        heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? Math.max(10, Math.floor(sessionTimeoutMs / 3)),
        assignors: this.options.assignors ?? [cooperativeStickyAssignor],
      },
      {
        topics: () => this.subscribedTopics(),
        onRevoked: async (tps) => {
          await this.revoke(tps);
          this.options.rebalanceListener?.onRevoked?.(tps);
        },
        onAssigned: async (tps, added) => {
          await this.setAssignment(tps);
          this.options.rebalanceListener?.onAssigned?.(tps, added);
        },
        onError: (e) => this.reportError(e),
      },
    );
    await this.member.start();
  }

  /** The partitions this consumer reads now. */
  assignment(): TopicPartition[] {
    return [...this.partitions.values()].map((s) => s.tp);
  }

  /** Moves a partition's position: an offset, the first offset at/after a timestamp, earliest or latest. */
  async seek(tp: TopicPartition, target: SeekTarget): Promise<number> {
    const state = this.partitions.get(tpKey(tp));
    if (!state) throw new Error(`Partition ${tp.topic}-${tp.partition} is not assigned to this consumer.`);
    const offset = this.resolveOffset(tp, target);
    this.resetPosition(state, offset);
    return offset;
  }

  pause(tps: readonly TopicPartition[]): void {
    for (const tp of tps) {
      const s = this.partitions.get(tpKey(tp));
      if (s) s.paused = true;
    }
  }

  resume(tps: readonly TopicPartition[]): void {
    for (const tp of tps) {
      const s = this.partitions.get(tpKey(tp));
      if (s) s.paused = false;
    }
    this.wakeFetcher?.();
  }

  /** The next offset to be fetched for a partition. */
  position(tp: TopicPartition): number | undefined {
    return this.partitions.get(tpKey(tp))?.position;
  }

  // ---------------------------------------------------------------- reading

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord> {
    return {
      next: async () => {
        this.markProcessed();
        const r = await this.nextRecord();
        return r === undefined ? { done: true, value: undefined } : { done: false, value: r };
      },
      return: async () => {
        this.markProcessed();
        return { done: true, value: undefined };
      },
    };
  }

  /** Records as an Observable; emits only as fast as the subscriber's next() returns. */
  observable(): Observable<ConsumerRecord> {
    return new Observable<ConsumerRecord>((subscriber) => {
      let active = true;
      void (async () => {
        try {
          while (active) {
            const r = await this.nextRecord(() => !active);
            if (r === undefined) break;
            subscriber.next(r);
            this.markProcessed();
          }
          if (active) subscriber.complete();
        } catch (e) {
          subscriber.error(e);
        }
      })();
      return () => {
        active = false;
        this.readersWaiting.wakeAll();
      };
    });
  }

  /** Bytes fetched and not yet read (bounded by maxBufferedBytes plus one fetch). */
  get buffered(): { records: number; bytes: number } {
    return { records: this.bufferedRecords, bytes: this.bufferedBytes };
  }

  // ---------------------------------------------------------------- commits

  /** The member and generation this consumer commits as (KIP-447's group metadata); undefined when not subscribed. */
  groupMetadata(): { memberId: string; generationId: number } | undefined {
    return this.member ? { memberId: this.member.memberId, generationId: this.member.generationId } : undefined;
  }

  /**
   * Commits processed positions (or the given offsets) for the group. Kafka's
   * meaning: the offset of the next record to read.
   */
  async commit(offsets?: readonly { topic: string; partition: number; offset: number }[]): Promise<void> {
    const groupId = this.options.groupId;
    if (!groupId) throw new Error('commit() needs a groupId in the consumer options.');
    const list =
      offsets ??
      [...this.partitions.values()]
        .filter((s) => s.processed !== undefined)
        .map((s) => ({ topic: s.tp.topic, partition: s.tp.partition, offset: s.processed! }));
    if (list.length === 0) return;
    const memberId = this.member?.memberId ?? '';
    const generation = this.member ? this.member.generationId : -1;
    const results = this.broker.commitOffsets(groupId, memberId, generation, list);
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (failed) throw failed.error ?? new BrokerError(failed.errorCode, `Commit failed with error ${failed.errorCode}.`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.autoCommitTimer) clearInterval(this.autoCommitTimer);
    this.markProcessed();
    if (this.member) await this.member.stop();
    else if (this.autoCommit) await this.commit().catch((e) => this.reportError(e));
    this.closed = true;
    this.fetchAbort?.abort();
    this.wakeFetcher?.();
    this.readersWaiting.wakeAll();
    await this.fetching;
  }

  // ---------------------------------------------------------------- internals

  private subscribedTopics(): string[] {
    const s = this.subscription;
    if (!s) return [];
    if ('topics' in s) return s.topics;
    return this.broker.listTopics().filter((t) => s.pattern.test(t));
  }

  private async setAssignment(tps: readonly TopicPartition[]): Promise<void> {
    const wanted = new Set(tps.map(tpKey));
    for (const [key, s] of this.partitions) if (!wanted.has(key)) this.dropPartition(key, s);
    const fresh = tps.filter((tp) => !this.partitions.has(tpKey(tp)));
    const committed = this.options.groupId ? this.broker.fetchOffsets(this.options.groupId, fresh) : [];
    fresh.forEach((tp, i) => {
      const c = committed[i]?.offset ?? -1;
      const position = c >= 0 ? c : this.resolveOffset(tp, this.options.autoOffsetReset ?? 'latest');
      this.partitions.set(tpKey(tp), {
        tp: { topic: tp.topic, partition: tp.partition },
        position,
        processed: undefined,
        epoch: 0,
        paused: false,
        highWatermark: undefined,
        unread: 0,
      });
    });
    this.fetchAbort?.abort();
    this.ensureFetching();
    // A loop parked with nothing to fetch (an empty earlier assignment) must see the new partitions.
    this.wakeFetcher?.();
  }

  private async revoke(tps: readonly TopicPartition[]): Promise<void> {
    this.markProcessed();
    if (this.autoCommit && this.options.groupId) {
      const offsets = tps
        .map((tp) => this.partitions.get(tpKey(tp)))
        .filter((s): s is PartitionState => s?.processed !== undefined)
        .map((s) => ({ topic: s.tp.topic, partition: s.tp.partition, offset: s.processed! }));
      await this.commit(offsets).catch((e) => this.reportError(e));
    }
    for (const tp of tps) {
      const key = tpKey(tp);
      const s = this.partitions.get(key);
      if (s) this.dropPartition(key, s);
    }
  }

  private dropPartition(key: string, s: PartitionState): void {
    s.epoch++;
    this.partitions.delete(key);
    this.fetchAbort?.abort();
  }

  private resolveOffset(tp: TopicPartition, target: SeekTarget): number {
    if (typeof target === 'number') return target;
    const ts = target === 'earliest' ? -2 : target === 'latest' ? -1 : target.timestamp;
    const r = this.broker.listOffset(tp.topic, tp.partition, ts);
    if (isLeft(r)) throw r.left;
    // No record at or after the timestamp: the end of the log, as Kafka consumers do.
    if (r.right.offset < 0) {
      const end = this.broker.listOffset(tp.topic, tp.partition, -1);
      if (isLeft(end)) throw end.left;
      return end.right.offset;
    }
    return r.right.offset;
  }

  private resetPosition(state: PartitionState, offset: number): void {
    state.position = offset;
    state.epoch++;
    state.highWatermark = undefined;
    state.unread = 0;
    this.fetchAbort?.abort();
    this.wakeFetcher?.();
  }

  private markProcessed(): void {
    if (this.handedOut.length === 0) return;
    for (const h of this.handedOut) if (h.state.epoch === h.epoch) h.state.processed = h.offset + 1;
    this.handedOut = [];
    this.takenFrom = undefined;
  }

  /** The next record to hand out; undefined once the consumer closes or `cancelled` says so. */
  private async nextRecord(cancelled?: () => boolean): Promise<ConsumerRecord | undefined> {
    for (;;) {
      if (this.closed || cancelled?.()) return undefined;
      const r = this.takeBuffered();
      if (r) return r;
      this.ensureFetching();
      await this.readersWaiting.wait();
    }
  }

  /**
   * Takes up to `max` buffered records at once. With none buffered, waits up
   * to `waitMs` for a fetch to answer (with records or without: the answer
   * updates fetchedLag()) and returns what it brought, maybe nothing. What
   * was handed out counts as processed at the next poll.
   */
  async poll(max: number, waitMs: number): Promise<ConsumerRecord[]> {
    this.markProcessed();
    if (this.closed) return [];
    if (this.bufferedRecords === 0 && waitMs > 0) {
      this.ensureFetching();
      await this.readersWaiting.wait(waitMs);
    }
    const taken: ConsumerRecord[] = [];
    while (taken.length < max) {
      const r = this.takeBuffered();
      if (!r) break;
      taken.push(r);
    }
    return taken;
  }

  /**
   * Records of the partition not handed out yet as of the latest fetch answer:
   * buffered, plus its high watermark minus the next offset to fetch.
   * Undefined before the first answer since it was assigned or seeked.
   */
  fetchedLag(tp: TopicPartition): number | undefined {
    const s = this.partitions.get(tpKey(tp));
    if (s?.highWatermark === undefined) return undefined;
    return s.unread + Math.max(0, s.highWatermark - s.position);
  }

  /**
   * The next buffered record of a live partition (records dropped by a seek
   * or revoke are skipped), remembered as handed out.
   */
  private takeBuffered(): ConsumerRecord | undefined {
    while (this.chunkHead < this.chunks.length) {
      const c = this.chunks[this.chunkHead];
      if (c.state.epoch !== c.epoch) {
        // Dropped by a seek or a revoke after it was fetched (both bump the partition's epoch).
        this.release(c, c.records.length);
        continue;
      }
      const r = c.records[c.next];
      this.release(c, c.next + 1);
      c.state.unread--;
      if (this.takenFrom === c) this.handedOut[this.handedOut.length - 1].offset = r.offset;
      else {
        this.handedOut.push({ state: c.state, epoch: c.epoch, offset: r.offset });
        this.takenFrom = c;
      }
      return r;
    }
    return undefined;
  }

  /**
   * Moves a chunk's `next` to `to` (its records before are out of the buffer).
   * Once it is empty, drops it and gives its bytes back (a batch at a time:
   * the fetcher, woken then, is not called for every record).
   */
  private release(c: Chunk, to: number): void {
    this.bufferedRecords -= to - c.next;
    c.next = to;
    if (to < c.records.length) return;
    this.chunks[this.chunkHead++] = undefined as unknown as Chunk;
    if (this.chunkHead > 64 && this.chunkHead * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.chunkHead);
      this.chunkHead = 0;
    }
    this.bufferedBytes -= c.bytes;
    this.wakeFetcher?.();
  }

  private ensureFetching(): void {
    if (!this.fetching && !this.closed) this.fetching = this.fetchLoop().finally(() => (this.fetching = undefined));
  }

  private async fetchLoop(): Promise<void> {
    while (!this.closed) {
      const targets = [...this.partitions.values()].filter((s) => !s.paused);
      const room = this.maxBufferedBytes - this.bufferedBytes;
      if (targets.length === 0 || room <= 0) {
        await new Promise<void>((resolve) => (this.wakeFetcher = resolve));
        this.wakeFetcher = undefined;
        continue;
      }
      const epochs = targets.map((s) => s.epoch);
      this.fetchAbort = new AbortController();
      let responses;
      try {
        responses = await this.broker.fetch({
          partitions: targets.map((s) => ({
            topic: s.tp.topic,
            partition: s.tp.partition,
            offset: s.position,
            maxBytes: this.options.maxBytesPerPartition ?? 1024 * 1024,
          })),
          maxWaitMs: this.options.fetchMaxWaitMs ?? 500,
          maxBytes: room,
          signal: this.fetchAbort.signal,
          isolationLevel: this.options.isolationLevel === 'read_committed' ? 1 : 0,
        });
      } finally {
        this.fetchAbort = undefined;
      }
      if (this.broker.isClosed) return;
      responses.forEach((r, i) => this.absorb(targets[i], epochs[i], r));
      this.readersWaiting.wakeAll();
    }
  }

  /** Decodes one partition's fetched bytes into the buffer. */
  private absorb(state: PartitionState, epoch: number, response: FetchPartitionResponse): void {
    const { errorCode, records: bytes, highWatermark } = response;
    if (state.epoch !== epoch || this.partitions.get(tpKey(state.tp)) !== state) return;
    if (errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      const reset = this.options.autoOffsetReset ?? 'latest';
      this.reportError(
        new BrokerError(errorCode, `Offset ${state.position} of ${state.tp.topic}-${state.tp.partition} is out of range; resetting to ${reset}.`),
      );
      this.resetPosition(state, this.resolveOffset(state.tp, reset));
      return;
    }
    if (errorCode !== ErrorCode.NONE) {
      this.reportError(new BrokerError(errorCode, `Fetch of ${state.tp.topic}-${state.tp.partition} failed with error ${errorCode}.`));
      return;
    }
    // What the consumer can read to: under read_committed the last stable offset (lag counts to it, as Kafka's).
    state.highWatermark = this.options.isolationLevel === 'read_committed' ? response.lastStableOffset : highWatermark;
    if (bytes.length === 0) return;
    const { topic, partition } = state.tp;
    // Each record is decoded straight into the ConsumerRecord handed out (no intermediate object).
    const batches = this.options.recordSpans
      ? decodeRecordBatches<ConsumerRecord>(bytes, {
          rangeRecord: (offset, timestamp, src, keyStart, keyEnd, valueStart, valueEnd, headers) =>
            new SpanRecord(topic, partition, offset, timestamp, src, keyStart, keyEnd, valueStart, valueEnd, headers),
        })
      : decodeRecordBatches(bytes, {
          record: (offset, timestamp, key, value, headers): ConsumerRecord => ({ topic, partition, offset, timestamp, key, value, headers }),
        });
    if (isLeft(batches)) {
      this.reportError(new BrokerError(ErrorCode.CORRUPT_MESSAGE, `${state.tp.topic}-${state.tp.partition} at ${state.position}: ${batches.left.message}`));
      return;
    }
    const filter = new AbortedTransactionFilter(response.abortedTransactions);
    for (const batch of batches.right) {
      if (filter.delivers(batch)) {
        // A batch fetched whole may start before the position: its earlier records were read already.
        const position = state.position;
        const records = batch.records.length > 0 && batch.records[0].offset < position ? batch.records.filter((r) => r.offset >= position) : batch.records;
        if (records.length > 0) {
          let size = 0;
          for (const r of records) size += bufferedSize(r);
          this.bufferedBytes += size;
          state.unread += records.length;
          this.bufferedRecords += records.length;
          this.chunks.push({ records, next: 0, bytes: size, state, epoch });
        }
      }
      state.position = Math.max(state.position, batch.lastOffset + 1);
    }
  }

  private reportError(e: unknown): void {
    if (this.options.onError) this.options.onError(e as Error);
  }
}
