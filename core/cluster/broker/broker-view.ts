// What a cluster broker's Kafka ports and group coordinator use of the broker
// process: its metadata image, the replicas it hosts, waiting for changes and
// for acks=all appends, and the controller. BrokerProcess implements it; its
// users depend on this, not on BrokerProcess (so no import circle).
import * as E from 'fp-ts/Either';
import type { PartitionLog } from '../../log';
import type { CreateTopicRequest } from '../controller/topic-admin';
import { ErrorCode, refusal, type Refusal } from '../errors';
import type { MetadataImage } from '../metadata/image';
import type { PartitionReplica } from '../replication/partition-replica';
import type { ControllerAnswer } from '../controller/controller-protocol';
import type { RpcResult } from '../net/rpc';

export interface HostedReplica {
  readonly name: string;
  readonly topic: string;
  readonly topicId: number;
  readonly partition: number;
  readonly replica: PartitionReplica;
  readonly log: PartitionLog;
  /** The topic config the replica and its log were last given (the image's object: a new one is a change). */
  topicConfig: Readonly<Record<string, string>>;
}

export interface BrokerView {
  readonly nodeId: number;
  /** The committed metadata as this broker has applied it. */
  readonly image: MetadataImage;
  /** The replicas this broker hosts, by replicaName. */
  readonly replicas: ReadonlyMap<string, HostedReplica>;
  /** The active controller as this broker last reached it. */
  readonly activeControllerId: number;
  /** fetch.max.bytes */
  readonly fetchMaxBytes: number;
  log(m: string): void;
  /** Resolves at the next change of the image or of any high watermark, or after `ms`. */
  nextChange(ms: number, signal?: AbortSignal): Promise<void>;
  /** The leader appended to `h` (or moved its log start): parked follower fetches are answered now. */
  appended(h: HostedReplica): void;
  /** The error code of the acks=all append ending at `lastOffset` once the ISR has it, or REQUEST_TIMED_OUT. */
  awaitAppend(h: HostedReplica, lastOffset: number, timeoutMs: number): Promise<number>;
  /** An admin request decided by the active controller, retried while it moves, until `deadline`. */
  askController<R>(method: string, body: unknown, deadline: number): Promise<ControllerAnswer<R>>;
  createTopic(req: CreateTopicRequest, timeoutMs: number): Promise<ControllerAnswer<{ topicId: number }>>;
  /** A request to another broker over the inter-broker replication RPC (internal TLS when configured); not ok when it cannot be reached. */
  callBroker(brokerId: number, method: string, body: unknown, timeoutMs: number): Promise<RpcResult>;
  /** A producer id of this broker's registration's block. */
  initProducerId(): E.Either<Refusal, { producerId: number; producerEpoch: number }>;
}

export const replicaName = (topic: string, partition: number): string => `${topic}-${partition}`;

/** The broker's own replica of a partition when it leads it, else the refusal to answer. */
export function leaderReplica(broker: BrokerView, topic: string, partition: number): E.Either<Refusal, HostedReplica> {
  const t = broker.image.topicByName(topic);
  if (t === undefined || !t.partitions.has(partition))
    return E.left(refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${topic} has no partition ${partition}.`));
  const h = broker.replicas.get(replicaName(topic, partition));
  if (h === undefined || h.replica.role !== 'leader')
    return E.left(refusal(ErrorCode.NOT_LEADER_OR_FOLLOWER, `Broker ${broker.nodeId} does not lead ${replicaName(topic, partition)}; refresh metadata.`));
  return E.right(h);
}

/** Waits until `done` holds on this broker's image (true), or the deadline passes (false). */
export async function untilImage(broker: BrokerView, deadline: number, done: () => boolean): Promise<boolean> {
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await broker.nextChange(deadline - Date.now());
  }
  return true;
}
