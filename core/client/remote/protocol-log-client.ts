// LogClient over the Kafka protocol with core/protocol's own KafkaConnection:
// Rill's client for a Rill cluster or `rill broker` (and any Kafka broker that
// speaks the versions it does). It follows partition leaders (Metadata, asked
// again on NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION or a broken
// connection), fetches one partition at its leader, lists offsets, commits
// offsets to the group's coordinator (as a group member, as the worker the
// Rill controller registered, or "simple" commits for a group without
// members), produces at each partition's leader, and creates topics.
//
// Its consumers read what they are assigned (assign(), as `rill worker`'s
// tasks are) or what their group assigns (subscribe(), through GroupMember).
import { encodeRecordBatch, unwritableCompression, type CompressionName } from '../../log';
import { apis, type ClientSaslOptions, type ClientTlsOptions, KafkaClientError } from '../../protocol';
import { batchingProducer, type QueuedRecord } from '../batching-producer';
import { commitRefusal } from '../commit-refusal';
import { decodeAssignment, type TopicPartition } from '../../broker';
import type { GroupMemberInfo, LogClient, LogConsumer, LogProducer, TopicSpec } from '../log-client';
import { DefaultPartitioner } from '../partitioner';
import { RemoteConsumer, type CommitMember } from './remote-consumer';
import { BrokerConnections, type BrokerConnectionsOptions } from './broker-connections';
import { GroupCoordinator } from './group-coordinator';
import { checkCode, STALE_METADATA, type PartitionLeaders } from './partition-leaders';
import { protocolProduceTarget, protocolTransactionPort } from './protocol-transactions';
import { TransactionalProducer, type TransactionalProducerOptions } from '../transactional-producer';
import { PartitionReader } from './partition-reader';
import { transactionalLogProducer } from '../transactional-log-producer';
import { DEFAULT_BROKER_UNAVAILABLE_TIMEOUT_MS, RetryLater, RetryPolicy } from './retry-policy';

export interface ProtocolLogClientOptions {
  /** "host:port" of one or more brokers (a list, or one comma-separated string). */
  readonly brokers: string | readonly string[];
  /** Kafka's client.id. */
  readonly clientId?: string;
  /** Per request. Default 30 s. */
  readonly requestTimeoutMs?: number;
  /** security.protocol=SSL: connect over TLS. */
  readonly tls?: ClientTlsOptions;
  /**
   * How long a request rides out a cluster that cannot serve it: a partition
   * without a reachable leader, a group without a coordinator (a broker died;
   * the controller moves them once it has fenced it). Retried with a growing,
   * jittered backoff (100 ms to 1 s); past this deadline the request fails
   * (and an application with it). Default 5 minutes.
   */
  readonly brokerUnavailableTimeoutMs?: number;
  /** security.protocol=SASL_PLAINTEXT (SASL_SSL with `tls`): authenticate each connection (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). */
  readonly sasl?: ClientSaslOptions;
  /** Records a consumer fetches ahead of its reader (default 5000). */
  readonly maxBufferedRecords?: number;
  /** How long a consumer's fetch may wait at the leader for new records (default 250 ms). */
  readonly maxWaitMs?: number;
  /** Bytes per partition fetch of a consumer (default 1 MiB). */
  readonly maxBytesPerFetch?: number;
  /** compression.type of the batches its producers write: none (default), gzip, snappy, lz4 (zstd where node:zlib has it). */
  readonly compression?: CompressionName;
  readonly log?: (m: string) => void;
  /**
   * Who commits the offsets of assigned (not subscribed) consumers: `rill
   * worker` names its worker id and epoch, so the cluster refuses the commits
   * of a worker it has fenced. Undefined (or returning undefined): simple
   * commits, for a group without members.
   */
  readonly member?: () => CommitMember | undefined;
}

/** How each of the client's connection sets connects. */
function connectionOptions(options: ProtocolLogClientOptions, clientId: string): BrokerConnectionsOptions {
  return { clientId, requestTimeoutMs: options.requestTimeoutMs, tls: options.tls, sasl: options.sasl };
}

