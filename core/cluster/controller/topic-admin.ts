// CreateTopics and DeleteTopics as controller decisions.
import * as E from 'fp-ts/Either';
import { CONSUMER_OFFSETS_TOPIC, validateTopicName } from '../../broker';
import { ClusterErrorCode, refusal } from '../errors';
import type { MetadataImage } from '../metadata/image';
import type { MetadataRecord } from '../metadata/records';
import { accept, type Decision } from './decision';
import { placeReplicas } from './placement';

export interface CreateTopicRequest {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config?: Readonly<Record<string, string>>;
}

export function createTopic(image: MetadataImage, req: CreateTopicRequest): Decision<{ topicId: number }> {
  const named = validateTopicName(req.name);
  if (E.isLeft(named)) return E.left(refusal(named.left.code, named.left.message));
  if (image.topicByName(req.name) !== undefined) {
    return E.left(refusal(ClusterErrorCode.TOPIC_ALREADY_EXISTS, `Topic ${req.name} already exists.`));
  }
  if (!Number.isInteger(req.partitions) || req.partitions < 1) {
    return E.left(refusal(ClusterErrorCode.INVALID_PARTITIONS, `A topic needs at least one partition, got ${req.partitions}.`));
  }
  const live = image.liveBrokers();
  if (!Number.isInteger(req.replicationFactor) || req.replicationFactor < 1 || req.replicationFactor > live.length) {
    return E.left(
      refusal(ClusterErrorCode.INVALID_REPLICATION_FACTOR, `Replication factor ${req.replicationFactor} needs that many live brokers; ${live.length} are live. Start more brokers or lower the replication factor.`),
    );
  }
  const config = req.config ?? {};
  const minIsr = Number(config['min.insync.replicas'] ?? '1');
  if (!Number.isInteger(minIsr) || minIsr < 1 || minIsr > req.replicationFactor) {
    return E.left(refusal(ClusterErrorCode.INVALID_CONFIG, `min.insync.replicas=${config['min.insync.replicas']} must be an integer from 1 to the replication factor (${req.replicationFactor}).`));
  }
  const topicId = image.lastTopicId + 1;
  const records: MetadataRecord[] = [{ type: 'Topic', name: req.name, topicId, config }];
  placeReplicas(live, req.partitions, req.replicationFactor, topicId - 1).forEach((replicas, partition) => {
    records.push({ type: 'Partition', topicId, partition, replicas, isr: replicas, leader: replicas[0], leaderEpoch: 0, partitionEpoch: 0 });
  });
  return accept(records, { topicId });
}

export function deleteTopic(image: MetadataImage, name: string): Decision<{ topicId: number }> {
  const topic = image.topicByName(name);
  if (topic === undefined) return E.left(refusal(ClusterErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${name} does not exist.`));
  // The group coordinators keep every committed offset there (as the embedded broker refuses it too).
  if (name === CONSUMER_OFFSETS_TOPIC) return E.left(refusal(ClusterErrorCode.INVALID_TOPIC_EXCEPTION, `${name} is an internal topic and cannot be deleted.`));
  return accept([{ type: 'RemoveTopic', topicId: topic.topicId }], { topicId: topic.topicId });
}
