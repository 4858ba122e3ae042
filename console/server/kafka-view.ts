// What the console reads from the brokers, through the Kafka protocol only
// (core/client's protocol client), so it works against `rill broker`, a Rill
// cluster and Apache Kafka alike: Metadata for brokers and partitions,
// ListOffsets for sizes and lag, DescribeConfigs, the group APIs at each
// group's coordinator, and Fetch for the message browser.
import {
  BrokerConnections,
  BrokerError,
  COORDINATOR_MOVED,
  decodeAssignment,
  type FetchedRecord,
  type LogClient,
  type PartitionLeaders,
  protocolLogClient,
  type ProtocolLogClient,
} from '../../core/client';
import { apis, type ClientSaslOptions, type ClientTlsOptions } from '../../core/protocol';
import { ErrorCode, errorName } from '../../core/wire';
import type {
  ClusterView,
  ConfigView,
  GroupMemberView,
  GroupOffsetView,
  GroupSummary,
  GroupView,
  PartitionView,
  TopicPartitionView,
  TopicSummary,
  TopicView,
} from '../model';

export interface KafkaViewOptions {
  /** `HOST:PORT[,HOST:PORT...]` */
  readonly bootstrap: string;
  readonly tls?: ClientTlsOptions;
  readonly sasl?: ClientSaslOptions;
  /** How long a request rides out a partition without a leader before the page shows the error (default 5 s). */
  readonly unavailableTimeoutMs?: number;
}

/** Where a read starts: an offset, the first record at or after a timestamp, or the last `limit` records. */
export type Seek = { readonly offset: number } | { readonly timestamp: number } | 'beginning' | 'end';

export interface ReadRecords {
  readonly from: number;
  readonly startOffset: number;
  readonly endOffset: number;
  readonly records: readonly FetchedRecord[];
}

/** Kafka's ListOffsets timestamps: the log start and the log end. */
const EARLIEST = -2;
const LATEST = -1;
const FETCH_BYTES = 1 << 20;
/** Fetches of one read, at most (a read stops earlier at the limit or the end). */
const MAX_FETCHES = 32;

export class KafkaView {
  private readonly client: ProtocolLogClient;
  /** Connections for the cluster-wide questions (metadata, configs, group lists), apart from the client's reads. */
  private readonly brokers: BrokerConnections;

  constructor(options: KafkaViewOptions) {
    const security = { tls: options.tls, sasl: options.sasl };
    this.client = protocolLogClient({
      brokers: options.bootstrap,
      clientId: 'rill-console',
      brokerUnavailableTimeoutMs: options.unavailableTimeoutMs ?? 5000,
      requestTimeoutMs: 10000,
      ...security,
    });
    this.brokers = new BrokerConnections(options.bootstrap, { clientId: 'rill-console', requestTimeoutMs: 10000, ...security });
  }

  /** The console's log client, for what it reads as records (the workers' statuses). */
  get logClient(): LogClient {
    return this.client;
  }

  async cluster(): Promise<ClusterView> {
    const m = await this.brokers.metadata(null);
    const partitions = m.topics.flatMap((t) => t.partitions.map((p) => partitionView(t.name, p)));
    return {
      clusterId: m.clusterId,
      controllerId: m.controllerId,
      brokers: m.brokers
        .map((b) => ({ ...b, controller: b.nodeId === m.controllerId, leaderOf: partitions.filter((p) => p.leader === b.nodeId).length }))
        .sort((a, b) => a.nodeId - b.nodeId),
      partitions: partitions.sort(byTopicPartition),
      underReplicated: partitions.filter((p) => p.underReplicated).length,
      offline: partitions.filter((p) => p.leader < 0).length,
    };
  }

  async topics(): Promise<TopicSummary[]> {
    const m = await this.brokers.metadata(null);
    const topics = m.topics.filter((t) => t.errorCode === 0).sort((a, b) => a.name.localeCompare(b.name));
    // The topics' offsets are asked for together: their requests share the connections, pipelined.
    return Promise.all(
      topics.map(async (t) => {
        const offsets = await this.offsets(t.name, t.partitions.length);
        return {
          name: t.name,
          internal: t.isInternal,
          partitions: t.partitions.length,
          replicationFactor: Math.max(0, ...t.partitions.map((p) => p.replicaNodes.length)),
          records: sum(offsets.map((o) => o.end - o.start)),
          underReplicated: t.partitions.filter((p) => partitionView(t.name, p).underReplicated).length,
        };
      }),
    );
  }

