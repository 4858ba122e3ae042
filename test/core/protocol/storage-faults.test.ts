// A damaged partition and hostile produce requests over the wire, with kafkajs
// and raw requests against a real broker on port 0: the offset jump is refused
// with INVALID_RECORD and a message and leaves nothing behind; one damaged
// partition answers KAFKA_STORAGE_ERROR while Metadata still lists it with its
// leader and the topic's healthy partitions stay readable.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../../core/broker';
import { batchHeader, crc32c, encodeRecordBatch } from '../../../core/log';
import { apis, KafkaConnection, KafkaServer } from '../../../core/protocol';
import { fetchRequestBody, waitFor } from './harness';

interface Running {
  broker: Broker;
  server: KafkaServer;
  bootstrap: string;
  warnings: string[];
  stop(): Promise<void>;
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function start(dir: string): Promise<Running> {
  const warnings: string[] = [];
  const broker = Broker.open({ dir, scheduler: false, onWarning: (w) => warnings.push(w) });
  let server: KafkaServer;
  try {
    server = await KafkaServer.start({ broker, port: 0, host: '127.0.0.1' });
  } catch (e) {
    await broker.close();
    throw e;
  }
  return {
    broker,
    server,
    bootstrap: `127.0.0.1:${server.port}`,
    warnings,
    async stop() {
      try {
        await server.close(2000);
      } finally {
        await broker.close();
      }
    },
  };
}

function kafkaFor(r: Running): Kafka {
  return new Kafka({ clientId: 'storage-faults', brokers: [r.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 50 } });
}

test('the offset jump over the wire: INVALID_RECORD with a message, nothing stored, the broker restarts', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-jump-'));
  dirs.push(dir);
  let running = await start(dir);
  try {
    const admin = kafkaFor(running).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'jump', numPartitions: 1 }] });
    } finally {
      await admin.disconnect();
    }
    const jumps = Array.from({ length: 58 }, () => {
      const b = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] });
      b.writeInt32BE(0x7fffffff, batchHeader.LAST_OFFSET_DELTA);
      b.writeUInt32BE(crc32c(b, batchHeader.ATTRIBUTES, b.length), batchHeader.CRC);
      return b;
    });
    const conn = await KafkaConnection.connect(running.bootstrap);
    try {
      const r = await conn.request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 'jump', partitionData: [{ index: 0, records: Buffer.concat(jumps) }] }],
      });
      const p = r.responses[0].partitionResponses[0];
      expect(p.errorCode).toBe(87);
      expect(p.errorMessage).toMatch(/lastOffsetDelta 2147483647 for 1 records/);
      const good = await conn.request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 'jump', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('ok') }] }) }] }],
      });
      expect(good.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0 });
    } finally {
      conn.close();
    }
  } finally {
    await running.stop();
  }
  running = await start(dir);
  try {
    const offsets = await (async () => {
      const admin = kafkaFor(running).admin();
      await admin.connect();
      try {
        return await admin.fetchTopicOffsets('jump');
      } finally {
        await admin.disconnect();
      }
    })();
    expect(offsets).toEqual([expect.objectContaining({ partition: 0, high: '1', low: '0' })]);
  } finally {
    await running.stop();
  }
});

