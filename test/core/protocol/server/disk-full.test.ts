// A full disk under one partition, over the wire (the fault injected into the
// file layer, test/core/log/disk-faults.ts): that partition answers
// KAFKA_STORAGE_ERROR (56) and stores nothing, the other partition of the same
// Produce is appended, the connection goes on serving, a kafkajs producer
// keeps producing elsewhere, and once space returns the partition takes
// records again: every acknowledged record is there, nothing refused is.
// A read error (EIO) of one partition fails only that partition of a Fetch.
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../../../core/broker';
import { silentLogger } from '../../../../core/logging';
import { apis, KafkaConnection, KafkaServer } from '../../../../core/protocol';
import { decodeRecordBatches, encodeRecordBatch } from '../../../../core/log';
import { tempDirs } from '../../../support/tmp-dir';
import { injectDiskFault, type DiskFault } from '../../log/disk-faults';
import { fetchTopicsBody } from '../harness';

const dirs = tempDirs('disk-full');
let broker: Broker;
let server: KafkaServer;
let disk: DiskFault;
/** The broker's warning lines (one per failed append). */
const warnings: string[] = [];

beforeAll(async () => {
  const dir = dirs.make();
  broker = Broker.open({ dir, scheduler: false, onWarning: (w) => warnings.push(w) });
  await broker.createTopic({ name: 'full', partitions: 1 });
  await broker.createTopic({ name: 'roomy', partitions: 1 });
  server = await KafkaServer.start({ broker, port: 0, host: '127.0.0.1', logger: silentLogger });
  disk = injectDiskFault(path.join(dir, 'full-0'));
});

afterAll(async () => {
  disk.restore();
  await server.close(1000);
  await broker.close();
  dirs.removeAll();
});

async function stored(topic: string): Promise<string[]> {
  const [answer] = await broker.fetch({ partitions: [{ topic, partition: 0, offset: 0, maxBytes: 1 << 20 }] });
  const batches = decodeRecordBatches(answer.records);
  if (batches._tag === 'Left') throw new Error(batches.left.message);
  return batches.right.flatMap((b) => b.records.map((r) => r.value!.toString()));
}

const batch = (value: string) => encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }] });

test('ENOSPC: 56 for the full partition, the other one appended, the connection kept; kafkajs goes on, and the partition recovers when space returns', async () => {
  disk.errno = 'ENOSPC';
  const c = await KafkaConnection.connect(`127.0.0.1:${server.port}`);
  try {
    const r = await c.request<apis.ProduceResponse>(apis.produce, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [
        { name: 'full', partitionData: [{ index: 0, records: batch('refused on the wire') }] },
        { name: 'roomy', partitionData: [{ index: 0, records: batch('kept on the wire') }] },
      ],
    });
    expect(r.responses.map((t) => [t.name, t.partitionResponses[0].errorCode])).toEqual([
      ['full', 56],
      ['roomy', 0],
    ]);
    expect(r.responses[0].partitionResponses[0].errorMessage).toMatch(/ENOSPC/);
    const v = await c.request<{ errorCode: number }>(apis.apiVersions, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(v.errorCode).toBe(0);
  } finally {
    c.close();
  }

  const kafka = new Kafka({ clientId: 'disk-full', brokers: [`127.0.0.1:${server.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await expect(producer.send({ topic: 'full', messages: [{ value: 'refused by kafkajs' }] })).rejects.toThrow(/disk/i);
    await producer.send({ topic: 'roomy', messages: [{ value: 'kept by kafkajs' }] });
    // Space is back: the same producer's next send to the partition is stored.
    disk.errno = undefined;
    await producer.send({ topic: 'full', messages: [{ value: 'after space returned' }] });
  } finally {
    await producer.disconnect();
  }
  expect(disk.failures).toBeGreaterThanOrEqual(2);
  expect(warnings.length).toBe(disk.failures);
  expect(warnings[0]).toMatch(/full-0.*ENOSPC.*nothing was appended/);
  expect(await stored('full')).toEqual(['after space returned']);
  expect(await stored('roomy')).toEqual(['kept on the wire', 'kept by kafkajs']);
});

test('EIO reading one partition: that partition of the Fetch answers 56, the other is served, and the connection goes on', async () => {
  disk.readErrno = 'EIO';
  const c = await KafkaConnection.connect(`127.0.0.1:${server.port}`);
  try {
    const fetch = () =>
      c.request<{ responses: { topic: string; partitions: { errorCode: number; records: Buffer | null }[] }[] }>(
        apis.fetch,
        fetchTopicsBody(
          ['full', 'roomy'].map((topic) => ({ topic, partitions: [{ partition: 0, fetchOffset: 0 }] })),
          { minBytes: 1 },
        ),
      );
    const failing = await fetch();
    expect(failing.responses.map((t) => [t.topic, t.partitions[0].errorCode])).toEqual([
      ['full', 56],
      ['roomy', 0],
    ]);
    expect(failing.responses[1].partitions[0].records?.length).toBeGreaterThan(0);
    disk.readErrno = undefined;
    const healed = await fetch();
    expect(healed.responses.map((t) => t.partitions[0].errorCode)).toEqual([0, 0]);
  } finally {
    disk.readErrno = undefined;
    c.close();
  }
});
