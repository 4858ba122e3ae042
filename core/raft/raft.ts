import * as E from 'fp-ts/Either';
import { Membership, decodeConfChange, encodeConfChange } from './conf-change';
import { Progress, type ProgressState } from './progress';
import { committedIndex, hasQuorum, voteResult } from './quorum';
import { EMPTY_SNAPSHOT, RaftLog } from './raft-log';
import { ReadOnly } from './read-only';
import {
  NONE,
  type AppendEntries,
  type AppendEntriesResponse,
  type ConfChange,
  type Entry,
  type HardState,
  type Heartbeat,
  type InstallSnapshot,
  type Message,
  type NodeId,
  type RandomSource,
  type ReadState,
  type Ready,
  type Role,
  type Snapshot,
  type SoftState,
  type VoteRequest,
} from './types';

export interface RaftConfig {
  readonly id: NodeId;
  /** Ticks without hearing from a leader before campaigning (randomized in [n, 2n)). */
  readonly electionTick: number;
  /** Ticks between leader heartbeats; must be < electionTick. */
  readonly heartbeatTick: number;
  readonly preVote: boolean;
  /** A leader that has not heard from a quorum for an election timeout steps down. */
  readonly checkQuorum: boolean;
  /** Pipelining: appends in flight per follower. */
  readonly maxInflight: number;
  /** Batching: caps per append message. */
  readonly maxEntriesPerMessage: number;
  readonly maxBytesPerMessage: number;
  readonly random: RandomSource;
}

export const DEFAULT_CONFIG: Omit<RaftConfig, 'id' | 'random'> = {
  electionTick: 10,
  heartbeatTick: 1,
  preVote: true,
  checkQuorum: true,
  maxInflight: 256,
  maxEntriesPerMessage: 1024,
  maxBytesPerMessage: 1 << 20,
};

/** What durable storage hands back on start. */
export interface PersistedState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | undefined;
  /** Entries after the snapshot, in order. */
  readonly entries: readonly Entry[];
}

export const EMPTY_STATE: PersistedState = {
  hardState: { term: 0, vote: NONE, commit: 0 },
  snapshot: undefined,
  entries: [],
};

/** The initial state of a founding member of a new cluster. */
export function bootstrapState(voters: readonly NodeId[]): PersistedState {
  return {
    hardState: { term: 1, vote: NONE, commit: 1 },
    snapshot: { metadata: { index: 1, term: 1, conf: { voters: [...voters], learners: [] } }, data: Buffer.alloc(0) },
    entries: [],
  };
}

export type ProposalAccepted = { readonly index: number; readonly term: number };

/** A copy of the leader's replication progress for one member (read-only: for status and learner promotion). */
export interface MemberProgress {
  readonly id: NodeId;
  readonly learner: boolean;
  /** Highest index known to be in that member's log. */
  readonly match: number;
  /** Next index the leader will send it. */
  readonly next: number;
  readonly state: ProgressState;
}

const EMPTY_DATA = Buffer.alloc(0);
/** Heartbeats answered while a snapshot is outstanding before it is sent again. */
const SNAPSHOT_RESEND_BEATS = 3;

/**
 * Raft as a pure state machine (etcd-io/raft's shape). Inputs: `step`,
 * `tick`, `propose`, `proposeConfChange`, `transferLeadership`, `readIndex`,
 * `compact`. Output: `ready()`, acknowledged with `advance()`.
 *
 * `step` does what every role does (term checks, votes) and then hands the
 * message to the role's own function; the `become*` methods are the only
 * places that change role.
 */
export class Raft {
  readonly id: NodeId;
  private readonly cfg: RaftConfig;
  readonly log: RaftLog;
  term = 0;
  vote: NodeId = NONE;
  role: Role = 'follower';
  leader: NodeId = NONE;
  readonly membership: Membership;
  /** Index of the last configuration entry applied to `membership`. */
  private configIndex = 0;

  private readonly progress = new Map<NodeId, Progress>();
  private readonly votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Index of the latest configuration change proposed by this leader. */
  private pendingConfIndex = 0;
  private leadTransferee: NodeId = NONE;
  private readonly readOnly = new ReadOnly();
  /** Proposals arrived since the last Ready: broadcast them in one batch. */
  private broadcastPending = false;

  private msgs: Message[] = [];
  private readStates: ReadState[] = [];
  private prevHardState: HardState;
  private stepRole: (m: Message) => void;

