// read_committed through the real front end, with real clients: a hand-built
// transactional batch (core/log's encoder, transactional attribute, producer id
// and epoch), markers written through the partition port, then kcat
// (librdkafka) and kafkajs consumers under both isolation levels.
import { Kafka, logLevel } from 'kafkajs';
import { plainBatch as plain, transactionalBatch } from '../../support/transactional-batches';
import { singleNodePorts } from '../../../core/protocol';
import { Consumer } from '../../../core/client';
import { runConsume } from '../../../cli/consume-command';
import { fakeIO } from '../../cli/fake-io';
import { run } from './children';
import { startTestCluster, type TestCluster, waitFor } from './harness';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(() => c.stop());

/** before, a committed transaction (100) interleaved with an aborted one (200), middle, an open one (300), after. */
async function fill(topic: string): Promise<void> {
  const ports = singleNodePorts(c.broker);
  const produce = (records: Buffer) => {
    const r = ports.partitions.produce(topic, 0, records, -1, 1000);
    if ('_tag' in r && r._tag === 'Left') throw new Error(r.left.message);
  };
  const mark = async (producerId: number, commit: boolean) => {
    const r = await ports.partitions.writeTxnMarker(topic, 0, { producerId, producerEpoch: 0, coordinatorEpoch: 0, commit });
    if (r._tag === 'Left') throw new Error(r.left.message);
  };
  const created = c.broker.createTopic({ name: topic, partitions: 1 });
  if (created._tag === 'Left') throw created.left;
  produce(plain('before')); // 0
  produce(transactionalBatch(100, ['a1', 'a2'])); // 1..2
  produce(transactionalBatch(200, ['b1'])); // 3
  await mark(100, true); // 4
  produce(transactionalBatch(200, ['b2'], { sequence: 1 })); // 5
  await mark(200, false); // 6
  produce(plain('middle')); // 7
  produce(transactionalBatch(300, ['c1'])); // 8: open
  produce(plain('after')); // 9
}

const kcat = (args: string[]) => run('kcat', ['-b', c.bootstrap, ...args], { timeoutMs: 30000 });

test('kcat read_committed sees committed records up to the last stable offset; read_uncommitted every data record, never a marker', async () => {
  await fill('rc-kcat');
  const committed = await kcat(['-C', '-t', 'rc-kcat', '-X', 'isolation.level=read_committed', '-o', 'beginning', '-e', '-q', '-f', '%o %s\n']);
  expect(committed.code).toBe(0);
  expect(committed.stdout.trim().split('\n')).toEqual(['0 before', '1 a1', '2 a2', '7 middle']);
  const all = await kcat(['-C', '-t', 'rc-kcat', '-X', 'isolation.level=read_uncommitted', '-o', 'beginning', '-e', '-q', '-f', '%o %s\n']);
  expect(all.code).toBe(0);
  expect(all.stdout.trim().split('\n')).toEqual(['0 before', '1 a1', '2 a2', '3 b1', '5 b2', '7 middle', '8 c1', '9 after']);
});

