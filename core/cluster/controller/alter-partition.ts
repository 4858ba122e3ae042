// AlterPartition (KIP-497): a partition leader asks the controller to shrink or
// expand its ISR. The request carries the leader's broker epoch, leader epoch
// and partition epoch; anything decided on stale state is refused with the
// Kafka error the leader knows how to handle, and the leader retries once the
// metadata log has shown it the current state.
import * as E from 'fp-ts/Either';
import { ErrorCode, refusal } from '../errors';
import type { MetadataImage, PartitionRegistration } from '../metadata/image';
import { checkBrokerEpoch } from './broker-lifecycle';
import { accept, type Decision } from './decision';
import { partitionChange } from './partition-change';

export interface AlterPartitionRequest {
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly topicId: number;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly newIsr: readonly number[];
}

/** The partition state after the change (what Kafka's AlterPartition response carries). */
export type AlterPartitionResponse = PartitionRegistration;

export function alterPartition(image: MetadataImage, req: AlterPartitionRequest): Decision<AlterPartitionResponse> {
  const epochOk = checkBrokerEpoch(image, req.brokerId, req.brokerEpoch);
  if (E.isLeft(epochOk)) return epochOk;
  const topic = image.topics.get(req.topicId);
  const p = topic?.partitions.get(req.partition);
  if (topic === undefined || p === undefined) {
    return E.left(refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No partition ${req.partition} of topic id ${req.topicId}.`));
  }
  const name = `${topic.name}-${req.partition}`;
  if (req.leaderEpoch < p.leaderEpoch) {
    return E.left(refusal(ErrorCode.FENCED_LEADER_EPOCH, `${name}: leader epoch ${req.leaderEpoch} is older than ${p.leaderEpoch}; a new leader was elected.`));
  }
  if (req.leaderEpoch > p.leaderEpoch) {
    return E.left(refusal(ErrorCode.UNKNOWN_LEADER_EPOCH, `${name}: leader epoch ${req.leaderEpoch} is newer than the controller's ${p.leaderEpoch}.`));
  }
  if (p.leader !== req.brokerId) {
    return E.left(refusal(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${name}: broker ${req.brokerId} is not the leader (${p.leader}).`));
  }
  if (req.partitionEpoch !== p.partitionEpoch) {
    return E.left(
      refusal(
        ErrorCode.INVALID_UPDATE_VERSION,
        `${name}: partition epoch ${req.partitionEpoch} is not the current ${p.partitionEpoch}; refresh the partition state and retry.`,
      ),
    );
  }
  const isr = [...new Set(req.newIsr)];
  if (!isr.includes(req.brokerId) || isr.some((id) => !p.replicas.includes(id))) {
    return E.left(refusal(ErrorCode.INVALID_REQUEST, `${name}: ISR [${isr}] must contain the leader and only replicas [${p.replicas}].`));
  }
  const added = isr.filter((id) => !p.isr.includes(id));
  const ineligible = added.filter((id) => !image.isUnfenced(id));
  if (ineligible.length > 0) {
    return E.left(refusal(ErrorCode.INELIGIBLE_REPLICA, `${name}: brokers [${ineligible}] are fenced or unregistered and cannot join the ISR.`));
  }
  const change = partitionChange(image, topic, p, isr);
  if (change === undefined) return accept([], p);
  const next = { ...p, isr: change.isr ?? p.isr, partitionEpoch: p.partitionEpoch + 1 };
  return accept([change], next);
}