export interface ProtocolLogClient extends LogClient {
  /** A PartitionReader over connections of its own (a consumer's long polls), closed with reader.brokers.close(). */
  ownReader(): PartitionReader;
  /** Commits for the group: as `member` when given, else as a simple commit. Rejects with CommitRefusedError when the group refused it. */
  commitOffsets(groupId: string, offsets: readonly (TopicPartition & { offset: number })[], member?: CommitMember): Promise<void>;
  /** The group's coordinator (its requests follow it when it moves). */
  coordinator(groupId: string): GroupCoordinator;
  /**
   * The group's coordinator over connections of its own, for a group member:
   * a JoinGroup waits at the coordinator until the rebalance completes, and a
   * broker answers a connection's requests in order, so members sharing a
   * connection would wait for each other's joins. Its requests carry the
   * member's `clientId` (other members see it in DescribeGroups). Closed with close().
   */
  memberCoordinator(groupId: string, clientId: string): { coordinator: GroupCoordinator; close(): void };
  /** The partitions' leaders of a topic (refreshed on first use). */
  leaders(topic: string): Promise<PartitionLeaders>;
  /** A transactional producer (beginTransaction, send, sendOffsets, commit, abort) whose transactional id's coordinator is found and followed over the protocol. */
  transactionalProducer(options: TransactionalProducerOptions): TransactionalProducer;
  /**
   * These partition numbers (of every topic) now belong to someone else: the
   * assigned consumers' commits of them are refused until one is assigned them again.
   */
  fencePartitions(partitions: readonly number[]): void;
  /** Closes every consumer made here, and the connections. */
  close(): Promise<void>;
}

