// LogClient over kafkajs (its public API only): the same DSL pipelines and
// connectors on a real Kafka or Redpanda cluster (or on `rill broker`, which
// speaks the protocol). Consumers subscribe through kafkajs consumer groups.
//
// fetch() (what changelog restore reads with: one partition from an offset,
// no group, no waiting) has no kafkajs public API: a kafkajs consumer always
// joins a group and streams. It goes through the Rill protocol client
// instead, which speaks plain Kafka (Metadata, Fetch at the partition's
// leader) to any Kafka broker; kafkajs is not used for it. That client has no
// TLS or SASL, so a kafkajs configuration with either refuses fetch() with a
// clear error rather than reading through an unprotected connection.
import { randomUUID } from 'node:crypto';
import type { Admin, KafkaConfig } from 'kafkajs';
import { kafkajs } from './kafkajs-module';
import { tpKey } from '../assignor';
import type { LogClient, LogConsumer, LogProducer, TopicPartition } from '../log-client';
import { protocolLogClient, type ProtocolLogClient, type ProtocolLogClientOptions } from '../remote/protocol-log-client';
import { memberUserData } from './co-partitioned-assigner';
import { kafkaConsumer } from './kafkajs-consumer';
import { kafkaProducer } from './kafkajs-producer';
import { kafkaTransactionalProducer } from './kafkajs-transactional-producer';
import { listOffsets, waitForTopics } from './topic-readiness';

export interface KafkaLogClientOptions {
  /** "host:port" of one or more brokers. */
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** More kafkajs client settings (ssl, sasl, retry, logLevel...). */
  readonly kafka?: Partial<KafkaConfig>;
  /** Records a consumer fetches ahead of its reader (default 5000). */
  readonly maxBufferedRecords?: number;
}

export interface KafkaLogClient extends LogClient {
  /** Disconnects the admin, the fetcher, and every producer and consumer made here. */
  close(): Promise<void>;
}

/** The kafkajs settings a LogClient's options make. */
export function kafkaConfig(options: KafkaLogClientOptions): KafkaConfig {
  return { clientId: options.clientId ?? 'rill', logLevel: kafkajs().logLevel.NOTHING, ...options.kafka, brokers: [...options.brokers] };
}

