import { randomInt } from 'crypto';
import * as E from 'fp-ts/Either';
import { FileStorage } from './file-storage';
import { messageProblem } from './message-validation';
import { DEFAULT_CONFIG, Raft, bootstrapState, type MemberProgress, type ProposalAccepted, type RaftConfig } from './raft';
import { SeededRandom } from './random';
import type { ReplicatedStateMachine } from './state-machine';
import { TcpTransport, type LinkSockets, type PeerAddress } from './tcp-transport';
import type { RaftTrace } from './trace';
import type { ConfChange, ConfState, NodeId, Ready, RandomSource } from './types';

// The imperative shell around the pure core: a timer feeds ticks, the TCP
// transport feeds messages, and each Ready is written to disk in the
// background (libuv's threads) while the event loop goes on taking requests
// and acknowledgements. One write is in flight at a time: whatever arrives
// meanwhile forms the next Ready, so one fdatasync and one append message
// carry a whole batch of proposals, and batches pipeline with the disk.
// A Ready's messages leave after its write is durable, except a leader's
// (Ready.sendBeforePersist: its fsync overlaps the followers'). Its committed
// entries are applied at once: a commit index stands on a quorum of disks.

export interface RaftNodeOptions<R> {
  readonly id: NodeId;
  readonly dir: string;
  readonly stateMachine: ReplicatedStateMachine<R>;
  /** Founding voters, used only when the storage is empty. Omit to join an existing cluster. */
  readonly bootstrap?: readonly NodeId[];
  readonly peers?: ReadonlyMap<NodeId, PeerAddress>;
  readonly host?: string;
  readonly port?: number;
  readonly tickMs?: number;
  /** Take a snapshot after this many applied entries. */
  readonly snapshotEvery?: number;
  readonly raft?: Partial<Omit<RaftConfig, 'id' | 'random'>>;
  readonly random?: RandomSource;
  /** Test hook: which peers this node's messages reach (TransportOptions.linkFilter). */
  readonly linkFilter?: (to: NodeId) => boolean;
  /** How connections to and from peers are made (TransportOptions.sockets; default plain TCP). */
  readonly sockets?: LinkSockets;
  /** Record where each proposal's time goes (RaftTrace.fromEnv()). */
  readonly trace?: RaftTrace;
}

export interface NodeStatus {
  readonly id: NodeId;
  readonly role: string;
  readonly term: number;
  readonly leader: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  /** Term of the entry at `lastIndex`: two nodes with the same last index and term hold the same log (Log Matching). */
  readonly lastTerm: number;
}

/** One member's replication as this node sees it while it leads (Kafka's DescribeQuorum replica state). */
export interface ReplicationStatus extends MemberProgress {
  /** The leader's last index minus `match`: entries this member does not yet hold. */
  readonly lag: number;
  /** Milliseconds since it last answered an append or heartbeat (0 for the leader itself; null: not since this node started). */
  readonly lastAckMsAgo: number | null;
  /** Milliseconds since it last held every entry the leader had (0 for the leader itself; null: not since this node started). */
  readonly lastCaughtUpMsAgo: number | null;
}

interface PendingProposal<R> {
  readonly term: number;
  readonly resolve: (r: E.Either<string, R>) => void;
  /** Tracing only: when it was proposed and when this node's copy became durable (trace.now()). */
  readonly proposedAt?: number;
  persistedAt?: number;
}

export class RaftNode<R> {
  private readonly proposals = new Map<number, PendingProposal<R>>();
  private readonly reads = new Map<string, { index: number; resolve: (r: E.Either<string, number>) => void }>();
  private readonly ticker: NodeJS.Timeout;
  private scheduled = false;
  private stopped = false;
  /** The Ready being written in the background, settled once it is durable and advanced. */
  private writing: Promise<void> | undefined;
  /** A snapshot file being written in the background (FileStorage.compactInBackground). */
  private compacting: Promise<void> | undefined;
  /**
   * The last index the state machine holds. It can differ from the core's
   * `applied` while a write is in flight: entries are applied before the core
   * hears of it, and a snapshot from the leader moves the core at once but
   * reaches the state machine with the next Ready. Reads wait on this one.
   */
  private smApplied: number;
  private readSeq = 0;
  /** When each peer last answered this node's appends or heartbeats, and last held all of its log (Date.now()). */
  private readonly lastAck = new Map<NodeId, number>();
  private readonly lastCaughtUp = new Map<NodeId, number>();
  /** Tracing only: when each append from the leader arrived, until its answer leaves. */
  private appendsArrived: number[] = [];

