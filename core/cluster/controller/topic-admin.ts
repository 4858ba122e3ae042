// CreateTopics, DeleteTopics, CreatePartitions and AlterConfigs (of topics) as
// controller decisions.
import * as E from 'fp-ts/Either';
import { applyConfigOps, CONSUMER_OFFSETS_TOPIC, DEFAULT_MAX_BROKER_PARTITIONS, MAX_PARTITIONS, validateTopicName, type ConfigOperation } from '../../broker';
import { ErrorCode, refusal } from '../errors';
import type { BrokerRegistration, MetadataImage, TopicImage } from '../metadata/image';
import { NO_LEADER, type MetadataRecord, type PartitionRecord } from '../metadata/records';
import { accept, imageAfter, type Decision } from './decision';
import { partitionChange, uncleanElectionEnabled } from './partition-change';
import { placeReplicas } from './placement';
import { validateTopicConfig } from './topic-config';

export interface CreateTopicRequest {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config?: Readonly<Record<string, string>>;
}

/**
 * `max.broker.partitions` in a cluster: the replicas one broker may host, all
 * topics together. Checked when partitions are placed, so a topic is created
 * whole or not at all, before a broker opens a file for it.
 */
function overBrokerPartitionLimit(
  image: MetadataImage,
  topic: string,
  placed: readonly PartitionRecord[],
  maxBrokerPartitions: number,
): E.Either<ReturnType<typeof refusal>, void> {
  const adding = new Map<number, number>();
  for (const p of placed) for (const b of p.replicas) adding.set(b, (adding.get(b) ?? 0) + 1);
  for (const [broker, n] of adding) {
    const total = image.hostedReplicas(broker) + n;
    if (total > maxBrokerPartitions)
      return E.left(
        refusal(
          ErrorCode.POLICY_VIOLATION,
          `Topic "${topic}": ${n} more replica(s) on broker ${broker} would make ${total}, above max.broker.partitions (${maxBrokerPartitions}); delete topics, add brokers or raise the limit on the controllers.`,
        ),
      );
  }
  return E.right(undefined);
}

export function createTopic(image: MetadataImage, req: CreateTopicRequest, maxBrokerPartitions = DEFAULT_MAX_BROKER_PARTITIONS): Decision<{ topicId: number }> {
  const named = validateTopicName(req.name);
  if (E.isLeft(named)) return E.left(refusal(named.left.code, named.left.message));
  if (image.topicByName(req.name) !== undefined) {
    return E.left(refusal(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic ${req.name} already exists.`));
  }
  if (!Number.isInteger(req.partitions) || req.partitions < 1 || req.partitions > MAX_PARTITIONS) {
    return E.left(refusal(ErrorCode.INVALID_PARTITIONS, `A topic needs 1 to ${MAX_PARTITIONS} partitions, got ${req.partitions}.`));
  }
  const live = image.liveBrokers();
  if (!Number.isInteger(req.replicationFactor) || req.replicationFactor < 1 || req.replicationFactor > live.length) {
    return E.left(
      refusal(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Replication factor ${req.replicationFactor} needs that many live brokers; ${live.length} are live. Start more brokers or lower the replication factor.`,
      ),
    );
  }
  const config = validateTopicConfig(req.name, req.config ?? {}, req.replicationFactor);
  if (E.isLeft(config)) return config;
  const topicId = image.lastTopicId + 1;
  const placed = newPartitions(live, topicId, 0, req.partitions, req.replicationFactor);
  const limited = overBrokerPartitionLimit(image, req.name, placed, maxBrokerPartitions);
  if (E.isLeft(limited)) return limited;
  return accept([{ type: 'Topic', name: req.name, topicId, config: config.right.overrides }, ...placed], { topicId });
}