export function protocolLogClient(options: ProtocolLogClientOptions): ProtocolLogClient {
  const refused = options.compression === undefined ? undefined : unwritableCompression(options.compression);
  if (refused !== undefined) throw new KafkaClientError(refused);
  const brokers = new BrokerConnections(options.brokers, connectionOptions(options, options.clientId ?? 'rill'));
  const retry = new RetryPolicy({ timeoutMs: options.brokerUnavailableTimeoutMs ?? DEFAULT_BROKER_UNAVAILABLE_TIMEOUT_MS });
  const reader = new PartitionReader(brokers, retry);
  const leaders = (topic: string) => reader.leaders(topic);
  const coordinators = new Map<string, GroupCoordinator>();
  const consumers = new Set<RemoteConsumer>();
  const fenced = new Set<number>();

  function coordinator(groupId: string): GroupCoordinator {
    let c = coordinators.get(groupId);
    if (c === undefined) coordinators.set(groupId, (c = new GroupCoordinator(brokers, groupId, retry)));
    return c;
  }

  const metadata = (topics: readonly string[] | null) => brokers.metadata(topics);
  const partitionCounts = (topics: readonly string[]) => brokers.partitionCounts(topics);

  async function produce(queued: readonly QueuedRecord[], partitioner: DefaultPartitioner): Promise<void> {
    const byTopic = new Map<string, QueuedRecord[]>();
    for (const q of queued) listOf(byTopic, q.topic).push(q);
    const sends: Promise<void>[] = [];
    for (const [topic, records] of byTopic) {
      // Partition counts as of the last Metadata (a leader change refreshes it; a topic created meanwhile is looked up again).
      const l = await leaders(topic);
      const partitions = l.partitions > 0 ? l.partitions : await l.refresh();
      if (partitions === 0) throw new KafkaClientError(`cannot produce to topic "${topic}": it does not exist`);
      const byPartition = new Map<number, QueuedRecord[]>();
      for (const q of records) {
        const p = partitioner.partition({ topic, partitions, key: q.record.key, partition: q.record.partition });
        listOf(byPartition, p).push(q);
      }
      for (const [partition, list] of byPartition) {
        partitioner.batchSent(topic, partition, partitions);
        sends.push(producePartition(l, partition, list));
      }
    }
    await Promise.all(sends);
  }

  function producePartition(l: PartitionLeaders, partition: number, queued: readonly QueuedRecord[]): Promise<void> {
    const batch = encodeRecordBatch({
      compression: options.compression,
      records: queued.map(({ record: r }) => ({
        key: r.key,
        value: r.value,
        timestamp: r.timestamp,
        headers: Object.entries(r.headers ?? {}).map(([key, value]) => ({ key, value: Buffer.from(value) })),
      })),
    });
    return l.produceBatch(partition, batch, STALE_METADATA, checkCode);
  }

  async function createTopics(topics: readonly TopicSpec[]): Promise<void> {
    // CreateTopics goes to the controller (Kafka: other brokers answer NOT_CONTROLLER).
    const m = await metadata([]);
    const controller = brokers.addressOf(m.controllerId);
    const c = controller === undefined ? await brokers.any() : await brokers.connection(controller);
    const r = await c.request<apis.CreateTopicsResponse>(apis.createTopics, {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor ?? -1,
        assignments: [],
        configs: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: 30000,
      validateOnly: false,
    });
    for (const t of r.topics) if (t.errorCode !== 36 /* TOPIC_ALREADY_EXISTS */) checkCode(t.errorCode, `cannot create topic "${t.name}"`, t.errorMessage);
  }

  /** Resolves once every partition of `topics` has a leader that Metadata names (Kafka clients wait the same after creating). */
  async function leadersElected(topics: readonly string[]): Promise<void> {
    await retry.run(
      `topics ${topics.join(', ')}: no leader for every partition`,
      async () => {
        const m = await metadata(topics);
        const elected =
          m.topics.length === topics.length &&
          m.topics.every((t) => t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every((p) => p.leaderId >= 0));
        return elected ? undefined : new RetryLater('leaders are being elected');
      },
      { stopped: () => brokers.closed },
    );
  }

  const client: ProtocolLogClient = {
    async ensureTopics(topics) {
      const existing = await partitionCounts(topics.map((t) => t.name));
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length === 0) return;
      await createTopics(missing);
      await leadersElected(missing.map((t) => t.name));
      for (const t of missing) reader.forget(t.name);
    },
    async partitionCount(topic) {
      return (await partitionCounts([topic])).get(topic);
    },
    async offsets(topic) {
      const l = await leaders(topic);
      const count = await l.refresh();
      const tps = Array.from({ length: count }, (_, partition) => ({ topic, partition }));
      const [starts, ends] = [await l.listOffsets(tps, -2), await l.listOffsets(tps, -1)];
      return tps.map(({ partition }) => ({ partition, start: starts.get(partition)!, end: ends.get(partition)! }));
    },
    async committedOffsets(groupId, topic) {
      return (await coordinator(groupId).committed()).get(topic) ?? new Map();
    },
    async fetch(tp, offset, maxBytes) {
      const { records, nextOffset } = await reader.fetch(tp, offset, maxBytes, 0);
      return { records, nextOffset };
    },
    ownReader: () => new PartitionReader(new BrokerConnections(options.brokers, connectionOptions(options, options.clientId ?? 'rill')), retry),
    async commitOffsets(groupId, offsets, member) {
      const results = await coordinator(groupId).commit(offsets, member);
      const refused = results.find((r) => r.errorCode !== 0);
      if (refused !== undefined) throw commitRefusal(groupId, refused.errorCode);
    },
    coordinator,
    memberCoordinator(groupId, clientId) {
      const own = new BrokerConnections(options.brokers, connectionOptions(options, clientId));
      return { coordinator: new GroupCoordinator(own, groupId, retry), close: () => own.close() };
    },
    leaders,
    transactionalProducer(producerOptions) {
      const port = protocolTransactionPort(brokers, producerOptions.transactionalId, coordinator, retry);
      return new TransactionalProducer(protocolProduceTarget(producerOptions.transactionalId, leaders), port, producerOptions);
    },
    transactionalLogProducer: (producerOptions) => transactionalLogProducer(client.transactionalProducer(producerOptions)),
    producer(): LogProducer {
      const partitioner = new DefaultPartitioner();
      return batchingProducer({ name: 'rill', sendQueued: (records) => produce(records, partitioner) });
    },
    consumer({ groupId, clientId, groupInstanceId, sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs, isolationLevel }): LogConsumer {
      if (groupId === undefined) throw new Error('a consumer of the Rill protocol client commits to a group: give it a groupId');
      const c = new RemoteConsumer(client, {
        groupId,
        clientId: clientId ?? options.clientId ?? 'rill',
        membership: { groupInstanceId, sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs },
        maxBufferedRecords: options.maxBufferedRecords ?? 5000,
        maxWaitMs: options.maxWaitMs ?? 250,
        maxBytesPerFetch: options.maxBytesPerFetch ?? 1024 * 1024,
        isolationLevel: isolationLevel === 'read_uncommitted' ? 0 : 1,
        log: options.log,
        member: options.member,
        fenced,
        partitionCounts,
        retry,
        onClose: () => consumers.delete(c),
      });
      consumers.add(c);
      return c.api;
    },
    async groupMembers(groupId) {
      const r = await coordinator(groupId).call((c) =>
        c.request<apis.DescribeGroupsResponse>(apis.describeGroups, { groups: [groupId], includeAuthorizedOperations: false }),
      );
      const g = r.groups[0];
      checkCode(g?.errorCode ?? 69, `cannot describe group "${groupId}"`);
      return g.members.map((m): GroupMemberInfo => {
        const a = m.memberAssignment.length > 0 ? decodeAssignment(m.memberAssignment) : undefined;
        return { memberId: m.memberId, clientId: m.clientId, groupInstanceId: m.groupInstanceId, partitions: a?._tag === 'Right' ? a.right.partitions : [] };
      });
    },
    fencePartitions(partitions) {
      for (const p of partitions) fenced.add(p);
    },
    async close() {
      await Promise.all([...consumers].map((c) => c.api.close().catch(() => undefined)));
      brokers.close();
    },
  };
  return client;
}

/** The list under `key`, made empty the first time. */
function listOf<K, V>(m: Map<K, V[]>, key: K): V[] {
  let list = m.get(key);
  if (list === undefined) m.set(key, (list = []));
  return list;
}
