// The follower's side of the batched replica fetch (Kafka's
// ReplicaFetcherThread): one fetcher per leader broker carries every partition
// this broker follows from that leader in one request. Each partition's
// PartitionReplica still decides what to ask (truncate by epoch, then fetch
// from its log end) and judges the answer; the fetcher only gathers their
// requests, sends them together and hands each its answer.
//
// Batches go in a fetch session with the leader (replica-fetch-session.ts):
// the first is full, the later ones name only the partitions whose request
// changed, and the leader answers only what has news. A leader that answers
// without a session (an older Rill) gets full batches answered in order.
//
// One batch per leader is in flight, and the leader may hold it while nothing
// is new. A partition that needs asking meanwhile (it just started following
// this leader, or its error backoff ended) sends a "wake": an empty batch the
// leader answers at once, releasing the held one, so the next batch carries
// it. A partition whose answer was an error waits a short backoff before it is
// asked again (the session forgets it meanwhile), without holding up the
// others.
import { ErrorCode } from '../errors';
import type { RpcResult } from '../net/rpc';
import type { ReplicaResponse } from '../replication/messages';
import { ReplicationInvariantError } from '../replication/partition-replica';
import type { HostedReplica } from './broker-view';
import { FollowerSession, type SessionRequest } from './replica-fetch-session';
import { decodeFetchAnswers, decodeSessionAnswer, type FetchBatch, isSessionAnswer } from './replica-fetch-wire';

export interface FetcherHost {
  readonly nodeId: number;
  readonly brokerEpoch: number;
  readonly stopped: boolean;
  hosted(name: string): HostedReplica | undefined;
  /** Sends a batch to the leader's replication port; undefined when the leader's address is unknown. */
  send(leaderId: number, batch: FetchBatch): Promise<RpcResult> | undefined;
  /** The answer's blob is no longer viewed by anything: its memory may take the next answer. */
  recycle(leaderId: number, blob: Buffer): void;
  /** A replica took its answer (truncations to log, high watermark waiters to wake). */
  answered(h: HostedReplica): void;
  warn(message: string): void;
  /** A bug: a replica refused an answer that would lose committed records. */
  error(message: string): void;
}

export interface FetcherSettings {
  /** replica.fetch.wait.max.ms: how long the leader may hold a batch with nothing new. */
  readonly maxWaitMs: number;
  /** replica.fetch.backoff.ms: how long a partition whose answer was an error waits before it is asked again. */
  readonly errorBackoffMs: number;
  /** The clock poll() is given too (milliseconds). */
  readonly now: () => number;
}

interface Sent extends SessionRequest {
  readonly h: HostedReplica;
}

/** Every leader's fetcher of one follower broker, and which partition each carries. */
export class ReplicaFetchers {
  private readonly byLeader = new Map<number, LeaderFetcher>();
  private readonly fetcherOf = new Map<string, LeaderFetcher>();

  constructor(
    private readonly host: FetcherHost,
    private readonly settings: FetcherSettings,
  ) {}

  /** Puts `h` with the fetcher of the leader it follows now; a leader or offline replica is with none. */
  track(h: HostedReplica): void {
    const leader = h.replica.role === 'follower' ? h.replica.leader : undefined;
    const current = this.fetcherOf.get(h.name);
    if (current !== undefined && current.leaderId === leader && current.carries(h)) return;
    current?.remove(h.name);
    this.fetcherOf.delete(h.name);
    if (leader === undefined) return;
    let fetcher = this.byLeader.get(leader);
    if (fetcher === undefined) this.byLeader.set(leader, (fetcher = new LeaderFetcher(leader, this.host, this.settings)));
    fetcher.add(h);
    this.fetcherOf.set(h.name, fetcher);
  }

  /** The replica is closed: no fetcher carries it. */
  untrack(h: HostedReplica): void {
    this.fetcherOf.get(h.name)?.remove(h.name);
    this.fetcherOf.delete(h.name);
  }

  /** Sends what is due (called every tick); fetchers left with no partition and nothing in flight go. */
  poll(now: number): void {
    for (const [leader, fetcher] of this.byLeader) {
      if (fetcher.idle) this.byLeader.delete(leader);
      else fetcher.poll(now);
    }
  }
}

class LeaderFetcher {
  private readonly partitions: HostedReplica[] = [];
  /** The same partitions by replica name (track() asks every tick whether one is here). */
  private readonly byName = new Map<string, HostedReplica>();
  /** Where the next batch starts in `partitions`: the order rotates, so a response's byte budget favours none. */
  private rotation = 0;
  private readonly backoffUntil = new Map<string, number>();
  /** A batch is in flight (the leader may hold it). */
  private inFlight = false;
  /** The partitions not in the batch in flight (added since, backing off, or with a request of their own out): a wake is for them. */
  private waiting: HostedReplica[] = [];
  /** A wake (answered at once) is in flight. */
  private waking = false;
  private readonly session = new FollowerSession();

  constructor(
    readonly leaderId: number,
    private readonly host: FetcherHost,
    private readonly settings: FetcherSettings,
  ) {}

  get idle(): boolean {
    return this.partitions.length === 0 && !this.inFlight && !this.waking;
  }

  carries(h: HostedReplica): boolean {
    return this.byName.get(h.name) === h;
  }

  add(h: HostedReplica): void {
    this.remove(h.name);
    this.partitions.push(h);
    this.byName.set(h.name, h);
    if (this.inFlight) this.waiting.push(h);
  }

