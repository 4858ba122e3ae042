// Fetch sessions of the batched replica fetch (Kafka's KIP-227, for the
// follower-to-leader fetch between cluster brokers). A follower's first batch
// to a leader is full and the leader answers it with a session id. Later
// batches carry (session id, epoch) and name only the partitions whose request
// changed (fetch offset, leader epoch, broker epoch, max bytes, or an
// OffsetForLeaderEpoch instead of a fetch) or that the session forgets. The
// leader still serves every partition of the session on every batch (each
// fetch counts as the follower's progress, as Kafka's incremental fetch does)
// but answers only those with records, an error, a high watermark or log start
// it has not sent yet, or that the batch named. The follower answers the
// partitions left out itself: nothing new, the high watermark and log start it
// last received. Both sides keep what was sent and received per partition, so
// a batch must be answered before the next one goes out; any failure drops the
// session and the follower starts a new one with a full batch.
//
// A fetch answered with an error (the leader does not host or lead the
// partition, a fenced epoch) leaves the session on both sides: the follower
// names it again, as new, when it next asks (a name whose batch was never
// answered is dropped too). So a session holds only
// partitions this leader leads and serves without error: a follower naming
// partitions it does not lead (a buggy or hostile peer, 100,000 made-up names)
// has each answered once, and the session does not grow with them.
import { randomInt } from 'node:crypto';
import { ErrorCode } from '../errors';
import type { ReplicaFetchRequest, ReplicaFetchResponse, ReplicaRequest, ReplicaResponse } from '../replication/messages';
import { replicaName } from './broker-view';
import type { FetchBatch, FetchItem, PartitionRef, SessionAnswer } from './replica-fetch-wire';

/** The id a follower sends to open a session (its batch is full). */
export const NEW_SESSION = 0;

/** A follower's sessions a leader keeps at most, over every follower (least recently used go first). */
export const DEFAULT_MAX_FETCH_SESSIONS = 1000;

/** What both sides remember of a partition in a session: what was asked, and the offsets last answered. */
interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  req: ReplicaFetchRequest;
  /** The high watermark last answered (NaN: none yet). */
  highWatermark: number;
  logStartOffset: number | undefined;
}

function sameFetch(a: ReplicaFetchRequest, b: ReplicaFetchRequest): boolean {
  return a.fetchOffset === b.fetchOffset && a.currentLeaderEpoch === b.currentLeaderEpoch && a.replicaEpoch === b.replicaEpoch && a.maxBytes === b.maxBytes;
}

// ---------------------------------------------------------------- the leader's side

interface LeaderSession {
  readonly id: number;
  readonly replicaId: number;
  /** The connection the session was opened on: it lives no longer than that (a batch on another finds no session). */
  readonly connection: object | undefined;
  /** The epoch the follower's next batch must carry. */
  nextEpoch: number;
  readonly partitions: Map<string, PartitionState>;
  /** Where the next answer starts among the partitions: the response's byte budget favours none. */
  rotation: number;
}

/** A batch as the leader serves it: every request, which of them the batch named, and its session. */
export interface ResolvedBatch {
  readonly items: readonly FetchItem[];
  /** Index in `items` of each request the batch named (answered whatever it finds). */
  readonly named: ReadonlySet<number>;
  readonly session: LeaderSession;
}

/** The leader's sessions, one per follower broker, bounded. */
export class FetchSessionCache {
  /** In use order: the first is the least recently used. */
  private readonly sessions = new Map<number, LeaderSession>();
  /** Ids start at a random point, so a session id from before a restart names no session after it. */
  private nextId = randomInt(1, 2 ** 30);

  constructor(private readonly maxSessions = DEFAULT_MAX_FETCH_SESSIONS) {}

  get size(): number {
    return this.sessions.size;
  }

