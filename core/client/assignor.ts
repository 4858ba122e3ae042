// Partition assignors: the group leader's job in Kafka's client-driven group
// protocol. Each gets the members' subscriptions and the partition counts, and
// returns every member's partitions. Names are Kafka's, so a Rill consumer can
// share a group with Java or librdkafka consumers using the same assignor.
import type { TopicPartition } from '../broker';

export interface MemberSubscription {
  memberId: string;
  topics: readonly string[];
  /** What the member owns now; only cooperative assignors read it. */
  ownedPartitions: readonly TopicPartition[];
}

export interface Assignor {
  /** The protocol name sent in JoinGroup (Kafka's: "range", "roundrobin", "cooperative-sticky"). */
  readonly name: string;
  /**
   * eager: members give up everything before each rebalance.
   * cooperative: members keep what they still own; a partition that moves is
   * first revoked by its owner, then assigned in a follow-up rebalance.
   */
  readonly rebalanceProtocol: 'eager' | 'cooperative';
  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Map<string, TopicPartition[]>;
}

/** An empty assignment for every member, to fill in. */
export function emptyAssignment(members: readonly MemberSubscription[]): Map<string, TopicPartition[]> {
  return new Map(members.map((m) => [m.memberId, []]));
}

/** Every partition of the topics any member subscribes to (and that exist), sorted by topic then partition. */
export function subscribedPartitions(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): TopicPartition[] {
  const topics = [...new Set(members.flatMap((m) => m.topics))].filter((t) => partitionsPerTopic.has(t)).sort();
  return topics.flatMap((topic) => Array.from({ length: partitionsPerTopic.get(topic)! }, (_, partition) => ({ topic, partition })));
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\0${tp.partition}`;
}

export function byMemberId(a: MemberSubscription, b: MemberSubscription): number {
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}