  private constructor(
    private readonly raft: Raft,
    private readonly storage: FileStorage,
    private readonly transport: TcpTransport,
    private readonly sm: ReplicatedStateMachine<R>,
    readonly port: number,
    private readonly snapshotEvery: number,
    tickMs: number,
    private readonly trace: RaftTrace | undefined,
  ) {
    this.smApplied = raft.log.applied;
    this.ticker = setInterval(() => {
      this.raft.tick();
      this.schedule();
    }, tickMs);
  }

  static async start<R>(opts: RaftNodeOptions<R>): Promise<E.Either<string, RaftNode<R>>> {
    const opened = FileStorage.open(opts.dir);
    if (E.isLeft(opened)) return opened;
    const storage = opened.right;
    let state = storage.load();
    const empty = state.hardState.term === 0 && state.snapshot === undefined && state.entries.length === 0;
    if (empty && opts.bootstrap !== undefined) {
      state = bootstrapState(opts.bootstrap);
      storage.save({
        softState: { role: 'follower', leader: 0 },
        hardState: state.hardState,
        entries: [],
        snapshot: state.snapshot,
        committedEntries: [],
        messages: [],
        readStates: [],
        sendBeforePersist: false,
      });
    }
    if (state.snapshot !== undefined) opts.stateMachine.restore(state.snapshot.data);
    const raft = new Raft({ ...DEFAULT_CONFIG, ...opts.raft, id: opts.id, random: opts.random ?? new SeededRandom(randomInt(0x7fffffff)) }, state);
    let node: RaftNode<R> | undefined;
    const transport = new TcpTransport({
      linkFilter: opts.linkFilter,
      sockets: opts.sockets,
      onMessage: (m) => {
        if (node === undefined || node.stopped) return;
        // A malformed message from the network is dropped, never allowed to crash the node.
        if (messageProblem(m, opts.id) !== undefined) return;
        if (m.type === 'append' && node.trace !== undefined) node.appendsArrived.push(node.trace.now());
        raft.step(m);
        if (m.type === 'appendResp' || m.type === 'heartbeatResp') node.noteAck(m.from);
        node.schedule();
      },
    });
    let port: number;
    try {
      port = await transport.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
    } catch (e) {
      storage.close();
      return E.left(`cannot listen for raft peers: ${(e as Error).message}`);
    }
    for (const [id, addr] of opts.peers ?? []) transport.setPeer(id, addr);
    node = new RaftNode(raft, storage, transport, opts.stateMachine, port, opts.snapshotEvery ?? 10000, opts.tickMs ?? 100, opts.trace);
    node.schedule();
    return E.right(node);
  }

  setPeer(id: NodeId, address: PeerAddress): void {
    this.transport.setPeer(id, address);
  }

