// ListOffsets by time at a cluster's partition leader answers as Kafka and the
// single node do: a time after every record is UNKNOWN_OFFSET (-1, where the
// cluster answered the high watermark, which a client takes for a record at
// that time), and MAX_TIMESTAMP (-3) names the record with the newest timestamp
// (where the cluster answered the first record at or after time -3).
import { encodeRecordBatch } from '../../../../core/log';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { InProcessCluster } from '../in-process-cluster';

const DEADLINE_MS = 40_000;
const TOPIC = 'by-time';
// Recent times a second apart (old ones could fall to time-based retention); the newest is in the middle.
const T0 = Date.now() - 60_000;
const TIMES = [T0, T0 + 2000, T0 + 1000];

describe('ListOffsets by time at a cluster partition', () => {
  let cluster: InProcessCluster;
  let c: KafkaConnection | undefined;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: [1] });
    const deadline = Date.now() + DEADLINE_MS;
    await cluster.allBrokersRegistered(deadline);
    await cluster.createReplicatedTopic(1, TOPIC, 1, deadline);
  }, DEADLINE_MS);

  afterAll(async () => {
    c?.close();
    await cluster?.stop();
  });

  it('finds the first record at or after a time, answers -1 past the last one, and names the newest for MAX_TIMESTAMP', async () => {
    c = await KafkaConnection.connect(cluster.bootstrap(1), { timeoutMs: 15_000 });
    const connection = c;
    for (const [i, timestamp] of TIMES.entries()) {
      const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from(`at-${i}`), timestamp }] });
      const r = await connection.request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
      });
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
    }
    const listed = async (timestamp: number) => {
      const r = await connection.request<apis.ListOffsetsResponse>(apis.listOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp, currentLeaderEpoch: -1 }] }],
      });
      const { errorCode, offset, timestamp: found } = r.topics[0].partitions[0];
      return { errorCode, offset, timestamp: found };
    };
    expect(await listed(T0 + 500)).toEqual({ errorCode: 0, offset: 1, timestamp: T0 + 2000 });
    expect(await listed(T0 + 1500)).toEqual({ errorCode: 0, offset: 1, timestamp: T0 + 2000 });
    expect(await listed(T0 + 2001)).toEqual({ errorCode: 0, offset: -1, timestamp: -1 });
    expect(await listed(-1)).toEqual({ errorCode: 0, offset: 3, timestamp: -1 });
    // MAX_TIMESTAMP needs ListOffsets v7, past what the front end serves: the port answers it.
    const ports = cluster.broker(1).kafkaServer!.ports.partitions;
    expect(ports.listOffset(TOPIC, 0, -3)).toMatchObject({ _tag: 'Right', right: { offset: 1, timestamp: T0 + 2000 } });
    expect(ports.listOffset(TOPIC, 0, T0 + 5000)).toMatchObject({ _tag: 'Right', right: { offset: -1, timestamp: -1 } });
  });
});
