// The broker of one node: topics and their partition logs, produce and fetch,
// offsets, consumer groups. Every operation is shaped so a Kafka request handler
// maps onto it directly: produce takes the raw RecordBatch bytes of one
// partition, fetch returns stored bytes, group operations take Kafka's member
// ids, generations, protocol names and opaque bytes, and every refusal is a
// BrokerError carrying the Kafka error code.
//
// Consumer groups are served by a GroupService (the shell around the pure
// GroupCoordinator) over this node's OffsetStore; the group methods here
// delegate to it.
import { lineLog, processLogger } from '../logging';
import { Either, isLeft, left, right } from 'fp-ts/Either';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  Clock,
  DEFAULT_MAX_OPEN_FILES,
  DirLock,
  encodeRecordBatch,
  FileHandleCache,
  PartitionLog,
  recoverPartitionLog,
  systemClock,
  type TxnMarkerFields,
} from '../log';
import { BrokerError, ErrorCode, fromIoError, fromLogError } from './errors';
import type {
  CoordinatorConfig,
  GroupEffect,
  GroupSummary,
  HeartbeatResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  SyncGroupResponse,
} from './group-coordinator';
import { GroupService, HeartbeatParams, JoinGroupParams, LeaveGroupParams, ListedGroup, OffsetDeletion, SyncGroupParams } from './group-service';
import { METADATA_FILE, MetadataStore } from './metadata-store';
import { CommittedOffset, DEFAULT_OFFSETS_TOPIC_PARTITIONS, OffsetCommit, OffsetStore, storedBatches } from './offset-store';
import { abortedTransactionsIn, type AbortedTransaction, type IsolationLevel, PartitionOffsets, ProduceResult } from './partition';
import { LogScheduler } from './scheduler';
import { FetchBudget } from './fetch-budget';
import { ConfigAlteration, DEFAULT_MAX_PARTITIONS_PER_REQUEST, NewTopic, type PartitionCloseFailure, TopicDescription, TopicTable } from './topics';
import { CONSUMER_OFFSETS_TOPIC, INTERNAL_TOPICS, SCHEMAS_TOPIC } from './topic-name';
import { DEFAULT_TRANSACTION_STATE_PARTITIONS, TRANSACTION_STATE_TOPIC, TransactionCoordinator } from './transaction-coordinator';

export interface BrokerOptions {
  /** The data directory; the broker owns everything in it. */
  dir: string;
  clock?: Clock;
  /** Background retention/compaction/flush; false to drive it by hand (runMaintenance). */
  scheduler?: false | { intervalMs?: number; retentionCheckIntervalMs?: number };
  /** Compaction of compacted topics in the maintenance pass; default core/log's LogCleaner. */
  cleanLog?: (log: PartitionLog, now: number) => void;
  /** Coordinator settings (session timeout bounds, initial rebalance delay). */
  groups?: Partial<CoordinatorConfig>;
  /** How often the group coordinator is ticked (session and rebalance timeouts); 0 to tick by hand. Default 100 ms. */
  groupTickIntervalMs?: number;
  /** Partitions of __consumer_offsets when the broker creates it. */
  offsetsTopicPartitions?: number;
  nodeId?: number;
  onWarning?: (message: string) => void;
  /**
   * log.recover.corruption: repair damaged partitions while opening (damaged
   * bytes and later segments moved aside into .corrupt files). Default false: a
   * damaged partition opens failed and answers KAFKA_STORAGE_ERROR (56).
   */
  recoverCorruption?: boolean;
  /** Resource bounds (docs/operations.md). */
  limits?: Partial<BrokerLimits>;
  /** The transaction coordinator's settings. */
  transactions?: TransactionSettings;
}

/** What Broker.close() did: the partition logs it closed, and those it could not make durable. */
export interface BrokerCloseReport {
  readonly logs: number;
  readonly failed: readonly PartitionCloseFailure[];
}

export interface TransactionSettings {
  /** transaction.state.log.num.partitions when the broker creates `__transaction_state` (default 4). */
  statePartitions?: number;
  /** transaction.max.timeout.ms (default 15 minutes). */
  maxTimeoutMs?: number;
  /** transactional.id.expiration.ms: ids with no transaction for this long are forgotten (default 7 days). */
  idExpirationMs?: number;
  /** How often timed-out transactions are aborted; 0 to tick by hand (tickTransactions). Default 1 s. */
  tickIntervalMs?: number;
}

