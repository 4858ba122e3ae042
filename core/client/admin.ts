// Admin: topics, configs, groups, offsets and lag. Promise-based like the rest of
// the client (the same surface will later run over the network); a refusal
// rejects with a BrokerError carrying the Kafka error code.
import { Either, isLeft } from 'fp-ts/Either';
import { Broker, BrokerError, CommittedOffset, ConfigAlteration, ErrorCode, GroupSummary, NewTopic, TopicDescription } from '../broker';
import { decodeAssignment, TopicPartition } from '../broker';

export interface PartitionLag {
  topic: string;
  partition: number;
  /** -1 when the group has committed nothing for the partition. */
  committedOffset: number;
  logEndOffset: number;
  /** logEndOffset - committed (the whole partition from its start when nothing is committed). */
  lag: number;
}

export interface TopicOffsets {
  partition: number;
  logStartOffset: number;
  highWatermark: number;
  logEndOffset: number;
}

export interface GroupDescription extends Omit<GroupSummary, 'members'> {
  members: { memberId: string; groupInstanceId: string | null; clientId: string; assignment: TopicPartition[] }[];
}

function orThrow<T>(e: Either<BrokerError, T>): T {
  if (isLeft(e)) throw e.left;
  return e.right;
}

export class Admin {
  constructor(private readonly broker: Broker) {}

  async createTopics(topics: readonly NewTopic[], options: { validateOnly?: boolean } = {}): Promise<TopicDescription[]> {
    return topics.map((t) => orThrow(this.broker.createTopic(t, options)));
  }

  async deleteTopics(names: readonly string[]): Promise<void> {
    for (const n of names) orThrow(this.broker.deleteTopic(n));
  }

  async listTopics(options: { includeInternal?: boolean } = {}): Promise<string[]> {
    return this.broker.listTopics(options);
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    return names.map((n) => orThrow(this.broker.describeTopic(n)));
  }

  async alterTopicConfig(name: string, change: ConfigAlteration, options: { validateOnly?: boolean } = {}): Promise<TopicDescription> {
    return orThrow(this.broker.alterTopicConfig(name, change, options));
  }

  async createPartitions(name: string, total: number): Promise<TopicDescription> {
    return orThrow(this.broker.createPartitions(name, total));
  }

  async fetchTopicOffsets(topic: string): Promise<TopicOffsets[]> {
    const d = orThrow(this.broker.describeTopic(topic));
    return Array.from({ length: d.partitions }, (_, partition) => ({ partition, ...orThrow(this.broker.partitionOffsets(topic, partition)) }));
  }

  /** Per partition, the first offset whose timestamp is at or after `timestamp` (-1: none). */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp: number): Promise<{ partition: number; offset: number }[]> {
    const d = orThrow(this.broker.describeTopic(topic));
    return Array.from({ length: d.partitions }, (_, partition) => ({ partition, offset: orThrow(this.broker.listOffset(topic, partition, timestamp)).offset }));
  }

  async deleteRecords(topic: string, partitions: readonly { partition: number; offset: number }[]): Promise<{ partition: number; lowWatermark: number }[]> {
    return partitions.map((p) => ({ partition: p.partition, lowWatermark: orThrow(this.broker.deleteRecords(topic, p.partition, p.offset)) }));
  }

  async listGroups(): Promise<{ groupId: string; state: string; protocolType: string | null }[]> {
    return this.broker.listGroups();
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const g = this.broker.describeGroup(groupId);
    return {
      ...g,
      members: g.members.map((m) => {
        const a = decodeAssignment(m.assignment);
        return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, assignment: isLeft(a) ? [] : a.right.partitions };
      }),
    };
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    for (const g of groupIds) orThrow(this.broker.deleteGroup(g));
  }

  /** Committed offsets of a group: for one topic's partitions, or everything the group committed. */
  async fetchOffsets(groupId: string, topic?: string): Promise<CommittedOffset[]> {
    if (topic === undefined) return this.broker.fetchOffsets(groupId);
    const d = orThrow(this.broker.describeTopic(topic));
    return this.broker.fetchOffsets(
      groupId,
      Array.from({ length: d.partitions }, (_, partition) => ({ topic, partition })),
    );
  }

  /** Sets a group's offsets (the group must have no active members, as in Kafka). */
  async setOffsets(groupId: string, offsets: readonly { topic: string; partition: number; offset: number }[]): Promise<void> {
    const results = this.broker.commitOffsets(groupId, '', -1, offsets);
    const failed = results.find((r) => r.errorCode !== ErrorCode.NONE);
    if (failed) throw failed.error ?? new BrokerError(failed.errorCode, `Setting offsets of group "${groupId}" failed.`);
  }

  /** Moves a group to the start or end of every partition of a topic. */
  async resetOffsets(groupId: string, topic: string, to: 'earliest' | 'latest'): Promise<void> {
    const offsets = await this.fetchTopicOffsets(topic);
    await this.setOffsets(
      groupId,
      offsets.map((o) => ({ topic, partition: o.partition, offset: to === 'earliest' ? o.logStartOffset : o.highWatermark })),
    );
  }

  /** Lag per partition: log end offset minus the committed offset. */
  async lag(groupId: string, topics?: readonly string[]): Promise<PartitionLag[]> {
    const committed = this.broker.fetchOffsets(groupId);
    const names = topics ?? [...new Set(committed.map((c) => c.topic))].sort();
    const result: PartitionLag[] = [];
    for (const topic of names) {
      const d = this.broker.describeTopic(topic);
      if (isLeft(d)) continue;
      for (let partition = 0; partition < d.right.partitions; partition++) {
        const offsets = orThrow(this.broker.partitionOffsets(topic, partition));
        const c = committed.find((o) => o.topic === topic && o.partition === partition)?.offset ?? -1;
        const from = c >= 0 ? c : offsets.logStartOffset;
        result.push({ topic, partition, committedOffset: c, logEndOffset: offsets.logEndOffset, lag: Math.max(0, offsets.logEndOffset - from) });
      }
    }
    return result;
  }
}
