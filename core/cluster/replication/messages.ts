// Replica-to-leader requests of the replication protocol (Kafka's follower
// Fetch and OffsetsForLeaderEpoch), as plain data: the shell carries them over
// the wire protocol or, in the simulation, over a fake network.
import type { PartitionLog } from '../../log';

/** The part of core/log's PartitionLog a replica uses (a real PartitionLog opened with { replicated: true }). */
export type ReplicaLog = Pick<
  PartitionLog,
  | 'logStartOffset'
  | 'logEndOffset'
  | 'highWatermark'
  | 'lastStableOffset'
  | 'abortedTransactions'
  | 'leaderEpochs'
  | 'append'
  | 'read'
  | 'readChunks'
  | 'truncateTo'
  | 'updateHighWatermark'
  | 'flush'
  | 'deleteRecordsBefore'
  | 'truncateFullyAndStartAt'
>;

/** KIP-101: the follower asks where its latest leader epoch ends in the leader's log. */
export interface OffsetForLeaderEpochRequest {
  readonly kind: 'offsetForLeaderEpoch';
  readonly requestId: number;
  readonly replicaId: number;
  /** The epoch of the leader the follower follows: fences a stale or early request. */
  readonly currentLeaderEpoch: number;
  /** The latest epoch in the follower's log. */
  readonly leaderEpoch: number;
}

export interface OffsetForLeaderEpochResponse {
  readonly kind: 'offsetForLeaderEpochResponse';
  readonly requestId: number;
  readonly errorCode: number;
  /** The largest epoch <= the requested one in the leader's log (-1: none). */
  readonly leaderEpoch: number;
  /** Where that epoch ends in the leader's log (-1: none). */
  readonly endOffset: number;
  readonly leaderLogEndOffset: number;
}

export interface ReplicaFetchRequest {
  readonly kind: 'fetch';
  readonly requestId: number;
  readonly replicaId: number;
  /** The follower's broker epoch: a fetch of an older incarnation is refused. */
  readonly replicaEpoch: number;
  readonly currentLeaderEpoch: number;
  /** The follower's log end offset: everything before it is on the follower. */
  readonly fetchOffset: number;
  readonly maxBytes: number;
}

export interface ReplicaFetchResponse {
  readonly kind: 'fetchResponse';
  readonly requestId: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  /** The leader's log start offset (DeleteRecords moves it): followers advance theirs to it. Absent: not known. */
  readonly logStartOffset?: number;
  /**
   * Whole batches laid end to end across these buffers: the leader's stored
   * appends as they are (never copied into one), or the one view of the
   * received frame a follower gets. Empty: nothing new.
   */
  readonly records: readonly Buffer[];
}

/** A fetch answer's records when there are none (shared: never mutated). */
export const NO_RECORDS: readonly Buffer[] = Object.freeze([]);

/** The record bytes of a fetch answer. */
export function recordBytes(records: readonly Buffer[]): number {
  let n = 0;
  for (let i = 0; i < records.length; i++) n += records[i].length;
  return n;
}

export type ReplicaRequest = OffsetForLeaderEpochRequest | ReplicaFetchRequest;
export type ReplicaResponse = OffsetForLeaderEpochResponse | ReplicaFetchResponse;

/** acks as Kafka defines them: 0 (no response), 1 (leader has it), -1 / all (every ISR member has it). */
export type Acks = 0 | 1 | -1;

/** The ISR change a leader asks the controller for (becomes an AlterPartitionRequest with its broker epoch). */
export interface IsrChangeProposal {
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly newIsr: readonly number[];
}

/** An acks=all append that finished: acknowledged (errorCode 0) or refused. */
export interface CompletedAppend {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly errorCode: number;
}