export function deleteTopic(image: MetadataImage, name: string): Decision<{ topicId: number }> {
  const topic = image.topicByName(name);
  if (topic === undefined) return E.left(refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`));
  // The group coordinators keep every committed offset there (as the embedded broker refuses it too).
  if (name === CONSUMER_OFFSETS_TOPIC) return E.left(refusal(ErrorCode.INVALID_TOPIC_EXCEPTION, `${name} is an internal topic and cannot be deleted.`));
  return accept([{ type: 'RemoveTopic', topicId: topic.topicId }], { topicId: topic.topicId });
}

export interface CreatePartitionsRequest {
  readonly name: string;
  /** The new total number of partitions. */
  readonly count: number;
}

/** A topic's replication factor: its partitions' (they are all created with the same). */
export function replicationFactorOf(topic: TopicImage): number {
  return topic.partitions.get(0)?.replicas.length ?? 0;
}

/**
 * CreatePartitions: grows a topic to `count` partitions (never shrinks, as in
 * Kafka). The new ones get the topic's replication factor and are placed as if
 * the topic had been created with `count` partitions, so leaders keep spreading.
 */
export function createPartitions(
  image: MetadataImage,
  req: CreatePartitionsRequest,
  maxBrokerPartitions = DEFAULT_MAX_BROKER_PARTITIONS,
): Decision<{ topicId: number }> {
  const topic = image.topicByName(req.name);
  if (topic === undefined) return E.left(refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${req.name} does not exist.`));
  const current = topic.partitions.size;
  if (!Number.isInteger(req.count) || req.count <= current || req.count > MAX_PARTITIONS) {
    return E.left(
      refusal(
        ErrorCode.INVALID_PARTITIONS,
        `Topic ${req.name} has ${current} partition(s); the new total must be an integer above ${current} and at most ${MAX_PARTITIONS} (partitions are never removed), not ${req.count}.`,
      ),
    );
  }
  const replicationFactor = replicationFactorOf(topic);
  const live = image.liveBrokers();
  if (replicationFactor > live.length) {
    return E.left(
      refusal(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Topic ${req.name} has replication factor ${replicationFactor}; its new partitions need that many live brokers, and ${live.length} are live. Start more brokers and retry.`,
      ),
    );
  }
  const placed = newPartitions(live, topic.topicId, current, req.count, replicationFactor);
  const limited = overBrokerPartitionLimit(image, req.name, placed, maxBrokerPartitions);
  if (E.isLeft(limited)) return limited;
  return accept(placed, { topicId: topic.topicId });
}

/**
 * Partitions `from` to `to` - 1 of a topic, placed as if it had `to` partitions
 * (the topic id rotates the start), each led by its first replica.
 */
function newPartitions(live: readonly BrokerRegistration[], topicId: number, from: number, to: number, replicationFactor: number): PartitionRecord[] {
  return placeReplicas(live, to, replicationFactor, topicId - 1)
    .slice(from)
    .map((replicas, i) => ({
      type: 'Partition',
      topicId,
      partition: from + i,
      replicas,
      isr: replicas,
      leader: replicas[0],
      leaderEpoch: 0,
      partitionEpoch: 0,
    }));
}

export type AlterTopicConfigRequest =
  | {
      readonly name: string;
      /** The new overrides, all of them (Kafka's AlterConfigs): keys left out go back to their defaults. */
      readonly config: Readonly<Record<string, string>>;
    }
  | {
      readonly name: string;
      /** Operations on the current overrides (Kafka's IncrementalAlterConfigs): keys not named keep their values. */
      readonly ops: readonly ConfigOperation[];
    };

/**
 * AlterConfigs of a topic, validated as at creation. Turning unclean leader
 * election on elects a leader at once for the topic's leaderless partitions
 * (from any live replica), as KRaft does, rather than waiting for the next
 * broker to come or go.
 */
export function alterTopicConfig(image: MetadataImage, req: AlterTopicConfigRequest): Decision<{ topicId: number; config: Record<string, string> }> {
  const topic = image.topicByName(req.name);
  if (topic === undefined) return E.left(refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${req.name} does not exist.`));
  const wanted = 'ops' in req ? applyConfigOps(topic.config, req.ops) : E.right({ ...req.config });
  if (E.isLeft(wanted)) return E.left(refusal(wanted.left.code, wanted.left.message));
  const config = validateTopicConfig(req.name, wanted.right, replicationFactorOf(topic));
  if (E.isLeft(config)) return config;
  const records: MetadataRecord[] = [{ type: 'TopicConfig', topicId: topic.topicId, config: config.right.overrides }];
  const after = imageAfter(image, records);
  const altered = after.topics.get(topic.topicId)!;
  if (uncleanElectionEnabled(altered) && !uncleanElectionEnabled(topic)) {
    for (const p of altered.partitions.values()) {
      const change = p.leader === NO_LEADER ? partitionChange(after, altered, p, p.isr) : undefined;
      if (change !== undefined) records.push(change);
    }
  }
  return accept(records, { topicId: topic.topicId, config: config.right.overrides });
}