/** The broker's resource bounds, Kafka's names where Kafka has one. */
export interface BrokerLimits {
  /** fetch.max.bytes: most bytes of records in one Fetch response, whatever the client asks (at least one batch). Default 55 MiB. */
  fetchMaxBytes: number;
  /** max.broker.partitions: partitions of all topics together. Default 100,000. */
  maxBrokerPartitions: number;
  /** max.partitions.per.request: partitions one CreateTopics or CreatePartitions request may add. Default 10,000. */
  maxPartitionsPerRequest: number;
  /** log.max.open.files: segment files open at once across all partitions (the rest are opened on use). Default 2048. */
  maxOpenFiles: number;
}

export const DEFAULT_BROKER_LIMITS: Readonly<BrokerLimits> = {
  fetchMaxBytes: 55 * 1024 * 1024,
  maxBrokerPartitions: 100_000,
  maxPartitionsPerRequest: DEFAULT_MAX_PARTITIONS_PER_REQUEST,
  maxOpenFiles: DEFAULT_MAX_OPEN_FILES,
};

export interface FetchPartitionRequest {
  topic: string;
  partition: number;
  offset: number;
  /** Per-partition byte budget; the first batch is returned whole even if larger (KIP-74). */
  maxBytes: number;
}

export interface FetchRequest {
  partitions: readonly FetchPartitionRequest[];
  /** How long to wait for minBytes (long poll). Default 0. */
  maxWaitMs?: number;
  minBytes?: number;
  /** Budget for the whole response. */
  maxBytes?: number;
  signal?: AbortSignal;
  /** 0 read_uncommitted (default): up to the high watermark; 1 read_committed: up to the last stable offset. */
  isolationLevel?: IsolationLevel;
}

export interface FetchPartitionResponse {
  topic: string;
  partition: number;
  errorCode: number;
  error?: BrokerError;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** read_committed: the aborted transactions in `records` (the consumer drops their records); null for read_uncommitted. */
  abortedTransactions: AbortedTransaction[] | null;
  /** Stored RecordBatch v2 bytes, possibly ending with a partial batch. */
  records: Buffer;
}

export interface OffsetCommitResult {
  topic: string;
  partition: number;
  errorCode: number;
  error?: BrokerError;
}

const EMPTY = Buffer.alloc(0);

export class Broker {
  readonly nodeId: number;
  private readonly clock: Clock;
  private readonly groups: GroupService;
  /** The transaction coordinator of every transactional id (one node leads all of `__transaction_state`). */
  readonly transactions: TransactionCoordinator;
  private readonly scheduler: LogScheduler;
  private readonly closeController = new AbortController();
  private closed = false;
  private closing?: Promise<BrokerCloseReport>;
  private readonly onWarning?: (message: string) => void;

  private constructor(
    readonly dir: string,
    private readonly store: MetadataStore,
    readonly topics: TopicTable,
    private readonly offsets: OffsetStore,
    options: BrokerOptions,
    private readonly lock: DirLock,
    readonly limits: Readonly<BrokerLimits>,
    /** The open segment files of all this broker's partitions. */
    readonly fileHandles: FileHandleCache,
  ) {
    this.nodeId = options.nodeId ?? 0;
    this.clock = options.clock ?? systemClock;
    this.onWarning = options.onWarning;
    this.groups = new GroupService(offsets, { clock: this.clock, config: options.groups, tickIntervalMs: options.groupTickIntervalMs });
    this.transactions = this.openTransactions(options);
    this.scheduler = new LogScheduler(() => this.topics.allPartitions().map((p) => p.log), {
      clock: this.clock,
      ...(options.scheduler || {}),
      cleanLog: options.cleanLog,
      onError: (e, log) => options.onWarning?.(`maintenance of ${log.dir} failed: ${(e as Error).message}`),
    });
    if (options.scheduler !== false) this.scheduler.start();
  }

