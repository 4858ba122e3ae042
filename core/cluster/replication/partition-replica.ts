// One broker's replica of one partition, as leader or follower: a pure state
// machine over its log. Inputs are the partition's state from the metadata log,
// produce requests, replica requests/responses and the time; outputs are
// responses, the next request a follower should send, and the ISR change a
// leader wants the controller to commit. No timers or sockets inside.
//
// Leader: tracks each follower's fetch offset and last caught-up time, shrinks
// the ISR when a follower lags past replica.lag.time.max.ms and expands it when
// one catches up (through the controller, KIP-497), advances the high
// watermark only to what every ISR member has, and acknowledges acks=all only
// then, refusing writes up front when the ISR is below min.insync.replicas.
// Follower: first truncates by leader epoch (KIP-101), never below its high
// watermark, then fetches and appends the leader's batches as they are.
// Idempotent producers (KIP-98): every replica keeps the producer state of its
// own log (the leader from what it appends, a follower from what it copies,
// both rebuilt from the log on open and after a truncation), so a follower
// promoted to leader recognises a batch its predecessor already wrote.
// Transactions: the leader writes markers (WriteTxnMarkers) like an acks=all
// produce; every replica's log tracks the open transactions of what it appends,
// so a follower has the same last stable offset as its leader.
import { appendTxnMarker, appendWithProducerState, BrokerError, rebuildProducerState, ProducerStateTable, type CheckedAppend } from '../../broker';
import { LogError, type TxnMarkerFields } from '../../log';
import { ErrorCode } from '../errors';
import type { PartitionRegistration } from '../metadata/image';
import { NO_LEADER } from '../metadata/records';
import { newFollowerProgress, recordFetch, type FollowerProgress } from './follower-progress';
import {
  type Acks,
  type CompletedAppend,
  type IsrChangeProposal,
  NO_RECORDS,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse,
  type ReplicaLog,
  type ReplicaRequest,
} from './messages';

export interface ReplicaConfig {
  readonly brokerId: number;
  /** replica.lag.time.max.ms */
  readonly replicaLagTimeMaxMs: number;
  /** The topic's min.insync.replicas. */
  readonly minInsyncReplicas: number;
  /** The topic's unclean.leader.election.enable: only then may a follower truncate below its high watermark. */
  readonly uncleanLeaderElection: boolean;
  /** A follower's unanswered request is resent after this long. */
  readonly requestTimeoutMs: number;
  /** An unanswered ISR change is proposed again after this long. */
  readonly alterPartitionRetryMs: number;
  readonly maxFetchBytes: number;
  /**
   * fsync before a replica's data counts toward the high watermark (leader after
   * append, follower before its next fetch). Kafka leaves it to the page cache
   * and replication; with it, acknowledged writes also survive losing every
   * replica's unflushed data at once.
   */
  readonly durableAppends: boolean;
  /** Whether a follower may join the ISR: unfenced in this broker's metadata (default: any). */
  readonly isEligible?: (brokerId: number) => boolean;
}

export type AppendOutcome =
  | { readonly errorCode: number; readonly message: string }
  | {
      readonly errorCode: 0;
      readonly baseOffset: number;
      readonly lastOffset: number;
      readonly acknowledged: boolean;
      /** A retried idempotent batch: answered with its original offsets, nothing appended. */
      readonly duplicate: boolean;
    };

/** A follower truncation, reported so callers can log (or a simulation check) it. */
export interface Truncation {
  readonly from: number;
  readonly to: number;
  readonly highWatermark: number;
}

/** A bug, not an expected failure: the replica would lose committed data. */
export class ReplicationInvariantError extends Error {}

type Role = 'leader' | 'follower' | 'offline';

interface PendingIsrChange extends IsrChangeProposal {
  sentAt: number;
}

