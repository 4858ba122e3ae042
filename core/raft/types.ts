// The vocabulary of Rill's Raft core: entries, hard state, snapshots, messages
// and the Ready batch handed to the imperative shell. Plain data only, so the
// simulator, the storage adapter and the TCP transport can all share it.

export type NodeId = number;

/** `0` means "nobody" for votes and leader ids. */
export const NONE: NodeId = 0;

export type EntryType = 'normal' | 'config';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** Opaque command bytes for `normal`; an encoded ConfChange for `config`. */
  readonly data: Buffer;
}

/** What must be durable before any message that depends on it is sent. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Buffer;
}

/** Single-server membership changes (Raft dissertation §4.1, etcd "v1"). */
export type ConfChange =
  | { readonly type: 'addLearner'; readonly node: NodeId }
  | { readonly type: 'addVoter'; readonly node: NodeId }
  | { readonly type: 'removeNode'; readonly node: NodeId };

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

export interface VoteRequest extends Envelope {
  readonly type: 'preVote' | 'vote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set by a leadership transfer: bypasses the voter's leader lease. */
  readonly transfer: boolean;
}

export interface VoteResponse extends Envelope {
  readonly type: 'preVoteResp' | 'voteResp';
  readonly reject: boolean;
}

export interface AppendEntries extends Envelope {
  readonly type: 'append';
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

export interface AppendEntriesResponse extends Envelope {
  readonly type: 'appendResp';
  readonly reject: boolean;
  /** Accepted: the follower's match index. Rejected: the prevLogIndex refused. */
  readonly index: number;
  /** Fast back-tracking: the follower's best guess of where the logs agree. */
  readonly rejectHint: number;
  readonly hintTerm: number;
}

export interface Heartbeat extends Envelope {
  readonly type: 'heartbeat';
  readonly commit: number;
  /** ReadIndex round this heartbeat confirms leadership for ('' when none). */
  readonly context: string;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: 'heartbeatResp';
  readonly context: string;
}

export interface InstallSnapshot extends Envelope {
  readonly type: 'snapshot';
  readonly snapshot: Snapshot;
}

export interface TimeoutNow extends Envelope {
  readonly type: 'timeoutNow';
}

/** A follower asking the leader for a read index on behalf of its client. */
export interface ReadIndexRequest extends Envelope {
  readonly type: 'readIndex';
  readonly context: string;
}

export interface ReadIndexResponse extends Envelope {
  readonly type: 'readIndexResp';
  readonly context: string;
  /** 0 when the leader could not serve the read (e.g. not yet committed in its term). */
  readonly index: number;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendEntries
  | AppendEntriesResponse
  | Heartbeat
  | HeartbeatResponse
  | InstallSnapshot
  | TimeoutNow
  | ReadIndexRequest
  | ReadIndexResponse;

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly role: Role;
  readonly leader: NodeId;
}

/** A linearizable read may be served once `applied >= index`. */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

/**
 * Everything the shell must do, in this order (etcd's contract):
 * 1. persist `snapshot`, `entries` (writing index i discards stored entries >= i), then `hardState`; fsync;
 * 2. send `messages`;
 * 3. install `snapshot` into the state machine, apply `committedEntries`, serve `readStates`;
 * 4. call `advance(ready)`.
 */
export interface Ready {
  readonly softState: SoftState;
  readonly hardState: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | undefined;
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /**
   * A leader whose term and vote are already durable may send these messages
   * before its own write ends: its copy counts towards a quorum only once
   * persisted (Raft thesis §10.2.1), so the fsyncs of leader and followers overlap.
   */
  readonly sendBeforePersist: boolean;
}

/** The injected source of randomness: the only nondeterminism the core sees. */
export interface RandomSource {
  /** A uniformly distributed integer in [0, bound). */
  nextInt(bound: number): number;
}
