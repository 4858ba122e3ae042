// The batched replica fetch on the wire (Kafka's replica fetcher: one Fetch per
// leader broker for every partition the follower follows from it). A follower
// sends one request naming each partition with its PartitionReplica's next
// request (a fetch, or OffsetForLeaderEpoch while it truncates); the leader
// answers them in the same order, each answer's records laid end to end in the
// frame's blob, never re-encoded. Both directions are checked before use: a
// malformed body is refused with a reason, and only that call fails.
import { NO_RECORDS, recordBytes, type ReplicaRequest, type ReplicaResponse } from '../replication/messages';
import type { RpcMessage } from '../net/rpc';

/** The replication port's method for a batched replica fetch. */
export const REPLICA_FETCH_METHOD = 'replicaFetch';

/** One partition's request within a batch. */
export interface FetchItem {
  readonly topic: string;
  readonly partition: number;
  readonly req: ReplicaRequest;
}

export interface FetchBatch {
  /** The follower broker. */
  readonly replicaId: number;
  /**
   * How long the leader may hold the batch when no partition has new data
   * (replica.fetch.wait.max.ms); 0 answers at once.
   */
  readonly maxWaitMs: number;
  /**
   * The follower has partitions to add while an earlier batch of its is held:
   * the held batch is answered now, so the next one carries them all.
   */
  readonly wake: boolean;
  readonly items: readonly FetchItem[];
}

const isInt = (x: unknown): x is number => Number.isSafeInteger(x);
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function requestError(r: unknown): string | undefined {
  if (!isObject(r)) return 'is not an object';
  if (!isInt(r.requestId) || !isInt(r.replicaId) || !isInt(r.currentLeaderEpoch)) return 'lacks requestId, replicaId or currentLeaderEpoch';
  if (r.kind === 'offsetForLeaderEpoch') return isInt(r.leaderEpoch) ? undefined : 'lacks leaderEpoch';
  if (r.kind === 'fetch')
    return isInt(r.replicaEpoch) && isInt(r.fetchOffset) && isInt(r.maxBytes) && r.maxBytes >= 0 ? undefined : 'lacks replicaEpoch, fetchOffset or maxBytes';
  return `has unknown kind ${JSON.stringify(r.kind)}`;
}

/** A follower's batch as the leader received it, or why it cannot be served. */
export function decodeFetchBatch(body: unknown): FetchBatch | string {
  if (!isObject(body) || !isInt(body.replicaId) || !isInt(body.maxWaitMs) || body.maxWaitMs < 0 || !Array.isArray(body.items))
    return 'a replica fetch needs replicaId, maxWaitMs >= 0 and items';
  const items: FetchItem[] = [];
  // Indexed loops here and below: these run for every partition of every replica fetch, both ways.
  for (let i = 0; i < body.items.length; i++) {
    const item = body.items[i];
    if (!isObject(item) || typeof item.topic !== 'string' || !isInt(item.partition)) return `replica fetch item ${i} needs topic and partition`;
    const bad = requestError(item.req);
    if (bad !== undefined) return `replica fetch item ${i} (${item.topic}-${item.partition}): its request ${bad}`;
    // The request's replica must be the batch's: a leader tracks progress per follower.
    if ((item.req as { replicaId: number }).replicaId !== body.replicaId)
      return `replica fetch item ${i} is for replica ${(item.req as { replicaId: number }).replicaId}, the batch for ${body.replicaId}`;
    items.push({ topic: item.topic, partition: item.partition, req: item.req as unknown as ReplicaRequest });
  }
  return { replicaId: body.replicaId, maxWaitMs: body.maxWaitMs, wake: body.wake === true, items };
}

/**
 * The leader's answers, in the batch's order: each answer's fields, and its
 * records in the blob, which is the stored buffers themselves (the socket
 * write takes them as a list: nothing is copied).
 */
export function encodeFetchAnswers(answers: readonly ReplicaResponse[]): RpcMessage {
  const blobs: Buffer[] = [];
  const items = answers.map((a) => {
    if (a.kind !== 'fetchResponse') return a;
    const { records } = a;
    for (let i = 0; i < records.length; i++) blobs.push(records[i]);
    // The answer's fields as they are, its records replaced by their length (one object, no rest-and-spread copy).
    return {
      kind: a.kind,
      requestId: a.requestId,
      errorCode: a.errorCode,
      highWatermark: a.highWatermark,
      logStartOffset: a.logStartOffset,
      bytes: recordBytes(records),
    };
  });
  return { body: { items }, blob: blobs };
}

function answerError(a: unknown): string | undefined {
  if (!isObject(a) || !isInt(a.requestId) || !isInt(a.errorCode)) return 'lacks requestId or errorCode';
  if (a.kind === 'offsetForLeaderEpochResponse')
    return isInt(a.leaderEpoch) && isInt(a.endOffset) && isInt(a.leaderLogEndOffset) ? undefined : 'lacks leaderEpoch, endOffset or leaderLogEndOffset';
  if (a.kind === 'fetchResponse')
    return isInt(a.highWatermark) && isInt(a.bytes) && a.bytes >= 0 && (a.logStartOffset === undefined || isInt(a.logStartOffset))
      ? undefined
      : 'lacks highWatermark or bytes';
  return `has unknown kind ${JSON.stringify(a.kind)}`;
}

/**
 * The leader's answers to `sent` requests, each fetch's records one view of
 * `blob` (no copy), or why the answer cannot be used.
 */
export function decodeFetchAnswers(body: unknown, blob: Buffer, sent: number): ReplicaResponse[] | string {
  if (!isObject(body) || !Array.isArray(body.items)) return 'a replica fetch answer needs items';
  if (body.items.length !== sent) return `a replica fetch answer has ${body.items.length} items for ${sent} requests`;
  const answers: ReplicaResponse[] = [];
  let at = 0;
  for (let i = 0; i < body.items.length; i++) {
    const a = body.items[i];
    const bad = answerError(a);
    if (bad !== undefined) return `replica fetch answer ${i} ${bad}`;
    if (a.kind !== 'fetchResponse') {
      answers.push(a as unknown as ReplicaResponse);
      continue;
    }
    const bytes: number = a.bytes;
    if (at + bytes > blob.length) return `replica fetch answer ${i} claims ${bytes} bytes past the ${blob.length} received`;
    const records = bytes > 0 ? [blob.subarray(at, at + bytes)] : NO_RECORDS;
    // The fields answerError checked, in one object (no rest-and-spread copy per partition per fetch).
    answers.push({
      kind: 'fetchResponse',
      requestId: a.requestId,
      errorCode: a.errorCode,
      highWatermark: a.highWatermark,
      logStartOffset: a.logStartOffset,
      records,
    });
    at += bytes;
  }
  if (at !== blob.length) return `a replica fetch answer carries ${blob.length - at} bytes no item claims`;
  return answers;
}