  constructor(config: RaftConfig, state: PersistedState) {
    if (config.heartbeatTick >= config.electionTick) throw new Error('heartbeatTick must be < electionTick');
    this.id = config.id;
    this.cfg = config;
    const snapshot = state.snapshot ?? EMPTY_SNAPSHOT;
    this.log = new RaftLog(snapshot, state.entries, state.hardState.commit);
    this.membership = new Membership(snapshot.metadata.conf);
    this.configIndex = snapshot.metadata.index;
    // Committed configuration changes are in force at once, even before the
    // shell re-applies the entries: a restarted node must not campaign with a
    // stale membership.
    for (let i = this.log.firstIndex(); i <= this.log.committed; i++) {
      const e = this.log.entry(i) as Entry;
      if (e.type === 'config') this.applyConfEntry(e);
    }
    this.term = state.hardState.term;
    this.vote = state.hardState.vote;
    this.prevHardState = state.hardState;
    this.stepRole = this.stepFollower;
    this.becomeFollower(this.term, NONE);
  }

  // ---- inputs --------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  /** Start an election now (tests, or an operator forcing a campaign). */
  campaign(): void {
    this.hup(false);
  }

  propose(data: Buffer | readonly Buffer[]): E.Either<string, ProposalAccepted> {
    const batch = Buffer.isBuffer(data) ? [data] : data;
    const refusal = this.proposalRefusal();
    if (refusal !== undefined) return E.left(refusal);
    if (batch.length === 0) return E.left('empty proposal batch');
    const first = this.log.lastIndex() + 1;
    this.appendEntries(batch.map((d, k) => ({ term: this.term, index: first + k, type: 'normal' as const, data: d })));
    return E.right({ index: this.log.lastIndex(), term: this.term });
  }

  proposeConfChange(cc: ConfChange): E.Either<string, ProposalAccepted> {
    const refusal = this.proposalRefusal();
    if (refusal !== undefined) return E.left(refusal);
    if (this.pendingConfIndex > this.log.applied) {
      return E.left('a configuration change is still being applied; retry once it is');
    }
    const invalid = this.membership.validate(cc);
    if (invalid !== undefined) return E.left(invalid);
    if (cc.type === 'addVoter') {
      // A new voter that lags would stall commits: it must first catch up as a learner.
      if (!this.membership.learners.has(cc.node)) return E.left(`node ${cc.node} must join as a learner first`);
      const match = this.progress.get(cc.node)?.match ?? 0;
      if (match < this.log.committed) {
        return E.left(`learner ${cc.node} is still catching up (at ${match} of ${this.log.committed}); retry when it has`);
      }
    }
    const index = this.log.lastIndex() + 1;
    this.appendEntries([{ term: this.term, index, type: 'config', data: encodeConfChange(cc) }]);
    this.pendingConfIndex = index;
    return E.right({ index, term: this.term });
  }

  /** Hand leadership to `to` once its log is caught up (§3.10 of the dissertation). */
  transferLeadership(to: NodeId): E.Either<string, void> {
    if (this.role !== 'leader') return E.left(this.notLeader());
    if (to === this.id) return E.left('already the leader');
    if (!this.membership.voters.has(to)) return E.left(`node ${to} is not a voter`);
    this.leadTransferee = to;
    // The transfer must finish within an election timeout or it is abandoned.
    this.electionElapsed = 0;
    const pr = this.progress.get(to) as Progress;
    if (pr.match === this.log.lastIndex()) this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
    else this.sendAppend(to, true);
    return E.right(undefined);
  }

  /**
   * Ask for a linearizable read point. The answer arrives as a ReadState in a
   * later Ready, carrying `context`, which must be unique cluster-wide.
   */
  readIndex(context: string): E.Either<string, void> {
    if (this.role === 'leader') {
      const refusal = this.readRefusal();
      if (refusal !== undefined) return E.left(refusal);
      this.serveRead(context, this.id);
      return E.right(undefined);
    }
    if (this.leader === NONE) return E.left('no known leader; retry after an election');
    this.send({ type: 'readIndex', from: this.id, to: this.leader, term: this.term, context });
    return E.right(undefined);
  }

  /**
   * Fold the log up to the applied index into a snapshot whose state machine
   * image is `data` (the state after applying exactly that index).
   */
  compact(data: Buffer): E.Either<string, Snapshot> {
    const index = this.log.applied;
    // After a restart the membership already holds committed changes the shell
    // has not re-applied yet; a snapshot taken then would carry the wrong one.
    if (this.configIndex > index) return E.left('apply the committed entries before taking a snapshot');
    const snapshot: Snapshot = {
      metadata: { index, term: this.log.term(index) as number, conf: this.membership.toConfState() },
      data,
    };
    this.log.compact(snapshot);
    return E.right(snapshot);
  }

