// Committed offsets survive the loss of their coordinator: a cluster in this
// process (3 controllers, 3 brokers) creates the replicated __consumer_offsets
// on the first FindCoordinator; a group commits (acks=all to the ISR of its
// offsets partition); the broker leading that partition is stopped — or cut
// off from the controllers and the other brokers — while commits keep coming;
// the controller elects a new leader from the ISR; FindCoordinator names it,
// OffsetFetch there returns every commit that was acknowledged before the
// failover, and the group commits there again. A cut-off coordinator
// acknowledges nothing, and once healed it answers NOT_COORDINATOR.
import { CONSUMER_OFFSETS_TOPIC, offsetsPartitionFor } from '../../../../core/broker';
import { OFFSETS_TOPIC_PARTITIONS } from '../../../../core/cluster';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const DEADLINE_MS = 60_000;
const GROUP = 'billing';
const NOT_COORDINATOR = 16;

describe.each(['stopped', 'isolated'] as const)('consumer group offsets on a cluster, the coordinator %s', (failure) => {
  let cluster: InProcessCluster;
  const open: KafkaConnection[] = [];

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS, controllerConfig: { brokerSessionTimeoutMs: 2000 } });
  });

  afterAll(async () => {
    for (const c of open) c.close();
    await cluster?.stop();
  });

  const connect = async (id: number): Promise<KafkaConnection> => {
    // Longer than a commit may wait for its ISR (5 s), so a refused commit is answered, not timed out.
    const c = await KafkaConnection.connect(cluster.bootstrap(id), { timeoutMs: 15_000 });
    open.push(c);
    return c;
  };

  /** FindCoordinator asked of broker `via`: the coordinator's node id, or undefined while there is none. */
  const findCoordinator = async (via: number): Promise<number | undefined> => {
    const c = await connect(via);
    try {
      const r = await c.request<apis.FindCoordinatorResponse>(apis.findCoordinator, { key: GROUP, keyType: 0, coordinatorKeys: [GROUP] });
      const found = c.versionFor(apis.findCoordinator) >= 4 ? r.coordinators[0] : r;
      return found.errorCode === 0 ? found.nodeId : undefined;
    } finally {
      c.close();
    }
  };

  const commit = (c: KafkaConnection, offsets: Record<number, number>) =>
    c.request<apis.OffsetCommitResponse>(apis.offsetCommit, {
      groupId: GROUP,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [
        {
          name: 'events',
          partitions: Object.entries(offsets).map(([p, offset]) => ({
            partitionIndex: Number(p),
            committedOffset: offset,
            committedLeaderEpoch: -1,
            committedMetadata: `at ${offset}`,
          })),
        },
      ],
    });
  const commitCodes = (r: apis.OffsetCommitResponse) => r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));

  /** OffsetFetch of both partitions at broker `id`: partition -> offset, or the error code. */
  const fetchOffsets = async (c: KafkaConnection): Promise<Map<number, number> | number> => {
    const topics = [{ name: 'events', partitionIndexes: [0, 1] }];
    const r = await c.request<apis.OffsetFetchResponse>(apis.offsetFetch, {
      groupId: GROUP,
      topics,
      groups: [{ groupId: GROUP, memberId: null, memberEpoch: -1, topics }],
      requireStable: false,
    });
    const v8 = c.versionFor(apis.offsetFetch) >= 8;
    const errorCode = v8 ? r.groups[0].errorCode : r.errorCode;
    if (errorCode !== 0) return errorCode;
    const ps = (v8 ? r.groups[0].topics : r.topics).flatMap((t) => t.partitions);
    if (ps.some((p) => p.errorCode !== 0)) return ps.find((p) => p.errorCode !== 0)!.errorCode;
    return new Map(ps.map((p) => [p.partitionIndex, p.committedOffset]));
  };

  it(
    'keeps every acknowledged commit',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      const first = cluster.broker(IDS[0]);
      await until(deadline, () => (IDS.every((id) => cluster.broker(id).image.liveBrokers().length === 3) ? true : undefined), 'brokers did not all register');
      const created = await first.createTopic({ name: 'events', partitions: 2, replicationFactor: 3 }, 5000);
      expect(created.errorCode).toBe(0);

      // The first FindCoordinator creates __consumer_offsets (3 partitions, 3 replicas, min ISR 2).
      const coordinator = await until(deadline, () => findCoordinator(IDS[1]), 'no coordinator was named');
      await until(
        deadline,
        () => (IDS.every((id) => cluster.broker(id).image.topicByName(CONSUMER_OFFSETS_TOPIC) !== undefined) ? true : undefined),
        'a broker did not learn of __consumer_offsets',
      );
      const offsetsTopic = first.image.topicByName(CONSUMER_OFFSETS_TOPIC)!;
      expect(offsetsTopic.partitions.size).toBe(OFFSETS_TOPIC_PARTITIONS);
      expect(offsetsTopic.config['min.insync.replicas']).toBe('2');
      const partition = offsetsPartitionFor(GROUP, OFFSETS_TOPIC_PARTITIONS);
      const registration = () => first.image.topicByName(CONSUMER_OFFSETS_TOPIC)!.partitions.get(partition)!;
      expect(registration().leader).toBe(coordinator);
      await until(deadline, () => (registration().isr.length === 3 ? true : undefined), 'the offsets partition did not get a full ISR');

      // A broker that is not the coordinator refuses with NOT_COORDINATOR, so clients look again.
      const other = await connect(IDS.find((id) => id !== coordinator)!);
      expect(commitCodes(await commit(other, { 0: 1 }))).toEqual([NOT_COORDINATOR]);
      expect(await fetchOffsets(other)).toBe(NOT_COORDINATOR);

      // Commits at the coordinator: acknowledged once the ISR has them, and fetched back.
      const c = await until(
        deadline,
        async () => {
          const conn = await connect(coordinator);
          if ((await fetchOffsets(conn)) instanceof Map) return conn;
          conn.close();
          return undefined;
        },
        'the coordinator did not load its offsets partition',
      );
      expect(commitCodes(await commit(c, { 0: 10, 1: 20 }))).toEqual([0, 0]);
      expect(await fetchOffsets(c)).toEqual(
        new Map([
          [0, 10],
          [1, 20],
        ]),
      );

      // Keep committing partition 0 while the coordinator fails: remember the last acknowledged.
      let lastAcked = 10;
      let stopCommitting = false;
      const committer = (async () => {
        for (let offset = 11; !stopCommitting; offset++) {
          try {
            const codes = commitCodes(await commit(c, { 0: offset }));
            if (codes[0] !== 0) return;
            lastAcked = offset;
          } catch {
            return; // the connection closed with the broker
          }
        }
      })();
      await until(deadline, () => (lastAcked >= 15 ? true : undefined), 'commits were not acknowledged');
      if (failure === 'stopped') await cluster.broker(coordinator).stop();
      else cluster.isolate(coordinator, 'all');
      stopCommitting = true;
      await committer;
      const ackedBeforeFailover = lastAcked;

      // A new leader from the ISR; FindCoordinator (asked of a survivor) names it.
      const survivor = IDS.find((id) => id !== coordinator)!;
      const next = await until(
        deadline,
        async () => {
          const id = await findCoordinator(survivor);
          return id !== undefined && id !== coordinator ? id : undefined;
        },
        'no new coordinator was named',
      );
      expect(cluster.broker(survivor).image.topicByName(CONSUMER_OFFSETS_TOPIC)!.partitions.get(partition)!.leader).toBe(next);

      // It serves the offsets: nothing acknowledged before the failover is lost.
      const c2 = await connect(next);
      const fetched = await until(
        deadline,
        async () => {
          const r = await fetchOffsets(c2);
          return r instanceof Map ? r : undefined;
        },
        'the new coordinator did not serve the offsets',
      );
      expect(fetched.get(0)).toBeGreaterThanOrEqual(ackedBeforeFailover);
      expect(fetched.get(1)).toBe(20);

      if (failure === 'isolated') {
        // The cut-off coordinator still believes it leads, but cannot get a commit acknowledged.
        expect(commitCodes(await commit(c, { 0: 5000 }))).not.toEqual([0]);
        cluster.heal(coordinator);
        // Healed, it learns of the new leader and sends clients away.
        await until(
          deadline,
          async () => (commitCodes(await commit(c, { 0: 5001 }))[0] === NOT_COORDINATOR ? true : undefined),
          'the healed old coordinator did not answer NOT_COORDINATOR',
        );
      }

      // And takes new commits (the ISR is 2 of 3 now: min.insync.replicas=2 still holds).
      const more = await until(
        deadline,
        async () => {
          const codes = commitCodes(await commit(c2, { 0: 1000 }));
          return codes[0] === 0 ? codes : undefined;
        },
        'the new coordinator did not take a commit',
      );
      expect(more).toEqual([0]);
      expect(((await fetchOffsets(c2)) as Map<number, number>).get(0)).toBe(1000);
    },
    DEADLINE_MS + 30_000,
  );
});
