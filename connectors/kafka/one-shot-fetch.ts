// LogClient.fetch over Kafka: one Fetch request to the partition's leader, no
// group (restore uses it without waiting; the externally assigned consumer
// long-polls with it), and a "simple" offset commit for a group that has no
// members (generation -1, no member id, as Kafka's tools commit). kafkajs has
// no public API for either, so this is the one place that uses kafkajs
// internals (its Cluster and Broker classes, stable across 2.x; kafkajs is
// pinned in package.json).
import type { KafkaConfig } from 'kafkajs';
import type { FetchedRecord, TopicPartition } from '../log-types';

interface InternalBroker {
  fetch(request: object): Promise<{ responses: { partitions: { errorCode: number; highWatermark: string; messages: KafkaJsRecord[] }[] }[] }>;
  offsetCommit(request: { groupId: string; groupGenerationId: number; memberId: string; topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }): Promise<unknown>;
}
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(node: { nodeId: string }): Promise<InternalBroker>;
  findGroupCoordinator(request: { groupId: string }): Promise<InternalBroker>;
}
interface KafkaJsRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  isControlRecord?: boolean;
}

export interface OneShotFetch {
  readonly records: FetchedRecord[];
  readonly nextOffset: number;
  /** The partition's high watermark as the leader answered (undefined: no answer for it). */
  readonly highWatermark: number | undefined;
}

/** Who commits: a member of the group's current generation. */
export interface CommitMember {
  readonly memberId: string;
  readonly generationId: number;
}

export interface OneShotFetcher {
  /** One Fetch; with maxWaitMs > 0 the leader may hold it that long for data to arrive (long poll). */
  fetch(tp: TopicPartition, offset: number, maxBytes: number, maxWaitMs?: number): Promise<OneShotFetch>;
  /**
   * Commits for the group: as `member` (its member id and generation) when
   * given, else as a simple commit for a group without members (generation
   * -1). Rejects with the Kafka error when refused.
   */
  commit(groupId: string, offsets: readonly (TopicPartition & { offset: number })[], member?: CommitMember): Promise<void>;
  /** Forgets cached leaders (after NOT_LEADER_OR_FOLLOWER and the like). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export function oneShotFetcher(config: KafkaConfig): OneShotFetcher {
  let cluster: InternalCluster | undefined;
  let connecting: Promise<InternalCluster> | undefined;

  function connect(): Promise<InternalCluster> {
    connecting ??= (async () => {
      const Cluster = require('kafkajs/src/cluster') as new (options: object) => InternalCluster;
      const { createLogger, LEVELS } = require('kafkajs/src/loggers') as { createLogger: (o: object) => unknown; LEVELS: Record<string, number> };
      const socketFactory = (require('kafkajs/src/network/socketFactory') as () => unknown)();
      const c = new Cluster({
        logger: createLogger({ level: config.logLevel ?? LEVELS.NOTHING, logCreator: config.logCreator ?? (() => () => undefined) }),
        brokers: config.brokers,
        clientId: config.clientId,
        ssl: config.ssl,
        sasl: config.sasl,
        socketFactory,
        connectionTimeout: config.connectionTimeout ?? 1000,
        requestTimeout: config.requestTimeout,
        enforceRequestTimeout: true,
        retry: config.retry,
        offsets: new Map(),
        allowAutoTopicCreation: false,
      });
      await c.connect();
      cluster = c;
      return c;
    })().catch((e) => {
      connecting = undefined;
      throw e;
    });
    return connecting;
  }

  return {
    async fetch(tp, offset, maxBytes, maxWaitMs = 0) {
      const c = await connect();
      await c.addTargetTopic(tp.topic);
      const leaders = c.findLeaderForPartitions(tp.topic, [tp.partition]);
      const nodeId = Object.keys(leaders)[0];
      if (nodeId === undefined) throw new Error(`kafka: no leader for ${tp.topic}-${tp.partition}`);
      const broker = await c.findBroker({ nodeId });
      const response = await broker.fetch({
        replicaId: -1,
        isolationLevel: 1,
        maxWaitTime: maxWaitMs,
        minBytes: 0,
        maxBytes,
        topics: [{ topic: tp.topic, partitions: [{ partition: tp.partition, fetchOffset: String(offset), maxBytes }] }],
      });
      const part = response.responses[0]?.partitions[0];
      if (!part) return { records: [], nextOffset: offset, highWatermark: undefined };
      if (part.errorCode !== 0) throw new Error(`kafka: fetch of ${tp.topic}-${tp.partition} at ${offset} failed with Kafka error ${part.errorCode}`);
      const records: FetchedRecord[] = [];
      let nextOffset = offset;
      for (const m of part.messages) {
        const o = Number(m.offset);
        nextOffset = Math.max(nextOffset, o + 1);
        if (m.isControlRecord || o < offset) continue;
        records.push({ offset: o, timestamp: Number(m.timestamp), key: m.key ?? null, value: m.value ?? null });
      }
      return { records, nextOffset, highWatermark: Number(part.highWatermark) };
    },
    async commit(groupId, offsets, member) {
      if (offsets.length === 0) return;
      const c = await connect();
      const coordinator = await c.findGroupCoordinator({ groupId });
      const byTopic = new Map<string, { partition: number; offset: string }[]>();
      for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partition: o.partition, offset: String(o.offset) }]);
      await coordinator.offsetCommit({ groupId, groupGenerationId: member?.generationId ?? -1, memberId: member?.memberId ?? '', topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
    },
    async refresh() {
      await cluster?.refreshMetadata().catch(() => undefined);
    },
    async close() {
      await cluster?.disconnect();
    },
  };
}
