// Rill's Raft: a pure consensus core (etcd-raft style) plus the adapters that
// make it a running node. The cluster controller builds on this face only.

export type {
  ConfChange,
  ConfState,
  Entry,
  EntryType,
  HardState,
  Message,
  NodeId,
  RandomSource,
  Ready,
  ReadState,
  Role,
  Snapshot,
  SnapshotMetadata,
  SoftState,
} from './types';
export { NONE } from './types';
export { Raft, DEFAULT_CONFIG, EMPTY_STATE, bootstrapState } from './raft';
export type { RaftConfig, PersistedState, ProposalAccepted, MemberProgress } from './raft';
export type { ProgressState } from './progress';
export { SeededRandom } from './random';
export { encodeConfChange, decodeConfChange } from './conf-change';
export type { ReplicatedStateMachine } from './state-machine';
export { encodeMessage, decodeMessage } from './codec';
export { FileStorage } from './file-storage';
export type { RecoveryReport } from './file-storage';
export { TcpTransport, plainSockets } from './tcp-transport';
export type { LinkSockets, PeerAddress, TransportOptions, TransportStats } from './tcp-transport';
export { RaftNode } from './raft-node';
export type { RaftNodeOptions, NodeStatus, ReplicationStatus } from './raft-node';
