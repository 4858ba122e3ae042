// The leader's side of the batched replica fetch: answers one follower's
// requests for every partition it follows from this broker in one response.
// A batch that finds nothing new anywhere is held (Kafka's
// replica.fetch.wait.max.ms) and answered as soon as the leader appends to any
// of its partitions, so an acks=all produce waits one follower round trip, not
// a polling interval. Bytes are bounded per partition (the follower's
// maxBytes, at most replica.fetch.max.bytes) and per response
// (replica.fetch.response.max.bytes): past the response's budget, partitions
// are answered empty and the follower asks again, rotating its order so none
// starves.
//
// A batch with a fetch session (replica-fetch-session.ts) is served over all
// of the session's partitions, and answered with only those that have news.
import { ErrorCode } from '../errors';
import { recordBytes, type ReplicaRequest, type ReplicaResponse } from '../replication/messages';
import { type HostedReplica, replicaName } from './broker-view';
import type { RpcPeer } from '../net/rpc';
import { FetchSessionCache, NEW_SESSION, type ResolvedBatch } from './replica-fetch-session';
import type { FetchAnswer, FetchBatch, FetchItem } from './replica-fetch-wire';

export interface FetchLeaderHost {
  /** The replica this broker hosts for the partition, if any. */
  hosted(name: string): HostedReplica | undefined;
  /** After the leader handled a follower's fetch of `h`: acks=all appends the high watermark passed complete. */
  fetched(h: HostedReplica): void;
  /** After a batch was answered (high watermarks may have moved). */
  answered(): void;
  readonly stopped: boolean;
  /** Whether the broker is registered and unfenced: a fenced follower's session is dropped. */
  isLive(brokerId: number): boolean;
}

export interface FetchLeaderLimits {
  /** The longest a batch with nothing new is held, whatever the follower asks. */
  readonly maxWaitMs: number;
  /** replica.fetch.response.max.bytes: record bytes in one answer (exceeded by at most one batch, as Kafka's first partition may). */
  readonly responseMaxBytes: number;
  /** Fetch sessions kept at most (over every follower). */
  readonly maxSessions?: number;
}

type Waiter = () => void;

export class ReplicaFetchLeader {
  /** Held batches, by the replica name of each partition they fetch. */
  private readonly heldByPartition = new Map<string, Set<Waiter>>();
  /** Held batches, by the follower that sent them (a wake from it answers them). */
  private readonly heldByFollower = new Map<number, Set<Waiter>>();
  /** Held session batches, with the session's partitions by replica name (at most one per follower). */
  private readonly heldOnSessions = new Map<Waiter, ReadonlyMap<string, unknown>>();
  readonly sessions: FetchSessionCache;
  /** Connections whose close drops their sessions. */
  private readonly watched = new WeakSet<RpcPeer>();

  constructor(
    private readonly host: FetchLeaderHost,
    private readonly limits: FetchLeaderLimits,
  ) {
    this.sessions = new FetchSessionCache(limits.maxSessions);
  }

  /**
   * Answers a follower's batch, holding it while no partition has anything
   * new. `connection` is the one it came on: a session lives as long as it.
   */
  async answer(batch: FetchBatch, now: () => number, connection?: RpcPeer): Promise<FetchAnswer> {
    if (batch.wake) this.release(this.heldByFollower.get(batch.replicaId));
    let resolved: ResolvedBatch | undefined;
    if (batch.session !== undefined && !this.host.isLive(batch.replicaId)) {
      // A fenced follower keeps no session: a full batch of its is answered in order (as by a leader without sessions).
      this.sessions.dropFollower(batch.replicaId);
      if (batch.session.id !== NEW_SESSION)
        return { kind: 'session', answer: { sessionId: batch.session.id, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, items: [] } };
    } else if (batch.session !== undefined) {
      if (connection !== undefined && batch.session.id === NEW_SESSION && !this.watched.has(connection)) {
        this.watched.add(connection);
        connection.onClose(() => this.sessions.dropConnection(connection));
      }
      const r = this.sessions.resolve(batch, batch.session, connection);
      if (typeof r === 'number') return { kind: 'session', answer: { sessionId: batch.session.id, errorCode: r, items: [] } };
      resolved = r;
      // A new session is a moment to let go of those of fenced followers.
      if (batch.session.id === NEW_SESSION) this.sessions.sweep((id) => this.host.isLive(id));
    }
    const items = resolved?.items ?? batch.items;
    const finish = (answers: ReplicaResponse[]): FetchAnswer =>
      resolved === undefined ? { kind: 'inOrder', answers } : { kind: 'session', answer: this.sessions.answer(resolved, answers) };
    const first = this.answerOnce(items, now());
    const wait = Math.min(batch.maxWaitMs, this.limits.maxWaitMs);
    if (wait <= 0 || this.host.stopped || !first.every(nothingNew)) return finish(first);
    // Registered before the first await: a wake or an append right after this call finds it.
    await this.hold(batch.replicaId, items, wait, resolved?.session.partitions);
    return finish(this.host.stopped ? first : this.answerOnce(items, now()));
  }