  remove(name: string): void {
    if (!this.byName.delete(name)) return;
    const i = this.partitions.findIndex((p) => p.name === name);
    if (i >= 0) this.partitions.splice(i, 1);
    this.backoffUntil.delete(name);
  }

  poll(now: number): void {
    if (!this.inFlight) this.send(now);
    else if (!this.waking && this.wantsWake(now)) this.wake();
  }

  /** A partition not in the batch in flight has a request due (it would wait for the held batch otherwise). */
  private wantsWake(now: number): boolean {
    for (let i = 0; i < this.waiting.length; i++) {
      const h = this.waiting[i];
      const until = this.backoffUntil.get(h.name);
      if (this.carries(h) && (until === undefined || until <= now) && h.replica.wantsRequest(now)) return true;
    }
    return false;
  }

  /** The requests of every partition that has one due now (a partition with one in flight has none). */
  private due(now: number): Sent[] {
    const n = this.partitions.length;
    const start = n === 0 ? 0 : this.rotation++ % n;
    const due: Sent[] = [];
    for (let k = 0; k < n; k++) {
      const h = this.partitions[(start + k) % n];
      const until = this.backoffUntil.get(h.name);
      if (until !== undefined) {
        if (until > now) continue;
        this.backoffUntil.delete(h.name);
      }
      const req = h.replica.nextRequest(now, this.host.brokerEpoch);
      if (req !== undefined) due.push({ h, name: h.name, topic: h.topic, partition: h.partition, req });
    }
    return due;
  }

  /** An empty batch the leader answers at once, releasing the one it holds: the next batch carries what is due. */
  private wake(): void {
    const call = this.host.send(this.leaderId, { replicaId: this.host.nodeId, maxWaitMs: 0, wake: true, items: [], forget: [] });
    if (call === undefined) return;
    this.waking = true;
    void call.then(() => {
      this.waking = false;
      if (!this.host.stopped && !this.inFlight) this.send(this.settings.now());
    });
  }

  private send(now: number, resend?: readonly Sent[]): void {
    if (this.host.stopped) return;
    // Sent again after a session error: only the partitions this fetcher still carries.
    const due = resend?.filter((d) => this.carries(d.h)) ?? this.due(now);
    // Nothing due: no batch, and no session to keep up (the leader keeps the session; the next batch names what changed).
    if (due.length === 0) return;
    const parts = this.session.build(due);
    const batch: FetchBatch = { replicaId: this.host.nodeId, maxWaitMs: this.settings.maxWaitMs, wake: false, ...parts };
    // Unsent (no address for the leader): each replica asks again after its request timeout.
    const call = this.host.send(this.leaderId, batch);
    if (call === undefined) {
      this.session.reset();
      return;
    }
    this.inFlight = true;
    const inBatch = new Set(due.map((d) => d.name));
    this.waiting = this.partitions.filter((h) => !inBatch.has(h.name));
    void call.then((r) => {
      this.inFlight = false;
      this.waiting = [];
      if (this.host.stopped) return;
      let again: readonly Sent[] | undefined;
      if (r.ok) again = this.deliver(due, r.body, r.blob);
      // Lost or refused: what the leader's session holds is unknown, so the next batch opens a new one.
      else this.session.reset();
      // Whichever answer comes last sends the next batch, with every partition due (or, after a session error, the same requests).
      if (!this.waking || again !== undefined) this.send(this.settings.now(), again);
    });
  }

  /** Hands each replica its answer; a session error returns the requests, to be sent again in a full batch. */
  private deliver(sent: readonly Sent[], body: unknown, blob: Buffer): readonly Sent[] | undefined {
    const answers = this.decode(sent, body, blob);
    if (answers === undefined) return sent;
    // A malformed answer: its replicas ask again after their request timeout.
    if (typeof answers === 'string') {
      this.session.reset();
      this.host.warn(`broker ${this.host.nodeId}: from leader ${this.leaderId}: ${answers}`);
      return undefined;
    }
    const now = this.settings.now();
    for (let i = 0; i < answers.length; i++) {
      const resp = answers[i];
      const { h } = sent[i];
      if (this.host.hosted(h.name) !== h) continue;
      try {
        if (resp.kind === 'fetchResponse') h.replica.handleFetchResponse(resp);
        else h.replica.handleOffsetForLeaderEpochResponse(resp);
      } catch (e) {
        if (!(e instanceof ReplicationInvariantError)) throw e;
        this.host.error(`broker ${this.host.nodeId}: ${e.message}`);
      }
      // Out of range is handled at once (truncate, or start at the leader's log start); other errors wait for metadata to move.
      if (resp.errorCode !== 0 && resp.errorCode !== ErrorCode.OFFSET_OUT_OF_RANGE) this.backoffUntil.set(h.name, now + this.settings.errorBackoffMs);
      this.host.answered(h);
    }
    // Appended (a follower's log keeps no view of what it appends): the memory may take the next answer.
    this.host.recycle(this.leaderId, blob);
    return undefined;
  }

  /** The answer to each of `sent`, in order; undefined after a session error (send again, full). */
  private decode(sent: readonly Sent[], body: unknown, blob: Buffer): readonly ReplicaResponse[] | string | undefined {
    if (!isSessionAnswer(body)) {
      // A leader without sessions answered in order: the next batch is full again.
      this.session.reset();
      return decodeFetchAnswers(body, blob, sent.length);
    }
    const answer = decodeSessionAnswer(body, blob);
    return typeof answer === 'string' ? answer : this.session.receive(answer, sent);
  }
}
