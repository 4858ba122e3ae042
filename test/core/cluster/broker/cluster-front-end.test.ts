// A cluster broker serves Kafka with core/protocol's front end: the embedded
// connection's bounds (here the in-flight bound per connection) hold on a
// cluster broker too, and the group APIs the embedded broker serves
// (ListGroups, DescribeGroups, DeleteGroups) are served by the coordinator of
// the group on a cluster (2 controllers and brokers in this process).
import { apis, KafkaConnection } from '../../../../core/protocol';
import { encodeRecordBatch } from '../../../../core/log';
import { rawConnect, requestFrame } from '../../protocol/raw';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2];
const DEADLINE_MS = 40_000;
const GROUP = 'audit';
const TOPIC = 'ledger';
const GROUP_ID_NOT_FOUND = 69;
const NOT_COORDINATOR = 16;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const INVALID_REPLICATION_FACTOR = 38;

describe('the Kafka front end of a cluster broker', () => {
  let cluster: InProcessCluster;
  const open: KafkaConnection[] = [];

  beforeAll(async () => {
    // Followers never fall out of the ISR during the test: an acks=all produce waits until its follower has it.
    cluster = await InProcessCluster.start({ ids: IDS, broker: { replicaLagTimeMaxMs: 120_000, kafkaBounds: { maxInFlightPerConnection: 2 } } });
    const deadline = Date.now() + DEADLINE_MS;
    await cluster.allBrokersRegistered(deadline);
    const c = await connect(1);
    const created = await c.request<apis.CreateTopicsResponse>(apis.createTopics, {
      topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 2, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(created.topics[0].errorCode).toBe(0);
    await until(
      deadline,
      () => (cluster.brokers.every((b) => (b.image.topicByName(TOPIC)?.partitions.get(0)?.isr.length ?? 0) === 2) ? true : undefined),
      'the topic is not replicated',
    );
  }, DEADLINE_MS);

  afterAll(async () => {
    for (const c of open) c.close();
    await cluster?.stop();
  });

  const connect = async (id: number): Promise<KafkaConnection> => {
    const c = await KafkaConnection.connect(cluster.bootstrap(id), { timeoutMs: 15_000 });
    open.push(c);
    return c;
  };

  it('reads at most maxInFlightPerConnection requests ahead while an acks=all produce waits for its follower', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const leaderId = cluster.broker(1).image.topicByName(TOPIC)!.partitions.get(0)!.leader;
    const followerId = IDS.find((id) => id !== leaderId)!;
    const server = cluster.broker(leaderId).kafkaServer!;
    const readBefore = server.requestsRead;
    cluster.isolate(followerId, 'brokers');
    const raw = await rawConnect(cluster.brokerPorts[cluster.brokers.findIndex((b) => b.nodeId === leaderId)]);
    try {
      const records = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('held') }] });
      const produce = requestFrame(apis.produce, 7, 1, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 60_000,
        topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
      });
      const metadata = (id: number) => requestFrame(apis.metadata, 4, id, { topics: [], allowAutoTopicCreation: false });
      raw.socket.write(Buffer.concat([produce, metadata(2), metadata(3), metadata(4), metadata(5)]));
      // The produce waits for the cut-off follower; one Metadata behind it fills the connection's two slots.
      await until(deadline, () => (server.inFlightRequests === 2 ? true : undefined), 'two requests in flight');
      expect(server.requestsRead - readBefore).toBe(2);
      cluster.heal(followerId);
      const answers = await raw.responses(5);
      expect(answers.map((f) => f.readInt32BE(0))).toEqual([1, 2, 3, 4, 5]);
      expect(server.requestsRead - readBefore).toBe(5);
    } finally {
      cluster.heal(followerId);
      raw.socket.destroy();
    }
  });

  it("CreateTopics with validate_only runs the controller's decision on the image and creates nothing", async () => {
    const c = await connect(2);
    const topic = (name: string, replicationFactor: number) => ({
      name,
      numPartitions: 2,
      replicationFactor,
      assignments: [],
      configs: [{ name: 'cleanup.policy', value: 'compact' }],
    });
    const r = await c.request<apis.CreateTopicsResponse>(apis.createTopics, {
      topics: [topic('checked', 2), topic('too-many-replicas', 3)],
      timeoutMs: 5000,
      validateOnly: true,
    });
    expect(r.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ['checked', 0],
      ['too-many-replicas', INVALID_REPLICATION_FACTOR],
    ]);
    expect(r.topics[0]).toMatchObject({ numPartitions: 2, replicationFactor: 2 });
    expect(cluster.brokers.map((b) => b.image.topicByName('checked'))).toEqual([undefined, undefined]);
  });

  it('auto-creates a topic a Metadata request names when the client allows it, and only then', async () => {
    const c = await connect(2);
    const metadata = (name: string, allowAutoTopicCreation: boolean) =>
      c.request<apis.MetadataResponse>(apis.metadata, {
        topics: [{ name }],
        allowAutoTopicCreation,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
    expect((await metadata('asked-only', false)).topics[0].errorCode).toBe(UNKNOWN_TOPIC_OR_PARTITION);
    const created = (await metadata('made-on-demand', true)).topics[0];
    expect(created.errorCode).toBe(0);
    // One partition with the cluster's default replication: a replica on every live broker, up to 3.
    expect(created.partitions.map((p) => p.replicaNodes.length)).toEqual([Math.min(3, IDS.length)]);
    expect(cluster.broker(2).image.topicByName('made-on-demand')?.config['min.insync.replicas']).toBe(IDS.length >= 3 ? '2' : '1');
    expect(cluster.broker(2).image.topicByName('asked-only')).toBeUndefined();
  });

  /** The group's coordinator (FindCoordinator asked of broker 1), once there is one. */
  const coordinator = (deadline: number): Promise<number> =>
    until(
      deadline,
      async () => {
        const r = await (await connect(1)).request<apis.FindCoordinatorResponse>(apis.findCoordinator, { key: GROUP, keyType: 0, coordinatorKeys: [GROUP] });
        const found = r.coordinators[0] ?? r;
        return found.errorCode === 0 ? found.nodeId : undefined;
      },
      'no coordinator for the group',
    );

  it('lists, describes and deletes a group with committed offsets only, at its coordinator', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const c = await connect(await coordinator(deadline));
    // A tool's commit: no member, generation -1.
    const commit = () =>
      c.request<apis.OffsetCommitResponse>(apis.offsetCommit, {
        groupId: GROUP,
        generationIdOrMemberEpoch: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
    await until(deadline, async () => ((await commit()).topics[0].partitions[0].errorCode === 0 ? true : undefined), 'the commit was not acknowledged');

    const listed = await c.request<apis.ListGroupsResponse>(apis.listGroups, { statesFilter: [], typesFilter: [] });
    expect(listed.groups.filter((g) => g.groupId === GROUP).map((g) => g.groupState)).toEqual(['Empty']);
    const described = await c.request<apis.DescribeGroupsResponse>(apis.describeGroups, { groups: [GROUP], includeAuthorizedOperations: false });
    expect(described.groups.map((g) => [g.errorCode, g.groupState, g.members.length])).toEqual([[0, 'Empty', 0]]);

    const deleted = await c.request<apis.DeleteGroupsResponse>(apis.deleteGroups, { groupsNames: [GROUP] });
    expect(deleted.results.map((r) => [r.groupId, r.errorCode])).toEqual([[GROUP, 0]]);
    const again = await c.request<apis.DeleteGroupsResponse>(apis.deleteGroups, { groupsNames: [GROUP] });
    expect(again.results.map((r) => r.errorCode)).toEqual([GROUP_ID_NOT_FOUND]);
    const after = await c.request<apis.ListGroupsResponse>(apis.listGroups, { statesFilter: [], typesFilter: [] });
    expect(after.groups.map((g) => g.groupId)).not.toContain(GROUP);
    const fetched = await c.request<apis.OffsetFetchResponse>(apis.offsetFetch, {
      groupId: GROUP,
      topics: [{ name: TOPIC, partitionIndexes: [0] }],
      groups: [{ groupId: GROUP, memberId: null, memberEpoch: -1, topics: [{ name: TOPIC, partitionIndexes: [0] }] }],
      requireStable: false,
    });
    const offsets = (fetched.groups[0]?.topics ?? fetched.topics).flatMap((t) => t.partitions.map((p) => p.committedOffset));
    expect(offsets).toEqual([-1]);
  });

  it('refuses the group APIs for a group it does not coordinate with NOT_COORDINATOR', async () => {
    const deadline = Date.now() + DEADLINE_MS;
    const coordinatorId = await coordinator(deadline);
    const c = await connect(IDS.find((id) => id !== coordinatorId)!);
    const deleted = await c.request<apis.DeleteGroupsResponse>(apis.deleteGroups, { groupsNames: [GROUP] });
    expect(deleted.results[0].errorCode).toBe(NOT_COORDINATOR);
    const described = await c.request<apis.DescribeGroupsResponse>(apis.describeGroups, { groups: [GROUP], includeAuthorizedOperations: false });
    expect(described.groups[0].errorCode).toBe(NOT_COORDINATOR);
  });
});
