// Fetch (1): stored batches as they are on disk, never decoded. Long polls up to
// max_wait_ms until min_bytes are available (the broker wakes on appends); the
// connection's signal ends the wait when the client goes or the server stops.
// isolation_level 1 (read_committed) reads up to the last stable offset and
// lists the aborted transactions among the records (the client drops those
// records and every control batch itself, as with Kafka).
// v13+ name topics by id (Metadata v10+ gives them): an id that names no topic
// is UNKNOWN_TOPIC_ID for each of its partitions. v15 moves the replica id into
// the tagged ReplicaState; v16 adds NodeEndpoints (KIP-951, current-leader.ts).
// A CurrentLeaderEpoch (v9+) older than the leader's is FENCED_LEADER_EPOCH,
// a newer one UNKNOWN_LEADER_EPOCH (KIP-320, leader-epoch.ts); a LastFetchedEpoch
// (v12+) the leader's log diverged from is answered with DivergingEpoch.
import { defineApi } from '../api';
import { authorizer, clusterAuthorized } from '../auth';
import { ApiKey, ErrorCode, array, field, message, struct, versions } from '../../wire';
import { groupByTopic } from './group-by-topic';
import type { FetchPartition, PartitionLeader } from '../ports';
import { type AnsweredPartition, type DivergingEpoch, divergedAnswer, divergingEpochField, refusedPartition } from './diverging-epoch';
import { currentLeaderEpochError } from '../leader-epoch';
import { currentLeaderField, currentLeaderFor, type LeaderIdAndEpoch, type NodeEndpoint, nodeEndpoints, nodeEndpointsField } from './current-leader';
import { NO_TOPIC_ID } from '../topic-id';

export interface FetchRequest {
  /** Up to v14; v15+ carry it in replicaState. */
  replicaId: number;
  /** v15+ (tagged): the fetching replica, or absent (-1) for a consumer. */
  replicaState?: { replicaId: number; replicaEpoch: number };
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: {
    /** Up to v12. */
    topic: string;
    /** v13+. */
    topicId: string;
    partitions: {
      partition: number;
      currentLeaderEpoch: number;
      fetchOffset: number;
      lastFetchedEpoch: number;
      logStartOffset: number;
      partitionMaxBytes: number;
    }[];
  }[];
  clusterId: string | null;
  forgottenTopicsData: { topic: string; topicId: string; partitions: number[] }[];
  rackId: string;
}

interface FetchPartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: { producerId: number; firstOffset: number }[] | null;
  preferredReadReplica: number;
  records: Buffer | null;
  /** v12+ (KIP-595): where the fetcher's log diverged from the leader's (diverging-epoch.ts). */
  divergingEpoch?: DivergingEpoch;
  /** v12+ (KIP-595, used by KIP-951): the new leader, on NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH. */
  currentLeader?: LeaderIdAndEpoch;
}

export interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  /** `topic` up to v12, `topicId` from v13. */
  responses: { topic: string; topicId: string; partitions: FetchPartitionData[] }[];
  /** v16+ (KIP-951): where the leaders the partitions name listen. */
  nodeEndpoints?: NodeEndpoint[];
}

/** Fetch answers carry CurrentLeader from v12 (KIP-595); KIP-951 fills it for clients. */
const CURRENT_LEADER_SINCE = 12;

