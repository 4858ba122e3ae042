// Deciding a partition's next leader and ISR (KRaft's PartitionChangeBuilder):
// the leader comes from the ISR only, among unfenced brokers, unless the topic
// opted into unclean election; a change is written only when something changes.
import type { MetadataImage, PartitionRegistration, TopicImage } from '../metadata/image';
import { NO_LEADER, type PartitionChangeRecord } from '../metadata/records';

export function uncleanElectionEnabled(topic: TopicImage): boolean {
  return topic.config['unclean.leader.election.enable'] === 'true';
}

export function minInsyncReplicas(topic: TopicImage): number {
  const n = Number(topic.config['min.insync.replicas'] ?? '1');
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/**
 * The leader a partition should have given this ISR: the current leader if it
 * is still eligible (no needless epoch bump), else the first replica in replica
 * order that is in the ISR and unfenced; else, only when the topic opts in, any
 * unfenced replica (unclean: it may lack acknowledged records).
 */
export function electLeader(image: MetadataImage, topic: TopicImage, p: PartitionRegistration, isr: readonly number[]): { leader: number; unclean: boolean } {
  const eligible = (id: number) => image.isUnfenced(id);
  if (p.leader !== NO_LEADER && isr.includes(p.leader) && eligible(p.leader)) return { leader: p.leader, unclean: false };
  const clean = p.replicas.find((id) => isr.includes(id) && eligible(id));
  if (clean !== undefined) return { leader: clean, unclean: false };
  if (uncleanElectionEnabled(topic)) {
    const unclean = p.replicas.find(eligible);
    if (unclean !== undefined) return { leader: unclean, unclean: true };
  }
  return { leader: NO_LEADER, unclean: false };
}

/**
 * The change that takes `p` to `isr` with a leader elected from it, or undefined
 * when neither leader nor ISR changes. An unclean leader gets an ISR of itself.
 */
export function partitionChange(image: MetadataImage, topic: TopicImage, p: PartitionRegistration, isr: readonly number[]): PartitionChangeRecord | undefined {
  const { leader, unclean } = electLeader(image, topic, p, isr);
  const nextIsr = unclean ? [leader] : isr;
  const leaderChanged = leader !== p.leader;
  const isrChanged = !sameMembers(nextIsr, p.isr);
  if (!leaderChanged && !isrChanged) return undefined;
  return {
    type: 'PartitionChange',
    topicId: p.topicId,
    partition: p.partition,
    partitionEpoch: p.partitionEpoch,
    ...(leaderChanged && { leader }),
    ...(isrChanged && { isr: [...nextIsr] }),
  };
}

/**
 * `broker` stops being eligible (fenced, or a new incarnation replaced it): it
 * leaves every ISR and leadership moves. As in KRaft, the last ISR member stays
 * in the ISR (leaderless) so that, when it returns, the partition resumes from
 * the replica that has every acknowledged record instead of losing them.
 */
export function removeFromIsrs(image: MetadataImage, broker: number): PartitionChangeRecord[] {
  const changes: PartitionChangeRecord[] = [];
  for (const topic of image.topics.values()) {
    for (const p of topic.partitions.values()) {
      if (!p.isr.includes(broker) && p.leader !== broker) continue;
      const remaining = p.isr.filter((id) => id !== broker);
      const isr = remaining.length > 0 ? remaining : p.isr;
      const change = partitionChange(image, topic, p, isr);
      if (change) changes.push(change);
    }
  }
  return changes;
}

/** Partitions without a leader that can get one now (after a broker was unfenced). */
export function electLeaderless(image: MetadataImage): PartitionChangeRecord[] {
  const changes: PartitionChangeRecord[] = [];
  for (const topic of image.topics.values()) {
    for (const p of topic.partitions.values()) {
      if (p.leader !== NO_LEADER) continue;
      const change = partitionChange(image, topic, p, p.isr);
      if (change) changes.push(change);
    }
  }
  return changes;
}

export function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}
