// A whole cluster in this process (3 controllers, 3 brokers, real sockets and
// disks), driven by kafkajs: cluster-aware Metadata, CreateTopics through the
// controller with the replication factor honoured, acks=all produce,
// NOT_LEADER_OR_FOLLOWER from a follower, and a consumer group reading it all.
import { Kafka, logLevel } from 'kafkajs';
import { ClusterErrorCode } from '../../../../core/cluster';
import { encodeRecordBatch } from '../../../../core/log';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { InProcessCluster, until } from './in-process-cluster';

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

  it('creates a replicated topic, produces with acks=all and consumes it in a group', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const bootstrap = IDS.map((id) => cluster.bootstrap(id));
    const metadata = async (i: number, topic: string) => {
      const c = await KafkaConnection.connect(bootstrap[i], { timeoutMs: 2000 });
      try {
        return await c.request<apis.MetadataResponse>(apis.metadata, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      } finally {
        c.close();
      }
    };
    // Every broker unfenced, as every broker sees it.
    for (const i of [0, 1, 2]) await until(deadline, async () => ((await metadata(i, 'none')).brokers.length === 3 ? true : undefined), 'brokers did not all register');

    const kafka = new Kafka({ clientId: 'in-process', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
    const admin = kafka.admin();
    await admin.connect();
    await expect(admin.createTopics({ topics: [{ topic: 'too-wide', numPartitions: 1, replicationFactor: 4 }] })).rejects.toMatchObject({ errors: [{ type: 'INVALID_REPLICATION_FACTOR' }] });
    expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] })).toBe(true);
    await admin.disconnect();

    // Metadata: both partitions with 3 replicas, a leader and a full ISR, seen alike from every broker.
    const shown = await until(deadline, async () => {
      const m = await metadata(0, 'orders');
      const ps = m.topics[0].partitions;
      return ps.length === 2 && ps.every((p) => p.leaderId > 0 && p.isrNodes.length === 3) ? m : undefined;
    }, 'partitions did not get a full ISR');
    expect(shown.brokers.map((b) => b.nodeId).sort()).toEqual(IDS);
    for (const p of shown.topics[0].partitions) expect([...p.replicaNodes].sort()).toEqual(IDS);

    // A follower refuses a produce with NOT_LEADER_OR_FOLLOWER.
    const p0 = shown.topics[0].partitions.find((p) => p.partitionIndex === 0)!;
    const follower = IDS.find((id) => id !== p0.leaderId)!;
    const conn = await KafkaConnection.connect(bootstrap[follower - 1], { timeoutMs: 5000 });
    const refused = await conn.request<apis.ProduceResponse>(apis.produce, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 2000,
      topicData: [{ name: 'orders', partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] }) }] }],
    });
    conn.close();
    expect(refused.responses[0].partitionResponses[0].errorCode).toBe(ClusterErrorCode.NOT_LEADER_OR_FOLLOWER);

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
  }, DEADLINE_MS + 10_000);
});
