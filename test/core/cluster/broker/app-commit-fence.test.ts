// Offsets of an application run by workers can only be committed by its
// registered workers (core/cluster/broker/app-commit-fence.ts): a cluster in
// this process (3 controllers, 3 brokers), a worker joins through the
// controllers, and OffsetCommit to the application's group is accepted from
// that worker incarnation only — a simple commit, an older epoch, an unknown
// worker and, once it has left, the worker itself are refused; a group that
// is no application keeps Kafka's rules.
import * as E from 'fp-ts/Either';
import { WorkerMembership } from '../../../../core/cluster';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const APP = 'fenced-app';
const TOPIC = 'fenced-input';
const DEADLINE_MS = 60_000;
const UNKNOWN_MEMBER_ID = 25;
const ILLEGAL_GENERATION = 22;

describe('commits to an application group on a cluster', () => {
  let cluster: InProcessCluster;
  let worker: WorkerMembership | undefined;
  const open: KafkaConnection[] = [];

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS });
  });

  afterAll(async () => {
    for (const c of open) c.close();
    await worker?.stop();
    await cluster?.stop();
  });

  /** A connection to the coordinator of `group` (bounded wait for one). */
  async function coordinatorOf(group: string, deadline: number): Promise<KafkaConnection> {
    const any = await KafkaConnection.connect(cluster.bootstrap(IDS[0]), { timeoutMs: 15_000 });
    open.push(any);
    const nodeId = await until(
      deadline,
      async () => {
        const r = await any.request<apis.FindCoordinatorResponse>(apis.findCoordinator, { key: group, keyType: 0, coordinatorKeys: [group] });
        const found = any.versionFor(apis.findCoordinator) >= 4 ? r.coordinators[0] : r;
        return found.errorCode === 0 ? found.nodeId : undefined;
      },
      `no coordinator for ${group}`,
    );
    const c = await KafkaConnection.connect(cluster.bootstrap(nodeId), { timeoutMs: 15_000 });
    open.push(c);
    return c;
  }

  const commit = async (c: KafkaConnection, group: string, memberId: string, generation: number, offset: number): Promise<number> => {
    const r = await c.request<apis.OffsetCommitResponse>(apis.offsetCommit, {
      groupId: group,
      generationIdOrMemberEpoch: generation,
      memberId,
      groupInstanceId: null,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    return r.topics[0].partitions[0].errorCode;
  };

  it(
    'accepts commits from the registered worker incarnation only',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await cluster.allBrokersRegistered(deadline);
      const admin = await KafkaConnection.connect(cluster.bootstrap(IDS[0]), { timeoutMs: 15_000 });
      open.push(admin);
      const created = await admin.request<apis.CreateTopicsResponse>(apis.createTopics, {
        topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 3, assignments: [], configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      });
      expect(created.topics[0].errorCode).toBe(0);

      worker = new WorkerMembership({
        controllers: cluster.addresses,
        app: APP,
        workerId: 'w1',
        inputTopics: [TOPIC],
        heartbeatIntervalMs: 100,
        onAssignment: () => undefined,
      });
      expect(E.isRight(await worker.start(20_000))).toBe(true);
      const epoch = worker.workerEpoch;
      expect(epoch).toBeGreaterThan(0);
      const c = await coordinatorOf(APP, deadline);

      expect(await commit(c, APP, 'w1', epoch, 5)).toBe(0);
      expect(await commit(c, APP, '', -1, 6)).toBe(UNKNOWN_MEMBER_ID);
      expect(await commit(c, APP, 'w1', epoch - 1, 7)).toBe(ILLEGAL_GENERATION);
      expect(await commit(c, APP, 'someone-else', 1, 8)).toBe(UNKNOWN_MEMBER_ID);
      const fetched = await c.request<apis.OffsetFetchResponse>(apis.offsetFetch, {
        groupId: APP,
        topics: [{ name: TOPIC, partitionIndexes: [0] }],
        groups: [{ groupId: APP, memberId: null, memberEpoch: -1, topics: [{ name: TOPIC, partitionIndexes: [0] }] }],
        requireStable: false,
      });
      const committed =
        c.versionFor(apis.offsetFetch) >= 8 ? fetched.groups[0].topics[0].partitions[0].committedOffset : fetched.topics[0].partitions[0].committedOffset;
      expect(committed).toBe(5);

      // Once it has left (as after a fence), its incarnation commits nothing more.
      await worker.leave();
      await until(
        deadline,
        async () => ((await commit(c, APP, 'w1', epoch, 9)) === UNKNOWN_MEMBER_ID ? true : undefined),
        'the departed worker could still commit',
      );
      // With no workers left, the group is an ordinary empty group again: a simple commit is accepted.
      expect(await commit(c, APP, '', -1, 10)).toBe(0);

      // A group that is no application keeps Kafka's rules.
      const other = await coordinatorOf('plain-group', deadline);
      expect(await commit(other, 'plain-group', '', -1, 3)).toBe(0);
    },
    DEADLINE_MS + 30_000,
  );
});