  status(): NodeStatus {
    const r = this.raft;
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      leader: r.leader,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      lastTerm: r.log.lastTerm(),
    };
  }

  /** Every member's replication as this node sees it, itself included; empty unless it leads. */
  replication(): ReplicationStatus[] {
    const now = Date.now();
    const last = this.raft.log.lastIndex();
    const ago = (at: number | undefined) => (at === undefined ? null : now - at);
    return this.raft
      .membersProgress()
      .map((p) =>
        p.id === this.raft.id
          ? { ...p, lag: 0, lastAckMsAgo: 0, lastCaughtUpMsAgo: 0 }
          : { ...p, lag: Math.max(0, last - p.match), lastAckMsAgo: ago(this.lastAck.get(p.id)), lastCaughtUpMsAgo: ago(this.lastCaughtUp.get(p.id)) },
      );
  }

  /** A peer answered while this node leads: it is alive, and caught up if it holds the whole log. */
  private noteAck(from: NodeId): void {
    const p = this.raft.progressOf(from);
    if (this.raft.role !== 'leader' || p === undefined) return;
    const now = Date.now();
    this.lastAck.set(from, now);
    if (p.match >= this.raft.log.lastIndex()) this.lastCaughtUp.set(from, now);
  }

  /** Replicate a command; resolves with the state machine's result once applied here. */
  propose(command: Buffer): Promise<E.Either<string, R>> {
    return new Promise((resolve) => this.submit(command, resolve));
  }

  /**
   * `propose` with a callback instead of a promise: `done` runs once, with
   * the result once applied here (synchronously while the entry is applied),
   * or at once with the refusal. A server answering thousands of requests a
   * second saves a promise and a microtask each.
   */
  submit(command: Buffer, done: (r: E.Either<string, R>) => void): void {
    if (this.stopped) return done(E.left('node is stopped'));
    const accepted = this.raft.propose(command);
    if (E.isLeft(accepted)) return done(accepted);
    this.schedule();
    const { index, term } = accepted.right;
    // An older proposal at this index was truncated away before we led again: it is lost.
    this.proposals.get(index)?.resolve(E.left('the proposal was replaced by another leader’s entry; retry'));
    this.proposals.set(index, { term, resolve: done, proposedAt: this.trace?.now() });
  }

  /** Appends a membership change; in force on this node once `applied` reaches the returned index. */
  proposeConfChange(cc: ConfChange): E.Either<string, ProposalAccepted> {
    const r = this.raft.proposeConfChange(cc);
    this.schedule();
    return r;
  }

  /** The membership this node acts on now (committed changes included once applied). */
  conf(): ConfState {
    return this.raft.membership.toConfState();
  }

  transferLeadership(to: NodeId): E.Either<string, void> {
    const r = this.raft.transferLeadership(to);
    this.schedule();
    return r;
  }

  /** A linearizable read barrier: resolves once the local state reflects every write acknowledged before the call. */
  readBarrier(): Promise<E.Either<string, number>> {
    const context = `${this.raft.id}:${++this.readSeq}`;
    const asked = this.raft.readIndex(context);
    if (E.isLeft(asked)) return Promise.resolve(asked);
    this.schedule();
    return new Promise((resolve) => this.reads.set(context, { index: 0, resolve }));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.ticker);
    await this.transport.close();
    await this.writing;
    await this.compacting;
    this.storage.close();
    for (const p of this.proposals.values()) p.resolve(E.left('node stopped'));
    for (const r of this.reads.values()) r.resolve(E.left('node stopped'));
    this.proposals.clear();
    this.reads.clear();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.stopped) this.processReady();
    });
  }

  private processReady(): void {
    const raft = this.raft;
    // A snapshot from the leader waits for our own snapshot file to be written.
    while (this.writing === undefined && !(this.compacting !== undefined && raft.log.snapshotUnstable) && raft.hasReady()) {
      const rd = raft.ready();
      const started = this.trace?.now();
      if (started !== undefined) this.traceQueued(rd, started);
      if (rd.sendBeforePersist) this.send(rd);
      let settle = () => {};
      const written = new Promise<void>((resolve) => {
        settle = resolve;
      });
      const inFlight = this.storage.saveInBackground(rd, (err) => {
        if (err) {
          // The log may not be on disk: going on could lose acknowledged writes.
          throw new Error(`raft storage write failed, the node cannot go on: ${err.message}`);
        }
        this.writing = undefined;
        this.persisted(rd, started);
        settle();
        // Whatever arrived during the write forms the next Ready now.
        if (!this.stopped) this.processReady();
      });
      // Applied after the write is under way: answering a batch's clients
      // (a socket write each, with submit()) does not delay the disk.
      this.apply(rd);
      if (inFlight) {
        this.writing = written;
        break;
      }
      this.persisted(rd, started);
    }
    // A snapshot is taken at the core's applied index, which the state machine
    // matches only when no write is in flight.
    if (this.writing === undefined && this.compacting === undefined) this.maybeSnapshot();
  }

  /** `rd` is durable: its remaining messages go out and the core learns it was handled. */
  private persisted(rd: Ready, started: number | undefined): void {
    if (started !== undefined) this.tracePersisted(rd, started);
    if (!rd.sendBeforePersist) this.send(rd);
    this.raft.advance(rd);
    this.serveReads();
  }

  private send(rd: Ready): void {
    for (const m of rd.messages) this.transport.send(m);
    if (this.trace !== undefined) this.traceAnswered();
  }

  /** Every `snapshotEvery` applied entries: snapshot the state machine, write it in the background. */
  private maybeSnapshot(): void {
    const raft = this.raft;
    if (raft.log.applied - raft.log.snapshot.metadata.index < this.snapshotEvery) return;
    const started = this.trace?.now();
    const snap = raft.compact(this.sm.snapshot());
    if (E.isLeft(snap)) return;
    if (started !== undefined) this.trace?.since('snapshot.take', started);
    this.compacting = new Promise((resolve) => {
      this.storage.compactInBackground(snap.right, (err) => {
        if (err) throw new Error(`raft snapshot write failed, the node cannot go on: ${err.message}`);
        if (started !== undefined) this.trace?.since('snapshot.durable', started);
        this.compacting = undefined;
        resolve();
        if (!this.stopped) this.processReady();
      });
    });
  }

  /** Tracing: how long this Ready's proposals waited to be picked up. */
  private traceQueued(rd: Ready, now: number): void {
    const trace = this.trace as RaftTrace;
    trace.record('ready.entries', rd.entries.length);
    for (const e of rd.entries) {
      const p = this.proposals.get(e.index);
      if (p?.proposedAt !== undefined) trace.record('propose.queue', now - p.proposedAt);
    }
  }

  /** Tracing: the Ready's write (and fsync) is done. */
  private tracePersisted(rd: Ready, started: number): void {
    const trace = this.trace as RaftTrace;
    const now = trace.now();
    if (rd.entries.length > 0 || rd.hardState !== undefined) trace.record('ready.save', now - started);
    for (const e of rd.entries) {
      const p = this.proposals.get(e.index);
      if (p !== undefined) p.persistedAt = now;
    }
  }

  /** Tracing: answers to the leader's appends are on their way. */
  private traceAnswered(): void {
    const trace = this.trace as RaftTrace;
    for (const at of this.appendsArrived) trace.since('follower.appendToAck', at);
    this.appendsArrived = [];
  }

  private apply(rd: Ready): void {
    if (rd.snapshot !== undefined) {
      this.sm.restore(rd.snapshot.data);
      this.smApplied = rd.snapshot.metadata.index;
    }
    for (const e of rd.committedEntries) {
      this.smApplied = e.index;
      const pending = this.proposals.get(e.index);
      if (pending !== undefined) this.proposals.delete(e.index);
      if (e.type !== 'normal' || e.data.length === 0) {
        pending?.resolve(E.left('the proposal was replaced by another leader’s entry; retry'));
        continue;
      }
      const result = this.sm.apply(e.data, e.index);
      if (pending === undefined) continue;
      if (this.trace !== undefined) this.traceApplied(pending);
      if (pending.term === e.term) pending.resolve(E.right(result));
      else pending.resolve(E.left('the proposal was replaced by another leader’s entry; retry'));
    }
    for (const rs of rd.readStates) {
      const r = this.reads.get(rs.context);
      if (r) r.index = rs.index;
    }
  }

  /** Tracing: a proposal of this node was applied. */
  private traceApplied(p: PendingProposal<R>): void {
    const trace = this.trace as RaftTrace;
    if (p.persistedAt !== undefined) trace.since('leader.persistToApply', p.persistedAt);
    if (p.proposedAt !== undefined) trace.since('propose.total', p.proposedAt);
  }

  private serveReads(): void {
    const applied = this.smApplied;
    for (const [ctx, r] of this.reads) {
      if (r.index > 0 && applied >= r.index) {
        this.reads.delete(ctx);
        r.resolve(E.right(r.index));
      }
    }
  }
}
