// The replicas a broker must look at again after applying metadata entries:
// entries are deltas, and at 100,000 partitions a broker cannot walk every
// partition for each ISR change (issue #19's "brokers apply deltas").
import type { MetadataImage, TopicImage } from '../metadata/image';
import type { MetadataRecord } from '../metadata/records';
/**
 * What metadata entries changed for a broker's replicas: whole topics (created,
 * reconfigured, removed) and single partitions (created, changed), by topic id.
 */
export class ReplicaChanges {
  private readonly topics = new Set<number>();
  private readonly partitions = new Map<number, Set<number>>();

  note(records: readonly MetadataRecord[]): void {
    for (const r of records) {
      if (r.type === 'Topic' || r.type === 'TopicConfig' || r.type === 'RemoveTopic') this.topics.add(r.topicId);
      else if (r.type === 'Partition' || r.type === 'PartitionChange') {
        let set = this.partitions.get(r.topicId);
        if (set === undefined) this.partitions.set(r.topicId, (set = new Set()));
        set.add(r.partition);
      }
    }
  }

  /** The changed topics still in the image. */
  *topicsIn(image: MetadataImage): Iterable<TopicImage> {
    for (const id of new Set([...this.topics, ...this.partitions.keys()])) {
      const topic = image.topics.get(id);
      if (topic !== undefined) yield topic;
    }
  }

  /** The changed partitions of a topic, or undefined when the whole topic changed. */
  partitionsOf(topicId: number): Iterable<number> | undefined {
    return this.topics.has(topicId) ? undefined : this.partitions.get(topicId);
  }

  touchesTopic(topicId: number): boolean {
    return this.topics.has(topicId);
  }
}
