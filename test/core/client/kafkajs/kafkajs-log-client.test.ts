// The kafkajs LogClient against Rill's own Kafka wire server (core/protocol on
// an embedded Rill, port 0): admin calls, producer, consumer with commits,
// fetch (through the Rill protocol client), then connectors and a DSL pipeline running over it.
import { Kafka, KafkaJSProtocolError } from 'kafkajs';
import { kafkaConfig, kafkaLogClient, partitionForKey, type KafkaLogClient, type LogConsumer } from '../../../../core/client';
import { tpKey } from '../../../../core/client/assignor';
import { kafkaConsumer } from '../../../../core/client/kafkajs/kafkajs-consumer';
import { listOffsets, waitForTopics } from '../../../../core/client/kafkajs/topic-readiness';
import { KafkaServer } from '../../../../core/protocol';
import { bytesSerde, jsonSerde, stringSerde } from '../../../../core/schema';
import { mapValues, memoryLogger, RillStreams, StreamsBuilder, to } from '../../../../dsl';
import { redisTableSink, SinkTask, SourceTask, topicSink, type SourceConnector } from '../../../../connectors';
import { redisMock } from '../../../connectors/redis/mock';
import { openTempRill, readTopic, type TempRill } from '../../../connectors/support';

let t: TempRill;
let server: KafkaServer;
let kafka: KafkaLogClient;

beforeAll(async () => {
  t = openTempRill();
  server = await KafkaServer.start({ broker: t.rill.broker, port: 0, host: '127.0.0.1' });
  kafka = kafkaLogClient({ brokers: [`127.0.0.1:${server.port}`], clientId: 'rill-connectors-test' });
});
afterAll(async () => {
  await kafka?.close();
  await server?.close(2000);
  await t?.close();
});

test('topics: created once, counted, and their offsets read', async () => {
  await kafka.ensureTopics([{ name: 'k-admin', partitions: 3 }]);
  await kafka.ensureTopics([{ name: 'k-admin', partitions: 3 }]);
  expect(await kafka.partitionCount('k-admin')).toBe(3);
  expect(await kafka.partitionCount('k-missing')).toBeUndefined();
  await t.rill.producer().send('k-admin', [{ value: 'x', partition: 1 }]);
  expect(await kafka.offsets('k-admin')).toEqual([
    { partition: 0, start: 0, end: 0 },
    { partition: 1, start: 0, end: 1 },
    { partition: 2, start: 0, end: 0 },
  ]);
});

test('waiting for created topics: a topic the metadata does not show yet is waited for, not an error; one that never comes is, naming it', async () => {
  // Apache Kafka's brokers answer UNKNOWN_TOPIC_OR_PARTITION for a moment after
  // CreateTopics (kafkajs' own wait gives up on it): here the topic appears only
  // once the first wait has seen it missing.
  const admin = new Kafka(kafkaConfig({ brokers: [`127.0.0.1:${server.port}`] })).admin();
  await admin.connect();
  try {
    let sawMissing: () => void = () => undefined;
    const missing = new Promise<void>((resolve) => (sawMissing = resolve));
    const reasons: string[] = [];
    const ready = waitForTopics(admin, ['k-late'], {
      timeoutMs: 20_000,
      onNotReady: (reason) => {
        reasons.push(reason);
        sawMissing();
      },
    });
    await Promise.race([missing, ready]);
    await t.rill.admin.createTopics([{ name: 'k-late', partitions: 2 }]);
    await ready;
    expect(reasons[0]).toMatch(/does not host this topic-partition|not in the metadata/);
    await expect(waitForTopics(admin, ['k-never'], { timeoutMs: 200 })).rejects.toThrow(/topics k-never are not ready after 200 ms/);
  } finally {
    await admin.disconnect();
  }
});

