// Records produced by each real client (kafkajs, kcat, @platformatic/kafka) are
// read back exactly by the others, through one `rill` Kafka server.
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { killAll, run } from './children';
import { startTestCluster, TestCluster } from './harness';

let cluster: TestCluster;
let kafka: Kafka;

interface Rec {
  key: string;
  value: string;
  headers: Record<string, string>;
}

const PLATFORMATIC = path.join(__dirname, 'platformatic-client.mjs');
const records = (origin: string): Rec[] => Array.from({ length: 12 }, (_, i) => ({ key: `${origin}-k${i}`, value: `${origin} value ${i} ✓`, headers: { origin } }));

beforeAll(async () => {
  cluster = await startTestCluster();
  kafka = new Kafka({ clientId: 'cross', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
});

afterAll(async () => {
  killAll();
  await cluster.stop();
});

// ---------------------------------------------------------------- the three clients, each as producer and reader

async function kafkajsProduce(topic: string, recs: Rec[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: recs });
  await producer.disconnect();
}

async function kafkajsRead(topic: string, count: number): Promise<Rec[]> {
  const consumer = kafka.consumer({ groupId: `kafkajs-reads-${topic}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: Rec[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kafkajs read only ${got.length} of ${count}`)), 20000);
    consumer
      .run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          got.push({ key: message.key!.toString(), value: message.value!.toString(), headers });
          if (got.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return got;
}

async function kcatProduce(topic: string, recs: Rec[]): Promise<void> {
  // kcat -H sets the same headers on every record; all records of one origin share them.
  const headers = Object.entries(recs[0].headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const r = await run('kcat', ['-b', cluster.bootstrap, '-P', '-t', topic, '-K', '\t', ...headers], { input: recs.map((r) => `${r.key}\t${r.value}`).join('\n') + '\n' });
  expect(r.code).toBe(0);
}

async function kcatRead(topic: string, count: number): Promise<Rec[]> {
  const r = await run('kcat', ['-b', cluster.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-c', String(count), '-q', '-f', '%k\t%s\t%h\n']);
  expect(r.code).toBe(0);
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [key, value, h] = line.split('\t');
      const headers: Record<string, string> = {};
      for (const kv of h ? h.split(',') : []) {
        const [k, v] = kv.split('=');
        headers[k] = v;
      }
      return { key, value, headers };
    });
}

async function platformaticProduce(topic: string, recs: Rec[]): Promise<void> {
  const r = await run('node', [PLATFORMATIC, 'produce', cluster.bootstrap, topic, JSON.stringify(recs)]);
  if (r.code !== 0) throw new Error(`platformatic produce failed: ${r.stderr}`);
}

async function platformaticRead(topic: string, count: number): Promise<Rec[]> {
  const r = await run('node', [PLATFORMATIC, 'consume', cluster.bootstrap, topic, `platformatic-reads-${topic}`, String(count)]);
  if (r.code !== 0) throw new Error(`platformatic consume failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => {
      const { key, value, headers } = JSON.parse(l);
      return { key, value, headers };
    });
}

const sorted = (recs: Rec[]) => [...recs].sort((a, b) => a.key.localeCompare(b.key));

const clients = {
  kafkajs: { produce: kafkajsProduce, read: kafkajsRead },
  kcat: { produce: kcatProduce, read: kcatRead },
  platformatic: { produce: platformaticProduce, read: platformaticRead },
};

describe.each(Object.keys(clients) as (keyof typeof clients)[])('records produced by %s', (producer) => {
  const topic = `from-${producer}`;
  const sent = records(producer);

  beforeAll(async () => {
    cluster.broker.createTopic({ name: topic, partitions: 1 });
    await clients[producer].produce(topic, sent);
  });

  for (const reader of Object.keys(clients) as (keyof typeof clients)[]) {
    test(`are read back exactly by ${reader}`, async () => {
      expect(sorted(await clients[reader].read(topic, sent.length))).toEqual(sorted(sent));
    });
  }
});

test('@platformatic/kafka consumes with a group and commits its offsets', async () => {
  await kafkajsProduce('platformatic-group', records('pg'));
  const got = await platformaticRead('platformatic-group', 12);
  expect(sorted(got)).toEqual(sorted(records('pg')));
  const described = cluster.broker.listGroups().map((g) => g.groupId);
  expect(described).toContain('platformatic-reads-platformatic-group');
});
