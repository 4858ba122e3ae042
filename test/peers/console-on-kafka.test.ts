// The web console against Apache Kafka itself (a single-node Kafka 4.x started
// for this file): it reads through the Kafka protocol only, so its JSON API
// answers Kafka's brokers, topics, configs, records and a group's lag as it
// does Rill's.
import { Kafka, logLevel } from 'kafkajs';
import { waitForTopics } from '../../core/client/kafkajs/topic-readiness';
import { ConsoleServer } from '../../console/server';
import type { ClusterView, GroupSummary, GroupView, MessagesView, TopicSummary, TopicView } from '../../console/model';
import { startKafka, type KafkaPeer } from './kafka/kafka-broker';

const TOPIC = 'console-orders';
const GROUP = 'console-billing';

let kafka: KafkaPeer;
let served: ConsoleServer;

async function get<T>(route: string): Promise<T> {
  const response = await fetch(`${served.url}${route}`);
  const body = await response.text();
  if (!response.ok) throw new Error(`${route}: HTTP ${response.status} ${body}`);
  return JSON.parse(body) as T;
}

beforeAll(async () => {
  kafka = await startKafka({ lifetimeMs: 10 * 60_000 });
  const client = new Kafka({ clientId: 'console-on-kafka', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
  const admin = client.admin();
  await admin.connect();
  // Not kafkajs' waitForLeaders: it gives up when the broker does not know the new topic yet.
  await admin.createTopics({
    topics: [{ topic: TOPIC, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }],
    waitForLeaders: false,
  });
  await waitForTopics(admin, [TOPIC]);
  // Idempotent: kafkajs resends a whole Produce when one of its partitions fails,
  // and a new topic's leader answers NOT_LEADER_OR_FOLLOWER for a moment after
  // Metadata names it (KRaft publishes the topic before its replica manager
  // leads the partition); without sequence numbers the partition that took the
  // first try gets its records twice (seen on a loaded machine: 9 records, not 6).
  const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: TOPIC, messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, value: JSON.stringify({ order: i }) })) });
  await producer.disconnect();
  // A group without members that committed 1 of partition 0's 3 records and nothing of partition 1.
  await admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [{ partition: 0, offset: '1' }] });
  await admin.disconnect();
  served = await ConsoleServer.start({ bootstrap: kafka.bootstrap, port: 0 });
}, 180_000);

afterAll(async () => {
  await served?.close();
  await kafka?.stop();
});

test('the cluster, a topic with its configs and records, and a group’s lag, read from Apache Kafka', async () => {
  const cluster = await get<ClusterView>('/api/cluster');
  expect(cluster.brokers).toEqual([expect.objectContaining({ nodeId: 1, controller: cluster.controllerId === 1 })]);
  expect(cluster.partitions.filter((p) => p.topic === TOPIC).map((p) => [p.partition, p.leader, p.underReplicated])).toEqual([
    [0, 1, false],
    [1, 1, false],
  ]);

  expect((await get<TopicSummary[]>('/api/topics')).find((t) => t.name === TOPIC)).toMatchObject({ partitions: 2, records: 6 });
  const topic = await get<TopicView>(`/api/topics/${TOPIC}`);
  expect(topic.partitions.map((p) => p.endOffset)).toEqual([3, 3]);
  expect(topic.configs.find((c) => c.name === 'retention.ms')).toMatchObject({ value: '3600000', override: true });

  const messages = await get<MessagesView>(`/api/topics/${TOPIC}/messages?partition=1&from=beginning`);
  expect(messages.messages.map((m) => [m.offset, m.value])).toEqual([
    [0, { view: 'json', text: '{"order":1}' }],
    [1, { view: 'json', text: '{"order":3}' }],
    [2, { view: 'json', text: '{"order":5}' }],
  ]);

  expect((await get<GroupSummary[]>('/api/groups')).map((g) => g.groupId)).toContain(GROUP);
  const group = await get<GroupView>(`/api/groups/${GROUP}`);
  expect(group).toMatchObject({ state: 'Empty', members: [], totalLag: 2 });
  expect(group.offsets).toEqual([expect.objectContaining({ topic: TOPIC, partition: 0, committed: 1, endOffset: 3, lag: 2 })]);
}, 120_000);
