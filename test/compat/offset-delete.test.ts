// OffsetDelete (KIP-496, `kafka-consumer-groups --delete-offsets`) against both
// modes, spoken with Rill's own protocol client at the group's coordinator: a
// group's committed offsets of some partitions go, the others stay; a partition
// the cluster lacks answers UNKNOWN_TOPIC_OR_PARTITION; while members consume a
// topic its offsets are kept (GROUP_SUBSCRIBED_TO_TOPIC); an unknown group is
// GROUP_ID_NOT_FOUND.
import { ErrorCode } from '../../core/wire';
import { apis } from '../../core/protocol';
import { waitFor } from '../core/protocol/harness';
import { describeModes } from './modes';
import { ask, bootstrapOf, createTopics } from './targets';

describeModes('protocol', ({ target, kafka, test }) => {
  /** host:port of the group's coordinator, once there is one. */
  async function coordinatorOf(groupId: string): Promise<string> {
    let address: string | undefined;
    await waitFor(async () => {
      const r = await ask<apis.FindCoordinatorResponse>(bootstrapOf(target())[0], apis.findCoordinator, {
        key: groupId,
        keyType: 0,
        coordinatorKeys: [groupId],
      });
      const found = r.coordinators?.[0] ?? r;
      if (found.errorCode === 0) address = `${found.host}:${found.port}`;
      return address !== undefined;
    }, `a coordinator for ${groupId}`);
    return address!;
  }

  /** A tool's commit (no member, generation -1) of `offset` on partition 0 of each topic, retried while the coordinator settles. */
  async function commit(at: string, groupId: string, topics: string[], offset: number): Promise<void> {
    const body = {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] })),
    };
    await waitFor(
      async () => (await ask<apis.OffsetCommitResponse>(at, apis.offsetCommit, body)).topics.every((t) => t.partitions.every((p) => p.errorCode === 0)),
      `the commit of ${groupId}`,
    );
  }

  const deleteOffsets = (at: string, groupId: string, topics: string[]) =>
    ask<apis.OffsetDeleteResponse>(at, apis.offsetDelete, { groupId, topics: topics.map((name) => ({ name, partitions: [{ partitionIndex: 0 }] })) });

  const committed = async (at: string, groupId: string, topics: string[]): Promise<number[]> => {
    const r = await ask<apis.OffsetFetchResponse>(at, apis.offsetFetch, {
      groupId,
      topics: topics.map((name) => ({ name, partitionIndexes: [0] })),
      groups: [{ groupId, topics: topics.map((name) => ({ name, partitionIndexes: [0] })) }],
      requireStable: false,
    });
    const found = r.groups.length > 0 ? r.groups[0].topics : r.topics;
    return topics.map((t) => found.find((x) => x.name === t)?.partitions[0]?.committedOffset ?? -1);
  };

  test('deletes the committed offsets of the partitions asked for, and only those', async () => {
    await createTopics(target(), kafka(), [
      { topic: 'od-a', numPartitions: 1 },
      { topic: 'od-b', numPartitions: 1 },
    ]);
    const at = await coordinatorOf('od-tool');
    await commit(at, 'od-tool', ['od-a', 'od-b'], 5);
    const r = await deleteOffsets(at, 'od-tool', ['od-a', 'od-missing']);
    expect(r.errorCode).toBe(0);
    expect(r.topics.map((t) => [t.name, t.partitions[0].errorCode])).toEqual([
      ['od-a', 0],
      ['od-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    expect(await committed(at, 'od-tool', ['od-a', 'od-b'])).toEqual([-1, 5]);
    expect((await deleteOffsets(at, 'od-nobody', ['od-a'])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  test("keeps the offsets of a topic the group's members consume", async () => {
    await createTopics(target(), kafka(), [
      { topic: 'od-read', numPartitions: 1 },
      { topic: 'od-other', numPartitions: 1 },
    ]);
    const consumer = kafka().consumer({ groupId: 'od-live', maxWaitTimeInMs: 100 });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: 'od-read', fromBeginning: true });
      let joined = false;
      consumer.on(consumer.events.GROUP_JOIN, () => void (joined = true));
      await consumer.run({ eachMessage: async () => {} });
      await waitFor(() => joined, 'a member of od-live');
      const at = await coordinatorOf('od-live');
      const r = await deleteOffsets(at, 'od-live', ['od-read', 'od-other']);
      expect(r.errorCode).toBe(0);
      expect(r.topics.map((t) => [t.name, t.partitions[0].errorCode])).toEqual([
        ['od-read', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
        ['od-other', 0],
      ]);
    } finally {
      await consumer.disconnect();
    }
  });
});
