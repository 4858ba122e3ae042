// OffsetsForLeaderEpoch (23): where a leader epoch ends in a partition's log,
// at its leader. Consumers send it after a leader change or a seek to a
// committed offset with an epoch (KIP-320): the epoch of the last record they
// consumed and the epoch they think the leader has. An end below their
// position means the new leader's log diverged from what they read: they move
// back to it (or reset, for "unknown", -1). Brokers send it too (v3+ with a
// replica id), but Rill's brokers ask each other over their own RPC.
//
// Versions 2-4 (Kafka 4 serves no older): librdkafka sends v2, the Java
// client v3+ (it validates only against brokers that serve v3), v4 is flexible.
// Kafka's rule for authorization: CLUSTER_ACTION on the cluster (a replica), or
// else DESCRIBE on each topic (a consumer).
import { defineApi } from '../api';
import { authorizer, clusterAuthorized, denial } from '../auth';
import { ApiKey, array, field, message } from '../../wire';
import { answerPerPartition } from './group-by-topic';

export interface OffsetForLeaderEpochRequest {
  /** v3+: the asking broker, or -1 for a consumer (-2 before v3: not given). */
  replicaId: number;
  topics: { topic: string; partitions: OffsetForLeaderPartition[] }[];
}

interface OffsetForLeaderPartition {
  partition: number;
  /** The leader epoch the asker knows (-1: none, not checked). */
  currentLeaderEpoch: number;
  /** The epoch to find the end of. */
  leaderEpoch: number;
}

export interface EpochEndOffsetAnswer {
  errorCode: number;
  partition: number;
  leaderEpoch: number;
  endOffset: number;
}

export interface OffsetForLeaderEpochResponse {
  throttleTimeMs: number;
  topics: { topic: string; partitions: EpochEndOffsetAnswer[] }[];
}

const request = message('4+', [
  field('replicaId', 'int32', '3+', { default: -2 }),
  field(
    'topics',
    array([
      field('topic', 'string', '0+'),
      field(
        'partitions',
        array([field('partition', 'int32', '0+'), field('currentLeaderEpoch', 'int32', '2+', { default: -1 }), field('leaderEpoch', 'int32', '0+')]),
        '0+',
      ),
    ]),
    '0+',
  ),
]);

const response = message('4+', [
  field('throttleTimeMs', 'int32', '2+'),
  field(
    'topics',
    array([
      field('topic', 'string', '0+'),
      field(
        'partitions',
        array([
          field('errorCode', 'int16', '0+'),
          field('partition', 'int32', '0+'),
          field('leaderEpoch', 'int32', '1+', { default: -1 }),
          field('endOffset', 'int64', '0+', { default: -1 }),
        ]),
        '0+',
      ),
    ]),
    '0+',
  ),
]);

export const offsetsForLeaderEpochApi = defineApi<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  key: ApiKey.OffsetForLeaderEpoch,
  name: 'OffsetForLeaderEpoch',
  versions: '2-4',
  request,
  response,
  handle(req, ctx) {
    const describable = clusterAuthorized(ctx, 'CLUSTER_ACTION') ? () => true : authorizer(ctx, 'Topic', 'DESCRIBE');
    const topics = answerPerPartition(
      req.topics.map((t) => ({ name: t.topic, partitions: t.partitions })),
      (topic, p): EpochEndOffsetAnswer => {
        const r = describable(topic)
          ? ctx.partitions.offsetForLeaderEpoch(topic, p.partition, p.currentLeaderEpoch, p.leaderEpoch)
          : denial(ctx, 'Topic', topic, 'DESCRIBE');
        if (r._tag === 'Left') return { errorCode: r.left.code, partition: p.partition, leaderEpoch: -1, endOffset: -1 };
        return { errorCode: 0, partition: p.partition, leaderEpoch: r.right.leaderEpoch, endOffset: r.right.endOffset };
      },
    );
    return { throttleTimeMs: 0, topics: topics.map((t) => ({ topic: t.name, partitions: t.partitions })) };
  },
});
