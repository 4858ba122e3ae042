// The one interface through which the DSL runtime, `rill worker` and the
// connectors touch a log. Three implementations: the embedded Rill
// (embedded-log-client.ts), a Rill cluster or `rill broker` over the Kafka
// protocol (remote/), and any Kafka-compatible cluster through kafkajs
// (kafkajs/). Nothing here mentions the embedded broker, so a pipeline runs
// unchanged on any of them.
import type { TopicPartition } from '../broker';

export type { TopicPartition };

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Kafka topic configs, e.g. { 'cleanup.policy': 'compact' }. */
  readonly config?: Readonly<Record<string, string>>;
  /** Copies of each partition; -1 or undefined: the log's default (Kafka's default.replication.factor). The embedded log keeps one. */
  readonly replicationFactor?: number;
}

export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: readonly { key: string; value: Buffer | null }[];
}

/** A record as fetch() returns it: key and value may be views into the fetched bytes (copy to keep). */
export interface FetchedRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

export interface OutgoingRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  /** Undefined: the default (murmur2 of the key) partitioner. */
  readonly partition?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LogProducer {
  /** Resolves once the log acknowledged the write (acks = all). */
  send(topic: string, record: OutgoingRecord): Promise<void>;
  /** Several records to one topic; resolves once all are acknowledged. */
  sendBatch(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
  /** Sends what is batched and waits for it. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /**
   * Optional (Rill's own producer): a write to one topic whose records are
   * appended one at a time from byte ranges, each written into its batch at
   * once, with no object per record. Absent: use sendBatch.
   */
  openWrite?(topic: string): RecordWriter;
}

/** LogProducer.openWrite's records. */
export interface RecordWriter {
  /**
   * Appends a record whose key is src[keyStart, keyEnd) and value
   * src[valueStart, valueEnd) (a start of -1: null), to `partition` or, when
   * undefined, the one its key hashes to. The bytes are copied before it returns.
   */
  append(src: Buffer, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, timestamp: number, partition: number | undefined): void;
  /** No more records: resolves once every one appended is acknowledged, rejects if one failed. */
  end(): Promise<void>;
}

/**
 * Who commits a consumer group's offsets inside a transaction (KIP-447): the
 * member and generation the consumer had when it read them. The group refuses
 * the offsets of a member that is no longer current (a zombie), so its
 * transaction cannot commit.
 */
export interface ConsumerGroupMetadata {
  readonly memberId: string;
  readonly generationId: number;
}

/**
 * The exactly-once seam: a producer that can put its writes and the input
 * offsets into one transaction (Kafka's idempotent producer + transactional
 * commit, KIP-98/KIP-447). The runtime uses it when processingGuarantee is
 * 'exactly-once' (LogClient.transactionalLogProducer). A send() outside a
 * transaction is refused. Once fenced (a newer producer of the same
 * transactional id started), every call rejects with a ProducerFencedError.
 */
export interface TransactionalLogProducer extends LogProducer {
  /** Starts a transaction; the first one initialises the transactional id, which fences earlier producers of it and aborts what they left open. */
  beginTransaction(): Promise<void>;
  sendOffsetsToTransaction(groupId: string, offsets: readonly (TopicPartition & { offset: number })[], member?: ConsumerGroupMetadata): Promise<void>;
  /** Sends what is batched, then commits: the writes and the offsets become visible together. */
  commitTransaction(): Promise<void>;
  /** Nothing of the open transaction becomes visible. */
  abortTransaction(): Promise<void>;
}

export interface TransactionalLogProducerOptions {
  readonly transactionalId: string;
  /** transaction.timeout.ms: the coordinator aborts a transaction open longer (default 60 s). */
  readonly transactionTimeoutMs?: number;
}

/** A transactional producer was fenced by a newer one with the same transactional id (Kafka's PRODUCER_FENCED, INVALID_PRODUCER_EPOCH). */
export class ProducerFencedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProducerFencedError';
  }
}

/**
 * Told about a consumer group's rebalances (Kafka's ConsumerRebalanceListener).
 * Both are called with partitions whose partition number p is the same across
 * all subscribed topics: see LogConsumer.subscribe.
 */
export interface LogRebalanceListener {
  /** Partitions newly assigned to this member; reading them starts at the group's committed offsets. */
  onAssigned(added: readonly TopicPartition[]): void;
  /**
   * Partitions about to go to another member (or to nobody: the consumer is
   * closing). Awaited before they are given up, so their work can be flushed
   * and their offsets committed first.
   */
  onRevoked(revoked: readonly TopicPartition[]): Promise<void>;
}

/** Group membership settings of a consumer (Kafka's names). */
/**
 * Kafka's isolation.level for a LogClient consumer: read_committed (the
 * default here, as kafkajs') reads up to the last stable offset and never
 * delivers a record of an aborted transaction; read_uncommitted every record.
 */
export type IsolationLevelName = 'read_committed' | 'read_uncommitted';

export interface GroupMembershipOptions {
  /** Static membership (KIP-345): a restart within the session timeout keeps the partitions. */
  readonly groupInstanceId?: string;
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
}