  /** The session of a batch with its named changes applied, or the session error (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH) to answer. */
  resolve(batch: FetchBatch, header: { readonly id: number; readonly epoch: number }, connection?: object): ResolvedBatch | number {
    const { id, epoch } = header;
    let session: LeaderSession;
    if (id === NEW_SESSION) {
      session = this.open(batch.replicaId, connection);
    } else {
      const found = this.sessions.get(id);
      if (found === undefined || found.replicaId !== batch.replicaId || found.connection !== connection) return ErrorCode.FETCH_SESSION_ID_NOT_FOUND;
      if (epoch !== found.nextEpoch) {
        // The follower lost track of this session: it opens a new one.
        this.sessions.delete(id);
        return ErrorCode.INVALID_FETCH_SESSION_EPOCH;
      }
      session = found;
      this.sessions.delete(id);
      this.sessions.set(id, session);
    }
    session.nextEpoch++;
    const named = new Map<string, FetchItem>();
    for (const f of batch.forget) session.partitions.delete(replicaName(f.topic, f.partition));
    for (const item of batch.items) {
      const name = replicaName(item.topic, item.partition);
      named.set(name, item);
      if (item.req.kind !== 'fetch') session.partitions.delete(name);
      else {
        const state = session.partitions.get(name);
        if (state === undefined)
          session.partitions.set(name, { topic: item.topic, partition: item.partition, req: item.req, highWatermark: Number.NaN, logStartOffset: undefined });
        else state.req = item.req;
      }
    }
    const items: FetchItem[] = [];
    const namedAt = new Set<number>();
    // OffsetForLeaderEpoch requests are never part of the session: answered once, as named.
    for (const item of named.values()) {
      if (item.req.kind === 'fetch') continue;
      namedAt.add(items.length);
      items.push(item);
    }
    const all = [...session.partitions.entries()];
    const start = all.length === 0 ? 0 : session.rotation++ % all.length;
    for (let k = 0; k < all.length; k++) {
      const [name, state] = all[(start + k) % all.length];
      if (named.has(name)) namedAt.add(items.length);
      else if (Number.isNaN(state.highWatermark)) {
        // Named by an earlier batch whose answer never went out: not part of the session (the follower, unanswered, starts a new one).
        session.partitions.delete(name);
        continue;
      }
      items.push({ topic: state.topic, partition: state.partition, req: state.req });
    }
    return { items, named: namedAt, session };
  }

  /**
   * The session answer to a resolved batch: the named requests, and the
   * session's fetches that found records, an error, or offsets the follower
   * has not been sent. Records what it sends.
   */
  answer(resolved: ResolvedBatch, answers: readonly ReplicaResponse[]): SessionAnswer {
    const { session, items, named } = resolved;
    const out: { topic: string; partition: number; resp: ReplicaResponse }[] = [];
    for (let i = 0; i < answers.length; i++) {
      const resp = answers[i];
      const { topic, partition } = items[i];
      if (resp.kind === 'fetchResponse') {
        const name = replicaName(topic, partition);
        const state = session.partitions.get(name);
        if (state !== undefined && resp.errorCode !== 0) session.partitions.delete(name);
        else if (state !== undefined) {
          const news = resp.records.length > 0 || resp.highWatermark !== state.highWatermark || resp.logStartOffset !== state.logStartOffset;
          if (!news && !named.has(i)) continue;
          state.highWatermark = resp.highWatermark;
          state.logStartOffset = resp.logStartOffset;
        }
      }
      out.push({ topic, partition, resp });
    }
    return { sessionId: session.id, errorCode: 0, items: out };
  }

  /** The follower was fenced, or opens a new session: its sessions go. */
  dropFollower(replicaId: number): void {
    for (const [id, s] of this.sessions) if (s.replicaId === replicaId) this.sessions.delete(id);
  }

  /** A connection closed: the sessions opened on it go. */
  dropConnection(connection: object): void {
    for (const [id, s] of this.sessions) if (s.connection === connection) this.sessions.delete(id);
  }

  /** Drops the sessions of followers `live` says are gone (fenced). */
  sweep(live: (replicaId: number) => boolean): void {
    for (const [id, s] of this.sessions) if (!live(s.replicaId)) this.sessions.delete(id);
  }

  private open(replicaId: number, connection: object | undefined): LeaderSession {
    // One session per follower: its new full batch replaces what it had.
    this.dropFollower(replicaId);
    while (this.sessions.size >= this.maxSessions) {
      const lru = this.sessions.keys().next();
      if (lru.done === true) break;
      this.sessions.delete(lru.value);
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 2 ** 31 - 1 ? 1 : this.nextId + 1;
    const session: LeaderSession = { id, replicaId, connection, nextEpoch: 0, partitions: new Map(), rotation: 0 };
    this.sessions.set(id, session);
    return session;
  }
}

// ---------------------------------------------------------------- the follower's side

/** One partition's request in a batch the follower sends, by its replica name. */
export interface SessionRequest {
  readonly name: string;
  readonly topic: string;
  readonly partition: number;
  readonly req: ReplicaRequest;
}

/** What goes on the wire for one batch: the session header, the named requests and the forgotten partitions. */
export interface SessionBatchParts {
  readonly session: { readonly id: number; readonly epoch: number };
  readonly items: readonly FetchItem[];
  readonly forget: readonly PartitionRef[];
}

/** A follower's session with one leader. */
export class FollowerSession {
  private id = NEW_SESSION;
  private epoch = 0;
  private readonly partitions = new Map<string, PartitionState>();

