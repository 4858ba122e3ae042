// A kafkajs consumer group on a real Rill cluster (3 controllers and 3 brokers,
// each its own process) keeps its position when the broker coordinating the
// group is killed with SIGKILL: its committed offsets are in the replicated
// __consumer_offsets, the partition's new leader becomes the coordinator, the
// consumer rejoins there and continues from its committed offset instead of
// starting over from the beginning.
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { useProcessCluster, STARTUP_BUDGET_MS } from './process-cluster';

const IDS = [1, 2, 3];
const TOPIC = 'clicks';
const GROUP = 'click-counter';
const BEFORE = 20;
const AFTER = 10;
const DEADLINE_MS = 90_000;

describe('a kafkajs consumer group across a kill -9 of its coordinator', () => {
  let consumer: Consumer | undefined;
  /** kafkajs's own log lines, for the failure message. */
  let clientLog: string[] = [];

  // Declared first, so it runs before the cluster's processes are killed (afterAll hooks run in order).
  afterAll(async () => {
    await consumer?.disconnect().catch(() => {});
  });
  const clusterOf = useProcessCluster('rill-cluster-group-', IDS, IDS, ['--broker-session-timeout-ms', '2500'], ['--replica-lag-time-max-ms', '4000']);

  it(
    'continues from the committed offset, reading nothing twice',
    async () => {
      const cluster = clusterOf();
      let deadline = Date.now() + STARTUP_BUDGET_MS;
      const started = Date.now();
      const phases: string[] = [];
      const phase = (name: string) => phases.push(`${name} @${Date.now() - started}ms`);
      await cluster.allocatePorts();
      try {
        await Promise.all(IDS.map((id) => cluster.startController(id)));
        await Promise.all(IDS.map((id) => cluster.startBroker(id)));
        deadline = Date.now() + DEADLINE_MS;
        for (const id of IDS) await cluster.waitForBrokers(id, IDS.length, deadline);
        phase('brokers registered');

        const kafkaLog: string[] = [];
        const logCreator = () => (e: { level: number; log: { timestamp: string; message: string; [k: string]: unknown } }) => {
          const { timestamp, message, ...rest } = e.log;
          if (message.startsWith('Connection error')) return; // a killed broker's port, tried again and again
          kafkaLog.push(`${timestamp} ${message} ${JSON.stringify(rest)}`);
          if (kafkaLog.length > 200) kafkaLog.shift();
        };
        clientLog = kafkaLog;
        const kafka = new Kafka({
          clientId: 'group-failover-test',
          brokers: IDS.map((id) => cluster.bootstrap(id)),
          logLevel: logLevel.INFO,
          logCreator,
          retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
        });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({
          topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
        });
        await cluster.waitForPartition(TOPIC, deadline, (p) => p.leaderId > 0 && p.isrNodes.length === 3);
        const produce = async (from: number, count: number) => {
          const producer = kafka.producer({ allowAutoTopicCreation: false });
          await producer.connect();
          try {
            for (let i = from; i < from + count; i++) await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: `v${i}` }] });
          } finally {
            await producer.disconnect();
          }
        };
        await produce(0, BEFORE);
        phase('first records produced');

        // The consumer reads them and commits (kafkajs autocommits after each batch).
        const seen: { offset: number; value: string }[] = [];
        // kafkajs notices a dead coordinator only when its heartbeats have failed through all
        // its retries (then it restarts and looks the coordinator up again): short fetch waits
        // and few retries keep that to seconds.
        consumer = kafka.consumer({
          groupId: GROUP,
          sessionTimeout: 10_000,
          heartbeatInterval: 500,
          maxWaitTimeInMs: 250,
          retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 500 },
        });
        await consumer.connect();
        await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
        await consumer.run({ eachMessage: async ({ message }) => void seen.push({ offset: Number(message.offset), value: message.value!.toString() }) });
        const committed = async () => {
          const r = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] }).catch(() => undefined);
          return Number(r?.[0]?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
        };
        while ((await committed()) < BEFORE) {
          if (Date.now() >= deadline) throw new Error(`the group did not commit offset ${BEFORE} (read ${seen.length})`);
          await cluster.nextTick();
        }
        phase('offset committed');

        // Kill the coordinator; the offsets partition's new leader takes the group.
        const victim = await cluster.waitForCoordinator(GROUP, deadline);
        await cluster.kill(`b${victim}`);
        phase(`coordinator ${victim} killed`);
        const successor = await cluster.waitForCoordinator(GROUP, deadline, (id) => id !== victim);
        phase(`coordinator is now ${successor}`);

        // The consumer goes on from where it was (once kafkajs has restarted): new records arrive, old ones do not come again.
        await produce(BEFORE, AFTER);
        phase('more records produced');
        const last = `v${BEFORE + AFTER - 1}`;
        while (!seen.some((m) => m.value === last)) {
          if (Date.now() >= deadline) throw new Error(`the consumer did not read ${last} after the failover (read ${seen.map((m) => m.value).join(',')})`);
          await cluster.nextTick();
        }
        phase('read the records produced after the failover');
        const early = seen.filter((m) => m.offset < BEFORE).map((m) => m.offset);
        expect(early).toEqual([...Array(BEFORE).keys()]);
        while ((await committed()) < BEFORE + AFTER) {
          if (Date.now() >= deadline) throw new Error(`the group did not commit offset ${BEFORE + AFTER} at the new coordinator`);
          await cluster.nextTick();
        }
        await admin.disconnect();
      } catch (e) {
        throw new Error(`${(e as Error).message}\n${phases.join('\n')}\n${cluster.dump()}\n--- kafkajs\n${clientLog.slice(-60).join('\n')}`);
      }
    },
    STARTUP_BUDGET_MS + DEADLINE_MS + 20_000,
  );
});
