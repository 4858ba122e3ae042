// The controller's topic admin decisions, pure: DeleteTopics, CreatePartitions
// and AlterConfigs on a metadata image.
import { ClusterErrorCode, createTopic, deleteTopic } from '../../../../core/cluster';
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