test('listing offsets and waiting for topics: a leader that does not serve a new partition yet is asked again; any other error ends the listing at once', async () => {
  // A KRaft broker names itself leader in Metadata a moment before its replica
  // manager leads the new partition, and answers ListOffsets with
  // NOT_LEADER_OR_FOLLOWER meanwhile (kafkajs' admin gives up on it). Here a
  // real admin's first two answers are that error, as kafkajs raises it.
  await kafka.ensureTopics([{ name: 'k-led-late', partitions: 2 }]);
  const admin = new Kafka(kafkaConfig({ brokers: [`127.0.0.1:${server.port}`] })).admin();
  await admin.connect();
  try {
    const protocolError = (code: number, type: string) =>
      new KafkaJSProtocolError(Object.assign(new Error(`${type} (${code})`), { type, code, retriable: true }));
    let refusals = 2;
    const leadingLate = {
      fetchTopicOffsets: (topic: string) => (refusals-- > 0 ? Promise.reject(protocolError(6, 'NOT_LEADER_FOR_PARTITION')) : admin.fetchTopicOffsets(topic)),
    };
    const reasons: string[] = [];
    const offsets = await listOffsets(leadingLate, 'k-led-late', { onNotReady: (r) => reasons.push(r) });
    expect(offsets.map((o) => [o.partition, o.low, o.high]).sort()).toEqual([
      [0, '0', '0'],
      [1, '0', '0'],
    ]);
    expect(reasons).toEqual(['NOT_LEADER_FOR_PARTITION (6)', 'NOT_LEADER_FOR_PARTITION (6)']);
    // Waiting for a created topic waits for that too, after the metadata shows its leaders.
    refusals = 1;
    const waited: string[] = [];
    await waitForTopics({ ...admin, ...leadingLate }, ['k-led-late'], { onNotReady: (r) => waited.push(r) });
    expect(waited).toEqual(['k-led-late: NOT_LEADER_FOR_PARTITION (6)']);

    let calls = 0;
    const refused = protocolError(29, 'TOPIC_AUTHORIZATION_FAILED');
    const unauthorized = {
      fetchTopicOffsets: () => {
        calls++;
        return Promise.reject(refused);
      },
    };
    await expect(listOffsets(unauthorized, 'k-led-late')).rejects.toBe(refused);
    expect(calls).toBe(1);
    refusals = 1;
    await expect(listOffsets(leadingLate, 'k-led-late', { timeoutMs: 0 })).rejects.toThrow(
      'the offsets of k-led-late cannot be listed after 0 ms: NOT_LEADER_FOR_PARTITION (6)',
    );
  } finally {
    await admin.disconnect();
  }
});

test('the producer writes keyed records to the partitions Kafka clients expect, with headers', async () => {
  await kafka.ensureTopics([{ name: 'k-produce', partitions: 4 }]);
  const producer = kafka.producer();
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      producer.send('k-produce', { key: Buffer.from(`key-${i}`), value: Buffer.from(String(i)), timestamp: 1000 + i, headers: { n: String(i) } }),
    ),
  );
  await producer.close();
  const records = await readTopic(t.rill, 'k-produce');
  expect(records).toHaveLength(20);
  for (const r of records) {
    const i = Number(r.value!.toString());
    expect(r.partition).toBe(partitionForKey(Buffer.from(`key-${i}`), 4));
    expect(r.timestamp).toBe(1000 + i);
    expect(r.headers!.find((h) => h.key === 'n')!.value!.toString()).toBe(String(i));
  }
});

test('a consumer reads assigned partitions in order, commits, and the next one resumes there', async () => {
  await kafka.ensureTopics([{ name: 'k-consume', partitions: 2 }]);
  await t.rill.producer().send(
    'k-consume',
    Array.from({ length: 10 }, (_, i) => ({ value: String(i), partition: i % 2 })),
  );
  const first = kafka.consumer({ groupId: 'k-group' });
  await first.assign([
    { topic: 'k-consume', partition: 0 },
    { topic: 'k-consume', partition: 1 },
  ]);
  const it = first.records();
  const seen: { partition: number; offset: number }[] = [];
  for (let i = 0; i < 10; i++) {
    const r = await it.next();
    seen.push({ partition: r.value.partition, offset: r.value.offset });
  }
  for (const p of [0, 1]) expect(seen.filter((s) => s.partition === p).map((s) => s.offset)).toEqual([0, 1, 2, 3, 4]);
  expect(first.position({ topic: 'k-consume', partition: 0 })).toBe(5);
  await first.commit([{ topic: 'k-consume', partition: 0, offset: 3 }]);
  await first.close();
  expect((await kafka.committedOffsets('k-group', 'k-consume')).get(0)).toBe(3);

  const second = kafka.consumer({ groupId: 'k-group' });
  await second.assign([{ topic: 'k-consume', partition: 0 }]);
  expect(second.position({ topic: 'k-consume', partition: 0 })).toBe(3);
  const next = await second.records().next();
  expect([next.value.partition, next.value.offset]).toEqual([0, 3]);
  await second.close();
});

