// OffsetForLeaderEpoch (23) on a 3-broker cluster, as a consumer validating
// its position after a leader change asks it (KIP-320): the new leader answers
// from its leader epoch cache (an older epoch ends where the next one starts,
// the current one at the log end, a newer one is unknown); a stale
// CurrentLeaderEpoch is FENCED_LEADER_EPOCH and a future one
// UNKNOWN_LEADER_EPOCH, at the leader and at a follower (Kafka checks the epoch
// before leadership); with the right epoch a follower answers
// NOT_LEADER_OR_FOLLOWER. Fetch and ListOffsets refuse stale epochs the same way,
// and a Fetch whose LastFetchedEpoch shows a diverged log answers DivergingEpoch.
import { encodeRecordBatch } from '../../../../core/log';
import { ApiKey, apiByKey, apis, ErrorCode, KafkaConnection } from '../../../../core/protocol';
import { InProcessCluster, until } from '../in-process-cluster';
import { fetchRequestBody } from '../../protocol/harness';

const IDS = [1, 2, 3];
const DEADLINE_MS = 60_000;
const TOPIC = 'epochs';
const offsetForLeaderEpoch = apiByKey(ApiKey.OffsetForLeaderEpoch)!;

type Answer = [errorCode: number, leaderEpoch: number, endOffset: number];

