// KIP-951 on a 3-broker cluster: after a partition's leader moves, a Produce
// (v10) or Fetch (v12) sent to the old leader is answered NOT_LEADER_OR_FOLLOWER
// with the new leader's id and epoch (and, for Produce, where it listens), and
// Rill's own protocol client follows that answer to the new leader at once:
// not one Metadata request more is served anywhere.
import { protocolLogClient, type ProtocolLogClient } from '../../../../core/client';
import { encodeRecordBatch } from '../../../../core/log';
import { ApiKey, apiByKey, apis, ErrorCode, KafkaConnection, NO_TOPIC_ID } from '../../../../core/protocol';
import { Scrape } from '../../../support/scrape';
import { InProcessCluster, until } from '../in-process-cluster';
import { fetchTopicsBody } from '../../protocol/harness';

const IDS = [1, 2, 3];
const DEADLINE_MS = 60_000;
const TOPIC = 'moving';

describe('a NOT_LEADER_OR_FOLLOWER answer names the new leader (KIP-951)', () => {
  let cluster: InProcessCluster;
  let client: ProtocolLogClient | undefined;
  const open: KafkaConnection[] = [];

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS, metrics: true });
  }, DEADLINE_MS);

  afterAll(async () => {
    for (const c of open) c.close();
    await client?.close();
    await cluster?.stop();
  });

  const partition = (on: number) => cluster.broker(on).image.topicByName(TOPIC)?.partitions.get(0);
  /** Metadata requests served by every broker so far. */
  const metadataServed = async () => {
    let n = 0;
    for (const id of IDS) n += Scrape.parse(await cluster.registries.get(id)!.metrics()).value('rill_broker_requests_total', { api: 'Metadata' });
    return n;
  };
  const connect = async (id: number) => {
    const c = await KafkaConnection.connect(cluster.bootstrap(id), { timeoutMs: 15_000 });
    open.push(c);
    return c;
  };

  it(
    'the old leader names the new one in Produce and Fetch answers, and the Rill client goes there without Metadata',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await cluster.allBrokersRegistered(deadline);
      await cluster.createReplicatedTopic(1, TOPIC, 1, deadline);
      client = protocolLogClient({ brokers: IDS.map((id) => cluster.bootstrap(id)), clientId: 'kip951' });
      const producer = client.producer();
      // The client learns the partition's leader (one Metadata) and writes there.
      await producer.send(TOPIC, { key: null, value: Buffer.from('before'), timestamp: 1 });

      // The leader is cut off until the controller fences it and elects another; back, it follows.
      const old = partition(1)!.leader;
      const oldEpoch = partition(1)!.leaderEpoch;
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
        () => (partition(old)?.leader === next && cluster.broker(old).replicas.get(`${TOPIC}-0`)?.replica.role !== 'leader' ? true : undefined),
        'the old leader did not learn of the new one',
      );
      const epoch = partition(old)!.leaderEpoch;
      expect(epoch).toBeGreaterThan(oldEpoch);

      const atOld = await connect(old);
      const produced = await atOld.request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: encodeRecordBatch({ records: [{ key: null, value: Buffer.from('x') }] }) }] }],
      });
      const answer = produced.responses[0].partitionResponses[0];
      expect(answer.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
      expect(answer.currentLeader).toEqual({ leaderId: next, leaderEpoch: epoch });
      const [host, port] = cluster.bootstrap(next).split(':');
      expect(produced.nodeEndpoints).toEqual([{ nodeId: next, host, port: Number(port), rack: null }]);

      const fetchRequest = (topics: { topic?: string; topicId?: string }[]) =>
        fetchTopicsBody(topics.map((t) => ({ ...t, partitions: [{ partition: 0, fetchOffset: 0 }] })));
      const leaderMoved = { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId: next, leaderEpoch: epoch } };
      // By name (v12, as Rill's clients fetch): CurrentLeader, and no NodeEndpoints before v16.
      const fetched = await atOld.request<apis.FetchResponse>(apis.fetch, fetchRequest([{ topic: TOPIC }]));
      expect(fetched.responses[0].partitions[0]).toMatchObject(leaderMoved);

      // By id (v16, as Metadata v12 gives it), with an id no topic has.
      const meta = await atOld.request<apis.MetadataResponse>(apis.metadata, { topics: [{ name: TOPIC }], allowAutoTopicCreation: false });
      const topicId = meta.topics[0].topicId;
      expect(topicId).toMatch(/^[0-9a-f]{32}$/);
      expect(topicId).not.toBe(NO_TOPIC_ID);
      const noSuchId = 'f'.repeat(32);
      const byId = await atOld.send<apis.FetchResponse>(apiByKey(ApiKey.Fetch)!, 16, fetchRequest([{ topicId }, { topicId: noSuchId }]));
      expect(byId.responses).toEqual([
        expect.objectContaining({ topicId, partitions: [expect.objectContaining(leaderMoved)] }),
        expect.objectContaining({ topicId: noSuchId, partitions: [expect.objectContaining({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID })] }),
      ]);
      expect(byId.nodeEndpoints).toEqual(produced.nodeEndpoints);

      // The client still knows the old leader: its answer sends the client on, not Metadata.
      const metadataBefore = await metadataServed();
      await producer.send(TOPIC, { key: null, value: Buffer.from('after'), timestamp: 2 });
      expect(await metadataServed()).toBe(metadataBefore);
      const newLeader = cluster.broker(next).replicas.get(`${TOPIC}-0`)!;
      expect(newLeader.log.logEndOffset).toBe(2);
      await producer.close();
    },
    DEADLINE_MS,
  );
});
