// Transactions on a 3-broker cluster in this process, driven by kafkajs: the
// coordinator found with FindCoordinator (key type 1) on the replicated
// __transaction_state, markers written at each partition's leader (here or over
// WriteTxnMarkers), transactional offsets committed at the group's coordinator;
// then the coordinator's broker stops mid-transaction and the new leader of its
// __transaction_state partition aborts the open transaction on its timeout.
import { Kafka, logLevel } from 'kafkajs';
import { protocolLogClient } from '../../../../core/client';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const DEADLINE_MS = 40_000;

describe('transactions on a cluster', () => {
  let cluster: InProcessCluster;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const bootstrap = () => IDS.map((id) => cluster.bootstrap(id));

  /** The batches of a partition as its current leader stores them (asking broker `via`): values, or 'COMMIT'/'ABORT'. */
  async function story(topic: string, partition: number, via = IDS[0]): Promise<(string | string[])[]> {
    const m = await cluster.metadata(via, [topic]);
    const leader = m.topics[0]?.partitions.find((p) => p.partitionIndex === partition)?.leaderId ?? -1;
    // A leader that just stopped (the metadata not moved on yet) shows nothing.
    return cluster.storedBatches(leader, topic, partition);
  }

  const coordinatorOf = (transactionalId: string): Promise<number> => cluster.transactionCoordinator(IDS[0], transactionalId);

  it(
    'commits records on two partitions and a group offset, then aborts an open transaction after its coordinator stops',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await cluster.allBrokersRegistered(deadline);
      const kafka = new Kafka({
        clientId: 'txn',
        brokers: bootstrap(),
        logLevel: logLevel.NOTHING,
        retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'out', numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true });
      await admin.createTopics({ topics: [{ topic: 'in', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true });

      // The group's coordinator first (it creates __consumer_offsets; kafkajs's sendOffsets does not wait for it).
      await until(
        deadline,
        async () => ((await admin.fetchOffsets({ groupId: 'wc', topics: ['in'] }).catch(() => undefined)) !== undefined ? true : undefined),
        'no coordinator for group wc',
      );
      const producer = kafka.producer({ transactionalId: 'tx-cluster', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 3000 });
      await producer.connect();
      const txn = await producer.transaction();
      await txn.send({
        topic: 'out',
        acks: -1,
        messages: [
          { partition: 0, value: 'a' },
          { partition: 1, value: 'b' },
        ],
      });
      await txn.sendOffsets({ consumerGroupId: 'wc', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '4' }] }] });
      await txn.commit();
      await until(deadline, async () => ((await story('out', 1)).length === 2 ? true : undefined), 'no marker on out-1');
      expect(await story('out', 0)).toEqual([['a'], 'COMMIT']);
      expect(await story('out', 1)).toEqual([['b'], 'COMMIT']);
      const offsets = await admin.fetchOffsets({ groupId: 'wc', topics: ['in'] });
      expect(offsets[0].partitions[0].offset).toBe('4');

      // An open transaction, and its coordinator's broker stops: the next leader of its partition aborts it on timeout.
      const open = await producer.transaction();
      await open.send({
        topic: 'out',
        acks: -1,
        messages: [
          { partition: 0, value: 'c' },
          { partition: 1, value: 'd' },
        ],
      });
      const coordinator = await coordinatorOf('tx-cluster');
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect();
      const live = IDS.find((id) => id !== coordinator)!;
      await cluster.restart(coordinator, async () => {
        await until(
          deadline,
          async () => ((await story('out', 0, live)).length === 4 && (await story('out', 1, live)).length === 4 ? true : undefined),
          'the open transaction was not aborted by the new coordinator',
        );
      });
      expect(await story('out', 0, live)).toEqual([['a'], 'COMMIT', ['c'], 'ABORT']);
      expect(await story('out', 1, live)).toEqual([['b'], 'COMMIT', ['d'], 'ABORT']);
    },
    DEADLINE_MS + 20_000,
  );

  it(
    "the Rill protocol client's transactional producer commits on three partitions (markers at each partition's leader)",
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await cluster.allBrokersRegistered(deadline);
      const client = protocolLogClient({ brokers: bootstrap(), clientId: 'txn-remote', brokerUnavailableTimeoutMs: 20_000 });
      try {
        await client.ensureTopics([{ name: 'remote-out', partitions: 3, replicationFactor: 3 }]);
        const p = client.transactionalProducer({ transactionalId: 'tx-remote' });
        await p.beginTransaction();
        await p.send(
          'remote-out',
          [0, 1, 2].map((partition) => ({ value: `r${partition}`, partition })),
        );
        await p.sendOffsets('remote-wc', [{ topic: 'remote-out', partition: 0, offset: 1 }]);
        await p.commit();
        for (const partition of [0, 1, 2])
          await until(deadline, async () => ((await story('remote-out', partition)).length === 2 ? true : undefined), `no marker on remote-out-${partition}`);
        for (const partition of [0, 1, 2]) expect(await story('remote-out', partition)).toEqual([[`r${partition}`], 'COMMIT']);
        await p.close();
      } finally {
        await client.close();
      }
    },
    DEADLINE_MS + 10_000,
  );
});
