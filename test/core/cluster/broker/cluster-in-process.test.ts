// A whole cluster in this process (3 controllers, 3 brokers, real sockets and
// disks), driven by kafkajs: cluster-aware Metadata, CreateTopics through the
// controller with the replication factor honoured, acks=all produce,
// NOT_LEADER_OR_FOLLOWER from a follower, a consumer group reading it all, and
// InitProducerId with an idempotent producer's retried batch.
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../../../core/cluster';
import { encodeRecordBatch } from '../../../../core/log';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const DEADLINE_MS = 40_000;

describe('a cluster in one process, through the Kafka protocol', () => {
  let cluster: InProcessCluster;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  const bootstrap = () => IDS.map((id) => cluster.bootstrap(id));
  /** One request to broker IDS[i] on a connection of its own. */
  const ask = async <T>(i: number, api: Parameters<KafkaConnection['request']>[0], body: object): Promise<T> => {
    const c = await KafkaConnection.connect(bootstrap()[i], { timeoutMs: 2000 });
    try {
      return await c.request<T>(api, body);
    } finally {
      c.close();
    }
  };
  const metadata = (i: number, topic: string) => cluster.metadata(IDS[i], [topic]);

  it(
    'creates a replicated topic, produces with acks=all and consumes it in a group',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await cluster.allBrokersRegistered(deadline);

      const kafka = new Kafka({
        clientId: 'in-process',
        brokers: bootstrap(),
        logLevel: logLevel.NOTHING,
        retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
      });
      const admin = kafka.admin();
      await admin.connect();
      await expect(admin.createTopics({ topics: [{ topic: 'too-wide', numPartitions: 1, replicationFactor: 4 }] })).rejects.toMatchObject({
        errors: [{ type: 'INVALID_REPLICATION_FACTOR' }],
      });
      expect(
        await admin.createTopics({
          topics: [{ topic: 'orders', numPartitions: 2, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
        }),
      ).toBe(true);
      await admin.disconnect();

      // Metadata: both partitions with 3 replicas, a leader and a full ISR, seen alike from every broker.
      const shown = await until(
        deadline,
        async () => {
          const m = await metadata(0, 'orders');
          const ps = m.topics[0].partitions;
          return ps.length === 2 && ps.every((p) => p.leaderId > 0 && p.isrNodes.length === 3) ? m : undefined;
        },
        'partitions did not get a full ISR',
      );
      expect(shown.brokers.map((b) => b.nodeId).sort()).toEqual(IDS);
      for (const p of shown.topics[0].partitions) expect([...p.replicaNodes].sort()).toEqual(IDS);

      // A follower refuses a produce with NOT_LEADER_OR_FOLLOWER.
      const p0 = shown.topics[0].partitions.find((p) => p.partitionIndex === 0)!;
      const follower = IDS.find((id) => id !== p0.leaderId)!;
      const conn = await KafkaConnection.connect(bootstrap()[follower - 1], { timeoutMs: 5000 });
      const refused = await conn.request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 2000,
        topicData: [{ name: 'orders', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] }) }] }],
      });
      conn.close();
      expect(refused.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);

      const producer = kafka.producer();
      await producer.connect();
      const values = Array.from({ length: 30 }, (_, i) => `order-${i}`);
      for (const v of values) await producer.send({ topic: 'orders', acks: -1, messages: [{ key: v, value: v }] });
      await producer.disconnect();

      const consumer = kafka.consumer({ groupId: 'billing', sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic: 'orders', fromBeginning: true });
      const seen: string[] = [];
      let resolveAll: () => void = () => {};
      const all = new Promise<void>((r) => (resolveAll = r));
      await consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length >= values.length) resolveAll();
        },
      });
      const timer = setTimeout(resolveAll, Math.max(0, deadline - Date.now()));
      await all;
      clearTimeout(timer);
      await consumer.disconnect();
      expect([...seen].sort()).toEqual([...values].sort());
    },
    DEADLINE_MS + 10_000,
  );

  it(
    'serves InitProducerId: ids unique across brokers, a transactional id only at its coordinator; a retried idempotent batch is not written twice',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      const init = (i: number, transactionalId: string | null) =>
        ask<apis.InitProducerIdResponse>(i, apis.initProducerId, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      await cluster.allBrokersRegistered(deadline);
      // A broker hands out ids once its registration is committed (COORDINATOR_NOT_AVAILABLE until then).
      const grant = (i: number) =>
        until(deadline, async () => ((g) => (g.errorCode === 0 ? g : undefined))(await init(i, null)), `broker ${IDS[i]} gave no producer id`);
      const granted = [await grant(0), await grant(1), await grant(2), await grant(0)];
      for (const g of granted) expect(g.producerEpoch).toBe(0);
      const ids = granted.map((g) => g.producerId);
      expect(new Set(ids).size).toBe(4);
      for (const id of ids) expect(id).toBeGreaterThanOrEqual(2 ** 30); // the block of a broker epoch >= 1
      // A transactional id is its coordinator's: before FindCoordinator creates __transaction_state, no broker is.
      expect(await init(1, 'payments-tx')).toMatchObject({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, producerId: -1 });

      const kafka = new Kafka({
        clientId: 'in-process-idem',
        brokers: bootstrap(),
        logLevel: logLevel.NOTHING,
        retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
      });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic: 'idem', numPartitions: 1, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
      });
      await admin.disconnect();
      const leader = await until(
        deadline,
        async () => {
          const p = (await metadata(0, 'idem')).topics[0]?.partitions[0];
          return p !== undefined && p.leaderId > 0 && p.isrNodes.length === 3 ? p.leaderId : undefined;
        },
        'idem did not get a leader and a full ISR',
      );
      const produce = async (baseSequence: number, value: string) => {
        const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from(value) }], producerId: ids[0], producerEpoch: 0, baseSequence });
        const r = await ask<apis.ProduceResponse>(leader - 1, apis.produce, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 5000,
          topicData: [{ name: 'idem', partitionData: [{ index: 0, records }] }],
        });
        return r.responses[0].partitionResponses[0];
      };
      expect(await produce(0, 'a')).toMatchObject({ errorCode: 0, baseOffset: 0 });
      expect(await produce(1, 'b')).toMatchObject({ errorCode: 0, baseOffset: 1 });
      expect(await produce(1, 'b')).toMatchObject({ errorCode: 0, baseOffset: 1 }); // the retry: original offset
      expect(await produce(3, 'd')).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
      expect(await produce(2, 'c')).toMatchObject({ errorCode: 0, baseOffset: 2 });
    },
    DEADLINE_MS + 10_000,
  );
});