export class PartitionReplica {
  private _role: Role = 'offline';
  private _leader = NO_LEADER;
  private _leaderEpoch = -1;
  private _partitionEpoch = -1;
  private _replicas: readonly number[] = [];
  private _isr: readonly number[] = [];
  // Leader state.
  private readonly followers = new Map<number, FollowerProgress>();
  private pendingIsr: PendingIsrChange | undefined;
  /**
   * Every member of every ISR change proposed at the current partition epoch.
   * A refused request may still be committed from a duplicate or an earlier send
   * of it, so until the metadata log shows the partition epoch move, the high
   * watermark waits for all of them.
   */
  private proposedMembers = new Set<number>();
  private pendingAppends: { baseOffset: number; lastOffset: number }[] = [];
  private completed: CompletedAppend[] = [];
  private epochStartOffset = 0;
  // Follower state.
  private phase: 'truncating' | 'fetching' = 'truncating';
  private inflight: { requestId: number; sentAt: number; fetchOffset: number } | undefined;
  private nextRequestId = 1;
  private readonly truncations: Truncation[] = [];
  /** The idempotent producers' last batches in this replica's log (any role). */
  private producers: ProducerStateTable;
  /** Fetched batches a follower refused to store (failed validation): a sign of damage at the leader or in transit. */
  refusedFetches = 0;

  constructor(
    readonly name: string,
    readonly log: ReplicaLog,
    /** Replaced (never mutated) by reconfigure(). */
    public config: ReplicaConfig,
  ) {
    this.producers = rebuildWhenReadable(log);
  }

  /**
   * The topic's settings changed (AlterConfigs): min.insync.replicas counts
   * from the next append, unclean election from the next truncation.
   */
  reconfigure(topic: Pick<ReplicaConfig, 'minInsyncReplicas' | 'uncleanLeaderElection'>): void {
    this.config = { ...this.config, ...topic };
  }