test('seek moves a partition back: buffered records of it are dropped and it is read again from there', async () => {
  await kafka.ensureTopics([{ name: 'k-seek', partitions: 1 }]);
  await t.rill.producer().send(
    'k-seek',
    ['a', 'b', 'c', 'd'].map((value) => ({ value })),
  );
  const consumer = kafka.consumer({ groupId: 'k-seek-group' });
  const tp = { topic: 'k-seek', partition: 0 };
  await consumer.assign([tp]);
  const it = consumer.records();
  expect((await it.next()).value.offset).toBe(0);
  expect((await it.next()).value.offset).toBe(1);
  await consumer.seek(tp, 1);
  expect(consumer.position(tp)).toBe(1);
  const again = [(await it.next()).value, (await it.next()).value, (await it.next()).value];
  expect(again.map((r) => [r.offset, r.value!.toString()])).toEqual([
    [1, 'b'],
    [2, 'c'],
    [3, 'd'],
  ]);
  await consumer.close();
});

test('a subscribed partition whose first batch comes before its start offset is known keeps the position that batch reached', async () => {
  // kafkajs fetches as soon as it has joined, while the consumer still asks for
  // the group's committed offsets. Here the start offset answers only once the
  // first batch is in: the position must stay after it (it was set back to the
  // start, and fetchedLag() then reported those records as missing for ever).
  await kafka.ensureTopics([{ name: 'k-early', partitions: 1 }]);
  await t.rill.producer().send(
    'k-early',
    ['a', 'b', 'c'].map((value) => ({ value })),
  );
  const tp = { topic: 'k-early', partition: 0 };
  const early: number[] = [];
  const consumer: LogConsumer = kafkaConsumer(new Kafka(kafkaConfig({ brokers: [`127.0.0.1:${server.port}`] })), {
    groupId: 'k-early-group',
    lagRefreshMs: 0,
    endOffsets: (topic) => kafka.offsets(topic),
    async startOffsets() {
      // Resolves once the first batch is buffered (a fetch answer wakes poll).
      early.push(...(await consumer.poll(10, 10_000)).map((r) => r.offset));
      return new Map([[tpKey(tp), 0]]);
    },
  });
  await consumer.subscribe!(['k-early'], { onAssigned: () => undefined, onRevoked: async () => undefined });
  expect(early).toEqual([0, 1, 2]);
  expect(consumer.position(tp)).toBe(3);
  expect(consumer.fetchedLag(tp)).toBe(0);
  // fetchedLag() also asks the log for the partition's end: that answer wakes poll, and the lag stays 0.
  await consumer.poll(1, 10_000);
  expect(consumer.fetchedLag(tp)).toBe(0);
  await consumer.close();
});

test('fetch reads a partition from an offset without a group', async () => {
  await kafka.ensureTopics([{ name: 'k-fetch', partitions: 1 }]);
  await t.rill.producer().send('k-fetch', [
    { key: 'a', value: '1' },
    { key: 'b', value: '2' },
    { key: 'c', value: '3' },
  ]);
  const got = await kafka.fetch({ topic: 'k-fetch', partition: 0 }, 1, 1024 * 1024);
  expect(got.records.map((r) => [r.offset, r.key!.toString(), r.value!.toString()])).toEqual([
    [1, 'b', '2'],
    [2, 'c', '3'],
  ]);
  expect(got.nextOffset).toBe(3);
});

test('the Redis table sink drains a topic through Kafka, committing to the Kafka group', async () => {
  await kafka.ensureTopics([{ name: 'k-table', partitions: 2 }]);
  await t.rill.producer().send('k-table', [
    { key: 'a', value: '1' },
    { key: 'b', value: '2' },
    { key: 'a', value: '3' },
  ]);
  const redis = redisMock();
  await redis.flushall();
  const task = new SinkTask(kafka, redisTableSink({ redis, keyPrefix: 'k:' }), { topics: ['k-table'], logger: memoryLogger() });
  await task.start();
  await task.waitUntilCaughtUp();
  await task.stop();
  expect(await redis.mget('k:a', 'k:b')).toEqual(['3', '2']);
  const committed = await kafka.committedOffsets('connect-redis-table-k', 'k-table');
  expect([...committed.values()].filter((o) => o >= 0).reduce((a, b) => a + b, 0)).toBe(3);
  redis.disconnect();
});

