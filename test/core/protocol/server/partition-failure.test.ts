// A port that throws for one partition costs only that partition: it answers
// UNKNOWN_SERVER_ERROR (KAFKA_STORAGE_ERROR when the disk is at fault), the
// other partitions of the same request are served normally, and the next
// request on the connection is served. A Fetch whose port throws is answered
// with the error on each of its partitions instead of a closed connection.
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../../../core/broker';
import { silentLogger } from '../../../../core/logging';
import { ApiKey, apiByKey, apis, KafkaConnection, KafkaServer, singleNodePorts, type BrokerPorts } from '../../../../core/protocol';
import { encodeRecordBatch } from '../../../../core/log';
import { tempDirs } from '../../../support/tmp-dir';
import { fetchTopicsBody } from '../harness';

const dirs = tempDirs('partition-failure');
let broker: Broker;
let server: KafkaServer;

/** Partition 1 of "bad" is a bug; partition 2 sits on a full disk; partition 3 throws a Kafka error code instead of returning it. */
function broken(topic: string, partition: number): void {
  if (topic !== 'bad') return;
  if (partition === 1) throw new TypeError('a bug in partition 1');
  if (partition === 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  if (partition === 3) throw Object.assign(new Error('a record refused deep inside'), { code: 87 });
}

beforeAll(async () => {
  broker = Broker.open({ dir: dirs.make(), scheduler: false });
  await broker.createTopic({ name: 'bad', partitions: 4 });
  await broker.createTopic({ name: 'fetchless', partitions: 2 });
  const ports = singleNodePorts(broker);
  const failing: BrokerPorts = {
    ...ports,
    partitions: {
      ...ports.partitions,
      produce: (topic, partition, records, acks, timeoutMs) => {
        broken(topic, partition);
        return ports.partitions.produce(topic, partition, records, acks, timeoutMs);
      },
      listOffset: (topic, partition, timestamp, isolation) => {
        broken(topic, partition);
        return ports.partitions.listOffset(topic, partition, timestamp, isolation);
      },
      fetch: async (wanted) => {
        if (wanted.partitions.some((p) => p.topic === 'fetchless')) throw new Error('the fetch path is on fire');
        return ports.partitions.fetch(wanted);
      },
    },
  };
  server = await KafkaServer.start({ ports: failing, port: 0, host: '127.0.0.1', logger: silentLogger });
});

afterAll(async () => {
  await server.close(1000);
  await broker.close();
  dirs.removeAll();
});

const batch = (value: string) => encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] });

async function connected<T>(f: (c: KafkaConnection) => Promise<T>): Promise<T> {
  const c = await KafkaConnection.connect(`127.0.0.1:${server.port}`);
  try {
    return await f(c);
  } finally {
    c.close();
  }
}

test('Produce: the throwing partitions answer -1, 56 and the code thrown, the healthy one is appended, the connection goes on', async () => {
  await connected(async (c) => {
    const r = await c.request<apis.ProduceResponse>(apis.produce, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'bad', partitionData: [0, 1, 2, 3].map((index) => ({ index, records: batch(`v${index}`) })) }],
    });
    const answers = r.responses[0].partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset]);
    expect(answers).toEqual([
      [0, 0, 0],
      [1, -1, -1],
      [2, 56, -1],
      [3, 87, -1],
    ]);
    expect(r.responses[0].partitionResponses[1].errorMessage).toMatch(/a bug in partition 1/);
    expect(broker.listOffset('bad', 0, -1)).toMatchObject({ right: { offset: 1 } });
    const v = await c.request<{ errorCode: number }>(apis.apiVersions, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(v.errorCode).toBe(0);
  });
});

test('ListOffsets: only the throwing partitions carry the error', async () => {
  await connected(async (c) => {
    const r = await c.request<{ topics: { partitions: { partitionIndex: number; errorCode: number }[] }[] }>(apis.listOffsets, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 'bad', partitions: [0, 1, 2, 3].map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: -1 })) }],
    });
    expect(r.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode])).toEqual([
      [0, 0],
      [1, -1],
      [2, 56],
      [3, 87],
    ]);
  });
});

test('Fetch whose port throws: every partition asked answers -1, and the next request is served', async () => {
  await connected(async (c) => {
    const r = await c.request<{ errorCode: number; responses: { topic: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }>(
      apis.fetch,
      fetchTopicsBody([{ topic: 'fetchless', partitions: [0, 1].map((partition) => ({ partition, fetchOffset: 0 })) }], { minBytes: 1 }),
    );
    expect(r.errorCode).toBe(0);
    expect(r.responses.map((t) => [t.topic, t.partitions.map((p) => [p.partitionIndex, p.errorCode])])).toEqual([
      [
        'fetchless',
        [
          [0, -1],
          [1, -1],
        ],
      ],
    ]);
    const v = await c.request<{ errorCode: number }>(apis.apiVersions, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(v.errorCode).toBe(0);
  });
});

test('Fetch v16 (topics by id) whose port throws: the answer names the topic by its id', async () => {
  await connected(async (c) => {
    const meta = await c.send<apis.MetadataResponse>(apiByKey(ApiKey.Metadata)!, 12, { topics: [{ name: 'fetchless' }], allowAutoTopicCreation: false });
    const topicId = meta.topics[0].topicId;
    const r = await c.send<apis.FetchResponse>(
      apiByKey(ApiKey.Fetch)!,
      16,
      fetchTopicsBody([{ topicId, partitions: [{ partition: 0, fetchOffset: 0 }] }], { minBytes: 1 }),
    );
    expect(r.responses.map((t) => [t.topicId, t.partitions.map((p) => p.errorCode)])).toEqual([[topicId, [-1]]]);
  });
});

test('a kafkajs producer refused on the broken partition keeps producing to the healthy one', async () => {
  const kafka = new Kafka({ clientId: 'partition-failure', brokers: [`127.0.0.1:${server.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await expect(producer.send({ topic: 'bad', messages: [{ partition: 1, value: 'refused' }] })).rejects.toThrow(/a bug in partition 1|server/i);
    const sent = await producer.send({ topic: 'bad', messages: [{ partition: 0, value: 'kept' }] });
    expect(sent).toEqual([expect.objectContaining({ partition: 0, errorCode: 0 })]);
    const again = await producer.send({ topic: 'bad', messages: [{ partition: 0, value: 'kept too' }] });
    expect(Number(again[0].baseOffset)).toBe(Number(sent[0].baseOffset) + 1);
  } finally {
    await producer.disconnect();
  }
});
