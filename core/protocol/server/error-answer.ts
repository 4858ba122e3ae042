// What a request whose handler failed (a bug, or a storage error the handler did
// not expect) is answered with, instead of a closed connection (Kafka's
// AbstractRequest.getErrorResponse). A client then fails or retries that
// request as its error handling says, and keeps its connection and its other
// requests; closing made kafkajs retry five times and give up with
// "connection closed".
//   - APIs whose errors are per topic, partition, group or resource (Produce,
//     Fetch, ListOffsets, Metadata, OffsetCommit...) get the code on every entry
//     the request named, as Kafka answers them.
//   - The others get it in the response's top-level error code, with the reason
//     in its error message where the version has one.
// The code is the one the thrown error carries (a LogError or BrokerError that
// escaped its handler: Kafka's Errors.forException), KAFKA_STORAGE_ERROR when
// the failure came from the disk (ENOSPC, EIO...), else UNKNOWN_SERVER_ERROR.
import type { ApiDefinition } from '../api';
import { ErrorCode, inRange } from '../../wire';

type Message = Record<string, unknown>;

/** Errno codes of a failing disk or filesystem: the partition's storage is at fault, not the request. */
const STORAGE_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EFBIG', 'ENODEV', 'ENXIO']);

/** The Kafka error code an error carries; KAFKA_STORAGE_ERROR for an errno of the disk; else UNKNOWN_SERVER_ERROR. */
export function failureCode(e: unknown): number {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && Number.isInteger(code) && code !== 0) return code;
  if (typeof code === 'string' && STORAGE_ERRNOS.has(code)) return ErrorCode.KAFKA_STORAGE_ERROR;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** The answer to a request whose handler threw `e`; undefined where there is none (acks=0 Produce): the connection closes then. */
export function errorAnswer(api: ApiDefinition, apiVersion: number, request: Message, e: unknown): Message | undefined {
  const errorCode = failureCode(e);
  const errorMessage = `${api.name} failed on the broker: ${(e as Error)?.message ?? String(e)}`;
  const perEntry = PER_ENTRY[api.key];
  if (perEntry !== undefined) return perEntry(request, { errorCode, errorMessage });
  const has = (name: string) => api.response.fields.some((f) => f.name === name && inRange(f.versions, apiVersion));
  if (!has('errorCode')) return undefined;
  return { errorCode, ...(has('errorMessage') ? { errorMessage } : {}) };
}

interface Failure {
  errorCode: number;
  errorMessage: string;
}

const list = (v: unknown): Message[] => (Array.isArray(v) ? (v as Message[]) : []);
const names = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * Topics whose partitions each get `entry`: `topics` of the request (its
 * partitions under `partitionsKey`, each an object with `indexKey` or a bare
 * index), answered under `partitionsOut`.
 */
function perPartition(
  topics: unknown,
  partitionsKey: string,
  indexKey: string | undefined,
  partitionsOut: string,
  entry: (index: unknown) => Message,
): Message[] {
  return list(topics).map((t) => ({
    name: t.name,
    [partitionsOut]: names(t[partitionsKey]).map((p) => entry(indexKey === undefined ? p : (p as Message)[indexKey])),
  }));
}

