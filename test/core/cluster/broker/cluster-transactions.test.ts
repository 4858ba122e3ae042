// Transactions at a cluster's partitions (2 controllers and brokers in this
// process): a marker is written at the leader and acknowledged once the
// follower has it, the follower computes the same last stable offset, and a
// read_committed Fetch through the front end stops at it and lists the aborted
// transactions; ListOffsets answers it. A marker sent to the follower is refused.
import { apis, KafkaConnection } from '../../../../core/protocol';
import { plainBatch, transactionalBatch } from '../../../support/transactional-batches';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2];
const DEADLINE_MS = 40_000;
const TOPIC = 'tx-ledger';
const NOT_LEADER_OR_FOLLOWER = 6;

describe('transactions at a cluster partition', () => {
  let cluster: InProcessCluster;
  let leader: KafkaConnection | undefined;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS, broker: { replicaLagTimeMaxMs: 120_000 } });
    const deadline = Date.now() + DEADLINE_MS;
    await cluster.allBrokersRegistered(deadline);
    await cluster.createReplicatedTopic(1, TOPIC, 1, deadline);
  }, DEADLINE_MS);

  afterAll(async () => {
    leader?.close();
    await cluster?.stop();
  });

  it('markers at the leader, the same LSO at the follower, read_committed Fetch and ListOffsets through the front end', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const leaderId = cluster.broker(1).image.topicByName(TOPIC)!.partitions.get(0)!.leader;
    const followerId = IDS.find((id) => id !== leaderId)!;
    const c = (leader = await KafkaConnection.connect(cluster.bootstrap(leaderId), { timeoutMs: 15_000 }));
    const produce = async (records: Buffer) => {
      const r = await c.request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
      });
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
    };
    await produce(transactionalBatch(1, ['a1', 'a2'])); // 0..1
    await produce(plainBatch('plain')); // 2
    await produce(transactionalBatch(2, ['open'])); // 3
    const ports = cluster.broker(leaderId).kafkaServer!.ports.partitions;
    const marker = { producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: false };
    const written = await ports.writeTxnMarker(TOPIC, 0, marker); // 4
    expect(written._tag).toBe('Right');
    const refused = await cluster.broker(followerId).kafkaServer!.ports.partitions.writeTxnMarker(TOPIC, 0, marker);
    expect(refused._tag === 'Left' && refused.left.code).toBe(NOT_LEADER_OR_FOLLOWER);

    // Acknowledged like acks=all: the follower has the marker, and computes the same LSO from the bytes.
    const lso = (id: number) =>
      cluster
        .broker(id)
        .describeReplicas()
        .find((r) => r.topic === TOPIC)?.lastStableOffset;
    await until(deadline, () => (lso(followerId) === 3 && lso(leaderId) === 3 ? true : undefined), 'the follower has not the leader’s last stable offset');

    const fetch = async (isolationLevel: number) => {
      const r = await c.request<apis.FetchResponse>(apis.fetch, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 1 << 20,
        isolationLevel,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: TOPIC,
            partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1, lastFetchedEpoch: -1 }],
          },
        ],
        forgottenTopicsData: [],
        rackId: '',
      });
      return r.responses[0].partitions[0];
    };
    const committed = await fetch(1);
    expect(committed).toMatchObject({ errorCode: 0, highWatermark: 5, lastStableOffset: 3, abortedTransactions: [{ producerId: 1, firstOffset: 0 }] });
    const uncommitted = await fetch(0);
    expect(uncommitted).toMatchObject({ errorCode: 0, highWatermark: 5, lastStableOffset: 3, abortedTransactions: null });
    expect(uncommitted.records!.length).toBeGreaterThan(committed.records!.length);

    const latest = async (isolationLevel: number) => {
      const r = await c.request<apis.ListOffsetsResponse>(apis.listOffsets, {
        replicaId: -1,
        isolationLevel,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, timestamp: -1, currentLeaderEpoch: -1 }] }],
      });
      return r.topics[0].partitions[0].offset;
    };
    expect(await latest(1)).toBe(3);
    expect(await latest(0)).toBe(5);
  });
});
