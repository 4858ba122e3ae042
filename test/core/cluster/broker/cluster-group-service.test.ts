// Group membership on a cluster broker runs on core/broker's GroupService,
// constructed directly: a broker keeps no embedded Broker in <data>/groups (an
// old one left by an earlier version is left alone and named in the log),
// and DeleteGroups at a group's coordinator writes tombstones for its offsets
// to the replicated __consumer_offsets, so every replica drops them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONSUMER_OFFSETS_TOPIC, ErrorCode, OffsetCache, offsetsPartitionFor } from '../../../../core/broker';
import { OFFSETS_TOPIC_PARTITIONS } from '../../../../core/cluster';
import { replicaName } from '../../../../core/cluster/broker/broker-view';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const DEADLINE_MS = 60_000;
const GROUP = 'audit';
const NOT_COORDINATOR = 16;

describe('consumer groups on a cluster broker, without an embedded Broker', () => {
  let cluster: InProcessCluster;
  const open: { close(): unknown }[] = [];

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS });
  });

  afterAll(async () => {
    for (const c of open) await c.close();
    await cluster?.stop();
  });

  const connect = async (id: number): Promise<KafkaConnection> => {
    const c = await KafkaConnection.connect(cluster.bootstrap(id), { timeoutMs: 15_000 });
    open.push(c);
    return c;
  };

  it('creates no groups directory, and starts beside one left by an earlier version, naming it', async () => {
    for (const id of IDS) expect(fs.existsSync(path.join(cluster.dir, `b${id}`, 'groups'))).toBe(false);
    const legacy = path.join(cluster.dir, `b${IDS[2]}`, 'groups');
    const restarted = await cluster.restart(IDS[2], async () => {
      fs.mkdirSync(legacy);
      fs.writeFileSync(path.join(legacy, 'meta.json'), '{}');
    });
    expect(restarted.nodeId).toBe(IDS[2]);
    // Left alone (it may hold an old coordinator's offsets), and named in the log.
    expect(fs.readFileSync(path.join(legacy, 'meta.json'), 'utf8')).toBe('{}');
    expect(cluster.brokerLogs.get(IDS[2])!.some((line) => line.includes(`ignoring ${legacy}`))).toBe(true);
  });

  it('DeleteGroups at the coordinator tombstones the group offsets on every replica', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    await cluster.allBrokersRegistered(deadline);
    const first = cluster.broker(IDS[0]);
    expect((await first.createTopic({ name: 'ledger', partitions: 1, replicationFactor: 3 }, 5000)).errorCode).toBe(0);

    // The first FindCoordinator creates __consumer_offsets; wait for the group's partition to have a leader and a full ISR.
    const c = await connect(IDS[0]);
    const coordinator = await until(
      deadline,
      async () => {
        const r = await c.request<apis.FindCoordinatorResponse>(apis.findCoordinator, { key: GROUP, keyType: 0, coordinatorKeys: [GROUP] });
        const found = c.versionFor(apis.findCoordinator) >= 4 ? r.coordinators[0] : r;
        return found.errorCode === 0 ? found.nodeId : undefined;
      },
      'no coordinator was named',
    );
    const partition = offsetsPartitionFor(GROUP, OFFSETS_TOPIC_PARTITIONS);
    await until(
      deadline,
      () => (first.image.topicByName(CONSUMER_OFFSETS_TOPIC)?.partitions.get(partition)?.isr.length === 3 ? true : undefined),
      'no full ISR',
    );

    const atCoordinator = await connect(coordinator);
    const commit = () =>
      atCoordinator.request<apis.OffsetCommitResponse>(apis.offsetCommit, {
        groupId: GROUP,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: 'ledger', partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: '' }] }],
      });
    await until(deadline, async () => ((await commit()).topics[0].partitions[0].errorCode === 0 ? true : undefined), 'the commit was not acknowledged');

    /** The group's offsets as broker `id`'s replica of the offsets partition has them in its log. */
    const offsetsOnReplica = (id: number) => {
      const hosted = cluster.broker(id).replicas.get(replicaName(CONSUMER_OFFSETS_TOPIC, partition))!;
      const cache = new OffsetCache();
      cache.load(hosted.log, hosted.log.logEndOffset);
      return cache.fetch(GROUP).map((o) => o.offset);
    };
    for (const id of IDS) await until(deadline, () => (offsetsOnReplica(id).length === 1 ? true : undefined), `replica ${id} did not get the commit`);

    // Offsets alone make the group Empty at its coordinator, listed and described.
    const described = async () =>
      (await atCoordinator.request<apis.DescribeGroupsResponse>(apis.describeGroups, { groups: [GROUP], includeAuthorizedOperations: false })).groups[0];
    expect(await described()).toMatchObject({ errorCode: 0, groupState: 'Empty', members: [] });
    const listed = await atCoordinator.request<apis.ListGroupsResponse>(apis.listGroups, { statesFilter: [], typesFilter: [] });
    expect(listed.groups.filter((g) => g.groupId === GROUP).map((g) => g.groupState)).toEqual(['Empty']);

    const deleteGroups = async (id: number, groupsNames: string[]) =>
      (await (await connect(id)).request<apis.DeleteGroupsResponse>(apis.deleteGroups, { groupsNames })).results.map((r) => r.errorCode);
    const other = IDS.find((id) => id !== coordinator)!;
    expect(await deleteGroups(other, [GROUP])).toEqual([NOT_COORDINATOR]);
    const sameCoordinator = Array.from({ length: 100 }, (_, i) => `nobody-${i}`).find((g) => offsetsPartitionFor(g, OFFSETS_TOPIC_PARTITIONS) === partition)!;
    expect(await deleteGroups(coordinator, [sameCoordinator, GROUP])).toEqual([ErrorCode.GROUP_ID_NOT_FOUND, 0]);
    for (const id of IDS) await until(deadline, () => (offsetsOnReplica(id).length === 0 ? true : undefined), `replica ${id} kept the deleted offsets`);
    // Gone once, the group is not found a second time.
    expect(await deleteGroups(coordinator, [GROUP])).toEqual([ErrorCode.GROUP_ID_NOT_FOUND]);
  });
});