  private answerOnce(items: readonly FetchItem[], now: number): ReplicaResponse[] {
    let budget = this.limits.responseMaxBytes;
    const answers = items.map(({ topic, partition, req }): ReplicaResponse => {
      const h = this.host.hosted(replicaName(topic, partition));
      if (h === undefined) return notHosted(req);
      if (req.kind === 'offsetForLeaderEpoch') return h.replica.handleOffsetForLeaderEpoch(req);
      // Past the budget a partition is still answered (its follower's progress counts), with no records.
      const resp = h.replica.handleFetch(budget >= req.maxBytes ? req : { ...req, maxBytes: Math.max(0, budget) }, now);
      budget -= recordBytes(resp.records);
      this.host.fetched(h);
      return resp;
    });
    this.host.answered();
    return answers;
  }

  /**
   * Holds a batch until an append to one of its partitions, a wake, or `ms`.
   * A session's batch is held on the session's partitions (one entry, looked
   * up on append) rather than joining every partition's set, which at
   * thousands of partitions cost more than the rest of an idle request.
   */
  private hold(replicaId: number, items: readonly FetchItem[], ms: number, session?: ReadonlyMap<string, unknown>): Promise<void> {
    return new Promise((resolve) => {
      const sets: Set<Waiter>[] = [];
      const done = () => {
        clearTimeout(timer);
        for (const s of sets) s.delete(done);
        this.heldOnSessions.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const join = <K>(map: Map<K, Set<Waiter>>, key: K) => {
        let set = map.get(key);
        if (set === undefined) map.set(key, (set = new Set()));
        set.add(done);
        sets.push(set);
      };
      join(this.heldByFollower, replicaId);
      if (session !== undefined) this.heldOnSessions.set(done, session);
      else for (const { topic, partition } of items) join(this.heldByPartition, replicaName(topic, partition));
    });
  }

  private release(waiters: Set<Waiter> | undefined): void {
    if (waiters === undefined || waiters.size === 0) return;
    for (const w of [...waiters]) w();
  }

  /** The leader appended to `h` (or it stopped being hosted): batches held on it are answered now. */
  appended(h: HostedReplica): void {
    this.release(this.heldByPartition.get(h.name));
    for (const [waiter, partitions] of this.heldOnSessions) if (partitions.has(h.name)) waiter();
  }

  /** The replica is gone: nothing is held on its name any more. */
  forget(h: HostedReplica): void {
    this.appended(h);
    this.heldByPartition.delete(h.name);
  }

  /** Every held batch is answered now (the broker stops). */
  releaseAll(): void {
    for (const set of [...this.heldByFollower.values()]) this.release(set);
  }
}

/** A fetch that found nothing: no error and no records (an OffsetForLeaderEpoch answer is news). */
function nothingNew(resp: ReplicaResponse): boolean {
  return resp.kind === 'fetchResponse' && resp.errorCode === 0 && resp.records.length === 0;
}

function notHosted(req: ReplicaRequest): ReplicaResponse {
  const errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
  return req.kind === 'fetch'
    ? { kind: 'fetchResponse', requestId: req.requestId, errorCode, highWatermark: -1, records: [] }
    : { kind: 'offsetForLeaderEpochResponse', requestId: req.requestId, errorCode, leaderEpoch: -1, endOffset: -1, leaderLogEndOffset: -1 };
}
