// kafkajs has only gzip; the kafkajs LogClient puts Rill's snappy, lz4 and
// zstd codecs in its place, so kafkajs reads batches other clients compress
// (kcat's zstd, Rill's snappy and lz4) through the broker, and writes snappy
// and lz4 that Rill reads back.
import { isLeft } from 'fp-ts/Either';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { kafkaLogClient, protocolLogClient } from '../../../../core/client';
import { decodeRecordBatches } from '../../../../core/log';
import { apis, KafkaServer } from '../../../../core/protocol';
import { ask } from '../../../compat/targets';
import { openTempRill, type TempRill } from '../../../connectors/support';
import { run } from '../../protocol/children';
import { fetchRequestBody } from '../../protocol/harness';

let t: TempRill;
let server: KafkaServer;
let bootstrap: string;

beforeAll(async () => {
  t = openTempRill();
  server = await KafkaServer.start({ broker: t.rill.broker, port: 0, host: '127.0.0.1' });
  bootstrap = `127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server?.close(2000);
  await t?.close();
});

const lines = (codec: string) => Array.from({ length: 10 }, (_, i) => `${codec}-${i} ${'compressible text '.repeat(8).trim()}`);

/** The codec of each stored batch of `topic`-0, as a Fetch returns the stored bytes. */
async function storedCodecs(topic: string): Promise<string[]> {
  const r = await ask<apis.FetchResponse>(bootstrap, apis.fetch, fetchRequestBody(topic, [{ partition: 0, fetchOffset: 0 }]));
  const batches = decodeRecordBatches(r.responses[0].partitions[0].records ?? Buffer.alloc(0));
  if (isLeft(batches)) throw new Error(batches.left.message);
  return batches.right.map((b) => b.compression);
}

test('kafkajs, given the LogClient, reads zstd, snappy and lz4 batches and writes snappy and lz4', async () => {
  await t.rill.admin.createTopics([
    { name: 'foreign', partitions: 1 },
    { name: 'from-kafkajs', partitions: 1 },
  ]);
  // Idempotent: on a loaded machine librdkafka may send the batch again (a request timeout), and the broker must not store it twice.
  const z = await run('kcat', ['-b', bootstrap, '-P', '-t', 'foreign', '-z', 'zstd', '-X', 'enable.idempotence=true'], {
    input: `${lines('zstd').join('\n')}\n`,
    timeoutMs: 30_000,
  });
  expect({ code: z.code, stderr: z.stderr }).toEqual({ code: 0, stderr: '' });
  for (const compression of ['snappy', 'lz4'] as const) {
    const writer = protocolLogClient({ brokers: [bootstrap], compression });
    await writer.producer().sendBatch(
      'foreign',
      lines(compression).map((value) => ({ key: null, value: Buffer.from(value), timestamp: Date.now() })),
    );
    await writer.close();
  }
  expect(await storedCodecs('foreign')).toEqual(['zstd', 'snappy', 'lz4']);

  const logClient = kafkaLogClient({ brokers: [bootstrap] });
  const kafka = new Kafka({ clientId: 'codecs', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'codecs', maxWaitTimeInMs: 50 });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: 'foreign', fromBeginning: true });
    const read: string[] = [];
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        read.push(message.value!.toString());
        if (read.length === 30) done();
      },
    });
    await all; // bounded by the test's timeout
    expect(read).toEqual([...lines('zstd'), ...lines('snappy'), ...lines('lz4')]);

    await producer.connect();
    for (const [compression, name] of [
      [CompressionTypes.Snappy, 'snappy'],
      [CompressionTypes.LZ4, 'lz4'],
    ] as const)
      await producer.send({ topic: 'from-kafkajs', compression, messages: lines(name).map((value) => ({ value })) });
    expect(await storedCodecs('from-kafkajs')).toEqual(['snappy', 'lz4']);
    const { records } = await t.client.fetch({ topic: 'from-kafkajs', partition: 0 }, 0, 1 << 20);
    expect(records.map((r) => r.value?.toString())).toEqual([...lines('snappy'), ...lines('lz4')]);
  } finally {
    await producer.disconnect();
    await consumer.disconnect();
    await logClient.close();
  }
}, 60_000);