export interface LogConsumer {
  /** Reads exactly these partitions, from the group's committed offsets (else the earliest). */
  assign(partitions: readonly TopicPartition[]): Promise<void>;
  /**
   * Joins the consumer's group and reads what the group assigns, from the
   * committed offsets (else the earliest). The assignment is co-partitioned:
   * partition p of every topic in `topics` goes to the same member (a stream
   * task owns partition p of its sources and repartition topics), and it is
   * cooperative: a member keeps what it still owns, and a partition that moves
   * is revoked (listener awaited) before its new owner gets it. Resolves once
   * the first assignment is known (and onAssigned was called). Optional: a
   * client without it runs an application as a single instance (assign()).
   */
  subscribe?(topics: readonly string[], listener: LogRebalanceListener): Promise<void>;
  seek(tp: TopicPartition, offset: number): Promise<void>;
  /** The next offset to read from a partition once what is buffered is consumed. */
  position(tp: TopicPartition): number | undefined;
  /** Records fetched but not yet read. */
  bufferedRecords(): number;
  /**
   * The member and generation offsets are committed as (KIP-447), for
   * sendOffsetsToTransaction; undefined when the consumer is not a member.
   * Optional: without it, transactional offsets are committed without fencing.
   */
  groupMetadata?(): ConsumerGroupMetadata | undefined;
  /** Records in order per partition; bounded read-ahead (backpressure). */
  records(): AsyncIterator<LogRecord>;
  /**
   * Takes up to `max` fetched records at once (in order per partition),
   * waiting up to `waitMs` when none is fetched yet. Also resolves, maybe
   * with none, once a fetch answers (so fetchedLag() may have changed), and
   * with none once the consumer closes. Records handed out count as read.
   */
  poll(max: number, waitMs: number): Promise<LogRecord[]>;
  /**
   * How many records of the partition the reader does not have yet, as of the
   * latest fetch answer: fetched but not yet taken, plus the high watermark
   * that answer reported minus the next offset to fetch. 0: the reader has all
   * the log held then. Undefined: no fetch of it has answered yet (since it
   * was assigned or seeked). The runtime's event-time alignment waits for a
   * partition that is known to have more (Kafka's max.task.idle.ms, KIP-695).
   */
  fetchedLag(tp: TopicPartition): number | undefined;
  /** Stops fetching these partitions (what is already fetched is still handed out); optional. */
  pause?(tps: readonly TopicPartition[]): void;
  /** Fetches these partitions again after pause(). */
  resume?(tps: readonly TopicPartition[]): void;
  /**
   * Commits next-offsets-to-read for the consumer's group. Rejects with a
   * CommitRefusedError when the group refused it because of a rebalance
   * (the member's generation is not current): nothing is wrong with the data,
   * a later commit (or the partitions' next owner) covers it.
   */
  commit(offsets: readonly (TopicPartition & { offset: number })[]): Promise<void>;
  close(): Promise<void>;
}

/** A commit the group refused because of a rebalance (Kafka's REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID). */
export class CommitRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommitRefusedError';
  }
}

export interface LogClient {
  /** Creates the topics that do not exist yet; existing ones are left as they are. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** Partition count, or undefined when the topic does not exist. */
  partitionCount(topic: string): Promise<number | undefined>;
  /** Per partition: [log start offset, high watermark]. */
  offsets(topic: string): Promise<{ partition: number; start: number; end: number }[]>;
  /** The group's committed offset per partition (-1: none). */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, number>>;
  /**
   * Reads one partition from an offset, once, without waiting: the records
   * found (maybe none) and the offset to read next. Restore uses it: a plain
   * pull loop, no consumer state, no per-record promise. Reads committed data
   * (read_committed): up to the last stable offset, aborted transactions and
   * transaction markers left out.
   */
  fetch(tp: TopicPartition, offset: number, maxBytes: number): Promise<{ records: FetchedRecord[]; nextOffset: number }>;
  producer(): LogProducer;
  /**
   * A transactional producer (exactly-once). Optional: a client without it
   * cannot run an application with processingGuarantee 'exactly-once'.
   */
  transactionalLogProducer?(options: TransactionalLogProducerOptions): TransactionalLogProducer;
  /**
   * A consumer; with a groupId it commits to that group (and can subscribe,
   * joining it). `clientId` is Kafka's client.id: group members see it in
   * groupMembers() (the runtime puts its applicationServer there).
   */
  consumer(
    options: {
      groupId?: string;
      clientId?: string;
      isolationLevel?: IsolationLevelName;
      /** A hint: records may be SpanRecords (key and value read as ranges of the fetched bytes); a client may ignore it. */
      recordSpans?: boolean;
    } & GroupMembershipOptions,
  ): LogConsumer;
  /**
   * The members of a consumer group and the partitions each was assigned in
   * the current generation (Kafka's DescribeGroups). Optional: without it,
   * interactive queries cannot say which instance hosts a key.
   */
  groupMembers?(groupId: string): Promise<readonly GroupMemberInfo[]>;
}

export interface GroupMemberInfo {
  readonly memberId: string;
  readonly clientId: string;
  readonly groupInstanceId: string | null;
  readonly partitions: readonly TopicPartition[];
}
