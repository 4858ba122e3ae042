// kill -9 of the transaction coordinator's broker in the middle of a commit, on
// a real cluster (3 controllers and 3 brokers, each its own process). A kafkajs
// transactional producer writes to every partition of a replicated topic
// (replication factor 3) and of a topic with one replica per partition, plus a
// group's offsets. Before its commit, broker X, the only replica of one of
// those partitions (and not the coordinator), is killed: the coordinator
// writes PrepareCommit (acknowledged: EndTxn succeeds) and the markers it can,
// but X's partition cannot get its marker. That is the commit half done. Then
// the coordinator's broker is killed with SIGKILL and X restarted (then the
// old coordinator's broker too, which holds partitions of its own): the broker
// that now leads the transactional id's `__transaction_state` partition
// reloads PrepareCommit and finishes the commit. Read_committed readers of
// every partition then agree (all of the transaction, nowhere a part), the
// group's offsets are committed, and the producer goes on through the new
// coordinator, once every replica is back in sync (see the note at its last
// transaction). Every wait is bounded and polls for a condition.
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { readPartitionAs } from '../../../compat/partition-view';
import { STARTUP_BUDGET_MS, timeline, useProcessCluster, type ProcessCluster } from './process-cluster';

const IDS = [1, 2, 3];
const REPLICATED = 'txn-replicated';
const SINGLE = 'txn-single';
const PARTITIONS = 3;
const GROUP = 'txn-kill-group';
const TXN_ID = 'txn-kill';
const BUDGET_MS = 90_000;

