// The only way the DSL runtime touches a log. Three implementations are meant
// to exist: the embedded Rill (rill-log-client.ts), a Rill cluster over the
// network, and any Kafka-compatible cluster through kafkajs. Nothing here
// mentions the embedded broker, so a pipeline runs unchanged on any of them.

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Kafka topic configs, e.g. { 'cleanup.policy': 'compact' }. */
  readonly config?: Readonly<Record<string, string>>;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
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
}

/**
 * The exactly-once seam: a producer that can put its writes and the input
 * offsets into one transaction (Kafka's idempotent producer + transactional
 * commit, KIP-98/KIP-447). The runtime uses it when processingGuarantee is
 * 'exactly-once'; no implementation exists yet (see docs/dsl.md).
 */
export interface TransactionalLogProducer extends LogProducer {
  beginTransaction(): Promise<void>;
  sendOffsetsToTransaction(groupId: string, offsets: readonly (TopicPartition & { offset: number })[]): Promise<void>;
  commitTransaction(): Promise<void>;
  abortTransaction(): Promise<void>;
}

export interface LogConsumer {
  /** Reads exactly these partitions, from the group's committed offsets (else the earliest). */
  assign(partitions: readonly TopicPartition[]): Promise<void>;
  seek(tp: TopicPartition, offset: number): Promise<void>;
  /** The next offset to read from a partition once what is buffered is consumed. */
  position(tp: TopicPartition): number | undefined;
  /** Records fetched but not yet read. */
  bufferedRecords(): number;
  /** Records in order per partition; bounded read-ahead (backpressure). */
  records(): AsyncIterator<LogRecord>;
  /** Commits next-offsets-to-read for the consumer's group. */
  commit(offsets: readonly (TopicPartition & { offset: number })[]): Promise<void>;
  close(): Promise<void>;
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
   * pull loop, no consumer state, no per-record promise.
   */
  fetch(tp: TopicPartition, offset: number, maxBytes: number): Promise<{ records: FetchedRecord[]; nextOffset: number }>;
  producer(): LogProducer;
  /** A consumer; with a groupId it commits to that group. */
  consumer(options: { groupId?: string }): LogConsumer;
}
