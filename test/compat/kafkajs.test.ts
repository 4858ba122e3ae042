// kafkajs 2.x against both modes: producer with keys, headers and gzip;
// consumer groups and rebalancing; the admin APIs; the idempotent producer;
// topic auto-creation.
import { CompressionTypes, type Admin, type Message } from 'kafkajs';
import { waitFor } from '../core/protocol/harness';
import { describeModes } from './modes';
import { createTopics, fetchBatches, waitForTopic, waitForTopicGone } from './targets';

describeModes('kafkajs', ({ target, kafka, test }) => {
  async function withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = kafka().admin();
    await admin.connect();
    try {
      return await use(admin);
    } finally {
      await admin.disconnect();
    }
  }

  async function produce(topic: string, messages: Message[]): Promise<void> {
    const producer = kafka().producer();
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages });
    } finally {
      await producer.disconnect();
    }
  }

  test('a producer with keys, headers and gzip, read back exactly by a consumer', async () => {
    await createTopics(target(), kafka(), [{ topic: 'orders', numPartitions: 3 }]);
    const producer = kafka().producer();
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `value-${i}`, headers: { source: 'test', n: String(i) } }));
    await producer.send({ topic: 'orders', messages: sent.slice(0, 15) });
    await producer.send({ topic: 'orders', compression: CompressionTypes.GZIP, messages: sent.slice(15) });
    await producer.disconnect();

    const consumer = kafka().consumer({ groupId: 'orders-reader', maxWaitTimeInMs: 200 });
    const got: { key: string; value: string; headers: Record<string, string>; partition: number }[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: 'orders', fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          got.push({ key: message.key!.toString(), value: message.value!.toString(), headers, partition });
        },
      });
      await waitFor(() => got.length >= 30, '30 records consumed');
    } finally {
      await consumer.disconnect();
    }

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
    await createTopics(target(), kafka(), [{ topic: 'events', numPartitions: 6 }]);
    const assigned = new Map<string, number[]>();
    const seen = new Set<string>();
    const consumers = ['c0', 'c1', 'c2'].map((name) => {
      const consumer = kafka().consumer({
        groupId: 'events-group',
        maxWaitTimeInMs: 100,
        heartbeatInterval: 100,
        sessionTimeout: 10000,
        rebalanceTimeout: 10000,
      });
      consumer.on(consumer.events.GROUP_JOIN, (e) => assigned.set(name, (e.payload.memberAssignment.events ?? []).slice().sort()));
      return { name, consumer };
    });
    try {
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
      await waitFor(
        () => assigned.size === 2 && allSix() && [...assigned.values()].every((p) => p.length === 3),
        'the 2 remaining consumers holding 3 partitions each',
      );

      await produce(
        'events',
        Array.from({ length: 60 }, (_, i) => ({ key: String(i), value: `e${i}` })),
      );
      await waitFor(() => seen.size === 60, 'all 60 records consumed by the remaining two');
    } finally {
      await Promise.all(consumers.map(({ consumer }) => consumer.disconnect()));
    }
  });

  test('admin: createTopics refuses an existing name; fetchTopicMetadata shows the partitions, led by one of the brokers', async () => {
    expect(await createTopics(target(), kafka(), [{ topic: 'admin-meta', numPartitions: 2 }])).toBe(true);
    await withAdmin(async (admin) => {
      expect(await admin.createTopics({ topics: [{ topic: 'admin-meta', numPartitions: 2, replicationFactor: target().replicationFactor }] })).toBe(false);
      const meta = await admin.fetchTopicMetadata({ topics: ['admin-meta'] });
      expect(meta.topics[0].name).toBe('admin-meta');
      expect(meta.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1]);
      for (const p of meta.topics[0].partitions) {
        expect([...target().brokers.keys()]).toContain(p.leader);
        expect(p.replicas).toHaveLength(target().replicationFactor);
      }
      expect(await admin.listTopics()).toContain('admin-meta');
    });
  });

  test('admin: fetchTopicOffsets shows what was produced; deleteTopicRecords moves the log start', async () => {
    await createTopics(target(), kafka(), [{ topic: 'admin-offsets', numPartitions: 2 }]);
    await produce('admin-offsets', [
      { value: 'a', partition: 0 },
      { value: 'b', partition: 0 },
      { value: 'c', partition: 1 },
    ]);
    await withAdmin(async (admin) => {
      const offsets = await admin.fetchTopicOffsets('admin-offsets');
      expect(offsets.map((o) => [o.partition, o.high, o.low]).sort()).toEqual([
        [0, '2', '0'],
        [1, '1', '0'],
      ]);
      await admin.deleteTopicRecords({ topic: 'admin-offsets', partitions: [{ partition: 0, offset: '1' }] });
      expect((await admin.fetchTopicOffsets('admin-offsets')).find((o) => o.partition === 0)?.low).toBe('1');
    });
  });

  test('admin: setOffsets commits a group offset that fetchOffsets reads back', async () => {
    await createTopics(target(), kafka(), [{ topic: 'admin-group-offsets', numPartitions: 2 }]);
    await withAdmin(async (admin) => {
      await admin.setOffsets({ groupId: 'admin-group', topic: 'admin-group-offsets', partitions: [{ partition: 0, offset: '1' }] });
      const committed = await admin.fetchOffsets({ groupId: 'admin-group', topics: ['admin-group-offsets'] });
      expect(committed[0].partitions.sort((a, b) => a.partition - b.partition)).toEqual([
        { partition: 0, offset: '1', metadata: null },
        { partition: 1, offset: '-1', metadata: null },
      ]);
    });
  });

  test("admin: describeConfigs shows a topic's settings; alterConfigs changes them", async () => {
    await createTopics(target(), kafka(), [{ topic: 'admin-configs', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '60000' }] }]);
    await withAdmin(async (admin) => {
      const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'admin-configs' }], includeSynonyms: false });
      expect(configs.resources[0].configEntries.find((c) => c.configName === 'retention.ms')?.configValue).toBe('60000');
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: 'admin-configs', configEntries: [{ name: 'retention.ms', value: '120000' }] }],
      });
      const after = await admin.describeConfigs({ resources: [{ type: 2, name: 'admin-configs', configNames: ['retention.ms'] }], includeSynonyms: false });
      expect(after.resources[0].configEntries).toHaveLength(1);
      expect(after.resources[0].configEntries[0].configValue).toBe('120000');
    });
  });

  test('admin: createPartitions adds partitions', async () => {
    await createTopics(target(), kafka(), [{ topic: 'admin-grow', numPartitions: 2 }]);
    await withAdmin(async (admin) => {
      await admin.createPartitions({ topicPartitions: [{ topic: 'admin-grow', count: 4 }] });
      await waitForTopic(target(), 'admin-grow', 4);
      expect((await admin.fetchTopicMetadata({ topics: ['admin-grow'] })).topics[0].partitions).toHaveLength(4);
    });
  });

  /** Makes `groupId` a group with committed offsets and no members: one of its consumers reads a record of `topic`, commits and leaves. */
  async function leaveEmptyGroup(groupId: string, topic: string): Promise<void> {
    await createTopics(target(), kafka(), [{ topic, numPartitions: 1 }]);
    await produce(topic, [{ value: 'x' }]);
    const consumer = kafka().consumer({ groupId, maxWaitTimeInMs: 100 });
    let read = 0;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async () => void read++ });
      await waitFor(() => read === 1, `a member of ${groupId} reading ${topic}`);
    } finally {
      await consumer.disconnect();
    }
  }

  test('admin: listGroups and describeGroups show a group whose members left', async () => {
    await leaveEmptyGroup('admin-listed-group', 'admin-listed');
    await withAdmin(async (admin) => {
      expect((await admin.listGroups()).groups).toContainEqual({ groupId: 'admin-listed-group', protocolType: 'consumer' });
      const described = await admin.describeGroups(['admin-listed-group']);
      expect(described.groups[0]).toMatchObject({ groupId: 'admin-listed-group', state: 'Empty', members: [] });
      const [committed] = await admin.fetchOffsets({ groupId: 'admin-listed-group', topics: ['admin-listed'] });
      expect(committed.partitions).toEqual([{ partition: 0, offset: '1', metadata: null }]);
    });
  });

  test('admin: deleteGroups removes a group whose members left', async () => {
    await leaveEmptyGroup('admin-deleted-group', 'admin-ungrouped');
    await withAdmin(async (admin) => {
      await admin.deleteGroups(['admin-deleted-group']);
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('admin-deleted-group');
    });
  });

  test("admin: deleteTopics removes a topic from every broker's metadata", async () => {
    await createTopics(target(), kafka(), [{ topic: 'admin-deleted', numPartitions: 2 }]);
    await withAdmin(async (admin) => {
      await admin.deleteTopics({ topics: ['admin-deleted'] });
      // As on Kafka, brokers learn of the deletion from the metadata log: each one, soon.
      await waitForTopicGone(target(), 'admin-deleted');
      expect(await admin.listTopics()).not.toContain('admin-deleted');
    });
  });

  test('admin: describeCluster lists every broker, with the controller among them', async () => {
    const described = await withAdmin((admin) => admin.describeCluster());
    expect(described.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]).sort()).toEqual([...target().brokers].sort());
    expect([...target().brokers.keys()]).toContain(described.controller);
  });

  test('admin: fetchTopicOffsetsByTimestamp finds the first offset at or after a time', async () => {
    await createTopics(target(), kafka(), [{ topic: 'admin-times', numPartitions: 1 }]);
    // Recent timestamps a second apart (old ones could fall to time-based retention).
    const base = Date.now() - 60_000;
    await produce(
      'admin-times',
      [0, 1000, 2000].map((t) => ({ value: `at-${t}`, timestamp: String(base + t) })),
    );
    await withAdmin(async (admin) => {
      expect(await admin.fetchTopicOffsetsByTimestamp('admin-times', base + 500)).toEqual([{ partition: 0, offset: '1' }]);
      expect(await admin.fetchTopicOffsetsByTimestamp('admin-times', base + 2000)).toEqual([{ partition: 0, offset: '2' }]);
    });
  });

  test('an idempotent producer gets a producer id and its records are written once', async () => {
    await createTopics(target(), kafka(), [{ topic: 'idem', numPartitions: 1 }]);
    const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      for (let i = 0; i < 5; i++) await producer.send({ topic: 'idem', acks: -1, messages: [{ key: 'k', value: `v${i}` }] });
    } finally {
      await producer.disconnect();
    }
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets('idem'));
    expect(offsets[0].high).toBe('5');
    const batches = await fetchBatches(target(), 'idem', 0);
    expect(batches.flatMap((b) => b.records.map((r) => r.value!.toString()))).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
    // A real producer id, not -1, with the sequence numbers counting up.
    expect(batches.every((b) => b.producerId >= 0 && b.producerId === batches[0].producerId)).toBe(true);
    expect(batches.map((b) => b.baseSequence)).toEqual([0, 1, 2, 3, 4]);
  });

  test('a producer writing to a topic that does not exist creates it', async () => {
    await produce('auto-created', [{ key: 'k', value: 'first' }]);
    const offsets = await withAdmin((admin) => admin.fetchTopicOffsets('auto-created'));
    expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(1);
  });
});
