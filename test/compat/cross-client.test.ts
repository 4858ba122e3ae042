// Records produced by each real client (kafkajs, kcat, @platformatic/kafka) are
// read back exactly by the others, in both modes; @platformatic/kafka reads as
// a group member and commits what it read.
import * as path from 'node:path';
import { run } from '../core/protocol/children';
import { describeModes } from './modes';
import { bootstrapOf, createTopics } from './targets';

interface Rec {
  key: string;
  value: string;
  headers: Record<string, string>;
}

const PLATFORMATIC = path.join(__dirname, '../core/protocol/platformatic-client.mjs');
const records = (origin: string): Rec[] =>
  Array.from({ length: 12 }, (_, i) => ({ key: `${origin}-k${i}`, value: `${origin} value ${i} ✓`, headers: { origin } }));
const sorted = (recs: Rec[]) => [...recs].sort((a, b) => a.key.localeCompare(b.key));

describeModes('cross-client', ({ target, kafka, test }) => {
  const bootstrap = () => bootstrapOf(target()).join(',');

  // ---------------------------------------------------------------- the three clients, each as producer and reader

  async function kafkajsProduce(topic: string, recs: Rec[]): Promise<void> {
    const producer = kafka().producer();
    await producer.connect();
    try {
      await producer.send({ topic, messages: recs });
    } finally {
      await producer.disconnect();
    }
  }

  async function kafkajsRead(topic: string, count: number): Promise<Rec[]> {
    const consumer = kafka().consumer({ groupId: `kafkajs-reads-${topic}`, maxWaitTimeInMs: 100 });
    const got: Rec[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
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
    } finally {
      await consumer.disconnect();
    }
    return got;
  }

  async function kcatProduce(topic: string, recs: Rec[]): Promise<void> {
    // kcat -H sets the same headers on every record; all records of one origin share them.
    const headers = Object.entries(recs[0].headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
    const r = await run('kcat', ['-b', bootstrap(), '-P', '-t', topic, '-K', '\t', ...headers], {
      input: recs.map((r) => `${r.key}\t${r.value}`).join('\n') + '\n',
    });
    expect(r.code).toBe(0);
  }

  async function kcatRead(topic: string, count: number): Promise<Rec[]> {
    const r = await run('kcat', ['-b', bootstrap(), '-C', '-t', topic, '-o', 'beginning', '-c', String(count), '-q', '-f', '%k\t%s\t%h\n']);
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
    const r = await run('node', [PLATFORMATIC, 'produce', bootstrap(), topic, JSON.stringify(recs)]);
    if (r.code !== 0) throw new Error(`platformatic produce failed: ${r.stderr}`);
  }

  /** Reads `count` records of `topic` as a member of a group of its own, which must then have committed them all. */
  async function platformaticRead(topic: string, count: number): Promise<Rec[]> {
    const groupId = `platformatic-reads-${topic}`;
    const r = await run('node', [PLATFORMATIC, 'consume', bootstrap(), topic, groupId, String(count)]);
    if (r.code !== 0) throw new Error(`platformatic consume failed: ${r.stderr}`);
    const admin = kafka().admin();
    await admin.connect();
    try {
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain(groupId);
      // The client awaited its commit before it exited, so the offset is there now.
      const [{ partitions }] = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(partitions).toEqual([{ partition: 0, offset: String(count), metadata: null }]);
    } finally {
      await admin.disconnect();
    }
    return r.stdout
      .trim()
      .split('\n')
      .map((l) => {
        const { key, value, headers } = JSON.parse(l);
        return { key, value, headers };
      });
  }

  const clients = {
    kafkajs: { produce: kafkajsProduce, read: kafkajsRead },
    kcat: { produce: kcatProduce, read: kcatRead },
    platformatic: { produce: platformaticProduce, read: platformaticRead },
  };
  const names = Object.keys(clients) as (keyof typeof clients)[];

  /** Each producer writes its records once (in whichever of its tests runs first); every reader reads those. */
  const produced = new Map<keyof typeof clients, Promise<void>>();
  const producedBy = (producer: keyof typeof clients, topic: string, sent: Rec[]): Promise<void> => {
    if (!produced.has(producer))
      produced.set(
        producer,
        createTopics(target(), kafka(), [{ topic, numPartitions: 1 }]).then(() => clients[producer].produce(topic, sent)),
      );
    return produced.get(producer)!;
  };

  for (const producer of names) {
    const topic = `from-${producer}`;
    const sent = records(producer);
    for (const reader of names) {
      test(`records produced by ${producer} are read back exactly by ${reader}`, async () => {
        await producedBy(producer, topic, sent);
        expect(sorted(await clients[reader].read(topic, sent.length))).toEqual(sorted(sent));
      });
    }
  }
});