test('ListOffsets with isolation_level 1 answers the last stable offset as latest, 0 the high watermark', async () => {
  await fill('rc-offsets');
  const kafka = new Kafka({ clientId: 'rc', brokers: [c.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    // kafkajs' admin asks ListOffsets with isolation_level 1 (read_committed).
    const [p] = await admin.fetchTopicOffsets('rc-offsets');
    expect(p.high).toBe('8');
  } finally {
    await admin.disconnect();
  }
  const uncommitted = singleNodePorts(c.broker).partitions.listOffset('rc-offsets', 0, -1, 0);
  expect(uncommitted._tag === 'Right' && uncommitted.right.offset).toBe(10);
});

/** Ends producer 300's open transaction of `topic` (offset 8) with a marker at offset 10. */
async function endOpenTransaction(topic: string, commit: boolean): Promise<void> {
  const r = await singleNodePorts(c.broker).partitions.writeTxnMarker(topic, 0, { producerId: 300, producerEpoch: 0, coordinatorEpoch: 0, commit });
  expect(r._tag).toBe('Right');
}

/** A kafkajs group consumer of `topic` from the beginning, collecting "offset value" lines until `stop()`. */
async function kafkajsConsumer(topic: string, readUncommitted: boolean) {
  const kafka = new Kafka({ clientId: 'rc', brokers: [c.bootstrap], logLevel: logLevel.NOTHING });
  const seen: string[] = [];
  const consumer = kafka.consumer({ groupId: `${topic}-group`, readUncommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen.push(`${message.offset} ${message.value}`);
    },
  });
  return { seen, stop: () => consumer.disconnect() };
}

test('a kafkajs consumer (readUncommitted: false) never sees aborted records, and sees the open transaction once committed', async () => {
  await fill('rc-kafkajs');
  const { seen, stop } = await kafkajsConsumer('rc-kafkajs', false);
  try {
    await waitFor(() => seen.includes('7 middle'), 'the committed records');
    await endOpenTransaction('rc-kafkajs', true);
    await waitFor(() => seen.includes('9 after'), 'the records after the commit');
    expect(seen).toEqual(['0 before', '1 a1', '2 a2', '7 middle', '8 c1', '9 after']);
  } finally {
    await stop();
  }
});

test('a kafkajs consumer with readUncommitted: true sees every data record and no control record', async () => {
  await fill('ru-kafkajs');
  const { seen, stop } = await kafkajsConsumer('ru-kafkajs', true);
  try {
    await waitFor(() => seen.includes('9 after'), 'every record');
    expect(seen).toEqual(['0 before', '1 a1', '2 a2', '3 b1', '5 b2', '7 middle', '8 c1', '9 after']);
  } finally {
    await stop();
  }
});

test('rill consume --isolation read_committed prints the committed records; read_uncommitted every data record, never a marker', async () => {
  await fill('rc-cli');
  const consume = async (isolation: string) => {
    const io = fakeIO('');
    const code = await runConsume(['--topic', 'rc-cli', '--from-beginning', '--exit-at-end', '--isolation', isolation, '--bootstrap', c.bootstrap], io);
    return { code, lines: io.out().trim().split('\n'), err: io.err() };
  };
  expect(await consume('read_committed')).toEqual({ code: 0, lines: ['before', 'a1', 'a2', 'middle'], err: 'Consumed 4 record(s).\n' });
  expect(await consume('read_uncommitted')).toEqual({
    code: 0,
    lines: ['before', 'a1', 'a2', 'b1', 'b2', 'middle', 'c1', 'after'],
    err: 'Consumed 8 record(s).\n',
  });
  const bad = await consume('snapshot');
  expect(bad.code).not.toBe(0);
  expect(bad.err).toContain('--isolation must be read_committed or read_uncommitted');
});

test("Rill's own Consumer: read_committed never delivers aborted records nor records past the last stable offset", async () => {
  await fill('rc-consumer');
  const committed = new Consumer(c.broker, { isolationLevel: 'read_committed', fetchMaxWaitMs: 20 });
  try {
    await committed.assign([{ topic: 'rc-consumer', partition: 0 }]);
    await committed.seek({ topic: 'rc-consumer', partition: 0 }, 'earliest');
    const out: string[] = [];
    while (out.length < 4) for (const r of await committed.poll(100, 1000)) out.push(String(r.value));
    expect(out).toEqual(['before', 'a1', 'a2', 'middle']);
    // Nothing past the open transaction until its marker is written; then the rest.
    expect(committed.position({ topic: 'rc-consumer', partition: 0 })).toBe(7 + 1);
    await endOpenTransaction('rc-consumer', false);
    while (out.length < 5) for (const rec of await committed.poll(100, 1000)) out.push(String(rec.value));
    expect(out).toEqual(['before', 'a1', 'a2', 'middle', 'after']);
  } finally {
    await committed.close();
  }
});