/** One answer per API whose errors live in its entries, by API key. */
const PER_ENTRY: Record<number, (request: Message, f: Failure) => Message | undefined> = {
  // Produce: no response is read at acks=0 (Kafka closes the connection then, so the client notices).
  0: (r, f) =>
    r.acks === 0
      ? undefined
      : {
          responses: list(r.topicData).map((t) => ({
            name: t.name,
            partitionResponses: list(t.partitionData).map((p) => ({ index: p.index, ...f, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 })),
          })),
        },
  // Fetch
  1: (r, f) => ({
    errorCode: 0,
    responses: list(r.topics).map((t) => ({
      topic: t.topic,
      topicId: t.topicId, // v13+ name topics by id
      partitions: list(t.partitions).map((p) => ({
        partitionIndex: p.partition,
        errorCode: f.errorCode,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: Buffer.alloc(0),
      })),
    })),
  }),
  // ListOffsets
  2: (r, f) => ({
    topics: perPartition(r.topics, 'partitions', 'partitionIndex', 'partitions', (i) => ({
      partitionIndex: i,
      errorCode: f.errorCode,
      timestamp: -1,
      offset: -1,
      leaderEpoch: -1,
    })),
  }),
  // Metadata: every topic asked carries the code (all topics asked: none listed), and no brokers.
  3: (r, f) => ({
    brokers: [],
    clusterId: null,
    controllerId: -1,
    topics: list(r.topics).map((t) => ({ errorCode: f.errorCode, name: t.name, topicId: t.topicId, isInternal: false, partitions: [] })),
  }),
  // OffsetCommit
  8: (r, f) => ({ topics: perPartition(r.topics, 'partitions', 'partitionIndex', 'partitions', (i) => ({ partitionIndex: i, errorCode: f.errorCode })) }),
  // OffsetFetch: v0-7 per partition (and top level from v2), v8+ per group.
  9: (r, f) => ({
    errorCode: f.errorCode,
    topics: perPartition(r.topics, 'partitionIndexes', undefined, 'partitions', (i) => ({
      partitionIndex: i,
      committedOffset: -1,
      committedLeaderEpoch: -1,
      metadata: '',
      errorCode: f.errorCode,
    })),
    groups: list(r.groups).map((g) => ({ groupId: g.groupId, topics: [], errorCode: f.errorCode })),
  }),
  // FindCoordinator: v4+ per key, before that top level.
  10: (r, f) => ({
    ...f,
    nodeId: -1,
    host: '',
    port: -1,
    coordinators: names(r.coordinatorKeys).map((key) => ({ key, nodeId: -1, host: '', port: -1, ...f })),
  }),
  // DescribeGroups
  15: (r, f) => ({
    groups: names(r.groups).map((groupId) => ({ errorCode: f.errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })),
  }),
  // CreateTopics
  19: (r, f) => ({ topics: list(r.topics).map((t) => ({ name: t.name, ...f, numPartitions: -1, replicationFactor: -1, configs: null })) }),
  // DeleteTopics: by name (v0-5) or by topic (v6+).
  20: (r, f) => ({
    responses: [...names(r.topicNames).map((name) => ({ name, ...f })), ...list(r.topics).map((t) => ({ name: t.name, topicId: t.topicId, ...f }))],
  }),
  // DeleteRecords
  21: (r, f) => ({
    topics: perPartition(r.topics, 'partitions', 'partitionIndex', 'partitions', (i) => ({ partitionIndex: i, lowWatermark: -1, errorCode: f.errorCode })),
  }),
  // AddPartitionsToTxn (v0-3)
  24: (r, f) => ({
    resultsByTopicV3AndBelow: list(r.v3AndBelowTopics).map((t) => ({
      name: t.name,
      resultsByPartition: names(t.partitions).map((i) => ({ partitionIndex: i, partitionErrorCode: f.errorCode })),
    })),
  }),
  // WriteTxnMarkers
  27: (r, f) => ({
    markers: list(r.markers).map((m) => ({
      producerId: m.producerId,
      topics: perPartition(m.topics, 'partitionIndexes', undefined, 'partitions', (i) => ({ partitionIndex: i, errorCode: f.errorCode })),
    })),
  }),
  // TxnOffsetCommit
  28: (r, f) => ({ topics: perPartition(r.topics, 'partitions', 'partitionIndex', 'partitions', (i) => ({ partitionIndex: i, errorCode: f.errorCode })) }),
  // CreateAcls
  30: (r, f) => ({ results: list(r.creations).map(() => ({ ...f })) }),
  // DeleteAcls
  31: (r, f) => ({ filterResults: list(r.filters).map(() => ({ ...f, matchingAcls: [] })) }),
  // DescribeConfigs
  32: (r, f) => ({ results: list(r.resources).map((c) => ({ ...f, resourceType: c.resourceType, resourceName: c.resourceName, configs: [] })) }),
  // AlterConfigs
  33: (r, f) => ({ responses: list(r.resources).map((c) => ({ ...f, resourceType: c.resourceType, resourceName: c.resourceName })) }),
  // CreatePartitions
  37: (r, f) => ({ results: list(r.topics).map((t) => ({ name: t.name, ...f })) }),
  // DeleteGroups
  42: (r, f) => ({ results: names(r.groupsNames).map((groupId) => ({ groupId, errorCode: f.errorCode })) }),
  // IncrementalAlterConfigs
  44: (r, f) => ({ responses: list(r.resources).map((c) => ({ ...f, resourceType: c.resourceType, resourceName: c.resourceName })) }),
  // AlterUserScramCredentials
  51: (r, f) => ({ results: [...list(r.deletions), ...list(r.upsertions)].map((c) => ({ user: c.name, ...f })) }),
};
