// kafkajs 2.x against a real `rill` Kafka server: producer with keys, headers and
// gzip; consumers; admin; idempotent producer.
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { startTestCluster, TestCluster, waitFor } from './harness';

let cluster: TestCluster;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await startTestCluster();
  kafka = new Kafka({ clientId: 'rill-test', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
});

afterAll(async () => {
  await cluster.stop();
});

test('a producer with keys, headers and gzip, read back exactly by a consumer', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] });
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `value-${i}`, headers: { source: 'test', n: String(i) } }));
  await producer.send({ topic: 'orders', messages: sent.slice(0, 15) });
  await producer.send({ topic: 'orders', compression: CompressionTypes.GZIP, messages: sent.slice(15) });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: 'orders-reader', maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'orders', fromBeginning: true });
  const got: { key: string; value: string; headers: Record<string, string>; partition: number }[] = [];
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
      got.push({ key: message.key!.toString(), value: message.value!.toString(), headers, partition });
    },
  });
  await waitFor(() => got.length >= 30, '30 records consumed');
  await consumer.disconnect();

  expect(got.map((g) => g.value).sort()).toEqual(sent.map((s) => s.value).sort());
  for (const g of got) {
    const i = Number(g.value.slice('value-'.length));
    expect(g.key).toBe(sent[i].key);
    expect(g.headers).toEqual(sent[i].headers);
  }
  // Same key, same partition.
  const partitionOfKey = new Map<string, number>();
  for (const g of got) {
    if (partitionOfKey.has(g.key)) expect(partitionOfKey.get(g.key)).toBe(g.partition);
    partitionOfKey.set(g.key, g.partition);
  }
});

test('a group of 3 consumers on 6 partitions shares them, and rebalances when one leaves', async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 6 }] });
  await admin.disconnect();

  const assigned = new Map<string, number[]>();
  const seen = new Set<string>();
  const consumers = ['c0', 'c1', 'c2'].map((name) => {
    const consumer = kafka.consumer({ groupId: 'events-group', maxWaitTimeInMs: 100, heartbeatInterval: 100, sessionTimeout: 10000, rebalanceTimeout: 10000 });
    consumer.on(consumer.events.GROUP_JOIN, (e) => assigned.set(name, (e.payload.memberAssignment['events'] ?? []).slice().sort()));
    return { name, consumer };
  });
  for (const { consumer } of consumers) {
    await consumer.connect();
    await consumer.subscribe({ topic: 'events', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
  }
  const allSix = () => [...assigned.values()].flat().sort().join(',') === '0,1,2,3,4,5';
  await waitFor(() => assigned.size === 3 && [...assigned.values()].every((p) => p.length === 2) && allSix(), 'each of 3 consumers holding 2 partitions');

  // c2 leaves: the other two take over all six partitions.
  assigned.clear();
  await consumers[2].consumer.disconnect();
  await waitFor(() => assigned.size === 2 && allSix() && [...assigned.values()].every((p) => p.length === 3), 'the 2 remaining consumers holding 3 partitions each');

  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'events', messages: Array.from({ length: 60 }, (_, i) => ({ key: String(i), value: `e${i}` })) });
  await producer.disconnect();
  await waitFor(() => seen.size === 60, 'all 60 records consumed by the remaining two');
  await Promise.all(consumers.slice(0, 2).map(({ consumer }) => consumer.disconnect()));
});

test('admin: createTopics, fetchTopicMetadata, fetchOffsets, fetchTopicOffsets, configs, partitions, deleteTopics', async () => {
  const admin = kafka.admin();
  await admin.connect();
  expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '60000' }] }] })).toBe(true);
  expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 2 }] })).toBe(false);
  const meta = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
  expect(meta.topics[0].name).toBe('admin-a');
  expect(meta.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1]);
  expect(meta.topics[0].partitions[0].leader).toBe(cluster.broker.nodeId);

  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'admin-a', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 0 }, { value: 'c', partition: 1 }] });
  await producer.disconnect();
  const offsets = await admin.fetchTopicOffsets('admin-a');
  expect(offsets.map((o) => [o.partition, o.high, o.low]).sort()).toEqual([
    [0, '2', '0'],
    [1, '1', '0'],
  ]);

  await admin.setOffsets({ groupId: 'admin-group', topic: 'admin-a', partitions: [{ partition: 0, offset: '1' }] });
  const committed = await admin.fetchOffsets({ groupId: 'admin-group', topics: ['admin-a'] });
  expect(committed[0].partitions.sort((a, b) => a.partition - b.partition)).toEqual([
    { partition: 0, offset: '1', metadata: null },
    { partition: 1, offset: '-1', metadata: null },
  ]);

  const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'admin-a' }], includeSynonyms: false });
  expect(configs.resources[0].configEntries.find((c) => c.configName === 'retention.ms')?.configValue).toBe('60000');
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: 'admin-a', configEntries: [{ name: 'retention.ms', value: '120000' }] }] });
  const after = await admin.describeConfigs({ resources: [{ type: 2, name: 'admin-a', configNames: ['retention.ms'] }], includeSynonyms: false });
  expect(after.resources[0].configEntries).toHaveLength(1);
  expect(after.resources[0].configEntries[0].configValue).toBe('120000');

  await admin.createPartitions({ topicPartitions: [{ topic: 'admin-a', count: 4 }] });
  expect((await admin.fetchTopicMetadata({ topics: ['admin-a'] })).topics[0].partitions).toHaveLength(4);

  await admin.deleteTopicRecords({ topic: 'admin-a', partitions: [{ partition: 0, offset: '1' }] });
  expect((await admin.fetchTopicOffsets('admin-a')).find((o) => o.partition === 0)?.low).toBe('1');

  const groups = await admin.listGroups();
  expect(groups.groups.map((g) => g.groupId)).toContain('admin-group');
  const described = await admin.describeGroups(['admin-group']);
  expect(described.groups[0].state).toBe('Empty');
  await admin.deleteGroups(['admin-group']);
  expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('admin-group');

  await admin.deleteTopics({ topics: ['admin-a'] });
  expect(await admin.listTopics()).not.toContain('admin-a');
  await admin.disconnect();
});

test('an idempotent producer gets a producer id and its records are written once', async () => {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < 5; i++) await producer.send({ topic: 'idem', acks: -1, messages: [{ key: 'k', value: `v${i}` }] });
  await producer.disconnect();
  const offsets = await (async () => {
    const admin = kafka.admin();
    await admin.connect();
    const o = await admin.fetchTopicOffsets('idem');
    await admin.disconnect();
    return o;
  })();
  expect(offsets[0].high).toBe('5');
  const batch = cluster.broker.fetch({ partitions: [{ topic: 'idem', partition: 0, offset: 0, maxBytes: 1 << 20 }] });
  const [r] = await batch;
  // producerId (bytes 43..51 of the first batch) is a real one, not -1.
  expect(r.records.readBigInt64BE(43)).toBeGreaterThanOrEqual(0n);
});