test('one damaged partition answers KAFKA_STORAGE_ERROR, stays in Metadata with its leader, and the healthy partitions stay readable with kafkajs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-damaged-'));
  dirs.push(dir);
  let running = await start(dir);
  try {
    const kafka = kafkaFor(running);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'mixed', numPartitions: 3, configEntries: [{ name: 'segment.bytes', value: '1000' }] }] });
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    try {
      // One batch per send: many batches, several segments per partition.
      for (let i = 0; i < 20; i++) {
        await producer.send({ topic: 'mixed', messages: [0, 1, 2].map((partition) => ({ partition, value: `p${partition}-${i}` })) });
      }
    } finally {
      await producer.disconnect();
    }
  } finally {
    await running.stop();
  }

  // Flip a byte inside a record of partition 1's first (closed, flushed) segment.
  const file = path.join(dir, 'mixed-1', `${'0'.repeat(20)}.log`);
  const bytes = fs.readFileSync(file);
  const third = (bytes.readInt32BE(8) + 12) * 2; // equal-sized batches: the third one
  const fd = fs.openSync(file, 'r+');
  try {
    const b = Buffer.from([bytes[third + 70] ^ 0x5a]);
    fs.writeSync(fd, b, 0, 1, third + 70);
  } finally {
    fs.closeSync(fd);
  }

  running = await start(dir);
  try {
    // The broker opened; the damage is found when the partition is read.
    const conn = await KafkaConnection.connect(running.bootstrap);
    try {
      const r = await conn.send<apis.FetchResponse>(
        apis.fetch,
        12,
        fetchRequestBody(
          'mixed',
          [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0 })),
        ),
      );
      const byPartition = new Map(r.responses[0].partitions.map((p) => [p.partitionIndex, p]));
      expect(byPartition.get(1)!.errorCode).toBe(56);
      expect(byPartition.get(0)!.errorCode).toBe(0);
      expect(byPartition.get(0)!.records!.length).toBeGreaterThan(0);
      expect(byPartition.get(2)!.errorCode).toBe(0);
      const produce = await conn.request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 'mixed', partitionData: [{ index: 1, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('no') }] }) }] }],
      });
      expect(produce.responses[0].partitionResponses[0].errorCode).toBe(56);
      expect(produce.responses[0].partitionResponses[0].errorMessage).toMatch(/mixed-1/);
    } finally {
      conn.close();
    }
    // One line naming the file, the position and the offset range.
    const failed = running.warnings.filter((w) => w.includes('partition failed'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toContain(`${file} at position ${third} (offsets 2 to 2)`);

    const kafka = kafkaFor(running);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: ['mixed'] });
      const partitions = meta.topics[0].partitions.sort((a, b) => a.partitionId - b.partitionId);
      expect(partitions.map((p) => ({ id: p.partitionId, error: p.partitionErrorCode, leader: p.leader }))).toEqual([
        { id: 0, error: 0, leader: running.broker.nodeId },
        { id: 1, error: 0, leader: running.broker.nodeId },
        { id: 2, error: 0, leader: running.broker.nodeId },
      ]);
    } finally {
      await admin.disconnect();
    }

    // kafkajs fails a whole Fetch response when any partition in it has an error,
    // so an application pauses the damaged partition; the other two read in full.
    const consumer = kafka.consumer({ groupId: 'healthy-readers', maxWaitTimeInMs: 100 });
    const got: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'mixed', fromBeginning: true });
      consumer.on(consumer.events.GROUP_JOIN, () => consumer.pause([{ topic: 'mixed', partitions: [1] }]));
      await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
      await waitFor(() => got.length >= 40, '40 records from partitions 0 and 2');
    } finally {
      await consumer.disconnect();
    }
    expect(got.sort()).toEqual([0, 2].flatMap((p) => Array.from({ length: 20 }, (_, i) => `p${p}-${i}`)).sort());
  } finally {
    await running.stop();
  }

  // The repair: restart with log.recover.corruption; partition 1 serves what is intact.
  const repaired = Broker.open({ dir, scheduler: false, recoverCorruption: true });
  try {
    const r = await repaired.fetch({ partitions: [{ topic: 'mixed', partition: 1, offset: 0, maxBytes: 1 << 20 }] });
    expect(r[0].errorCode).toBe(0);
    expect(r[0].highWatermark).toBe(2);
  } finally {
    await repaired.close();
  }
  expect(fs.readdirSync(path.join(dir, 'mixed-1')).filter((n) => n.endsWith('.corrupt')).length).toBeGreaterThan(0);
});