  /** Opens (or creates) the broker in `options.dir`, recovering every partition log. */
  /** Throws DirLockedError when another live process has the directory open. */
  static open(given: BrokerOptions): Broker {
    // Warnings (recovery, storage, maintenance) go to the process's log unless the caller takes them.
    const options = { ...given, onWarning: given.onWarning ?? lineLog(processLogger().child({ component: 'broker' }), 'warn') };
    const limits = brokerLimits(options.limits ?? {});
    const lock = DirLock.acquire(options.dir);
    try {
      const fileHandles = new FileHandleCache({ maxOpen: limits.maxOpenFiles, onWarning: options.onWarning });
      const store = MetadataStore.open(options.dir);
      const clock = options.clock ?? systemClock;
      const topics = new TopicTable(options.dir, store, {
        clock,
        onWarning: options.onWarning,
        recoverCorruption: options.recoverCorruption,
        maxBrokerPartitions: limits.maxBrokerPartitions,
        fileHandles,
      });
      const offsets = new OffsetStore(topics, clock, options.offsetsTopicPartitions ?? DEFAULT_OFFSETS_TOPIC_PARTITIONS);
      return new Broker(options.dir, store, topics, offsets, options, lock, limits, fileHandles);
    } catch (e) {
      lock.release();
      throw e;
    }
  }