  get role(): Role {
    return this._role;
  }
  get leader(): number {
    return this._leader;
  }
  get leaderEpoch(): number {
    return this._leaderEpoch;
  }
  get partitionEpoch(): number {
    return this._partitionEpoch;
  }
  get isr(): readonly number[] {
    return this._isr;
  }
  get highWatermark(): number {
    return this.log.highWatermark;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  /** Records below the high watermark (or `upTo`, a read_committed consumer's last stable offset), for consumers. */
  readCommitted(offset: number, maxBytes: number, upTo: number = this.log.highWatermark): Buffer {
    return this.log.read(offset, maxBytes, Math.min(upTo, this.log.highWatermark));
  }

  // ---------------------------------------------------------------- metadata

  /**
   * The partition's state from the metadata log. A newer leader epoch makes this
   * replica leader or follower afresh; a newer partition epoch in the same leader
   * epoch is an ISR change (the leader's own request, or the controller fencing a broker).
   */
  onPartitionState(p: PartitionRegistration, now: number): void {
    const me = this.config.brokerId;
    if (!p.replicas.includes(me)) {
      this.becomeOffline();
      return;
    }
    if (p.leaderEpoch < this._leaderEpoch) return;
    if (p.leaderEpoch === this._leaderEpoch) {
      if (p.partitionEpoch <= this._partitionEpoch) return;
      this._partitionEpoch = p.partitionEpoch;
      this._isr = p.isr;
      this._replicas = p.replicas;
      this.pendingIsr = undefined;
      this.proposedMembers.clear();
      if (this._role === 'leader') this.maybeAdvanceHighWatermark();
      return;
    }
    this._leaderEpoch = p.leaderEpoch;
    this._partitionEpoch = p.partitionEpoch;
    this._replicas = p.replicas;
    this._isr = p.isr;
    this._leader = p.leader;
    if (p.leader === me) this.becomeLeader(now);
    else this.becomeFollower();
  }

  private becomeLeader(now: number): void {
    this.failPendingAppends();
    this._role = 'leader';
    this.pendingIsr = undefined;
    this.proposedMembers.clear();
    this.inflight = undefined;
    this.followers.clear();
    for (const id of this._replicas) if (id !== this.config.brokerId) this.followers.set(id, newFollowerProgress(now));
    // A new leader records where its epoch starts (KIP-101, PR #5678), so
    // followers of older epochs learn where to truncate.
    this.epochStartOffset = this.log.logEndOffset;
    this.log.leaderEpochs.assign(this._leaderEpoch, this.epochStartOffset);
  }

  private becomeFollower(): void {
    this.failPendingAppends();
    this._role = this._leader === NO_LEADER ? 'offline' : 'follower';
    this.followers.clear();
    this.pendingIsr = undefined;
    this.phase = 'truncating';
    this.inflight = undefined;
  }

  private becomeOffline(): void {
    this.failPendingAppends();
    this._role = 'offline';
    this._leader = NO_LEADER;
    this.followers.clear();
    this.pendingIsr = undefined;
    this.inflight = undefined;
  }

  // ---------------------------------------------------------------- leader: produce

  /** Appends a producer's batches. acks=all completes later, through takeCompletedAppends(). */
  appendAsLeader(batches: Buffer, acks: Acks): AppendOutcome {
    return this.leaderAppend(acks, () =>
      appendWithProducerState(batches, this.producers, (batch) => this.log.append(batch, { leaderEpoch: this._leaderEpoch })),
    );
  }

  /**
   * Appends the COMMIT or ABORT marker ending a producer's transaction
   * (WriteTxnMarkers), acknowledged like an acks=all produce. An older producer
   * epoch is refused (PRODUCER_FENCED); a newer one fences the old producer.
   */
  appendMarkerAsLeader(marker: TxnMarkerFields, now: number): AppendOutcome {
    return this.leaderAppend(-1, () => ({
      ...appendTxnMarker(marker, this.producers, now, (batch) => this.log.append(batch, { leaderEpoch: this._leaderEpoch, origin: 'coordinator' })),
      logAppendTime: -1,
      duplicate: false,
    }));
  }

  /**
   * A batch a coordinator writes itself (a transactional offset commit): past
   * the producer-state checks (it carries the producer's id, no sequence of
   * its own), acknowledged like an acks=all produce. Going through
   * leaderAppend moves the high watermark at once when the leader is the only
   * in-sync replica (a one-broker cluster), as for any produce.
   */
  appendCoordinatorBatchAsLeader(batch: Buffer): AppendOutcome {
    return this.leaderAppend(-1, () => ({ ...this.log.append(batch, { leaderEpoch: this._leaderEpoch }), duplicate: false }));
  }

  /**
   * An append at the leader through `write`: refused up front when this
   * replica cannot take it, then flushed, the high watermark moved, and
   * acknowledged (acks=all: once the high watermark passes it).
   */
  private leaderAppend(acks: Acks, write: () => CheckedAppend): AppendOutcome {
    if (this._role !== 'leader') {
      return {
        errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER,
        message: `${this.name}: broker ${this.config.brokerId} is not the leader (leader ${this._leader}, epoch ${this._leaderEpoch}); refresh metadata.`,
      };
    }
    if (acks === -1 && this._isr.length < this.config.minInsyncReplicas) {
      return {
        errorCode: ErrorCode.NOT_ENOUGH_REPLICAS,
        message: `${this.name}: the ISR [${this._isr}] has fewer than min.insync.replicas=${this.config.minInsyncReplicas} members; retry when followers catch up.`,
      };
    }
    let result: CheckedAppend;
    try {
      result = write();
    } catch (e) {
      // An idempotent batch out of sequence or from a fenced epoch, a fenced marker (BrokerError), or a bad batch (LogError).
      if (e instanceof LogError || e instanceof BrokerError) return { errorCode: e.code, message: e.message };
      throw e;
    }
    const { baseOffset, lastOffset, duplicate } = result;
    if (this.config.durableAppends && !duplicate) this.log.flush();
    if (acks !== -1) {
      this.maybeAdvanceHighWatermark();
      return { errorCode: 0, baseOffset, lastOffset, acknowledged: true, duplicate };
    }
    // A retry is acknowledged like its original: once the high watermark passes it.
    if (duplicate && lastOffset < this.log.highWatermark) return { errorCode: 0, baseOffset, lastOffset, acknowledged: true, duplicate };
    this.awaitHighWatermark({ baseOffset, lastOffset });
    this.maybeAdvanceHighWatermark();
    return { errorCode: 0, baseOffset, lastOffset, acknowledged: false, duplicate };
  }

  /**
   * Completes an acks=all append once the high watermark passes it. Kept in
   * offset order; a retry of an append still waiting shares its entry.
   */
  private awaitHighWatermark(append: { baseOffset: number; lastOffset: number }): void {
    const pending = this.pendingAppends;
    if (pending.some((a) => a.lastOffset === append.lastOffset)) return;
    const after = pending.findIndex((a) => a.lastOffset > append.lastOffset);
    pending.splice(after < 0 ? pending.length : after, 0, append);
  }

  /** acks=all appends that completed since the last call, acknowledged or refused. */
  takeCompletedAppends(): readonly CompletedAppend[] {
    // Asked after every follower fetch of every partition: most times nothing completed, and nothing is allocated then.
    if (this.completed.length === 0) return NO_COMPLETIONS;
    const done = this.completed;
    this.completed = [];
    return done;
  }

  private failPendingAppends(): void {
    for (const a of this.pendingAppends) this.completed.push({ ...a, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    this.pendingAppends = [];
  }

  // ---------------------------------------------------------------- leader: replica requests

  private checkLeaderEpoch(currentLeaderEpoch: number): number {
    if (this._role !== 'leader') return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (currentLeaderEpoch < this._leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH;
    if (currentLeaderEpoch > this._leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH;
    return 0;
  }

  handleOffsetForLeaderEpoch(req: OffsetForLeaderEpochRequest): OffsetForLeaderEpochResponse {
    const errorCode = this.checkLeaderEpoch(req.currentLeaderEpoch);
    const leo = this.log.logEndOffset;
    if (errorCode !== 0)
      return { kind: 'offsetForLeaderEpochResponse', requestId: req.requestId, errorCode, leaderEpoch: -1, endOffset: -1, leaderLogEndOffset: -1 };
    const { epoch, endOffset } = this.log.leaderEpochs.endOffsetFor(req.leaderEpoch, leo);
    return { kind: 'offsetForLeaderEpochResponse', requestId: req.requestId, errorCode: 0, leaderEpoch: epoch, endOffset, leaderLogEndOffset: leo };
  }

  handleFetch(req: ReplicaFetchRequest, now: number): ReplicaFetchResponse {
    const refuse = (errorCode: number): ReplicaFetchResponse => ({
      kind: 'fetchResponse',
      requestId: req.requestId,
      errorCode,
      highWatermark: -1,
      records: NO_RECORDS,
    });
    const epochError = this.checkLeaderEpoch(req.currentLeaderEpoch);
    if (epochError !== 0) return refuse(epochError);
    const progress = this.followers.get(req.replicaId);
    if (progress === undefined) return refuse(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (req.replicaEpoch < progress.brokerEpoch) return refuse(ErrorCode.STALE_BROKER_EPOCH);
    if (req.replicaEpoch > progress.brokerEpoch) {
      // A new incarnation of the follower: nothing the old one reported holds.
      Object.assign(progress, newFollowerProgress(now), { lastCaughtUpMs: progress.lastCaughtUpMs, brokerEpoch: req.replicaEpoch });
    }
    const leo = this.log.logEndOffset;
    // With the log start, so a follower behind it knows where to start again.
    if (req.fetchOffset > leo || req.fetchOffset < this.log.logStartOffset)
      return { ...refuse(ErrorCode.OFFSET_OUT_OF_RANGE), logStartOffset: this.log.logStartOffset };
    recordFetch(progress, req.fetchOffset, leo, now);
    this.maybeExpandIsr(req.replicaId, progress);
    this.maybeAdvanceHighWatermark();
    let records: readonly Buffer[];
    // maxBytes 0: the follower's progress counts, but the leader's answer has no room left for records.
    const maxBytes = Math.min(req.maxBytes, this.config.maxFetchBytes);
    try {
      // The stored buffers as they are: the answer goes to the socket without a copy.
      records = maxBytes > 0 ? this.log.readChunks(req.fetchOffset, maxBytes, leo) : NO_RECORDS;
    } catch (e) {
      // Damage met on the leader's disk (KAFKA_STORAGE_ERROR): the follower copies nothing of it.
      if (e instanceof LogError) return refuse(e.code);
      throw e;
    }
    return {
      kind: 'fetchResponse',
      requestId: req.requestId,
      errorCode: 0,
      highWatermark: this.log.highWatermark,
      logStartOffset: this.log.logStartOffset,
      records,
    };
  }

  // ---------------------------------------------------------------- leader: ISR and high watermark

  /**
   * The high watermark waits for the maximal ISR: the committed ISR plus every
   * member an expansion proposed at this partition epoch adds (KIP-497), so no
   * ISR the controller may commit can lack data below the high watermark.
   * Runs on every append and every follower fetch: walks both without
   * building a merged set (a member in both counts twice, to the same minimum).
   */
  private maybeAdvanceHighWatermark(): void {
    if (this._role !== 'leader') return;
    let hw = this.log.logEndOffset;
    for (let i = 0; i < this._isr.length; i++) hw = Math.min(hw, this.followerEnd(this._isr[i]));
    // Empty but while an ISR change is in flight: no iterator made on every append and fetch for nothing.
    if (this.proposedMembers.size > 0) for (const id of this.proposedMembers) hw = Math.min(hw, this.followerEnd(id));
    if (hw > this.log.highWatermark) this.log.updateHighWatermark(hw);
    this.completeAppends();
  }

  /** How far a member of the maximal ISR holds the high watermark: its log end offset (the leader itself, none). */
  private followerEnd(id: number): number {
    if (id === this.config.brokerId) return Number.MAX_SAFE_INTEGER;
    // An ISR member that has not fetched in this epoch holds the high watermark back.
    return this.followers.get(id)?.logEndOffset ?? -1;
  }

  private completeAppends(): void {
    const hw = this.log.highWatermark;
    while (this.pendingAppends.length > 0 && this.pendingAppends[0].lastOffset < hw) {
      const a = this.pendingAppends.shift()!;
      const errorCode = this._isr.length < this.config.minInsyncReplicas ? ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND : 0;
      this.completed.push({ ...a, errorCode });
    }
  }

  private maybeExpandIsr(id: number, p: FollowerProgress): void {
    if (this.pendingIsr !== undefined || this._isr.includes(id)) return;
    // A fenced broker may still fetch (a controlled shutdown on its way out): the
    // controller would refuse it (INELIGIBLE_REPLICA), and a refused proposal's
    // members hold the high watermark until the partition epoch moves (KIP-841).
    if (this.config.isEligible !== undefined && !this.config.isEligible(id)) return;
    // Caught up: has everything committed, and everything of this leader's epoch so far.
    if (p.logEndOffset >= this.log.highWatermark && p.logEndOffset >= this.epochStartOffset) {
      this.propose(
        [...this._isr, id].sort((a, b) => a - b),
        p.lastFetchMs,
      );
    }
  }

  /**
   * Followers that lag past replica.lag.time.max.ms leave the ISR. Call
   * periodically. As Kafka's ReplicaState.isCaughtUp, a follower whose last
   * fetch reached the leader's log end is in sync however long ago that was:
   * an idle partition's follower is not dropped because its fetches came late
   * (a loaded broker, a held fetch session); once the leader appends, its
   * lag counts from the last time it was caught up.
   */
  maybeShrinkIsr(now: number): void {
    if (this._role !== 'leader' || this.pendingIsr !== undefined) return;
    const leo = this.log.logEndOffset;
    const lagging = this._isr.filter((id) => {
      if (id === this.config.brokerId) return false;
      const p = this.followers.get(id);
      return p === undefined || (p.logEndOffset !== leo && now - p.lastCaughtUpMs > this.config.replicaLagTimeMaxMs);
    });
    if (lagging.length > 0)
      this.propose(
        this._isr.filter((id) => !lagging.includes(id)),
        now,
      );
  }

  /**
   * When the broker's tick next has something to do for this replica (see
   * core/cluster/broker/due-queue.ts): the ISR change to send, first or again,
   * or the first time an ISR follower may have lagged past
   * replica.lag.time.max.ms (maybeShrinkIsr would drop it then).
   * -Infinity: now. Infinity: nothing until an input changes it: a fetch, an
   * append (a follower at the log end lags only once the leader has more),
   * the partition's state, a refused change.
   */
  nextDueAt(): number {
    if (this._role !== 'leader') return Infinity;
    if (this.pendingIsr !== undefined) return this.pendingIsr.sentAt + this.config.alterPartitionRetryMs;
    const leo = this.log.logEndOffset;
    let due = Infinity;
    for (let i = 0; i < this._isr.length; i++) {
      const id = this._isr[i];
      if (id === this.config.brokerId) continue;
      const p = this.followers.get(id);
      if (p === undefined) return -Infinity;
      // maybeShrinkIsr drops it once now - lastCaughtUpMs > the lag time.
      if (p.logEndOffset !== leo) due = Math.min(due, p.lastCaughtUpMs + this.config.replicaLagTimeMaxMs + 1);
    }
    return due;
  }

  /**
   * The wall clock stepped back to `now` (NTP, a VM restored): times stamped on
   * the old clock lie in the future, and waits measured from them (an ISR change
   * to send again, a follower's lag, a fetch's timeout) would stall for as long
   * as the step. Each is moved to `now`, so the wait starts again on the new clock.
   */
  clockSteppedBack(now: number): void {
    if (this.pendingIsr !== undefined && this.pendingIsr.sentAt > now) this.pendingIsr.sentAt = now;
    if (this.inflight !== undefined && this.inflight.sentAt > now) this.inflight.sentAt = now;
    for (const p of this.followers.values()) {
      if (p.lastCaughtUpMs > now) p.lastCaughtUpMs = now;
      if (p.lastFetchMs > now) p.lastFetchMs = now;
    }
  }

  private propose(newIsr: number[], now: number): void {
    for (const id of newIsr) this.proposedMembers.add(id);
    // sentAt in the past: the first poll sends it.
    this.pendingIsr = { leaderEpoch: this._leaderEpoch, partitionEpoch: this._partitionEpoch, newIsr, sentAt: now - this.config.alterPartitionRetryMs };
  }

  /** The ISR change to send to the controller now (first time, or again after the retry interval). */
  pollIsrChange(now: number): IsrChangeProposal | undefined {
    const p = this.pendingIsr;
    if (p === undefined || now - p.sentAt < this.config.alterPartitionRetryMs) return undefined;
    p.sentAt = now;
    return { leaderEpoch: p.leaderEpoch, partitionEpoch: p.partitionEpoch, newIsr: p.newIsr };
  }

  /**
   * The controller refused the ISR change. NOT_CONTROLLER: send it again (to the
   * new controller). Otherwise stop sending it, so a different change can be
   * proposed; its members still count for the high watermark (see proposedMembers).
   */
  onIsrChangeRefused(proposal: IsrChangeProposal, errorCode: number): void {
    if (errorCode === ErrorCode.NOT_CONTROLLER) return;
    if (this.pendingIsr?.partitionEpoch === proposal.partitionEpoch && this.pendingIsr.leaderEpoch === proposal.leaderEpoch) {
      this.pendingIsr = undefined;
    }
  }

  // ---------------------------------------------------------------- follower

  /** Whether nextRequest(now) would give a request (asks nothing of the replica). */
  wantsRequest(now: number): boolean {
    return this._role === 'follower' && (this.inflight === undefined || now - this.inflight.sentAt >= this.config.requestTimeoutMs);
  }

  /** The request a follower should send to its leader now, if any. */
  nextRequest(now: number, brokerEpoch: number): ReplicaRequest | undefined {
    if (!this.wantsRequest(now)) return undefined;
    const requestId = this.nextRequestId++;
    this.inflight = { requestId, sentAt: now, fetchOffset: this.log.logEndOffset };
    const latest = this.log.leaderEpochs.latestEpoch;
    if (this.phase === 'truncating' && latest === undefined) this.phase = 'fetching';
    if (this.phase === 'truncating') {
      return { kind: 'offsetForLeaderEpoch', requestId, replicaId: this.config.brokerId, currentLeaderEpoch: this._leaderEpoch, leaderEpoch: latest! };
    }
    return {
      kind: 'fetch',
      requestId,
      replicaId: this.config.brokerId,
      replicaEpoch: brokerEpoch,
      currentLeaderEpoch: this._leaderEpoch,
      fetchOffset: this.log.logEndOffset,
      maxBytes: this.config.maxFetchBytes,
    };
  }

  /** The in-flight request this response answers (stale, duplicated and reordered responses answer none). */
  private answered(requestId: number): { fetchOffset: number } | undefined {
    const inflight = this.inflight;
    if (this._role !== 'follower' || inflight?.requestId !== requestId) return undefined;
    this.inflight = undefined;
    return inflight;
  }

  /** KIP-101: truncate to where the leader's log and ours agree, by epoch. */
  handleOffsetForLeaderEpochResponse(resp: OffsetForLeaderEpochResponse): Truncation | undefined {
    if (!this.answered(resp.requestId) || this.phase !== 'truncating' || resp.errorCode !== 0) return undefined;
    const leo = this.log.logEndOffset;
    const { target, settled } = this.truncationTarget(resp, leo);
    // Not settled: cut to where our older epoch ends and ask again with it (KIP-279).
    this.phase = settled ? 'fetching' : 'truncating';
    if (target >= leo) {
      // Nothing to cut, but epochs that start at our end hold no records here
      // (an epoch this replica led without writing): forget them, or the batches
      // of an older epoch appended next would be filed under them, and a later
      // truncation by epoch would cut committed records (found by the simulation).
      this.log.leaderEpochs.truncateFromEnd(leo);
      return undefined;
    }
    const truncation = { from: leo, to: target, highWatermark: this.log.highWatermark };
    if (target < this.log.highWatermark && !this.config.uncleanLeaderElection) {
      throw new ReplicationInvariantError(
        `${this.name}: broker ${this.config.brokerId} would truncate to ${target}, below its high watermark ${this.log.highWatermark} (leader epoch ${this._leaderEpoch}): committed records would be lost.`,
      );
    }
    this.log.truncateTo(target);
    this.producers = rebuildProducerState(this.log, this.producers);
    this.truncations.push(truncation);
    return truncation;
  }

  /**
   * Where to truncate after the leader said epoch `resp.leaderEpoch` ends at
   * `resp.endOffset` (Kafka's AbstractFetcherThread.getOffsetTruncationState):
   * - the leader could not place our epoch (-1): keep only what is committed;
   * - we know that epoch too, or it is older than every epoch we know (our
   *   lookup then ends it where our first epoch starts: none of our records is
   *   the leader's, as for a replica that wrote as leader of an epoch its
   *   successor never saw, simulation seed 70091 of the transactions family):
   *   cut where the first of the two copies ends. The leader answers an epoch
   *   older than all it knows (ours) with where its first epoch starts, its log
   *   start: what we keep below it is deleted there, and goes here once we
   *   fetch (behind the leader's start, or by following its log start);
   * - our nearest older epoch differs: cut where it ends, and ask again;
   * - newer than every epoch we know (the leader answers at most the epoch we
   *   asked with, so only an answer to an older question): keep what is committed.
   */
  private truncationTarget(resp: OffsetForLeaderEpochResponse, leo: number): { target: number; settled: boolean } {
    const committed = { target: Math.min(this.log.highWatermark, resp.leaderLogEndOffset), settled: true };
    if (resp.leaderEpoch < 0) return committed;
    const own = this.log.leaderEpochs.endOffsetFor(resp.leaderEpoch, leo);
    if (own.epoch === resp.leaderEpoch) return { target: Math.min(resp.endOffset, own.endOffset), settled: true };
    if (own.epoch < 0) return committed;
    return { target: Math.min(own.endOffset, leo), settled: false };
  }

  handleFetchResponse(resp: ReplicaFetchResponse): void {
    const request = this.answered(resp.requestId);
    if (request === undefined || this.phase !== 'fetching') return;
    const behindLeaderStart = resp.logStartOffset !== undefined && request.fetchOffset === this.log.logEndOffset && request.fetchOffset < resp.logStartOffset;
    if (resp.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && behindLeaderStart) {
      // Everything this follower lacks is deleted at the leader (and so is all it
      // has, being below): it starts again empty at the leader's log start.
      this.log.truncateFullyAndStartAt(resp.logStartOffset);
      // The producers stay known (as after a truncation): their next batches continue their sequences.
      this.producers = rebuildProducerState(this.log, this.producers);
      return;
    }
    if (resp.errorCode !== 0) {
      // Out of range or a changed leader: find the divergence point again.
      if (resp.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) this.phase = 'truncating';
      return;
    }
    if (request.fetchOffset !== this.log.logEndOffset) return;
    if (resp.records.length > 0) {
      // Over the wire a follower receives one view of the frame; an in-process leader's chunks are joined here.
      const records = resp.records.length === 1 ? resp.records[0] : Buffer.concat(resp.records);
      try {
        // Checked by header and CRC (Kafka's appendAsFollower): a copy damaged in transit is not stored.
        // The log records the leader epochs stamped in the batches as it appends them.
        this.log.append(records, { assignOffsets: false });
      } catch (e) {
        if (!(e instanceof LogError)) throw e;
        this.refusedFetches++;
        return; // fetched again from the same offset
      }
      this.producers.recordStored(records);
      if (this.config.durableAppends) this.log.flush();
    }
    this.log.updateHighWatermark(Math.min(resp.highWatermark, this.log.logEndOffset));
    this.followLogStart(resp.logStartOffset);
  }

  /**
   * A follower moves its log start offset up to the leader's (records deleted
   * there by DeleteRecords are deleted here too, as Kafka followers do), but
   * never past its own high watermark: the rest follows with later fetches.
   */
  private followLogStart(leaderLogStart: number | undefined): void {
    if (leaderLogStart === undefined) return;
    const target = Math.min(leaderLogStart, this.log.highWatermark);
    if (target > this.log.logStartOffset) this.log.deleteRecordsBefore(target);
  }

  /** Truncations since the last call (for logs and checks). */
  takeTruncations(): Truncation[] {
    return this.truncations.splice(0);
  }
}

/** No completed appends (shared: never mutated). */
const NO_COMPLETIONS: readonly CompletedAppend[] = Object.freeze([]);

/** Producer state from the log's tail; empty when the log is damaged (it answers KAFKA_STORAGE_ERROR). */
function rebuildWhenReadable(log: ReplicaLog): ProducerStateTable {
  try {
    return rebuildProducerState(log);
  } catch (e) {
    if (e instanceof LogError) return new ProducerStateTable();
    throw e;
  }
}
