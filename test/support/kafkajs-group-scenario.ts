// A group-based application on the kafkajs LogClient, against any Kafka-compatible
// broker: two RillStreams instances subscribe (kafkajs consumer groups, the
// co-partitioned assigner) and split the input partitions between them, the
// counts stay exact, and when one stops the other takes its tasks over. Used
// against `rill broker` (test/core/client/kafkajs) and Apache Kafka (test/peers).
// Every wait is on an event or a promise, bounded.
import { kafkaLogClient, type KafkaLogClient } from '../../core/client';
import { memoryLogger, RillStreams } from '../../dsl';
import { LINES, wordCountTopology } from '../../examples/wordcount/topology';
import { type RebalanceWaits, rebalanceWaits } from './rebalance-waits';

const APP = 'wc-kafkajs';
const PARTITIONS = 4;
const WAIT_MS = 30_000;
/** kafkajs learns of a rebalance at its next heartbeat: heartbeat often. */
const GROUP = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 100, rebalanceTimeoutMs: 5_000 };

/** Declares the scenario's test; `bootstrap` is the broker's "host:port" (known once the suite's beforeAll ran). */
export function twoInstanceGroupScenario(bootstrap: () => string, timeoutMs = 90_000): void {
  const clients: KafkaLogClient[] = [];
  const apps: RillStreams[] = [];
  afterAll(async () => {
    for (const a of apps) await a.stop().catch(() => undefined);
    for (const c of clients) await c.close().catch(() => undefined);
  });

  function client(name: string): KafkaLogClient {
    const c = kafkaLogClient({ brokers: [bootstrap()], clientId: `${APP}-${name}` });
    clients.push(c);
    return c;
  }

  function instance(name: string, events: RebalanceWaits): RillStreams {
    const app = new RillStreams(wordCountTopology(APP), {
      log: client(name),
      logger: memoryLogger(),
      onRebalance: events.notify,
      commitIntervalMs: 50,
      group: GROUP,
    });
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
  async function caughtUp(admin: KafkaLogClient, instances: RillStreams[]): Promise<void> {
    for (let round = 0; round < 20; round++) {
      await Promise.all(instances.map((i) => i.waitUntilCaughtUp()));
      let behind = false;
      for (const topic of [LINES, `${APP}-word-counts-repartition`]) {
        const committed = await admin.committedOffsets(APP, topic);
        for (const e of await admin.offsets(topic)) if (e.end > 0 && (committed.get(e.partition) ?? -1) < e.end) behind = true;
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

  test(
    'two instances on the kafkajs client split the partitions through the group, and one takes over when the other stops',
    async () => {
      const admin = client('test');
      await admin.ensureTopics([{ name: LINES, partitions: PARTITIONS }]);
      const events = rebalanceWaits(WAIT_MS);
      const a = instance('a', events);
      const b = instance('b', events);
      await a.start();
      await b.start();
      await events.until('a 2 + 2 split', () => a.assignedPartitions.length === 2 && b.assignedPartitions.length === 2);
      expect(new Set([...a.assignedPartitions, ...b.assignedPartitions]).size).toBe(PARTITIONS);

      const { records, counts } = lines(40);
      const producer = admin.producer();
      await producer.sendBatch(
        LINES,
        records.map((r) => ({ key: null, value: Buffer.from(r.value), timestamp: Date.now(), partition: r.partition })),
      );
      await producer.close();
      await caughtUp(admin, [a, b]);
      // Every count complete and hosted by one instance (nothing read twice while the group was stable).
      expect(await countsOf([a, b], counts.keys())).toEqual(counts);

      await b.stop();
      await events.until('a to own every partition', () => a.assignedPartitions.length === PARTITIONS);
      await caughtUp(admin, [a]);
      // b's counts came to a through their changelogs (or were counted again from b's last commit: at-least-once).
      const after = await countsOf([a], counts.keys());
      for (const [w, n] of counts) expect(after.get(w)).toBeGreaterThanOrEqual(n);
    },
    timeoutMs,
  );
}