export function kafkaLogClient(options: KafkaLogClientOptions): KafkaLogClient {
  const config = kafkaConfig(options);
  const kafka = new (kafkajs().Kafka)(config);
  let fetcher: ProtocolLogClient | undefined;
  function plainFetcher(): ProtocolLogClient {
    // kafkajs's ssl is node:tls's options (or true: Node's trusted roots), as the Rill protocol client's.
    const tls = config.ssl === true ? {} : config.ssl || undefined;
    fetcher ??= protocolLogClient({ brokers: options.brokers, clientId: config.clientId, tls, sasl: fetcherSasl(config.sasl) });
    return fetcher;
  }
  const open = new Set<{ close(): Promise<void> }>();
  let admin: Promise<Admin> | undefined;

  function connectedAdmin(): Promise<Admin> {
    admin ??= (async () => {
      const a = kafka.admin();
      await a.connect();
      return a;
    })().catch((e) => {
      admin = undefined;
      throw e;
    });
    return admin;
  }

  async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const a = await connectedAdmin();
    const [t] = await a.fetchOffsets({ groupId, topics: [topic] });
    return new Map((t?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  }

  function track<T extends { close(): Promise<void> }>(thing: T): T {
    open.add(thing);
    const close = thing.close.bind(thing);
    thing.close = async () => {
      open.delete(thing);
      await close();
    };
    return thing;
  }

  const client: KafkaLogClient = {
    async ensureTopics(topics) {
      const a = await connectedAdmin();
      const existing = new Set(await a.listTopics());
      const missing = topics.filter((t) => !existing.has(t.name));
      if (missing.length === 0) return;
      await a.createTopics({
        // Not kafkajs' wait: it gives up when a broker does not know a new topic yet (topic-readiness.ts).
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor ?? -1,
          configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
      await waitForTopics(
        a,
        missing.map((t) => t.name),
      );
    },
    async partitionCount(topic) {
      const a = await connectedAdmin();
      if (!(await a.listTopics()).includes(topic)) return undefined;
      const { topics } = await a.fetchTopicMetadata({ topics: [topic] });
      return topics[0]?.partitions.length;
    },
    async offsets(topic) {
      const a = await connectedAdmin();
      // Not a.fetchTopicOffsets alone: it gives up while a new topic's leader does not serve it yet (topic-readiness.ts).
      const o = await listOffsets(a, topic);
      return o.map((p) => ({ partition: p.partition, start: Number(p.low), end: Number(p.high) })).sort((x, y) => x.partition - y.partition);
    },
    committedOffsets,
    fetch: (tp, offset, maxBytes) => plainFetcher().fetch(tp, offset, maxBytes),
    producer(): LogProducer {
      return track(kafkaProducer(kafka));
    },
    /** The group's members, each with the clientId its LogClient consumer was made with (carried in its subscription's userData). */
    async groupMembers(groupId) {
      const { groups } = await (await connectedAdmin()).describeGroups([groupId]);
      const decode = kafkajs().AssignerProtocol.MemberAssignment.decode;
      return (groups[0]?.members ?? []).map((m) => {
        const assignment = m.memberAssignment.length > 0 ? decode(m.memberAssignment)?.assignment : undefined;
        const own = memberUserData(m.memberMetadata).toString('utf8');
        return {
          memberId: m.memberId,
          clientId: own.length > 0 ? own : m.clientId,
          groupInstanceId: null,
          partitions: Object.entries(assignment ?? {}).flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition }))),
        };
      });
    },
    transactionalLogProducer(producerOptions) {
      return track(kafkaTransactionalProducer(kafka, producerOptions));
    },
    consumer({ groupId, clientId, sessionTimeoutMs, heartbeatIntervalMs, rebalanceTimeoutMs, isolationLevel }): LogConsumer {
      return track(
        kafkaConsumer(kafka, {
          // Without a group, a private one: kafkajs consumers always join one.
          groupId: groupId ?? `rill-ungrouped-${randomUUID()}`,
          maxBufferedRecords: options.maxBufferedRecords,
          sessionTimeoutMs,
          heartbeatIntervalMs,
          rebalanceTimeoutMs,
          readUncommitted: isolationLevel === 'read_uncommitted',
          startOffsets: async (group, tps) => startOffsets(group, tps),
          endOffsets: (topic) => client.offsets(topic),
          userData: clientId === undefined ? undefined : Buffer.from(clientId, 'utf8'),
        }),
      );
    },
    async close() {
      await Promise.all([...open].map((o) => o.close().catch(() => undefined)));
      await fetcher?.close();
      if (admin) await (await admin.catch(() => undefined))?.disconnect();
    },
  };

  /** Committed offset per partition, else the log start offset. */
  async function startOffsets(groupId: string, tps: readonly TopicPartition[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const topic of new Set(tps.map((tp) => tp.topic))) {
      const committed = await committedOffsets(groupId, topic);
      for (const o of await client.offsets(topic))
        out.set(tpKey({ topic, partition: o.partition }), (committed.get(o.partition) ?? -1) >= 0 ? committed.get(o.partition)! : o.start);
    }
    return out;
  }

  return client;
}

/** kafkajs's sasl settings as the Rill protocol client's (PLAIN and SCRAM: the mechanisms both speak). */
function fetcherSasl(sasl: KafkaConfig['sasl']): ProtocolLogClientOptions['sasl'] {
  if (sasl === undefined) return undefined;
  if (!('username' in sasl) || !('password' in sasl))
    throw new Error(`fetch() over a kafkajs client with SASL ${sasl.mechanism} is not supported: its Rill protocol reader speaks PLAIN and SCRAM`);
  return { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password };
}