const request = message('12+', [
  field('clusterId', 'string', '12+', { nullable: '12+', default: null, tag: 0 }),
  field('replicaId', 'int32', '0-14', { default: -1 }),
  field('replicaState', struct([field('replicaId', 'int32', '15+', { default: -1 }), field('replicaEpoch', 'int64', '15+', { default: -1 })]), '15+', {
    tag: 1,
    default: undefined,
  }),
  field('maxWaitMs', 'int32', '0+'),
  field('minBytes', 'int32', '0+'),
  field('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
  field('isolationLevel', 'int8', '4+'),
  field('sessionId', 'int32', '7+'),
  field('sessionEpoch', 'int32', '7+', { default: -1 }),
  field(
    'topics',
    array([
      field('topic', 'string', '0-12'),
      field('topicId', 'uuid', '13+'),
      field(
        'partitions',
        array([
          field('partition', 'int32', '0+'),
          field('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
          field('fetchOffset', 'int64', '0+'),
          field('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
          field('logStartOffset', 'int64', '5+', { default: -1 }),
          field('partitionMaxBytes', 'int32', '0+'),
        ]),
        '0+',
      ),
    ]),
    '0+',
  ),
  field('forgottenTopicsData', array([field('topic', 'string', '7-12'), field('topicId', 'uuid', '13+'), field('partitions', array('int32'), '7+')]), '7+'),
  field('rackId', 'string', '11+'),
]);

const response = message('12+', [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16', '7+'),
  field('sessionId', 'int32', '7+'),
  field(
    'responses',
    array([
      field('topic', 'string', '0-12'),
      field('topicId', 'uuid', '13+'),
      field(
        'partitions',
        array([
          field('partitionIndex', 'int32', '0+'),
          field('errorCode', 'int16', '0+'),
          field('highWatermark', 'int64', '0+'),
          field('lastStableOffset', 'int64', '4+', { default: -1 }),
          field('logStartOffset', 'int64', '5+', { default: -1 }),
          field('abortedTransactions', array([field('producerId', 'int64', '4+'), field('firstOffset', 'int64', '4+')]), '4+', {
            nullable: '4+',
            default: null,
          }),
          field('preferredReadReplica', 'int32', '11+', { default: -1 }),
          field('records', 'records', '0+', { nullable: '0+' }),
          divergingEpochField('12+'),
          currentLeaderField(`${CURRENT_LEADER_SINCE}+`, 1),
        ]),
        '0+',
      ),
    ]),
    '0+',
  ),
  nodeEndpointsField('16+'),
]);

export const fetchApi = defineApi<FetchRequest, FetchResponse>({
  key: ApiKey.Fetch,
  name: 'Fetch',
  // v4+ read RecordBatch v2 (librdkafka needs 4 in the range to enable it).
  // v17 (KIP-853's replica directory id) is not served.
  versions: '4-16',
  request,
  response,
  async handle(req, ctx) {
    const byId = ctx.apiVersion >= 13;
    const replicaId = ctx.apiVersion >= 15 ? (req.replicaState?.replicaId ?? -1) : req.replicaId;
    // v13+: each topic's name from its id; the id answers for it again.
    const idOf = new Map<string, string>();
    const unknownIds: FetchRequest['topics'] = [];
    const named: { topic: string; partitions: FetchRequest['topics'][number]['partitions'] }[] = [];
    for (const t of req.topics) {
      const topic = byId ? ctx.metadata.topicName(t.topicId) : t.topic;
      if (topic === undefined) unknownIds.push(t);
      else {
        if (byId) idOf.set(topic, t.topicId);
        named.push({ topic, partitions: t.partitions });
      }
    }
    const readable = replicaId >= 0 ? () => clusterAuthorized(ctx, 'CLUSTER_ACTION') : authorizer(ctx, 'Topic', 'READ');
    // Partitions answered before the port is asked: unreadable ones, those asked with a stale or future
    // leader epoch (KIP-320), and those whose last fetched epoch shows the fetcher's log diverged (v12+).
    const asked: FetchPartition[] = [];
    const answered: AnsweredPartition[] = [];
    for (const t of named)
      for (const p of t.partitions) {
        const errorCode = readable(t.topic)
          ? currentLeaderEpochError(ctx.metadata, t.topic, p.partition, p.currentLeaderEpoch)
          : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        const early = errorCode !== 0 ? refusedPartition(t.topic, p.partition, errorCode) : divergedAnswer(ctx.partitions, t.topic, p.partition, p);
        if (early !== undefined) answered.push(early);
        else asked.push({ topic: t.topic, partition: p.partition, offset: p.fetchOffset, maxBytes: Math.max(0, p.partitionMaxBytes) });
      }
    const results = await ctx.partitions.fetch({
      partitions: asked,
      // A partition answered early is answered at once, as Kafka does: the client has something to act on.
      maxWaitMs: answered.length > 0 ? 0 : Math.max(0, req.maxWaitMs),
      minBytes: req.minBytes,
      maxBytes: req.maxBytes > 0 ? req.maxBytes : 0x7fffffff,
      signal: ctx.signal,
      isolationLevel: req.isolationLevel === 1 ? 1 : 0,
    });
    const leaders: PartitionLeader[] = [];
    const leaderNamed = (r: { topic: string; partition: number; errorCode: number }): PartitionLeader | undefined => {
      const l = currentLeaderFor(ctx, CURRENT_LEADER_SINCE, r.topic, r.partition, r.errorCode);
      if (l !== undefined) leaders.push(l);
      return l;
    };
    const responses: FetchResponse['responses'] = groupByTopic(
      [...results, ...answered],
      (r: AnsweredPartition): FetchPartitionData => ({
        partitionIndex: r.partition,
        errorCode: r.errorCode,
        highWatermark: r.highWatermark,
        lastStableOffset: r.lastStableOffset,
        logStartOffset: r.logStartOffset,
        abortedTransactions: r.abortedTransactions === null ? null : [...r.abortedTransactions],
        preferredReadReplica: -1,
        records: r.records,
        divergingEpoch: r.divergingEpoch,
        currentLeader: leaderNamed(r),
      }),
    ).map((t) => ({ topic: t.name, topicId: idOf.get(t.name) ?? NO_TOPIC_ID, partitions: t.partitions }));
    for (const t of unknownIds) responses.push({ topic: '', topicId: t.topicId, partitions: t.partitions.map((p) => unknownTopicId(p.partition)) });
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      // No incremental fetch sessions: every fetch is a full one.
      sessionId: 0,
      responses,
      nodeEndpoints: nodeEndpoints(ctx, leaders),
    };
  },
});

function unknownTopicId(partitionIndex: number): FetchPartitionData {
  return {
    partitionIndex,
    errorCode: ErrorCode.UNKNOWN_TOPIC_ID,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: null,
  };
}

/**
 * Fetch as Rill's own clients send it (`apis.fetch`): by topic name, so at most
 * v12; v13+ name topics by the ids of Metadata v10+, which they do not keep.
 * The server serves fetchApi's whole range.
 */
export const fetchByNameApi: typeof fetchApi = { ...fetchApi, versions: versions('4-12') };
