// Kafka answers per topic, then per partition; the broker works per partition.
// These two helpers turn one into the other, keeping the request's order.

export interface TopicPartitions<P> {
  name: string;
  partitions: P[];
}

/** Groups per-partition results under their topic, in first-seen order. */
export function groupByTopic<T extends { topic: string }, P>(items: readonly T[], toPartition: (item: T) => P): TopicPartitions<P>[] {
  const byName = new Map<string, TopicPartitions<P>>();
  for (const item of items) {
    let t = byName.get(item.topic);
    if (!t) byName.set(item.topic, (t = { name: item.topic, partitions: [] }));
    t.partitions.push(toPartition(item));
  }
  return [...byName.values()];
}

/** Answers a per-topic request partition by partition, keeping its topics, partitions and order. */
export function answerPerPartition<Q, P>(topics: readonly TopicPartitions<Q>[], answer: (topic: string, partition: Q) => P): TopicPartitions<P>[] {
  return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => answer(t.name, p)) }));
}
