// The group assignor of stream applications: a task owns partition p of every
// topic it reads (sources and repartition topics), so partitions are assigned
// by task, never one topic-partition at a time (Kafka Streams' assignor does
// the same). The balancing and the cooperative rules are core/client's
// cooperative-sticky assignor, applied to tasks: each task is a partition of a
// virtual topic, a member owns a task when it owns any of its partitions, and
// a task that moves is withheld until its owner has revoked it.
import type { Assignor, MemberSubscription } from './assignor';
import type { TopicPartition } from '../broker';
import { cooperativeStickyAssignor } from './cooperative-sticky-assignor';

const TASKS = '\u0000tasks';

export const coPartitionedAssignor: Assignor = {
  name: 'rill-co-partitioned',
  rebalanceProtocol: 'cooperative',
  assign(members, partitionsPerTopic) {
    const topicsOf = new Map(members.map((m) => [m.memberId, m.topics.filter((t) => partitionsPerTopic.has(t))]));
    let tasks = 0;
    for (const topics of topicsOf.values()) for (const t of topics) tasks = Math.max(tasks, partitionsPerTopic.get(t)!);
    const asTasks: MemberSubscription[] = members.map((m) => ({
      memberId: m.memberId,
      topics: topicsOf.get(m.memberId)!.length > 0 ? [TASKS] : [],
      ownedPartitions: [...new Set(m.ownedPartitions.map((tp) => tp.partition))].map((partition) => ({ topic: TASKS, partition })),
    }));
    const byTask = cooperativeStickyAssignor.assign(asTasks, new Map([[TASKS, tasks]]));
    const result = new Map<string, TopicPartition[]>();
    for (const [memberId, assigned] of byTask) {
      const topics = topicsOf.get(memberId) ?? [];
      result.set(
        memberId,
        assigned.flatMap((task) => topics.filter((t) => task.partition < partitionsPerTopic.get(t)!).map((topic) => ({ topic, partition: task.partition }))),
      );
    }
    return result;
  },
};
