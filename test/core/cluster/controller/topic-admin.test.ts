// The controller's topic admin decisions, pure: DeleteTopics, CreatePartitions
// and AlterConfigs on a metadata image.
import {
  alterPartition,
  alterTopicConfig,
  ErrorCode,
  createPartitions,
  createTopic,
  deleteTopic,
  fenceBroker,
  MetadataImage,
  NO_LEADER,
  placeReplicas,
} from '../../../../core/cluster';
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
    expect(refusedWith(deleteTopic(image, 'nope'))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    accepted(image, createTopic(image, { name: '__consumer_offsets', partitions: 1, replicationFactor: 3 }));
    expect(refusedWith(deleteTopic(image, '__consumer_offsets'))).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
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
    expect(refusedWith(createPartitions(image, { name: 'nope', count: 2 }))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    accepted(image, createTopic(image, { name: 't', partitions: 2, replicationFactor: 3 }));
    for (const count of [1, 2, 2.5, NaN, 1_000_000]) expect(refusedWith(createPartitions(image, { name: 't', count }))).toBe(ErrorCode.INVALID_PARTITIONS);
    const shrink = createPartitions(image, { name: 't', count: 1 });
    expect(shrink).toMatchObject({ left: { message: expect.stringContaining('has 2 partition(s); the new total must be an integer above 2') } });
    image.apply({ type: 'FenceBroker', brokerId: 3, brokerEpoch: 3 });
    const narrow = createPartitions(image, { name: 't', count: 3 });
    expect(refusedWith(narrow)).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(narrow).toMatchObject({
      left: { message: expect.stringContaining('replication factor 3; its new partitions need that many live brokers, and 2 are live') },
    });
  });
});

describe('alterTopicConfig', () => {
  function withTopic(config: Record<string, string> = {}): MetadataImage {
    const image = clusterOf([1, 2, 3]);
    accepted(image, createTopic(image, { name: 't', partitions: 1, replicationFactor: 3, config }));
    return image;
  }

  test('the given settings become the overrides (others back to defaults), and survive a snapshot', () => {
    const image = withTopic({ 'retention.ms': '1000', 'min.insync.replicas': '2' });
    const { records, response } = accepted(
      image,
      alterTopicConfig(image, { name: 't', config: { 'retention.bytes': '4096', 'unclean.leader.election.enable': 'TRUE' } }),
    );
    expect(records).toEqual([
      { type: 'TopicConfig', topicId: response.topicId, config: { 'retention.bytes': '4096', 'unclean.leader.election.enable': 'true' } },
    ]);
    expect(image.topicByName('t')!.config).toEqual({ 'retention.bytes': '4096', 'unclean.leader.election.enable': 'true' });
    expect(MetadataImage.fromRecords(image.toRecords()).topicByName('t')!.config).toEqual(image.topicByName('t')!.config);
  });

  test('refuses bad settings as CreateTopics does, saying which and why', () => {
    const image = withTopic();
    const bad: [Record<string, string>, string][] = [
      [{ 'retention.ms': 'soon' }, 'Invalid value "soon" for log config "retention.ms"'],
      [{ 'min.insync.replicas': '4' }, 'min.insync.replicas=4 must be an integer from 1 to the replication factor (3)'],
      [{ 'unclean.leader.election.enable': 'maybe' }, 'unclean.leader.election.enable=maybe must be true or false'],
      [{ 'retention.msec': '1' }, 'unknown topic config "retention.msec". Known keys: segment.bytes'],
    ];
    for (const [config, message] of bad) {
      const d = alterTopicConfig(image, { name: 't', config });
      expect(refusedWith(d)).toBe(ErrorCode.INVALID_CONFIG);
      expect(d).toMatchObject({ left: { message: expect.stringContaining(message) } });
      expect(refusedWith(createTopic(image, { name: 'u', partitions: 1, replicationFactor: 3, config }))).toBe(ErrorCode.INVALID_CONFIG);
    }
    expect(refusedWith(alterTopicConfig(image, { name: 'nope', config: {} }))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  test('a partition whose whole ISR is down stays leaderless until unclean election is enabled, then gets a live non-ISR leader', () => {
    const image = withTopic();
    const p = image.topicByName('t')!.partitions.get(0)!;
    accepted(image, alterPartition(image, { brokerId: 1, brokerEpoch: 1, topicId: p.topicId, partition: 0, leaderEpoch: 0, partitionEpoch: 0, newIsr: [1] }));
    accepted(image, fenceBroker(image, 1, 1));
    expect(image.topicByName('t')!.partitions.get(0)).toMatchObject({ leader: NO_LEADER, isr: [1] });
    // Another setting changes nothing about leadership.
    expect(accepted(image, alterTopicConfig(image, { name: 't', config: { 'retention.ms': '1000' } })).records).toHaveLength(1);
    expect(image.topicByName('t')!.partitions.get(0)!.leader).toBe(NO_LEADER);
    const { records } = accepted(image, alterTopicConfig(image, { name: 't', config: { 'unclean.leader.election.enable': 'true' } }));
    expect(records.map((r) => r.type)).toEqual(['TopicConfig', 'PartitionChange']);
    expect(image.topicByName('t')!.partitions.get(0)).toMatchObject({ leader: 2, isr: [2] });
  });
});

describe('max.broker.partitions', () => {
  test('a topic, or new partitions, that would put more replicas on a broker than the limit is refused whole, before anything is placed', () => {
    const image = clusterOf([1, 2, 3]);
    // RF 3 on 3 brokers: every partition puts one replica on each broker.
    accepted(image, createTopic(image, { name: 'a', partitions: 4, replicationFactor: 3 }, 6));
    const tooMany = createTopic(image, { name: 'b', partitions: 3, replicationFactor: 3 }, 6);
    expect(refusedWith(tooMany)).toBe(ErrorCode.POLICY_VIOLATION);
    expect(tooMany).toMatchObject({ left: { message: expect.stringContaining('would make 7, above max.broker.partitions (6)') } });
    expect(image.topicByName('b')).toBeUndefined();
    accepted(image, createTopic(image, { name: 'b', partitions: 2, replicationFactor: 3 }, 6));
    expect(refusedWith(createPartitions(image, { name: 'a', count: 5 }, 6))).toBe(ErrorCode.POLICY_VIOLATION);
    expect(image.topicByName('a')!.partitions.size).toBe(4);
    // Deleting a topic gives its replicas back; a snapshot of the image counts the same.
    accepted(image, deleteTopic(image, 'b'));
    expect([1, 2, 3].map((b) => image.hostedReplicas(b))).toEqual([4, 4, 4]);
    expect([1, 2, 3].map((b) => MetadataImage.fromRecords(image.toRecords()).hostedReplicas(b))).toEqual([4, 4, 4]);
    accepted(image, createPartitions(image, { name: 'a', count: 6 }, 6));
  });

  test('a topic is refused above the per-topic partition maximum', () => {
    const image = clusterOf([1]);
    expect(refusedWith(createTopic(image, { name: 'huge', partitions: 1_000_000, replicationFactor: 1 }))).toBe(ErrorCode.INVALID_PARTITIONS);
  });
});