test('a source writes through the Kafka producer and acknowledges after the append', async () => {
  const acknowledged: number[] = [];
  let polled = false;
  const source: SourceConnector<string, number, number> = {
    name: 'counter',
    async poll() {
      if (polled) return { kind: 'entries', entries: [], end: true };
      polled = true;
      return { kind: 'entries', entries: [1, 2, 3].map((n) => ({ kind: 'record' as const, record: { key: `n${n}`, value: n }, position: n })) };
    },
    async acknowledge(entries) {
      acknowledged.push(...entries.map((e) => e.position));
    },
  };
  const task = new SourceTask(kafka, source, { topic: 'k-source', partitions: 1, logger: memoryLogger() });
  await task.start();
  await task.done;
  expect(acknowledged).toEqual([1, 2, 3]);
  expect((await readTopic(t.rill, 'k-source')).map((r) => r.value!.toString())).toEqual(['1', '2', '3']);
});

test('a DSL pipeline runs unchanged over the Kafka LogClient', async () => {
  await kafka.ensureTopics([{ name: 'k-words', partitions: 2 }]);
  await t.rill.producer().send('k-words', [
    { key: 'a', value: 'hello' },
    { key: 'b', value: 'world' },
  ]);
  const builder = new StreamsBuilder('k-upper');
  builder.stream('k-words', { key: stringSerde(), value: stringSerde() }).pipe(
    mapValues((v: string) => v.toUpperCase()),
    to('k-upper-out', { key: stringSerde(), value: jsonSerde<string>() }),
  );
  await kafka.ensureTopics([{ name: 'k-upper-out', partitions: 2 }]);
  const app = new RillStreams(builder.build(), { log: kafka, logger: memoryLogger(), commitIntervalMs: 50 });
  await app.start();
  await app.waitUntilCaughtUp();
  await app.stop();
  const out = await readTopic(t.rill, 'k-upper-out');
  expect(out.map((r) => JSON.parse(r.value!.toString())).sort()).toEqual(['HELLO', 'WORLD']);
});

test('a topic moves from the embedded log to Kafka and back with topicSink', async () => {
  await t.rill.admin.createTopics([{ name: 'k-local', partitions: 2 }]);
  await t.rill.producer().send(
    'k-local',
    [1, 2, 3, 4].map((n) => ({ key: `k${n}`, value: String(n), headers: { n: String(n) } })),
  );
  await kafka.ensureTopics([{ name: 'k-remote', partitions: 2 }]);
  // Embedded -> Kafka: a sink task on the embedded log, writing through the kafkajs client.
  const out = new SinkTask(t.client, topicSink({ log: kafka, topic: 'k-remote', keepPartition: true }), {
    topics: ['k-local'],
    keySerde: bytesSerde(),
    valueSerde: bytesSerde(),
    logger: memoryLogger(),
  });
  await out.start();
  await out.waitUntilCaughtUp();
  await out.stop();
  // Kafka -> embedded: a sink task on the kafkajs client, writing to the embedded log.
  await t.rill.admin.createTopics([{ name: 'k-back', partitions: 2 }]);
  const back = new SinkTask(kafka, topicSink({ log: t.client, topic: 'k-back' }), {
    topics: ['k-remote'],
    keySerde: bytesSerde(),
    valueSerde: bytesSerde(),
    logger: memoryLogger(),
  });
  await back.start();
  await back.waitUntilCaughtUp();
  await back.stop();
  const remote = await readTopic(t.rill, 'k-remote');
  const local = await readTopic(t.rill, 'k-local');
  expect(remote.map((r) => [r.partition, r.key!.toString(), r.value!.toString()])).toEqual(
    local.map((r) => [r.partition, r.key!.toString(), r.value!.toString()]),
  );
  const backAgain = await readTopic(t.rill, 'k-back');
  expect(backAgain.map((r) => r.value!.toString()).sort()).toEqual(['1', '2', '3', '4']);
  expect(backAgain.every((r) => r.headers!.some((h) => h.key === 'n' && h.value!.toString() === r.value!.toString()))).toBe(true);
});
