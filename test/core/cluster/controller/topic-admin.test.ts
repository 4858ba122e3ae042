// The controller's topic admin decisions, pure: DeleteTopics, CreatePartitions
// and AlterConfigs on a metadata image.
import { ClusterErrorCode, createPartitions, createTopic, deleteTopic, placeReplicas, type MetadataImage } from '../../../../core/cluster';
import { accepted, clusterOf, refusedWith } from './fixtures';

describe('deleteTopic', () => {
  test('removes the topic by id; the name can be created again, under a new id', () => {
    const image = clusterOf([1, 2, 3]);
    const first = accepted(image, createTopic(image, { name: 't', partitions: 2, replicationFactor: 3 })).response.topicId;
    const removed = accepted(image, deleteTopic(image, 't'));
    expect(removed.records).toEqual([{ type: 'RemoveTopic', topicId: first }]);
    expect(image.topicByName('t')).toBeUndefined();
    const second = accepted(image, createTopic(image, { name: 't', partitions: 1, replicationFactor: 1 })).response.topicId;
    expect(second).toBeGreaterThan(first);
    expect(image.topicByName('t')?.partitions.size).toBe(1);
  });

  test('refuses an unknown topic and the internal offsets topic', () => {
    const image = clusterOf([1, 2, 3]);
    expect(refusedWith(deleteTopic(image, 'nope'))).toBe(ClusterErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    accepted(image, createTopic(image, { name: '__consumer_offsets', partitions: 1, replicationFactor: 3 }));
    expect(refusedWith(deleteTopic(image, '__consumer_offsets'))).toBe(ClusterErrorCode.INVALID_TOPIC_EXCEPTION);
  });
});

describe('createPartitions', () => {
  const partitionsOf = (image: MetadataImage, name: string) => [...image.topicByName(name)!.partitions.values()].sort((a, b) => a.partition - b.partition);

  test('adds partitions with the replication factor of the topic, placed as if the topic had been created with them all', () => {
    const image = clusterOf([1, 2, 3, 4]);
    const { topicId } = accepted(image, createTopic(image, { name: 't', partitions: 2, replicationFactor: 2 })).response;
    const { records } = accepted(image, createPartitions(image, { name: 't', count: 5 }));
    expect(records.map((r) => r.type === 'Partition' && r.partition)).toEqual([2, 3, 4]);
    const placed = placeReplicas(image.liveBrokers(), 5, 2, topicId - 1);
    expect(partitionsOf(image, 't').map((p) => p.replicas)).toEqual(placed);
    for (const p of partitionsOf(image, 't').slice(2)) expect(p).toMatchObject({ isr: p.replicas, leader: p.replicas[0], leaderEpoch: 0, partitionEpoch: 0 });
  });

  test('refuses an unknown topic, a count that does not grow, and too few live brokers, saying why', () => {
    const image = clusterOf([1, 2, 3]);
    expect(refusedWith(createPartitions(image, { name: 'nope', count: 2 }))).toBe(ClusterErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    accepted(image, createTopic(image, { name: 't', partitions: 2, replicationFactor: 3 }));
    for (const count of [1, 2, 2.5, NaN, 1_000_000]) expect(refusedWith(createPartitions(image, { name: 't', count }))).toBe(ClusterErrorCode.INVALID_PARTITIONS);
    const shrink = createPartitions(image, { name: 't', count: 1 });
    expect(shrink).toMatchObject({ left: { message: expect.stringContaining('has 2 partition(s); the new total must be an integer above 2') } });
    image.apply({ type: 'FenceBroker', brokerId: 3, brokerEpoch: 3 });
    const narrow = createPartitions(image, { name: 't', count: 3 });
    expect(refusedWith(narrow)).toBe(ClusterErrorCode.INVALID_REPLICATION_FACTOR);
    expect(narrow).toMatchObject({ left: { message: expect.stringContaining('replication factor 3; its new partitions need that many live brokers, and 2 are live') } });
  });
});
