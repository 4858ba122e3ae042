// Retention and compaction on a cluster (3 controllers and 3 brokers in this
// process, kafkajs as the client): every replica of a topic deletes its
// segments older than retention.ms and compacts a compacted topic to the
// latest value per key, each on its own log, never past its high watermark;
// what the leader serves afterwards starts at its new log start offset and
// keeps every key's latest value.
import { isLeft } from 'fp-ts/Either';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { decodeRecordBatches, type PartitionLog } from '../../../../core/log';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const DEADLINE_MS = 60_000;

/** Every record of a replica's local log, from its log start offset to its high watermark. */
function localRecords(log: PartitionLog): { offset: number; key: string | null; value: string | null }[] {
  const out: { offset: number; key: string | null; value: string | null }[] = [];
  let offset = log.logStartOffset;
  while (offset < log.highWatermark) {
    const bytes = log.read(offset, 1 << 20, log.highWatermark);
    const batches = decodeRecordBatches(bytes);
    if (isLeft(batches) || batches.right.length === 0) break;
    for (const b of batches.right)
      for (const r of b.records) if (r.offset >= offset) out.push({ offset: r.offset, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null });
    offset = batches.right[batches.right.length - 1].lastOffset + 1;
  }
  return out;
}

describe('retention and compaction on a cluster', () => {
  let cluster: InProcessCluster;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS, broker: { retentionCheckIntervalMs: 100 } });
    await cluster.allBrokersRegistered(Date.now() + DEADLINE_MS);
    const kafka = new Kafka({
      clientId: 'retention',
      brokers: IDS.map((id) => cluster.bootstrap(id)),
      logLevel: logLevel.NOTHING,
      retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 },
    });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  }, DEADLINE_MS);

  afterAll(async () => {
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await cluster?.stop();
  });

  /** Each broker's replica of partition 0 of `topic` (every broker hosts one: replication factor 3). */
  const replicaLogs = (topic: string) => IDS.map((id) => cluster.broker(id).replicas.get(`${topic}-0`)!.log);

  it(
    'deletes the segments older than retention.ms on every replica',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: 'expiring',
            numPartitions: 1,
            replicationFactor: 3,
            configEntries: [
              { name: 'retention.ms', value: '60000' },
              { name: 'segment.bytes', value: '600' },
              { name: 'min.insync.replicas', value: '2' },
            ],
          },
        ],
      });
      const old = String(Date.now() - 10 * 60_000);
      for (let i = 0; i < 20; i++) await producer.send({ topic: 'expiring', acks: -1, messages: [{ value: `old-${i}`.padEnd(100, '.'), timestamp: old }] });
      for (let i = 0; i < 5; i++) await producer.send({ topic: 'expiring', acks: -1, messages: [{ value: `new-${i}`.padEnd(100, '.') }] });
      // Every replica has every record below its high watermark (a follower learns the last one's with its next fetch), and has deleted the old segments.
      await until(
        deadline,
        () => (replicaLogs('expiring').every((l) => l !== undefined && l.highWatermark === 25 && l.logStartOffset >= 15) ? true : undefined),
        'old segments were not deleted on every replica',
      );
      for (const log of replicaLogs('expiring')) {
        const values = localRecords(log).map((r) => r.value!.replace(/\.+$/, ''));
        // Only whole segments go, and only those wholly older than retention: every new record stays.
        expect(values.slice(-5)).toEqual(['new-0', 'new-1', 'new-2', 'new-3', 'new-4']);
        expect(values.filter((v) => v.startsWith('old-')).length).toBeLessThan(20);
      }
      const [offsets] = await admin.fetchTopicOffsets('expiring');
      expect(Number(offsets.low)).toBeGreaterThanOrEqual(15);
      expect(Number(offsets.high)).toBe(25);
    },
    DEADLINE_MS + 10_000,
  );

  it(
    'compacts a compacted topic to the latest value per key on every replica',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: 'latest',
            numPartitions: 1,
            replicationFactor: 3,
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'segment.bytes', value: '600' },
              { name: 'min.cleanable.dirty.ratio', value: '0.01' },
              { name: 'min.insync.replicas', value: '2' },
            ],
          },
        ],
      });
      const keys = ['a', 'b', 'c', 'd', 'e'];
      const latest = new Map<string, string>();
      for (let i = 0; i < 100; i++) {
        const key = keys[i % keys.length];
        latest.set(key, `${key}-${i}`);
        await producer.send({ topic: 'latest', acks: -1, messages: [{ key, value: `${key}-${i}` }] });
      }
      await until(
        deadline,
        () => (replicaLogs('latest').every((l) => l.highWatermark === 100 && localRecords(l).length < 60) ? true : undefined),
        'the compacted topic was not compacted on every replica',
      );
      for (const log of replicaLogs('latest')) {
        const byKey = new Map<string, string>();
        for (const r of localRecords(log)) byKey.set(r.key!, r.value!);
        expect(byKey).toEqual(latest);
      }
    },
    DEADLINE_MS + 10_000,
  );
});