  /**
   * The repair of one damaged partition of a stopped broker's data directory
   * (`rill log recover`): every segment scanned, damaged bytes and later
   * segments moved aside into .corrupt files, a gap between segments accepted.
   * Returns one line per repair (none: nothing was wrong).
   */
  static recoverPartition(dir: string, topic: string, partition: number): Either<BrokerError, string[]> {
    if (!fs.existsSync(path.join(dir, METADATA_FILE)))
      return left(
        new BrokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${dir} holds no broker metadata (${METADATA_FILE}); give the broker's log directory.`),
      );
    const record = MetadataStore.open(dir).metadata.topics.find((t) => t.name === topic);
    if (record === undefined || !Number.isInteger(partition) || partition < 0 || partition >= record.partitions) {
      return left(new BrokerError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${dir} has no partition ${partition} of topic "${topic}".`));
    }
    let lock: DirLock;
    try {
      // A running broker holds the directory: repairing under it would race its writes.
      lock = DirLock.acquire(dir);
    } catch (e) {
      return left(new BrokerError(ErrorCode.KAFKA_STORAGE_ERROR, (e as Error).message));
    }
    try {
      return right(recoverPartitionLog(path.join(dir, `${topic}-${partition}`), record.config).map((w) => w.message));
    } catch (e) {
      return left(fromLogError(e));
    } finally {
      lock.release();
    }
  }

  get clusterId(): string {
    return this.store.metadata.clusterId;
  }

  // ---------------------------------------------------------------- topics

  createTopic(spec: NewTopic, options: { validateOnly?: boolean } = {}): Either<BrokerError, TopicDescription> {
    return this.guard(() => this.topics.create(spec, options));
  }

  /** Creates the topic unless it exists (then returns it as it is). */
  ensureTopic(spec: NewTopic): Either<BrokerError, TopicDescription> {
    if (this.topics.has(spec.name)) return this.topics.describe(spec.name);
    return this.createTopic(spec);
  }

  /** The schema registry's compacted topic (`_schemas`, one partition, as Confluent's registry creates it). */
  ensureSchemasTopic(): Either<BrokerError, TopicDescription> {
    return this.ensureTopic({ name: SCHEMAS_TOPIC, partitions: 1, config: { 'cleanup.policy': 'compact' } });
  }

  deleteTopic(name: string): Either<BrokerError, void> {
    return this.guard(() => this.topics.delete(name));
  }

  describeTopic(name: string): Either<BrokerError, TopicDescription> {
    return this.topics.describe(name);
  }

  listTopics(options: { includeInternal?: boolean } = {}): string[] {
    return this.topics.names(options);
  }

  alterTopicConfig(name: string, change: ConfigAlteration, options: { validateOnly?: boolean } = {}): Either<BrokerError, TopicDescription> {
    return this.guard(() => this.topics.alterConfig(name, change, options));
  }

  createPartitions(name: string, total: number, options: { validateOnly?: boolean } = {}): Either<BrokerError, TopicDescription> {
    return this.guard(() => this.topics.addPartitions(name, total, options));
  }

  // ---------------------------------------------------------------- produce, fetch, offsets

  /** Appends one partition's RecordBatch v2 bytes (the buffer is handed over). */
  produce(topic: string, partition: number, batches: Buffer): Either<BrokerError, ProduceResult> {
    if (INTERNAL_TOPICS.has(topic))
      return left(new BrokerError(ErrorCode.INVALID_TOPIC_EXCEPTION, `"${topic}" is an internal topic; clients cannot produce to it.`));
    const p = this.topics.partition(topic, partition);
    if (isLeft(p)) return p;
    return this.guard(() => right(p.right.produce(batches)));
  }

  /**
   * Reads each partition from its offset. With maxWaitMs > 0 it waits (long
   * poll) until minBytes are available, the wait ends, or the broker closes.
   */
  async fetch(request: FetchRequest): Promise<FetchPartitionResponse[]> {
    const minBytes = request.minBytes ?? 1;
    const maxWaitMs = request.maxWaitMs ?? 0;
    let responses = this.readPartitions(request);
    if (maxWaitMs <= 0 || enough(responses, minBytes)) return responses;
    const unsubscribes: (() => void)[] = [];
    try {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, maxWaitMs);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        for (const r of request.partitions) {
          const p = this.topics.partition(r.topic, r.partition);
          if (!isLeft(p)) unsubscribes.push(p.right.onAppend(done));
        }
        request.signal?.addEventListener('abort', done, { once: true });
        this.closeController.signal.addEventListener('abort', done, { once: true });
        unsubscribes.push(() => {
          request.signal?.removeEventListener('abort', done);
          this.closeController.signal.removeEventListener('abort', done);
        });
      });
    } finally {
      for (const u of unsubscribes) u();
    }
    if (this.closed) return responses;
    responses = this.readPartitions(request);
    return responses;
  }

  private readPartitions(request: FetchRequest): FetchPartitionResponse[] {
    const budget = new FetchBudget(request.maxBytes, this.limits.fetchMaxBytes);
    return request.partitions.map((r) => {
      const p = this.topics.partition(r.topic, r.partition);
      if (isLeft(p)) return failedFetch(r, p.left);
      const offsets = p.right.offsets;
      const isolation = request.isolationLevel ?? 0;
      const base = { topic: r.topic, partition: r.partition, errorCode: 0, ...offsets };
      try {
        const records = budget.take(r.maxBytes, (max) => p.right.read(r.offset, max, isolation), EMPTY);
        return { ...base, abortedTransactions: isolation === 1 ? abortedTransactionsIn(p.right.log, r.offset, records) : null, records };
      } catch (e) {
        const failure = e instanceof BrokerError ? e : fromIoError(e, `reading ${r.topic}-${r.partition} at offset ${r.offset}`);
        if (failure === undefined) throw e;
        return { ...base, errorCode: failure.code, error: failure, abortedTransactions: null, records: EMPTY };
      }
    });
  }

  /** ListOffsets: -2 earliest, -1 latest (the last stable offset for read_committed), -3 max timestamp, else the first offset at or after the timestamp (-1 if none). */
  listOffset(topic: string, partition: number, timestamp: number, isolation: IsolationLevel = 0): Either<BrokerError, { offset: number; timestamp: number }> {
    const p = this.topics.partition(topic, partition);
    if (isLeft(p)) return p;
    return this.guard(() => right(p.right.offsetForTimestamp(timestamp, isolation)));
  }

  /**
   * WriteTxnMarkers at this node: appends the COMMIT or ABORT control batch
   * ending the producer's transaction on the partition (internal topics
   * included: on __consumer_offsets it also makes the producer's pending
   * offsets of the partition's groups committed, or drops them).
   */
  writeTxnMarker(topic: string, partition: number, marker: TxnMarkerFields): Either<BrokerError, void> {
    const p = this.topics.partition(topic, partition);
    if (isLeft(p)) return p;
    return this.guard(() => {
      p.right.writeTxnMarker(marker);
      if (topic === CONSUMER_OFFSETS_TOPIC) this.offsets.completeTransaction(partition, marker.producerId, marker.commit);
      return right(undefined);
    });
  }

  partitionOffsets(topic: string, partition: number): Either<BrokerError, PartitionOffsets> {
    const p = this.topics.partition(topic, partition);
    if (isLeft(p)) return p;
    return right(p.right.offsets);
  }

  /** DeleteRecords: moves the log start offset; returns the new low watermark. */
  deleteRecords(topic: string, partition: number, beforeOffset: number): Either<BrokerError, number> {
    const p = this.topics.partition(topic, partition);
    if (isLeft(p)) return p;
    const log = p.right.log;
    return this.guard(() => right(log.deleteRecordsBefore(beforeOffset === -1 ? log.highWatermark : beforeOffset)));
  }

  /** InitProducerId (idempotence without transactions): a fresh producer id, epoch 0. */
  initProducerId(): { producerId: number; producerEpoch: number } {
    // Ids are reserved in blocks so the metadata file is not rewritten per producer.
    if (this.nextProducerId === undefined || this.nextProducerId >= this.store.metadata.producerIdBlockEnd) {
      const start = this.store.metadata.producerIdBlockEnd;
      this.store.update((m) => (m.producerIdBlockEnd = start + PRODUCER_ID_BLOCK));
      this.nextProducerId = start;
    }
    return { producerId: this.nextProducerId++, producerEpoch: 0 };
  }
  private nextProducerId: number | undefined;

  // ---------------------------------------------------------------- transactions

  /** AddPartitionsToTxn: every partition must exist; the refusal of the first that does not. */
  checkTxnPartitions(partitions: readonly { topic: string; partition: number }[]): BrokerError | undefined {
    for (const { topic, partition } of partitions) {
      const p = this.topics.partition(topic, partition);
      if (isLeft(p)) return p.left;
      if (INTERNAL_TOPICS.has(topic))
        return new BrokerError(ErrorCode.INVALID_TOPIC_EXCEPTION, `"${topic}" is an internal topic; a transaction cannot write to it.`);
    }
    return undefined;
  }

  /**
   * TxnOffsetCommit: offsets of the producer's open transaction, stored as pending
   * and visible once it commits. A fenced producer, or a group the transaction
   * did not add (AddOffsetsToTxn), is refused; so is a stale member (KIP-447) when
   * the request names one.
   */
  commitTxnOffsets(
    txn: { transactionalId: string; producerId: number; producerEpoch: number; groupId: string; memberId: string; generationId: number },
    commits: readonly OffsetCommit[],
  ): OffsetCommitResult[] {
    const fail = (error: { code: number; message: string }) =>
      commits.map((c) => ({ topic: c.topic, partition: c.partition, errorCode: error.code, error: new BrokerError(error.code, error.message) }));
    if (this.closed) return fail({ code: ErrorCode.COORDINATOR_NOT_AVAILABLE, message: 'The broker is closed.' });
    const refused =
      this.transactions.checkOffsetCommit(txn.transactionalId, txn.producerId, txn.producerEpoch, txn.groupId) ??
      (txn.generationId >= 0 || txn.memberId !== '' ? this.checkOffsetCommit(txn.groupId, txn.memberId, txn.generationId) : undefined);
    if (refused !== undefined) return fail(refused);
    const unknown = commits.map((c) => this.topics.partition(c.topic, c.partition)).find(isLeft);
    if (unknown !== undefined) return fail(unknown.left);
    try {
      this.offsets.commitTransactional(txn.groupId, txn.producerId, txn.producerEpoch, commits);
    } catch (e) {
      return fail(fromLogError(e));
    }
    return commits.map((c) => ({ topic: c.topic, partition: c.partition, errorCode: 0 }));
  }

  /** Whether an open transaction holds an offset of the group for the partition (OffsetFetch's require_stable). */
  isOffsetPending(groupId: string, topic: string, partition: number): boolean {
    return this.offsets.isPending(groupId, topic, partition);
  }

  /** The coordinator over this node's `__transaction_state`, its state replayed and unfinished completions resumed. */
  private openTransactions(options: BrokerOptions): TransactionCoordinator {
    const settings = options.transactions ?? {};
    const coordinator = new TransactionCoordinator({
      log: { append: (partition, key, value) => this.appendTxnState(partition, key, value, settings), coordinatorEpoch: () => 0 },
      markers: { writeTxnMarker: (topic, partition, marker) => this.writeTxnMarker(topic, partition, marker) },
      newProducerId: () => this.initProducerId().producerId,
      groupPartition: (groupId) => this.offsets.groupPartition(groupId),
      partitions: this.topics.partitionCount(TRANSACTION_STATE_TOPIC) ?? settings.statePartitions ?? DEFAULT_TRANSACTION_STATE_PARTITIONS,
      clock: this.clock,
      maxTimeoutMs: settings.maxTimeoutMs,
      idExpirationMs: settings.idExpirationMs,
      tickIntervalMs: settings.tickIntervalMs,
      onWarning: options.onWarning,
    });
    const count = this.topics.partitionCount(TRANSACTION_STATE_TOPIC) ?? 0;
    for (let p = 0; p < count; p++) {
      const partition = this.topics.partition(TRANSACTION_STATE_TOPIC, p);
      if (isLeft(partition)) continue;
      for (const batch of storedBatches(partition.right.log)) if (!batch.isControl) coordinator.load(batch.records);
    }
    void coordinator.resume();
    return coordinator;
  }

  private appendTxnState(partition: number, key: Buffer, value: Buffer | null, settings: TransactionSettings): Either<BrokerError, void> {
    return this.guard(() => {
      if (!this.topics.has(TRANSACTION_STATE_TOPIC)) {
        const created = this.topics.create(
          {
            name: TRANSACTION_STATE_TOPIC,
            partitions: settings.statePartitions ?? DEFAULT_TRANSACTION_STATE_PARTITIONS,
            config: { 'cleanup.policy': 'compact', 'segment.bytes': 100 * 1024 * 1024 },
          },
          { internal: true },
        );
        if (isLeft(created)) return created;
      }
      const p = this.topics.partition(TRANSACTION_STATE_TOPIC, partition);
      if (isLeft(p)) return p;
      // Not fsynced here: a synchronous fsync per state change (three per transaction) stalled every connection of
      // the broker. __transaction_state is as durable as the markers and data it describes: flushed by the topic's
      // flush.ms / flush.messages and at close, like every partition (Kafka relies on replication, not fsync, too).
      p.right.produce(encodeRecordBatch({ records: [{ key, value, timestamp: this.clock.now() }] }));
      return right(undefined);
    });
  }

  /** Runs one retention/compaction/flush pass now (tests, tools). */
  runMaintenance(): Promise<void> {
    return this.scheduler.runPass({ forceRetention: true });
  }

  // ---------------------------------------------------------------- groups

  joinGroup(params: JoinGroupParams): Promise<JoinGroupResponse> {
    return this.groups.joinGroup(params);
  }

  syncGroup(params: SyncGroupParams): Promise<SyncGroupResponse> {
    return this.groups.syncGroup(params);
  }

  heartbeat(params: HeartbeatParams): Promise<HeartbeatResponse> {
    return this.groups.heartbeat(params);
  }

  leaveGroup(params: LeaveGroupParams): Promise<LeaveGroupResponse> {
    return this.groups.leaveGroup(params);
  }

  /** Advances session and rebalance timeouts to `now` (the group service's timer calls this). */
  tick(now?: number): void {
    this.groups.tick(now);
  }

  /** Observes what the coordinator does (rebalances, removed members): for logs and tests. */
  onGroupEffect(listener: (e: GroupEffect) => void): () => void {
    return this.groups.onGroupEffect(listener);
  }

  describeGroup(groupId: string): GroupSummary {
    return this.groups.describeGroup(groupId);
  }

  /** Groups with members or with committed offsets. */
  listGroups(): ListedGroup[] {
    return this.groups.listGroups();
  }

  /** DeleteGroups: an empty group and its committed offsets. */
  deleteGroup(groupId: string): Either<BrokerError, void> {
    return this.guard(() => this.groups.deleteGroup(groupId));
  }

  /** OffsetDelete: the group's committed offsets of these partitions, unless its members consume their topics. */
  deleteOffsets(groupId: string, partitions: readonly { topic: string; partition: number }[]): Either<BrokerError, OffsetDeletion[]> {
    return this.guard(() => {
      const deleted = this.groups.deleteOffsets(groupId, partitions);
      return deleted._tag === 'Left' ? deleted : right(deleted.right.results);
    });
  }

  /**
   * OffsetCommit. Members commit with their generation and member id; a tool
   * commits for an empty group with generation -1 and member id ''.
   */
  commitOffsets(groupId: string, memberId: string, generationId: number, commits: readonly OffsetCommit[]): OffsetCommitResult[] {
    const fail = (code: number, message: string) => {
      const error = new BrokerError(code, message);
      return commits.map((c) => ({ topic: c.topic, partition: c.partition, errorCode: code, error }));
    };
    if (this.closed) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The broker is closed.');
    const refused = this.checkOffsetCommit(groupId, memberId, generationId);
    if (refused !== undefined) return fail(refused.code, refused.message);
    const valid: OffsetCommit[] = [];
    const results: OffsetCommitResult[] = [];
    for (const c of commits) {
      const p = this.topics.partition(c.topic, c.partition);
      if (isLeft(p)) results.push({ topic: c.topic, partition: c.partition, errorCode: p.left.code, error: p.left });
      else {
        valid.push(c);
        results.push({ topic: c.topic, partition: c.partition, errorCode: 0 });
      }
    }
    try {
      this.offsets.commit(groupId, valid);
    } catch (e) {
      if (!(e instanceof BrokerError)) throw e;
      return fail(e.code, e.message);
    }
    return results;
  }

  /**
   * Whether the group's membership lets `memberId` at `generationId` commit now:
   * undefined if so, else the refusal. The check commitOffsets makes, for a shell
   * that stores the offsets elsewhere (a cluster broker's replicated offsets).
   */
  checkOffsetCommit(groupId: string, memberId: string, generationId: number): BrokerError | undefined {
    return this.groups.checkOffsetCommit(groupId, memberId, generationId);
  }

  /** OffsetFetch: committed offsets (offset -1 where nothing is committed); all of the group's when `partitions` is omitted. */
  fetchOffsets(groupId: string, partitions?: readonly { topic: string; partition: number }[]): CommittedOffset[] {
    return this.groups.fetchOffsets(groupId, partitions);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Stops background work, answers parked group requests, flushes and closes
   * every log (their fsyncs off the event loop, many logs at a time), then
   * releases the directory. A log that cannot be made durable is warned about
   * and in the answer: it has no clean-shutdown mark, and the next open
   * recovers it. Calls after the first get the first one's answer, once
   * every log is closed.
   */
  close(): Promise<BrokerCloseReport> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<BrokerCloseReport> {
    this.closed = true;
    try {
      this.groups.close();
      this.transactions.close();
      this.closeController.abort();
      await this.scheduler.stop();
      const logs = this.topics.totalPartitions;
      const failed = await this.topics.closeAsync();
      for (const f of failed) this.onWarning?.(`closing ${f.partition} failed: ${f.error.message}; its log is recovered at the next start`);
      return { logs, failed };
    } finally {
      this.lock.release();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---------------------------------------------------------------- shell plumbing

  /** Runs a change, turning the log's expected failures into BrokerError values. */
  private guard<T>(f: () => Either<BrokerError, T>): Either<BrokerError, T> {
    if (this.closed) return left(new BrokerError(ErrorCode.KAFKA_STORAGE_ERROR, 'The broker is closed.'));
    try {
      return f();
    } catch (e) {
      return left(fromLogError(e));
    }
  }
}

const PRODUCER_ID_BLOCK = 1000;

function enough(responses: FetchPartitionResponse[], minBytes: number): boolean {
  let total = 0;
  for (const r of responses) {
    if (r.errorCode !== 0) return true;
    total += r.records.length;
  }
  return total >= minBytes;
}

function failedFetch(r: FetchPartitionRequest, error: BrokerError): FetchPartitionResponse {
  return {
    topic: r.topic,
    partition: r.partition,
    errorCode: error.code,
    error,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: null,
    records: EMPTY,
  };
}

/** The limits with defaults filled in; a limit that is not a positive integer is a caller's bug. */
export function brokerLimits(given: Partial<BrokerLimits>): BrokerLimits {
  const limits = { ...DEFAULT_BROKER_LIMITS, ...given };
  for (const [k, v] of Object.entries(limits))
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`Broker limit ${k} must be a positive integer, got ${v}`);
  return limits;
}
