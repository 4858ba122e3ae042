// The batched replica fetch on the wire (Kafka's replica fetcher: one Fetch per
// leader broker for every partition the follower follows from it). A follower
// sends one request naming each partition with its PartitionReplica's next
// request (a fetch, or OffsetForLeaderEpoch while it truncates); the leader
// answers them in the same order, each answer's records laid end to end in the
// frame's blob, never re-encoded. Both directions are checked before use: a
// malformed body is refused with a reason, and only that call fails.
//
// A batch may carry a fetch session (replica-fetch-session.ts): then it names
// only what changed, and the answer names each partition it answers. The RPC
// has no versions; a batch without `session` is answered in order as before,
// and a leader that knows no sessions ignores the field and answers in order,
// which tells the follower to keep sending full batches (a rolling restart
// mixes both).
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
  /** Absent: no session, every request is in `items` and answered in order. */
  readonly session?: { readonly id: number; readonly epoch: number };
  /** Partitions the session drops (no longer fetched from this leader, or backing off). */
  readonly forget: readonly PartitionRef[];
}

export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** A leader's answer to a batch with a session: only the partitions with something to say, by name. */
export interface SessionAnswer {
  readonly sessionId: number;
  /** FETCH_SESSION_ID_NOT_FOUND or INVALID_FETCH_SESSION_EPOCH: no items, the follower opens a new session. */
  readonly errorCode: number;
  readonly items: readonly (PartitionRef & { readonly resp: ReplicaResponse })[];
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
  const session = body.session;
  if (session !== undefined && (!isObject(session) || !isInt(session.id) || !isInt(session.epoch) || session.id < 0 || session.epoch < 0))
    return 'a replica fetch session needs id >= 0 and epoch >= 0';
  const forget: PartitionRef[] = [];
  const rawForget = body.forget ?? [];
  if (!Array.isArray(rawForget)) return "a replica fetch batch's forget must be a list";
  for (let i = 0; i < rawForget.length; i++) {
    const f = rawForget[i];
    if (!isObject(f) || typeof f.topic !== 'string' || !isInt(f.partition)) return `replica fetch forget ${i} needs topic and partition`;
    forget.push({ topic: f.topic, partition: f.partition });
  }
  return {
    replicaId: body.replicaId,
    maxWaitMs: body.maxWaitMs,
    wake: body.wake === true,
    items,
    session: session === undefined ? undefined : { id: session.id as number, epoch: session.epoch as number },
    forget,
  };
}

/** What a batch is answered with: answers in its order (no session), or a session answer. */
export type FetchAnswer =
  | { readonly kind: 'inOrder'; readonly answers: readonly ReplicaResponse[] }
  | { readonly kind: 'session'; readonly answer: SessionAnswer };

/** A batch's answer on the wire. */
export function encodeFetchAnswer(a: FetchAnswer): RpcMessage {
  return a.kind === 'inOrder' ? encodeFetchAnswers(a.answers) : encodeSessionAnswer(a.answer);
}

/**
 * One answer's fields, its records replaced by their length and appended to
 * `blobs` (one object, no rest-and-spread copy); with `ref`, named by its
 * partition (a session answer).
 */
function answerItem(a: ReplicaResponse, blobs: Buffer[], ref?: PartitionRef): object {
  if (a.kind !== 'fetchResponse') return ref === undefined ? a : { topic: ref.topic, partition: ref.partition, ...a };
  const { records } = a;
  for (let i = 0; i < records.length; i++) blobs.push(records[i]);
  return {
    topic: ref?.topic,
    partition: ref?.partition,
    kind: a.kind,
    requestId: a.requestId,
    errorCode: a.errorCode,
    highWatermark: a.highWatermark,
    logStartOffset: a.logStartOffset,
    bytes: recordBytes(records),
  };
}

/**
 * The leader's answers, in the batch's order: each answer's fields, and its
 * records in the blob, which is the stored buffers themselves (the socket
 * write takes them as a list: nothing is copied).
 */
export function encodeFetchAnswers(answers: readonly ReplicaResponse[]): RpcMessage {
  const blobs: Buffer[] = [];
  const items = answers.map((a) => answerItem(a, blobs));
  return { body: { items }, blob: blobs };
}

/** A session answer: each item names its partition, records in the blob as above. */
export function encodeSessionAnswer(answer: SessionAnswer): RpcMessage {
  const blobs: Buffer[] = [];
  const items = answer.items.map((item) => answerItem(item.resp, blobs, item));
  return { body: { session: answer.sessionId, errorCode: answer.errorCode, items }, blob: blobs };
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
  return decodeItems(body.items, blob);
}

/** Whether the leader answered with a session (a leader that knows none answers in order). */
export function isSessionAnswer(body: unknown): boolean {
  return isObject(body) && body.session !== undefined;
}

/** A leader's session answer, or why it cannot be used. */
export function decodeSessionAnswer(body: unknown, blob: Buffer): SessionAnswer | string {
  if (!isObject(body) || !isInt(body.session) || !isInt(body.errorCode) || !Array.isArray(body.items))
    return 'a replica fetch session answer needs session, errorCode and items';
  const raw: unknown[] = body.items;
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i];
    if (!isObject(a) || typeof a.topic !== 'string' || !isInt(a.partition)) return `replica fetch answer ${i} needs topic and partition`;
  }
  const answers = decodeItems(raw, blob);
  if (typeof answers === 'string') return answers;
  const items = answers.map((resp, i) => {
    const { topic, partition } = raw[i] as { topic: string; partition: number };
    return { topic, partition, resp };
  });
  return { sessionId: body.session, errorCode: body.errorCode, items };
}

function decodeItems(raw: readonly unknown[], blob: Buffer): ReplicaResponse[] | string {
  const answers: ReplicaResponse[] = [];
  let at = 0;
  for (let i = 0; i < raw.length; i++) {
    const a = raw[i] as Record<string, unknown>;
    const bad = answerError(a);
    if (bad !== undefined) return `replica fetch answer ${i} ${bad}`;
    if (a.kind !== 'fetchResponse') {
      answers.push(a as unknown as ReplicaResponse);
      continue;
    }
    const bytes = a.bytes as number;
    if (at + bytes > blob.length) return `replica fetch answer ${i} claims ${bytes} bytes past the ${blob.length} received`;
    const records = bytes > 0 ? [blob.subarray(at, at + bytes)] : NO_RECORDS;
    // The fields answerError checked, in one object (no rest-and-spread copy per partition per fetch).
    answers.push({
      kind: 'fetchResponse',
      requestId: a.requestId as number,
      errorCode: a.errorCode as number,
      highWatermark: a.highWatermark as number,
      logStartOffset: a.logStartOffset as number | undefined,
      records,
    });
    at += bytes;
  }
  if (at !== blob.length) return `a replica fetch answer carries ${blob.length - at} bytes no item claims`;
  return answers;
}