  async topic(name: string): Promise<TopicView> {
    const m = await this.brokers.metadata([name]);
    const t = m.topics[0];
    if (t === undefined || t.errorCode !== 0) throw refusal(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${name}"`);
    const offsets = await this.offsets(name, t.partitions.length);
    const partitions: TopicPartitionView[] = t.partitions
      .map((p) => ({ ...partitionView(name, p), startOffset: offsets[p.partitionIndex].start, endOffset: offsets[p.partitionIndex].end }))
      .sort(byTopicPartition);
    return { name, internal: t.isInternal, records: sum(offsets.map((o) => o.end - o.start)), partitions, configs: await this.configs(name) };
  }

  /** Up to `limit` records of one partition from `seek`, read to the partition's end at most. */
  async read(topic: string, partition: number, seek: Seek, limit: number): Promise<ReadRecords> {
    const leaders = await this.client.leaders(topic);
    // Leaders are looked up once per topic: a topic made or grown since is looked up again.
    if (partition >= leaders.partitions) await leaders.refresh();
    if (leaders.partitions === 0) throw refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}"`);
    if (partition < 0 || partition >= leaders.partitions)
      throw refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic "${topic}" has partitions 0 to ${leaders.partitions - 1}, not ${partition}`);
    const tp = [{ topic, partition }];
    const startOffset = (await leaders.listOffsets(tp, EARLIEST)).get(partition)!;
    const endOffset = (await leaders.listOffsets(tp, LATEST)).get(partition)!;
    const from = await startOf(seek, { leaders, partition, startOffset, endOffset, limit });
    const records: FetchedRecord[] = [];
    const reader = this.client.ownReader();
    try {
      let next = from;
      for (let i = 0; i < MAX_FETCHES && records.length < limit && next < endOffset; i++) {
        // read_uncommitted: the browser shows every record in the log, as kafka-console-consumer does.
        const fetched = await reader.fetch({ topic, partition }, next, FETCH_BYTES, 0, 0);
        records.push(...fetched.records.filter((r) => r.offset >= next).map(copyRecord));
        if (fetched.nextOffset <= next) break;
        next = fetched.nextOffset;
      }
    } finally {
      reader.brokers.close();
    }
    return { from, startOffset, endOffset, records: records.slice(0, limit) };
  }

  /** Every group of every broker (each broker lists the groups it coordinates). */
  async groups(): Promise<GroupSummary[]> {
    const m = await this.brokers.metadata([]);
    const found = new Map<string, GroupSummary>();
    for (const b of m.brokers) {
      const c = await this.brokers.connection(`${b.host}:${b.port}`);
      const r = await c.request<apis.ListGroupsResponse>(apis.listGroups, { statesFilter: [] });
      if (r.errorCode !== 0) throw refusal(r.errorCode, `broker ${b.nodeId} cannot list its groups`);
      for (const g of r.groups) found.set(g.groupId, { groupId: g.groupId, state: g.groupState || '', protocolType: g.protocolType });
    }
    return [...found.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  /** A group's members and assignment, its committed offsets, and the lag of each (committed to the partition's end). */
  async group(groupId: string): Promise<GroupView> {
    const coordinator = this.client.coordinator(groupId);
    const described = await coordinator.call(
      (c) => c.request<apis.DescribeGroupsResponse>(apis.describeGroups, { groups: [groupId], includeAuthorizedOperations: false }),
      (r) => r.groups[0] !== undefined && COORDINATOR_MOVED.has(r.groups[0].errorCode),
    );
    const g = described.groups[0];
    if (g === undefined || g.errorCode !== 0) throw refusal(g?.errorCode ?? ErrorCode.GROUP_ID_NOT_FOUND, `group "${groupId}"`);
    if (g.groupState === 'Dead') throw refusal(ErrorCode.GROUP_ID_NOT_FOUND, `group "${groupId}" does not exist`);
    const members: GroupMemberView[] = g.members.map((m) => ({
      memberId: m.memberId,
      clientId: m.clientId,
      host: m.clientHost,
      assignment: assignmentOf(g.protocolType, m.memberAssignment),
    }));
    const owner = new Map(members.flatMap((m) => m.assignment.map((tp) => [key(tp.topic, tp.partition), m.memberId] as const)));
    const committed = await coordinator.committed();
    const partitions = new Map<string, { topic: string; partition: number }>();
    for (const [topic, byPartition] of committed) for (const partition of byPartition.keys()) partitions.set(key(topic, partition), { topic, partition });
    for (const m of members) for (const tp of m.assignment) partitions.set(key(tp.topic, tp.partition), tp);
    const offsets: GroupOffsetView[] = [];
    for (const topic of new Set([...partitions.values()].map((tp) => tp.topic))) {
      const tps = [...partitions.values()].filter((tp) => tp.topic === topic);
      const ends = await (await this.client.leaders(topic)).listOffsets(tps, LATEST);
      for (const tp of tps) {
        const c = committed.get(topic)?.get(tp.partition) ?? -1;
        const end = ends.get(tp.partition) ?? -1;
        offsets.push({ ...tp, committed: c, endOffset: end, lag: c >= 0 ? Math.max(0, end - c) : null, memberId: owner.get(key(topic, tp.partition)) ?? null });
      }
    }
    offsets.sort(byTopicPartition);
    return { groupId, state: g.groupState, protocol: g.protocolData, members, offsets, totalLag: sum(offsets.map((o) => o.lag ?? 0)) };
  }

  async close(): Promise<void> {
    this.brokers.close();
    await this.client.close();
  }

  private async offsets(topic: string, partitions: number): Promise<{ start: number; end: number }[]> {
    if (partitions === 0) return [];
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const leaders = await this.client.leaders(topic);
    // A topic that grew partitions since its leaders were looked up.
    if (leaders.partitions < partitions) await leaders.refresh();
    const [starts, ends] = await Promise.all([leaders.listOffsets(tps, EARLIEST), leaders.listOffsets(tps, LATEST)]);
    return tps.map((tp) => ({ start: starts.get(tp.partition) ?? 0, end: ends.get(tp.partition) ?? 0 }));
  }

  private async configs(topic: string): Promise<ConfigView[]> {
    const r = await (await this.brokers.any()).request<apis.DescribeConfigsResponse>(apis.describeConfigs, {
      resources: [{ resourceType: apis.ResourceType.TOPIC, resourceName: topic, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const result = r.results[0];
    if (result === undefined || result.errorCode !== 0)
      throw refusal(result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, `the configs of topic "${topic}"`, result?.errorMessage);
    return result.configs
      .map((c) => ({
        name: c.name,
        value: c.isSensitive ? null : c.value,
        // DescribeConfigs v1+: source 1 is TOPIC_CONFIG; v0 says only isDefault.
        override: c.configSource === 1 || (c.configSource === -1 && !c.isDefault),
        readOnly: c.readOnly,
        sensitive: c.isSensitive,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** The offset a read starts at: the seek, kept within the partition's log (a timestamp after the last record: the end). */
async function startOf(
  seek: Seek,
  at: { leaders: PartitionLeaders; partition: number; startOffset: number; endOffset: number; limit: number },
): Promise<number> {
  if (seek === 'beginning') return at.startOffset;
  if (seek === 'end') return Math.max(at.startOffset, at.endOffset - at.limit);
  if ('offset' in seek) return Math.min(Math.max(seek.offset, at.startOffset), at.endOffset);
  const found = (await at.leaders.listOffsets([{ topic: at.leaders.topic, partition: at.partition }], seek.timestamp)).get(at.partition) ?? -1;
  return found < 0 ? at.endOffset : found;
}

function partitionView(topic: string, p: apis.MetadataResponse['topics'][number]['partitions'][number]): PartitionView {
  return {
    topic,
    partition: p.partitionIndex,
    leader: p.leaderId,
    replicas: p.replicaNodes,
    isr: p.isrNodes,
    offline: p.offlineReplicas ?? [],
    underReplicated: p.isrNodes.length < p.replicaNodes.length,
  };
}

/** A consumer group's assignment (protocol type "consumer"); other protocols (Connect, Rill's workers) carry their own bytes. */
function assignmentOf(protocolType: string, bytes: Buffer): { topic: string; partition: number }[] {
  if (protocolType !== 'consumer' || bytes.length === 0) return [];
  const decoded = decodeAssignment(bytes);
  return decoded._tag === 'Right' ? decoded.right.partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition })) : [];
}

/** A fetched record's key and value are views into the fetched bytes: copied so the frame can go. */
function copyRecord(r: FetchedRecord): FetchedRecord {
  return { offset: r.offset, timestamp: r.timestamp, key: r.key && Buffer.from(r.key), value: r.value && Buffer.from(r.value) };
}

/** A broker's refusal as an error carrying its Kafka error code. */
function refusal(code: number, what: string, message?: string | null): BrokerError {
  return new BrokerError(code, `${what}: ${message || `${errorName(code)} (error ${code})`}`);
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const byTopicPartition = (a: { topic: string; partition: number }, b: { topic: string; partition: number }) =>
  a.topic.localeCompare(b.topic) || a.partition - b.partition;
