// `rill worker` rides out the death of a broker: a 3-node cluster (each node
// a controller and a broker in one process), one worker running the wordcount
// example on replication-factor-3 topics. Text is counted; the node leading
// the input's partition 0 is killed with SIGKILL; more text arrives; the
// worker re-resolves the leaders, keeps running and counts it. The node comes
// back; then the node coordinating the application's group is killed, and the
// same holds. At-least-once: no count is below the truth (a count above it is
// allowed, after a replay of uncommitted work).
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { useProcessCluster, STARTUP_BUDGET_MS } from '../core/cluster/process/process-cluster';
import { CliProcs, committedToEnd, workerArgs } from './worker-procs';

const IDS = [1, 2, 3];
const APP = 'wordcount';
const LINES = 'text-lines';
const COUNTS = 'word-counts';
const REPARTITION = 'wordcount-word-counts-repartition';
const CHANGELOG = 'wordcount-word-counts-changelog';
const PARTITIONS = 3;
const DEADLINE_MS = 180_000;
const VOCABULARY = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu', 'nu', 'xi'];

/** Lines of words over every partition, and the words' counts. */
function text(n: number, seed: number): { lines: { value: string; partition: number }[]; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  const lines = [];
  for (let i = 0; i < n; i++) {
    const words = [0, 1, 2].map((j) => VOCABULARY[(i * 5 + j * 3 + seed * 7) % VOCABULARY.length]);
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    lines.push({ value: words.join(' '), partition: i % PARTITIONS });
  }
  return { lines, counts };
}

describe('rill worker across a kill -9 of a broker', () => {
  const cli = new CliProcs();
  const clients: { disconnect(): Promise<void> }[] = [];
  // Declared first, so they run before the cluster's processes are killed (afterAll hooks run in order).
  afterAll(async () => {
    for (const c of clients) await c.disconnect().catch(() => undefined);
    await cli.killAll();
  });
  const clusterOf = useProcessCluster(
    'rill-worker-broker-failover-',
    IDS,
    IDS,
    // The controllers fence a silent broker after 18 s (Kafka's default is 9 s; a controller failover adds more):
    // leaders and the coordinator stay on the dead node until then, and the worker must wait it out.
    ['--broker-session-timeout-ms', '18000', '--worker-session-timeout-ms', '6000'],
    ['--replica-lag-time-max-ms', '4000'],
  );

  it(
    're-resolves leaders and the group coordinator, keeps running and loses no count',
    async () => {
      const cluster = clusterOf();
      await cluster.allocatePorts();
      await Promise.all(IDS.map((id) => cluster.startCombined(id)));
      const deadline = Date.now() + DEADLINE_MS;
      for (const id of IDS) await cluster.waitForBrokers(id, IDS.length, deadline);

      const kafka = new Kafka({
        clientId: 'worker-failover-test',
        brokers: IDS.map((id) => cluster.bootstrap(id)),
        logLevel: logLevel.NOTHING,
        retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      const admin: Admin = kafka.admin();
      await admin.connect();
      clients.push(admin);
      await admin.createTopics({
        topics: [{ topic: LINES, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      });
      await cluster.waitForPartition(LINES, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);

      const worker = cli.start(
        'w1',
        workerArgs(
          {
            app: APP,
            pipeline: 'examples/wordcount/pipeline.ts',
            controllers: cluster.controllersArg,
            brokers: IDS.map((id) => cluster.bootstrap(id)).join(','),
            workerId: 'w1',
          },
          ['--replication-factor', '3'],
        ),
      );
      await cli.until('the worker to own every task', deadline, () => cli.tasks('w1')?.length === PARTITIONS);

      const allCounted = async () => {
        try {
          return (await committedToEnd(admin, APP, LINES)) && (await committedToEnd(admin, APP, REPARTITION));
        } catch {
          return false; // a broker is being fenced: ask again
        }
      };
      const expected = new Map<string, number>();
      let producer: Producer | undefined;
      const produce = async (n: number, seed: number) => {
        const t = text(n, seed);
        for (const [w, c] of t.counts) expected.set(w, (expected.get(w) ?? 0) + c);
        producer ??= kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
        await producer.connect();
        clients.push(producer);
        await producer.send({ topic: LINES, acks: -1, messages: t.lines });
      };
      /** The controllers fenced the dead node: no partition of the input is led by it any more (the worker waited all along). */
      const movedAway = (dead: number) =>
        cli.until(
          `the input's leaders to move off node ${dead}`,
          deadline,
          async () => {
            try {
              const m = await admin.fetchTopicMetadata({ topics: [LINES] });
              return m.topics[0].partitions.every((p) => p.leader !== dead && p.leader >= 0);
            } catch {
              return false;
            }
          },
          200,
        );
      const alive = () => worker.child.exitCode === null && worker.child.signalCode === null;

      await produce(120, 1);
      await cli.until('the first text to be counted', deadline, allCounted, 200);

      // 1. The leader of the input's partition 0 dies.
      const leader = (await cluster.waitForPartition(LINES, deadline, (p) => p.leaderId > 0)).leaderId;
      await cluster.kill(`n${leader}`);
      await movedAway(leader);
      await produce(90, 2);
      await cli.until('the text produced after the leader died to be counted', deadline, async () => {
        if (!alive()) throw new Error(`the worker exited\n${cli.dump()}`);
        return allCounted();
      });

      // 2. The node comes back; the group's coordinator dies.
      await cluster.startCombined(leader);
      for (const id of IDS) await cluster.waitForBrokers(id, IDS.length, deadline);
      await cli.until(
        'every partition to be fully replicated again',
        deadline,
        async () => {
          try {
            const m = await admin.fetchTopicMetadata({ topics: [LINES, REPARTITION, CHANGELOG, COUNTS, '__consumer_offsets'] });
            return m.topics.every((t) => t.partitions.every((p) => p.isr.length === IDS.length));
          } catch {
            return false;
          }
        },
        200,
      );
      const coordinator = await cluster.waitForCoordinator(APP, deadline);
      await cluster.kill(`n${coordinator}`);
      await movedAway(coordinator);
      await produce(90, 3);
      await cli.until('the text produced after the coordinator died to be counted', deadline, async () => {
        if (!alive()) throw new Error(`the worker exited\n${cli.dump()}`);
        return allCounted();
      });
      expect(alive()).toBe(true);
      // It backed off while it waited: no listener leak from piled-up retries.
      expect(worker.err.filter((l) => l.includes('MaxListenersExceededWarning'))).toEqual([]);

      // The output: the latest count of every word is at least the truth.
      const ends = await admin.fetchTopicOffsets(COUNTS);
      const total = ends.reduce((s, e) => s + Number(e.high), 0);
      const latest = new Map<string, number>();
      const reader = kafka.consumer({ groupId: 'reader', maxWaitTimeInMs: 100 });
      clients.push(reader);
      await reader.connect();
      await reader.subscribe({ topic: COUNTS, fromBeginning: true });
      let read = 0;
      await reader.run({
        eachMessage: async ({ message }) => {
          latest.set(message.key!.toString(), JSON.parse(message.value!.toString()) as number);
          read++;
        },
      });
      await cli.until(`all ${total} count updates to be read back`, deadline, () => read >= total);
      const short = [...expected].filter(([w, n]) => (latest.get(w) ?? 0) < n).map(([w, n]) => `${w}: ${latest.get(w) ?? 0} < ${n}`);
      expect(short).toEqual([]);
    },
    STARTUP_BUDGET_MS + DEADLINE_MS,
  );
});