describe('kill -9 of the transaction coordinator mid-commit on a 3-broker cluster', () => {
  const clusterOf = useProcessCluster('rill-cluster-txn-', IDS, IDS, ['--broker-session-timeout-ms', '2500'], ['--replica-lag-time-max-ms', '4000']);
  let producer: Producer | undefined;
  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
  });

  it(
    'the new coordinator completes the commit on every partition; read_committed readers agree; the producer goes on',
    async () => {
      const cluster = clusterOf();
      const { phase, phases } = timeline();
      /** kafkajs's warnings and errors (its retries), for a failure message. */
      const clientLog: string[] = [];
      try {
        await cluster.allocatePorts();
        await Promise.all(IDS.map((id) => cluster.startController(id)));
        await Promise.all(IDS.map((id) => cluster.startBroker(id)));
        const deadline = Date.now() + BUDGET_MS;
        for (const id of IDS) await cluster.waitForBrokers(id, IDS.length, deadline);
        phase('cluster up');
        const kafka = new Kafka({
          clientId: 'txn-kill',
          brokers: IDS.map((id) => cluster.bootstrap(id)),
          logLevel: logLevel.WARN,
          logCreator: () => (entry) => {
            clientLog.push(
              `${entry.log.timestamp} ${entry.namespace} ${entry.log.message} ${JSON.stringify({ ...entry.log, message: undefined, timestamp: undefined })}`,
            );
            if (clientLog.length > 200) clientLog.shift();
          },
          retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
        });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({
          topics: [
            { topic: REPLICATED, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
            { topic: SINGLE, numPartitions: PARTITIONS, replicationFactor: 1 },
          ],
          waitForLeaders: true,
        });
        // The group's coordinator first: it creates __consumer_offsets (kafkajs's sendOffsets does not wait for it).
        await until(
          deadline,
          async () => (await admin.fetchOffsets({ groupId: GROUP, topics: [REPLICATED] }).catch(() => undefined)) !== undefined,
          'a group coordinator',
        );

        producer = kafka.producer({ transactionalId: TXN_ID, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000, metadataMaxAge: 500 });
        await producer.connect();
        await transaction(producer, 'first', 1);
        const coordinator = await coordinatorOf(cluster, deadline);
        const singleLeaders = await leadersOf(cluster, SINGLE, deadline);
        const victim = IDS.find((id) => id !== coordinator && singleLeaders.includes(id));
        if (victim === undefined) throw new Error(`no broker but the coordinator ${coordinator} leads a partition of ${SINGLE}: ${singleLeaders}`);
        phase(`first transaction committed; coordinator ${coordinator}, broker ${victim} leads ${SINGLE}-${singleLeaders.indexOf(victim)}`);

        // The second transaction: its records everywhere, then its only-replica broker dies before the commit.
        const txn = await producer.transaction();
        await txn.send({ topic: REPLICATED, acks: -1, messages: records('mid') });
        await txn.send({ topic: SINGLE, acks: -1, messages: records('mid') });
        await txn.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: REPLICATED, partitions: [{ partition: 0, offset: '2' }] }] });
        await cluster.kill(`b${victim}`);
        phase(`broker ${victim} killed`);
        await txn.commit();
        phase('EndTxn answered: PrepareCommit is durable');
        // Half done: the replicated partitions get their markers; the dead broker's cannot.
        await until(
          deadline,
          async () => (await committedValues(cluster, REPLICATED, deadline)).every((values, p) => values.includes(`mid-${p}`)),
          'the markers on the replicated partitions',
        );
        phase('replicated partitions committed');

        await cluster.kill(`b${coordinator}`);
        phase(`coordinator ${coordinator} killed`);
        await cluster.startBroker(victim);
        phase(`broker ${victim} restarted`);
        // The killed coordinator is the only replica of a partition of SINGLE too: it comes back, as a follower of the state partition it led.
        await cluster.startBroker(coordinator);
        phase(`broker ${coordinator} restarted`);
        await until(
          deadline,
          async () => (await committedValues(cluster, SINGLE, deadline)).every((values, p) => values.includes(`mid-${p}`)),
          `the markers on ${SINGLE}, written by the new coordinator`,
        );
        phase('every partition committed');
        for (const topic of [REPLICATED, SINGLE]) expect(await committedValues(cluster, topic, deadline)).toEqual(expectedValues(['first', 'mid']));
        const offsets = await admin.fetchOffsets({ groupId: GROUP, topics: [REPLICATED] });
        expect(offsets[0].partitions.find((p) => p.partition === 0)?.offset).toBe('2');

        // The producer goes on: its next transaction goes to the new coordinator. First the cluster settles (every
        // replica back in sync), and the producer's metadata is refreshed (metadataMaxAge): kafkajs 2.2's produce
        // retry after NOT_LEADER from a broker with stale leadership can skip a partition or give a record a second
        // sequence number (it resends while its first request to another broker is in flight): its own bug (tulios/kafkajs#1303, #1798).
        await until(deadline, () => inSync(cluster), 'every partition with its full ISR');
        await transaction(producer, 'after', 3);
        phase('a transaction after the failover committed');
        for (const topic of [REPLICATED, SINGLE]) {
          await until(
            deadline,
            async () => (await committedValues(cluster, topic, deadline)).every((values, p) => values.includes(`after-${p}`)),
            `the last transaction's markers on ${topic}`,
          );
          expect(await committedValues(cluster, topic, deadline)).toEqual(expectedValues(['first', 'mid', 'after']));
        }
        expect((await admin.fetchOffsets({ groupId: GROUP, topics: [REPLICATED] }))[0].partitions.find((p) => p.partition === 0)?.offset).toBe('3');
        await admin.disconnect();
      } catch (e) {
        const stored = await describePartitions(cluster).catch((x: unknown) => `(partitions unreadable: ${(x as Error).message})`);
        const notable = [...cluster.output].flatMap(([k, lines]) =>
          lines.filter((l) => /idempotent|sequence|refused|fenced|truncated|txn-replicated-[01]/i.test(l)).map((l) => `${k} ${l}`),
        );
        throw new Error(
          `${(e as Error).message}\n${phases.join('\n')}\n${stored}\n--- kafkajs\n${clientLog.join('\n')}\n--- notable (broker ports ${[...cluster.brokerPorts].map(([id, port]) => `${id}:${port}`)})\n${notable.join('\n')}\n${cluster.dump()}`,
        );
      }
    },
    STARTUP_BUDGET_MS + BUDGET_MS + 20_000,
  );
});

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it holds; throws at the deadline. */
async function until(deadline: number, check: () => Promise<boolean>, what: string): Promise<void> {
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(100);
  }
}

/** One record per partition: `<phase>-<partition>`. */
const records = (phase: string) => Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: `${phase}-${partition}` }));
const expectedValues = (phases: string[]) => Array.from({ length: PARTITIONS }, (_, p) => phases.map((phase) => `${phase}-${p}`));