describe('OffsetForLeaderEpoch across a leader change', () => {
  let cluster: InProcessCluster;
  const open: KafkaConnection[] = [];

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS });
  }, DEADLINE_MS);

  afterAll(async () => {
    for (const c of open) c.close();
    await cluster?.stop();
  });

  const partition = (on: number) => cluster.broker(on).image.topicByName(TOPIC)?.partitions.get(0);
  const connect = async (id: number) => {
    const c = await KafkaConnection.connect(cluster.bootstrap(id), { timeoutMs: 15_000 });
    open.push(c);
    return c;
  };
  const produce = async (c: KafkaConnection, values: string[]) => {
    const r = await c.request<apis.ProduceResponse>(apis.produce, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [
        { name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) }) }] },
      ],
    });
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
  };
  const ask = async (c: KafkaConnection, version: number, topic: string, p: number, currentLeaderEpoch: number, leaderEpoch: number): Promise<Answer> => {
    const r = await c.send<apis.OffsetForLeaderEpochResponse>(offsetForLeaderEpoch, version, {
      replicaId: -1,
      topics: [{ topic, partitions: [{ partition: p, currentLeaderEpoch, leaderEpoch }] }],
    });
    const a = r.topics[0].partitions[0];
    return [a.errorCode, a.leaderEpoch, a.endOffset];
  };

  it(
    'the new leader places older, current and newer epochs, and refuses stale and future views',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await cluster.allBrokersRegistered(deadline);
      await cluster.createReplicatedTopic(1, TOPIC, 1, deadline);
      const first = await until(deadline, () => (partition(1)?.leader ?? -1) >= 0 || undefined, 'no first leader');
      expect(first).toBe(true);
      const old = partition(1)!.leader;
      const oldEpoch = partition(1)!.leaderEpoch;
      await produce(await connect(old), ['a', 'b']);

      // The leader is cut off until the controller elects another; back, it follows.
      cluster.isolate(old, 'all');
      const next = await until(
        deadline,
        () => {
          const p = partition(IDS.find((id) => id !== old)!);
          return p !== undefined && p.leader !== old && p.leader >= 0 ? p.leader : undefined;
        },
        'no new leader',
      );
      cluster.heal(old);
      await until(
        deadline,
        () => (partition(old)?.leader === next && cluster.broker(old).replicas.get(`${TOPIC}-0`)?.replica.role === 'follower' ? true : undefined),
        'the old leader did not learn of the new one',
      );
      const epoch = partition(next)!.leaderEpoch;
      expect(epoch).toBeGreaterThan(oldEpoch);
      const atNext = await connect(next);
      await produce(atNext, ['c']);

      for (const v of [2, 3, 4]) {
        // The epoch the first two records were written in ends where the new leader's first record starts.
        expect(await ask(atNext, v, TOPIC, 0, epoch, oldEpoch)).toEqual([0, oldEpoch, 2]);
        expect(await ask(atNext, v, TOPIC, 0, epoch, epoch)).toEqual([0, epoch, 3]);
        // No current epoch given: not checked.
        expect(await ask(atNext, v, TOPIC, 0, -1, epoch)).toEqual([0, epoch, 3]);
        // An epoch newer than any the log knows is unknown: the consumer resets by its policy.
        expect(await ask(atNext, v, TOPIC, 0, epoch, epoch + 5)).toEqual([0, -1, -1]);
      }
      expect(await ask(atNext, 4, TOPIC, 0, oldEpoch, oldEpoch)).toEqual([ErrorCode.FENCED_LEADER_EPOCH, -1, -1]);
      expect(await ask(atNext, 4, TOPIC, 0, epoch + 1, epoch)).toEqual([ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1]);
      expect(await ask(atNext, 4, TOPIC, 7, epoch, epoch)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1]);
      expect(await ask(atNext, 4, 'no-such-topic', 0, epoch, epoch)).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1]);

      // At the old leader, now a follower: the epoch first, then leadership.
      const atOld = await connect(old);
      expect(await ask(atOld, 4, TOPIC, 0, oldEpoch, oldEpoch)).toEqual([ErrorCode.FENCED_LEADER_EPOCH, -1, -1]);
      expect(await ask(atOld, 4, TOPIC, 0, epoch, oldEpoch)).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER, -1, -1]);

      // Fetch and ListOffsets from a consumer that still has the old epoch: fenced, and the Fetch answer names the new leader.
      const body = fetchRequestBody(TOPIC, [{ partition: 0, fetchOffset: 0 }]) as { topics: { partitions: object[] }[] };
      const staleFetch = { ...body, topics: body.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, currentLeaderEpoch: oldEpoch })) })) };
      const fetched = await atNext.send<apis.FetchResponse>(apis.fetch, 12, staleFetch);
      expect(fetched.responses[0].partitions[0]).toMatchObject({
        errorCode: ErrorCode.FENCED_LEADER_EPOCH,
        currentLeader: { leaderId: next, leaderEpoch: epoch },
      });
      const listed = await atNext.send<apis.ListOffsetsResponse>(apis.listOffsets, 4, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: oldEpoch, timestamp: -1 }] }],
      });
      expect(listed.topics[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.FENCED_LEADER_EPOCH, offset: -1 });
      const current = await atNext.send<apis.FetchResponse>(apis.fetch, 12, {
        ...staleFetch,
        topics: body.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p, currentLeaderEpoch: epoch })) })),
      });
      expect(current.responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 3 });

      // Fetch v12+ with LastFetchedEpoch: a fetcher that has the old epoch past where it ended diverged.
      const fetchAfter = async (fetchOffset: number, lastFetchedEpoch: number) => {
        const r = await atNext.send<apis.FetchResponse>(apis.fetch, 12, {
          ...body,
          topics: body.topics.map((t) => ({
            ...t,
            partitions: t.partitions.map((p) => ({ ...p, currentLeaderEpoch: epoch, fetchOffset, lastFetchedEpoch })),
          })),
        });
        const a = r.responses[0].partitions[0];
        return { errorCode: a.errorCode, highWatermark: a.highWatermark, records: a.records?.length ?? 0, divergingEpoch: a.divergingEpoch };
      };
      expect(await fetchAfter(3, oldEpoch)).toEqual({ errorCode: 0, highWatermark: 3, records: 0, divergingEpoch: { epoch: oldEpoch, endOffset: 2 } });
      // An epoch the leader cannot place (UNDEFINED) is OFFSET_OUT_OF_RANGE, as in Kafka, never DivergingEpoch {-1, -1}.
      expect(await fetchAfter(3, epoch + 5)).toEqual({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: -1, records: 0, divergingEpoch: undefined });
      const onTrack = await fetchAfter(2, oldEpoch);
      expect(onTrack).toMatchObject({ errorCode: 0, highWatermark: 3, divergingEpoch: undefined });
      expect(onTrack.records).toBeGreaterThan(0);
    },
    DEADLINE_MS,
  );
});