  step(m: Message): void {
    if (m.to !== this.id) return;
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // Leader lease: while we hear from a leader, a disruptive candidate
        // (e.g. one returning from a partition) cannot unseat it.
        const inLease = this.cfg.checkQuorum && this.leader !== NONE && this.electionElapsed < this.cfg.electionTick;
        if (!m.transfer && inLease) return;
      }
      if (m.type === 'preVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // The term moves only once a quorum granted the pre-vote.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'append')) {
        // A stale leader (e.g. healed from a partition) learns our term and steps down.
        this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, reject: false, index: 0, rejectHint: 0, hintTerm: 0 });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    this.stepRole(m);
  }

  // ---- output --------------------------------------------------------------

  softState(): SoftState {
    return { role: this.role, leader: this.leader };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  hasReady(): boolean {
    const hs = this.prevHardState;
    return (
      this.msgs.length > 0 ||
      this.readStates.length > 0 ||
      this.broadcastPending ||
      this.log.snapshotUnstable ||
      this.log.persisted < this.log.lastIndex() ||
      this.log.hasNextCommittedEntries() ||
      hs.term !== this.term ||
      hs.vote !== this.vote ||
      hs.commit !== this.log.committed
    );
  }

  /**
   * Collect the work for the shell. Call `advance` with it once done, and
   * not `ready` again before: inputs may still be stepped in between.
   */
  ready(): Ready {
    if (this.broadcastPending) {
      this.broadcastPending = false;
      if (this.role === 'leader') this.bcastAppend();
    }
    const hs = this.hardState();
    const prev = this.prevHardState;
    const termOrVoteChanged = hs.term !== prev.term || hs.vote !== prev.vote;
    const entries = this.log.unstableEntries();
    const snapshot = this.log.snapshotUnstable ? this.log.snapshot : undefined;
    const rd: Ready = {
      softState: this.softState(),
      hardState: termOrVoteChanged || hs.commit !== prev.commit ? hs : undefined,
      entries,
      snapshot,
      committedEntries: this.log.nextCommittedEntries(),
      messages: this.msgs,
      readStates: this.readStates,
      sendBeforePersist: this.role === 'leader' && !termOrVoteChanged,
    };
    this.msgs = [];
    this.readStates = [];
    return rd;
  }

  /**
   * The shell persisted `rd` and handled its messages and committed entries.
   * Inputs may have been stepped in between (the shell may write a Ready in
   * the background): a snapshot installed meanwhile stays unstable, and
   * entries replaced meanwhile do not count as persisted.
   */
  advance(rd: Ready): void {
    if (rd.snapshot !== undefined && rd.snapshot === this.log.snapshot) this.log.snapshotUnstable = false;
    if (rd.entries.length > 0) {
      const last = rd.entries[rd.entries.length - 1];
      this.log.stableTo(last.index, last.term);
      this.selfPersisted();
    }
    if (rd.hardState !== undefined) this.prevHardState = rd.hardState;
    if (rd.committedEntries.length > 0) {
      for (const e of rd.committedEntries) if (e.type === 'config') this.applyConfEntry(e);
      const last = rd.committedEntries[rd.committedEntries.length - 1].index;
      // A snapshot installed meanwhile already moved `applied` past them.
      if (last > this.log.applied) this.log.appliedTo(last);
    }
  }

  /**
   * The leader counts its own copy towards a quorum only once it is durable,
   * so a commit index always stands on a quorum of disks. The shell may then
   * send appends before its own write ends and apply committed entries while
   * a later write is in flight (etcd-io/raft's asynchronous storage writes).
   */
  private selfPersisted(): void {
    if (this.role !== 'leader') return;
    const self = this.progress.get(this.id);
    if (self === undefined || !self.maybeUpdate(this.log.persisted)) return;
    if (this.maybeCommit()) this.broadcastPending = true;
  }

  /** The leader's view of a follower (for catching learners up before promotion). */
  progressOf(id: NodeId): MemberProgress | undefined {
    const pr = this.progress.get(id);
    return pr && { id, learner: pr.isLearner, match: pr.match, next: pr.next, state: pr.state };
  }

  /** The leader's view of every member, itself included, in id order; empty unless this node leads. */
  membersProgress(): MemberProgress[] {
    if (this.role !== 'leader') return [];
    return [...this.progress.keys()].sort((a, b) => a - b).map((id) => this.progressOf(id) as MemberProgress);
  }

  // ---- roles ---------------------------------------------------------------

  private becomeFollower(term: number, leader: NodeId): void {
    this.reset(term);
    this.stepRole = this.stepFollower;
    this.role = 'follower';
    this.leader = leader;
  }

  private becomePreCandidate(): void {
    if (this.role === 'leader') throw new Error('leader cannot become pre-candidate');
    // Neither the term nor the vote changes: a failed pre-vote leaves no trace.
    this.votes.clear();
    this.stepRole = this.stepCandidate;
    this.role = 'preCandidate';
    this.leader = NONE;
  }

  private becomeCandidate(): void {
    if (this.role === 'leader') throw new Error('leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.stepRole = this.stepCandidate;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    if (this.role === 'follower') throw new Error('follower cannot become leader');
    this.reset(this.term);
    this.stepRole = this.stepLeader;
    this.role = 'leader';
    this.leader = this.id;
    const self = this.progress.get(this.id);
    if (self) self.becomeReplicate();
    // Nothing from earlier terms may be counted committed until an entry of
    // this term is (§5.4.2), and no configuration change may start before
    // every earlier one is applied.
    this.pendingConfIndex = this.log.lastIndex();
    this.appendEntries([{ term: this.term, index: this.log.lastIndex() + 1, type: 'normal', data: EMPTY_DATA }]);
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
    }
    this.leader = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.cfg.electionTick + this.cfg.random.nextInt(this.cfg.electionTick);
    this.leadTransferee = NONE;
    this.votes.clear();
    this.readOnly.clear();
    this.broadcastPending = false;
    this.pendingConfIndex = 0;
    this.progress.clear();
    for (const id of [...this.membership.voters, ...this.membership.learners]) this.addProgress(id);
  }

  private addProgress(id: NodeId): void {
    const pr = new Progress(this.log.lastIndex() + 1, this.cfg.maxInflight, this.membership.learners.has(id));
    if (id === this.id) pr.match = this.log.persisted;
    this.progress.set(id, pr);
  }

  private promotable(): boolean {
    return this.membership.voters.has(this.id);
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.hup(false);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.cfg.electionTick) {
      this.electionElapsed = 0;
      if (this.cfg.checkQuorum) {
        const active = hasQuorum(this.membership.voters, (id) => id === this.id || this.progress.get(id)?.recentActive === true);
        for (const pr of this.progress.values()) pr.recentActive = false;
        if (!active) {
          this.becomeFollower(this.term, NONE);
          return;
        }
      }
      this.leadTransferee = NONE;
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastContext());
    }
  }

  private hup(transfer: boolean): void {
    if (this.role === 'leader' || !this.promotable()) return;
    // A pending membership change could change who may vote: apply it first.
    for (const e of this.log.nextCommittedEntries()) if (e.type === 'config') return;
    if (this.cfg.preVote && !transfer) this.campaignPreVote();
    else this.campaignElection(transfer);
  }

  private campaignPreVote(): void {
    this.becomePreCandidate();
    this.requestVotes('preVote', this.term + 1, false);
  }

  private campaignElection(transfer: boolean): void {
    this.becomeCandidate();
    this.requestVotes('vote', this.term, transfer);
  }

  private requestVotes(type: 'preVote' | 'vote', term: number, transfer: boolean): void {
    if (this.poll(this.id, true) === 'won') {
      this.onElectionWon();
      return;
    }
    const lastLogIndex = this.log.lastIndex();
    const lastLogTerm = this.log.lastTerm();
    for (const to of [...this.membership.voters].sort((a, b) => a - b)) {
      if (to === this.id) continue;
      this.send({ type, from: this.id, to, term, lastLogIndex, lastLogTerm, transfer });
    }
  }

  private poll(from: NodeId, granted: boolean) {
    if (!this.votes.has(from)) this.votes.set(from, granted);
    return voteResult(this.membership.voters, this.votes);
  }

  private onElectionWon(): void {
    if (this.role === 'preCandidate') {
      this.campaignElection(false);
    } else {
      this.becomeLeader();
      this.bcastAppend();
    }
  }

  private handleVoteRequest(m: VoteRequest): void {
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    const canVote = this.vote === m.from || (this.vote === NONE && this.leader === NONE) || (m.type === 'preVote' && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      // Answer at the request's term so the candidate does not drop it as stale.
      this.send({ type: respType, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  private stepFollower = (m: Message): void => {
    switch (m.type) {
      case 'append':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        this.hup(true);
        return;
      case 'readIndexResp':
        if (m.index > 0) this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  };

  private stepCandidate = (m: Message): void => {
    switch (m.type) {
      case 'append':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'snapshot':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'preVoteResp':
      case 'voteResp': {
        const mine = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
        if (m.type !== mine) return;
        const result = this.poll(m.from, !m.reject);
        if (result === 'won') this.onElectionWon();
        else if (result === 'lost') this.becomeFollower(this.term, NONE);
        return;
      }
      default:
        return;
    }
  };

  private stepLeader = (m: Message): void => {
    const pr = this.progress.get(m.from);
    switch (m.type) {
      case 'appendResp':
        if (pr) this.handleAppendResponse(m, pr);
        return;
      case 'heartbeatResp':
        if (!pr) return;
        pr.recentActive = true;
        pr.onHeartbeatResponse();
        if (pr.state === 'snapshot' && ++pr.snapshotWaitBeats >= SNAPSHOT_RESEND_BEATS) pr.becomeProbe();
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from, true);
        if (m.context !== '' && this.membership.voters.has(m.from)) this.ackRead(m.context, m.from);
        return;
      case 'readIndex': {
        const refusal = this.readRefusal();
        if (refusal !== undefined) {
          this.send({ type: 'readIndexResp', from: this.id, to: m.from, term: this.term, context: m.context, index: 0 });
        } else {
          this.serveRead(m.context, m.from);
        }
        return;
      }
      default:
        return;
    }
  };

  // ---- replication ---------------------------------------------------------

  private handleAppend(m: AppendEntries): void {
    const reply = (reject: boolean, index: number, rejectHint = 0, hintTerm = 0) =>
      this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, reject, index, rejectHint, hintTerm });
    if (m.prevLogIndex < this.log.committed) {
      reply(false, this.log.committed);
      return;
    }
    const lastNew = this.log.maybeAppend(m.prevLogIndex, m.prevLogTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      reply(false, lastNew);
      return;
    }
    // Fast back-tracking: tell the leader the last index whose term is <= the
    // term it probed with, so it skips a whole conflicting term per round trip.
    const hint = this.log.findConflictByTerm(Math.min(m.prevLogIndex, this.log.lastIndex()), m.prevLogTerm);
    reply(true, m.prevLogIndex, hint, this.log.term(hint) ?? 0);
  }

  private handleHeartbeat(m: Heartbeat): void {
    this.log.commitTo(m.commit);
    this.send({ type: 'heartbeatResp', from: this.id, to: m.from, term: this.term, context: m.context });
  }

  private handleSnapshot(m: InstallSnapshot): void {
    const meta = m.snapshot.metadata;
    let index = this.log.committed;
    if (meta.index > this.log.committed) {
      if (this.log.matchTerm(meta.index, meta.term)) {
        // We already hold that prefix: just learn it is committed.
        this.log.commitTo(meta.index);
        index = this.log.committed;
      } else {
        this.log.restore(m.snapshot);
        this.membership.reset(meta.conf);
        this.configIndex = meta.index;
        index = this.log.lastIndex();
      }
    }
    this.send({ type: 'appendResp', from: this.id, to: m.from, term: this.term, reject: false, index, rejectHint: 0, hintTerm: 0 });
  }

  private handleAppendResponse(m: AppendEntriesResponse, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      let nextProbe = m.rejectHint;
      if (m.hintTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.hintTerm);
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from, true);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(Math.min(m.index, this.log.lastIndex()))) {
      if (wasPaused && !pr.isPaused()) this.sendAppend(m.from, false);
      return;
    }
    if (pr.state === 'probe') pr.becomeReplicate();
    else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) pr.becomeProbe();
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else if (pr.match < this.log.lastIndex()) {
      this.sendAppend(m.from, false);
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.send({ type: 'timeoutNow', from: this.id, to: m.from, term: this.term });
    }
  }

  /** The leader's own copy counts once the shell has persisted it (`selfPersisted`). */
  private appendEntries(ents: Entry[]): void {
    this.log.append(ents);
    this.broadcastPending = true;
  }

  /** §5.3/§5.4.2: commit what a majority holds, but only counting entries of our own term. */
  private maybeCommit(): boolean {
    const mci = committedIndex(this.membership.voters, (id) => this.progress.get(id)?.match ?? 0);
    if (mci > this.log.committed && this.log.term(mci) === this.term) {
      return this.log.commitTo(mci);
    }
    return false;
  }

  private bcastAppend(): void {
    for (const id of this.membership.peersOf(this.id)) this.sendAppend(id, true);
  }

  private sendAppend(to: NodeId, sendIfEmpty: boolean): void {
    const pr = this.progress.get(to);
    if (!pr || pr.isPaused()) return;
    const prevLogIndex = Math.min(pr.next - 1, this.log.lastIndex());
    const prevLogTerm = this.log.term(prevLogIndex);
    const entries = this.log.slice(prevLogIndex + 1, this.cfg.maxEntriesPerMessage, this.cfg.maxBytesPerMessage);
    if (prevLogTerm === undefined || entries === undefined) {
      // The follower needs entries we compacted: send the snapshot instead.
      const snapshot = this.log.snapshot;
      this.send({ type: 'snapshot', from: this.id, to, term: this.term, snapshot });
      pr.becomeSnapshot(snapshot.metadata.index);
      return;
    }
    if (entries.length === 0 && !sendIfEmpty) return;
    this.send({ type: 'append', from: this.id, to, term: this.term, prevLogIndex, prevLogTerm, entries, commit: this.log.committed });
    pr.sentAppend(prevLogIndex + entries.length, entries.length);
  }

  private bcastHeartbeat(context: string): void {
    for (const id of this.membership.peersOf(this.id)) {
      const pr = this.progress.get(id) as Progress;
      // Never tell a follower to commit past what it is known to hold.
      const commit = Math.min(pr.match, this.log.committed);
      this.send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit, context });
    }
  }

  // ---- ReadIndex -----------------------------------------------------------

  private readRefusal(): string | undefined {
    if (this.log.term(this.log.committed) !== this.term) {
      return 'the leader has not yet committed an entry in its term; retry shortly';
    }
    return undefined;
  }

  private serveRead(context: string, requester: NodeId): void {
    const index = this.log.committed;
    if (this.membership.voters.size === 1 && this.membership.voters.has(this.id)) {
      this.releaseRead({ index, context, requester });
      return;
    }
    this.readOnly.add({ index, context, requester }, this.id);
    this.bcastHeartbeat(context);
  }

  private ackRead(context: string, from: NodeId): void {
    const released = this.readOnly.ack(context, from, (acks) => hasQuorum(this.membership.voters, (id) => acks.has(id)));
    for (const r of released) this.releaseRead(r);
  }

  private releaseRead(r: { index: number; context: string; requester: NodeId }): void {
    if (r.requester === this.id) this.readStates.push({ index: r.index, context: r.context });
    else this.send({ type: 'readIndexResp', from: this.id, to: r.requester, term: this.term, context: r.context, index: r.index });
  }

  // ---- membership ----------------------------------------------------------

  private applyConfEntry(e: Entry): void {
    if (e.index <= this.configIndex) return;
    this.configIndex = e.index;
    const cc = decodeConfChange(e.data);
    // A malformed configuration entry cannot be committed by a correct leader; skip it.
    if (E.isLeft(cc)) return;
    this.membership.apply(cc.right);
    if (this.role !== 'leader') return;
    if (!this.membership.voters.has(this.id)) {
      // Removed (or demoted) leader: step down and let the others elect.
      this.becomeFollower(this.term, NONE);
      return;
    }
    for (const id of [...this.membership.voters, ...this.membership.learners]) {
      const pr = this.progress.get(id);
      if (pr) pr.isLearner = this.membership.learners.has(id);
      else this.addProgress(id);
    }
    for (const id of [...this.progress.keys()]) if (!this.membership.has(id)) this.progress.delete(id);
    if (this.leadTransferee !== NONE && !this.membership.voters.has(this.leadTransferee)) this.leadTransferee = NONE;
    // The quorum changed: entries may now be committed.
    this.maybeCommit();
    this.broadcastPending = true;
  }

  // ---- helpers -------------------------------------------------------------

  private proposalRefusal(): string | undefined {
    if (this.role !== 'leader') return this.notLeader();
    if (this.leadTransferee !== NONE) return `leadership is being transferred to node ${this.leadTransferee}; retry there`;
    return undefined;
  }

  private notLeader(): string {
    return this.leader === NONE ? 'not the leader and no leader is known; retry after an election' : `not the leader; node ${this.leader} is`;
  }

  private send(m: Message): void {
    this.msgs.push(m);
  }
}
