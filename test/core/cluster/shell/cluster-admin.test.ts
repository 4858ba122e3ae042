// The Kafka admin APIs on a real 3-broker cluster (in this process: real
// sockets and disks), driven by kafkajs' admin client, and checked on every
// replica, not only on the broker that answered.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { InProcessCluster, until } from './in-process-cluster';

const IDS = [1, 2, 3];
const DEADLINE_MS = 40_000;

describe('cluster admin APIs through kafkajs', () => {
  let cluster: InProcessCluster;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS });
    const deadline = Date.now() + DEADLINE_MS;
    await until(deadline, () => (cluster.brokers.every((b) => b.image.liveBrokers().length === 3) ? true : undefined), 'brokers did not all register');
    kafka = new Kafka({ clientId: 'cluster-admin', brokers: IDS.map((id) => cluster.bootstrap(id)), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
    admin = kafka.admin();
    await admin.connect();
  }, DEADLINE_MS);

  afterAll(async () => {
    await admin?.disconnect();
    await cluster?.stop();
  });

  /** Every broker's replica of `topic`-`partition` (one per broker that hosts it). */
  const replicasOf = (topic: string, partition: number) => cluster.brokers.flatMap((b) => [b.replicas.get(`${topic}-${partition}`)].filter((h) => h !== undefined));

  /** Produces `values` with acks=all to partition 0 and waits until every replica's high watermark has them. */
  async function produce(topic: string, values: string[], deadline: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: values.map((v) => ({ value: v, partition: 0 })) });
    await producer.disconnect();
    await until(deadline, () => (replicasOf(topic, 0).length === 3 && replicasOf(topic, 0).every((h) => h.replica.highWatermark >= values.length) ? true : undefined), 'replicas did not all get the records');
  }

  it('DeleteTopics removes every replica and its data; the same name starts empty', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    expect(await admin.createTopics({ topics: [{ topic: 'doomed', numPartitions: 2, replicationFactor: 3 }], waitForLeaders: true })).toBe(true);
    await produce('doomed', ['a', 'b', 'c'], deadline);
    const dirs = cluster.brokers.map((b) => path.join(cluster.dir, `b${b.nodeId}`, 'doomed-0'));
    expect(dirs.every((d) => fs.existsSync(d))).toBe(true);

    await admin.deleteTopics({ topics: ['doomed'] });
    // Every broker has dropped the replicas and removed their directories.
    await until(deadline, () => (cluster.brokers.every((b) => b.image.topicByName('doomed') === undefined && !b.replicas.has('doomed-0') && !b.replicas.has('doomed-1')) ? true : undefined), 'replicas of the deleted topic remain');
    expect(dirs.filter((d) => fs.existsSync(d))).toEqual([]);
    expect(await admin.listTopics()).not.toContain('doomed');
    // UNKNOWN_TOPIC_OR_PARTITION (kafkajs retries it, then gives up with its message).
    await expect(admin.deleteTopics({ topics: ['doomed'] })).rejects.toThrow('does not host this topic-partition');

    expect(await admin.createTopics({ topics: [{ topic: 'doomed', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true })).toBe(true);
    await until(deadline, () => (replicasOf('doomed', 0).length === 3 ? true : undefined), 'the new topic has no replicas');
    expect(replicasOf('doomed', 0).map((h) => h.replica.logEndOffset)).toEqual([0, 0, 0]);
    expect(await admin.fetchTopicOffsets('doomed')).toEqual([expect.objectContaining({ partition: 0, offset: '0', low: '0', high: '0' })]);
  }, DEADLINE_MS);

  it('CreatePartitions adds replicated partitions that every broker hosts and that take writes', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    expect(await admin.createTopics({ topics: [{ topic: 'growing', numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true })).toBe(true);
    await expect(admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 1 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });
    await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: 'growing', count: 3 }] });
    expect(cluster.brokers.map((b) => b.image.topicByName('growing')!.partitions.size)).toEqual([1, 1, 1]);

    await admin.createPartitions({ topicPartitions: [{ topic: 'growing', count: 3 }] });
    const metadata = await admin.fetchTopicMetadata({ topics: ['growing'] });
    expect(metadata.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    // Each new partition has a replica with a role on every broker, and a leader that takes acks=all writes.
    await until(deadline, () => ([1, 2].every((p) => replicasOf('growing', p).length === 3 && replicasOf('growing', p).filter((h) => h.replica.role === 'leader').length === 1) ? true : undefined), 'new partitions did not get replicas');
    const producer = kafka.producer();
    await producer.connect();
    const sent = await producer.send({ topic: 'growing', acks: -1, messages: [{ value: 'x', partition: 2 }] });
    await producer.disconnect();
    expect(sent).toEqual([expect.objectContaining({ partition: 2, errorCode: 0, baseOffset: '0' })]);
  }, DEADLINE_MS);
});