  /** The session open at the leader (NEW_SESSION: none; the next batch is full). */
  get sessionId(): number {
    return this.id;
  }

  /** Forgets the session: the next batch is full. */
  reset(): void {
    this.id = NEW_SESSION;
    this.epoch = 0;
    this.partitions.clear();
  }

  /** The batch for `due`: everything when no session is open, else only what changed since the last batch. */
  build(due: readonly SessionRequest[]): SessionBatchParts {
    const full = this.id === NEW_SESSION;
    if (full) this.partitions.clear();
    const items: FetchItem[] = [];
    const present = new Set<string>();
    for (const d of due) {
      present.add(d.name);
      const item = { topic: d.topic, partition: d.partition, req: d.req };
      if (d.req.kind !== 'fetch') {
        this.partitions.delete(d.name);
        items.push(item);
        continue;
      }
      const state = this.partitions.get(d.name);
      if (state !== undefined && sameFetch(state.req, d.req)) continue;
      items.push(item);
      if (state === undefined)
        this.partitions.set(d.name, { topic: d.topic, partition: d.partition, req: d.req, highWatermark: Number.NaN, logStartOffset: undefined });
      else state.req = d.req;
    }
    const forget: PartitionRef[] = [];
    for (const [name, state] of this.partitions) {
      if (present.has(name)) continue;
      forget.push({ topic: state.topic, partition: state.partition });
      this.partitions.delete(name);
    }
    return { session: { id: this.id, epoch: this.epoch }, items, forget };
  }

  /**
   * Takes the leader's session answer to the batch built from `due`: every
   * request in `due` gets its answer, the one the leader sent or, for a fetch
   * left out, "nothing new" at the offsets last received. A session error
   * gives undefined (the session is reset; the batch is to be sent again, full).
   */
  receive(answer: SessionAnswer, due: readonly SessionRequest[]): ReplicaResponse[] | string | undefined {
    if (answer.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND || answer.errorCode === ErrorCode.INVALID_FETCH_SESSION_EPOCH) {
      const wasOpen = this.id !== NEW_SESSION;
      this.reset();
      // Sent again full at once; a full batch refused too is a leader's bug, not retried.
      return wasOpen ? undefined : `the leader refused to open a fetch session (error ${answer.errorCode})`;
    }
    if (answer.errorCode !== 0) {
      this.reset();
      return `the leader refused the fetch session with error ${answer.errorCode}`;
    }
    if (this.id !== NEW_SESSION && answer.sessionId !== this.id) {
      this.reset();
      return `the leader answered session ${answer.sessionId} to a batch of session ${this.id}`;
    }
    this.id = answer.sessionId;
    this.epoch++;
    const byName = new Map<string, ReplicaResponse>();
    for (const a of answer.items) byName.set(replicaName(a.topic, a.partition), a.resp);
    const out: ReplicaResponse[] = [];
    for (const d of due) {
      const resp = byName.get(d.name);
      const state = d.req.kind === 'fetch' ? this.partitions.get(d.name) : undefined;
      if (resp !== undefined) {
        if (resp.kind !== (d.req.kind === 'fetch' ? 'fetchResponse' : 'offsetForLeaderEpochResponse')) {
          this.reset();
          return `the leader answered ${d.name}'s ${d.req.kind} with a ${resp.kind}`;
        }
        // An error takes the partition out of the session, as the leader's side did.
        if (state !== undefined && resp.kind === 'fetchResponse' && resp.errorCode !== 0) this.partitions.delete(d.name);
        else if (state !== undefined && resp.kind === 'fetchResponse') {
          state.highWatermark = resp.highWatermark;
          state.logStartOffset = resp.logStartOffset;
        }
        // The leader echoes the id of the request it holds for the session; the replica waits on its latest.
        out.push({ ...resp, requestId: d.req.requestId });
        continue;
      }
      if (state === undefined || Number.isNaN(state.highWatermark)) {
        this.reset();
        return `the leader left out ${d.name}, which it has never answered in this session`;
      }
      out.push(unchanged(d.req.requestId, state));
    }
    return out;
  }
}

function unchanged(requestId: number, state: PartitionState): ReplicaFetchResponse {
  return { kind: 'fetchResponse', requestId, errorCode: 0, highWatermark: state.highWatermark, logStartOffset: state.logStartOffset, records: [] };
}
