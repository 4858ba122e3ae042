// A group-based application on the kafkajs LogClient: two RillStreams
// instances subscribe (kafkajs consumer groups, the co-partitioned assigner)
// and split the input partitions between them, the counts stay exact, and
// when one stops the other takes its tasks over. The broker is Rill's own
// Kafka front end (what `rill broker` serves) on port 0: no external Kafka
// runs in the test suite. Every wait is on an event or a promise, bounded.
import { Rill, kafkaLogClient, type KafkaLogClient } from '../../../../core/client';
import { KafkaServer } from '../../../../core/protocol';
import { memoryLogger, RillStreams } from '../../../../dsl';
import { LINES, wordCountTopology } from '../../../../examples/wordcount/topology';
import { rebalanceWaits, type RebalanceWaits } from '../../../support/rebalance-waits';
import { tempDirs } from '../../../support/tmp-dir';

const dirs = tempDirs('kafkajs-group');
const APP = 'wc-kafkajs';
const PARTITIONS = 4;
const WAIT_MS = 30_000;
/** kafkajs learns of a rebalance at its next heartbeat: heartbeat often. */
const GROUP = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 100, rebalanceTimeoutMs: 5_000 };

let rill: Rill;
let server: KafkaServer;
const clients: KafkaLogClient[] = [];
const apps: RillStreams[] = [];

beforeAll(async () => {
  rill = Rill.open({ dir: dirs.make(), groups: { minSessionTimeoutMs: 100 }, groupTickIntervalMs: 20 });
  server = await KafkaServer.start({ broker: rill.broker, port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  for (const a of apps) await a.stop().catch(() => undefined);
  for (const c of clients) await c.close().catch(() => undefined);
  await server?.close(2000);
  await rill?.close();
  dirs.removeAll();
});

function instance(name: string, events: RebalanceWaits): RillStreams {
  const client = kafkaLogClient({ brokers: [`127.0.0.1:${server.port}`], clientId: `${APP}-${name}` });
  clients.push(client);
  const app = new RillStreams(wordCountTopology(APP), { log: client, logger: memoryLogger(), onRebalance: events.notify, commitIntervalMs: 50, group: GROUP });
  apps.push(app);
  return app;
}

/** The words of `n` lines over every input partition, and how often each occurs. */
function lines(n: number): { records: { value: string; partition: number }[]; counts: Map<string, number> } {
  const vocabulary = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
  const counts = new Map<string, number>();
  const records = [];
  for (let i = 0; i < n; i++) {
    const words = [vocabulary[i % 6], vocabulary[(i * 5 + 1) % 6]];
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    records.push({ value: words.join(' '), partition: i % PARTITIONS });
  }
  return { records, counts };
}

/** Every input and repartition record processed and committed (one instance's repartition writes may give the other more to do). */
async function caughtUp(instances: RillStreams[]): Promise<void> {
  for (let round = 0; round < 20; round++) {
    await Promise.all(instances.map((i) => i.waitUntilCaughtUp()));
    let behind = false;
    for (const topic of [LINES, `${APP}-word-counts-repartition`]) {
      const committed = await rill.admin.fetchOffsets(APP, topic);
      for (const e of await rill.admin.fetchTopicOffsets(topic)) if (e.highWatermark > 0 && (committed.find((c) => c.partition === e.partition)?.offset ?? -1) < e.highWatermark) behind = true;
    }
    if (!behind) return;
  }
  throw new Error('the group did not catch up');
}

/** Each word's count, from the one instance that hosts it. */
async function countsOf(instances: RillStreams[], words: Iterable<string>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const w of words) {
    const answers = (await Promise.all(instances.map((a) => a.queryKey<string, number>('word-counts', w)))).filter((r) => r.hosted);
    expect(answers).toHaveLength(1);
    const r = answers[0];
    if (r.hosted && r.value !== undefined) out.set(w, r.value);
  }
  return out;
}

test('two instances on the kafkajs client split the partitions through the group, and one takes over when the other stops', async () => {
  await rill.admin.createTopics([{ name: LINES, partitions: PARTITIONS }]);
  const events = rebalanceWaits(WAIT_MS);
  const a = instance('a', events);
  const b = instance('b', events);
  await a.start();
  await b.start();
  await events.until('a 2 + 2 split', () => a.assignedPartitions.length === 2 && b.assignedPartitions.length === 2);
  expect(new Set([...a.assignedPartitions, ...b.assignedPartitions]).size).toBe(PARTITIONS);

  const { records, counts } = lines(40);
  await rill.producer().send(LINES, records);
  await caughtUp([a, b]);
  // Every count complete and hosted by one instance (nothing read twice while the group was stable).
  expect(await countsOf([a, b], counts.keys())).toEqual(counts);

  await b.stop();
  await events.until('a to own every partition', () => a.assignedPartitions.length === PARTITIONS);
  await caughtUp([a]);
  // b's counts came to a through their changelogs (or were counted again from b's last commit: at-least-once).
  const after = await countsOf([a], counts.keys());
  for (const [w, n] of counts) expect(after.get(w)).toBeGreaterThanOrEqual(n);
}, 90_000);