/** A whole transaction: a record on every partition of both topics and the group's offset, committed. */
async function transaction(producer: Producer, phase: string, offset: number): Promise<void> {
  const txn = await producer.transaction();
  await txn.send({ topic: REPLICATED, acks: -1, messages: records(phase) });
  await txn.send({ topic: SINGLE, acks: -1, messages: records(phase) });
  await txn.sendOffsets({ consumerGroupId: GROUP, topics: [{ topic: REPLICATED, partitions: [{ partition: 0, offset: String(offset) }] }] });
  await txn.commit();
}

/** The node that coordinates TXN_ID, as a live broker names it. */
async function coordinatorOf(cluster: ProcessCluster, deadline: number): Promise<number> {
  let found = -1;
  await until(
    deadline,
    async () => {
      for (const id of IDS) {
        if (!cluster.isUp(`b${id}`)) continue;
        const c = await KafkaConnection.connect(cluster.bootstrap(id), { timeoutMs: 2000 });
        try {
          const r = await c.request<apis.FindCoordinatorResponse>(apis.findCoordinator, { key: TXN_ID, keyType: 1, coordinatorKeys: [TXN_ID] });
          const answer = c.versionFor(apis.findCoordinator) >= 4 ? r.coordinators[0] : r;
          if (answer.errorCode === 0) found = answer.nodeId;
          return answer.errorCode === 0;
        } finally {
          c.close();
        }
      }
      return false;
    },
    `the coordinator of ${TXN_ID}`,
  );
  return found;
}

/** The leader of each partition of `topic` (all of them led), as a live broker sees it. */
async function leadersOf(cluster: ProcessCluster, topic: string, deadline: number): Promise<number[]> {
  let leaders: number[] = [];
  await until(
    deadline,
    async () => {
      for (const id of IDS) {
        if (!cluster.isUp(`b${id}`)) continue;
        const partitions = (await cluster.metadata(id, topic))?.topics[0]?.partitions ?? [];
        leaders = [...partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => p.leaderId);
        if (leaders.length === PARTITIONS && leaders.every((l) => l > 0 && cluster.isUp(`b${l}`))) return true;
      }
      return false;
    },
    `live leaders of every partition of ${topic}`,
  );
  return leaders;
}

/** Whether every partition of both topics has a live leader and all its replicas in sync, as every live broker sees it. */
async function inSync(cluster: ProcessCluster): Promise<boolean> {
  for (const id of IDS) {
    if (!cluster.isUp(`b${id}`)) return false;
    for (const [topic, replicas] of [
      [REPLICATED, 3],
      [SINGLE, 1],
    ] as const) {
      const partitions = (await cluster.metadata(id, topic))?.topics[0]?.partitions ?? [];
      if (partitions.length !== PARTITIONS || partitions.some((p) => p.leaderId < 0 || p.isrNodes.length !== replicas)) return false;
    }
  }
  return true;
}

/** What a read_committed reader sees on each partition of `topic`, read from its leader. */
async function committedValues(cluster: ProcessCluster, topic: string, deadline: number): Promise<string[][]> {
  const leaders = await leadersOf(cluster, topic, deadline);
  return Promise.all(leaders.map(async (leader, p) => (await readPartitionAs(cluster.bootstrap(leader), topic, p, 'read_committed')).values));
}

/** For a failure message: what each partition's leader stores (data values and markers) and its offsets. */
async function describePartitions(cluster: ProcessCluster): Promise<string> {
  const lines: string[] = [];
  for (const topic of [REPLICATED, SINGLE]) {
    const leaders = await leadersOf(cluster, topic, Date.now() + 5000);
    for (const [p, leader] of leaders.entries()) {
      const all = await readPartitionAs(cluster.bootstrap(leader), topic, p, 'read_uncommitted');
      const committed = await readPartitionAs(cluster.bootstrap(leader), topic, p, 'read_committed');
      const markers = all.markers.map((m) => `${m.kind}(${m.producerId})`).join(' ');
      lines.push(
        `${topic}-${p} @${leader}: hw ${all.highWatermark} lso ${committed.lastStableOffset} [${all.values}] ${markers}; committed [${committed.values}]`,
      );
    }
  }
  return lines.join('\n');
}
