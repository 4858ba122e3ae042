// core/cluster: the controller (a metadata state machine on core/raft), its
// decisions, and partition replication. The only door into this folder.

// Metadata log: records, codec, image, the replicated state machine.
export { NO_LEADER } from './metadata/records';
export type {
  MetadataRecord,
  MetadataRecordType,
  RegisterBrokerRecord,
  RegisterControllerRecord,
  UnregisterControllerRecord,
  FenceBrokerRecord,
  UnfenceBrokerRecord,
  UnregisterBrokerRecord,
  TopicRecord,
  PartitionRecord,
  PartitionChangeRecord,
  RemoveTopicRecord,
  TopicConfigRecord,
  RegisterWorkerRecord,
  UnregisterWorkerRecord,
  TaskAssignmentRecord,
  TaskOwnership,
  EpochCountersRecord,
} from './metadata/records';
export { encodeRecord, decodeRecord, encodeMetadataBatch, decodeMetadataBatch } from './metadata/codec';
export { MetadataImage } from './metadata/image';
export type {
  BrokerRegistration,
  ControllerRegistration,
  PartitionRegistration,
  TopicImage,
  WorkerRegistration,
  AppImage,
  ApplyOutcome,
} from './metadata/image';
export { MetadataStateMachine } from './metadata/state-machine';
export type { EntryApplied } from './metadata/state-machine';

// Controller decisions (pure): image + request -> records to propose.
export { QuorumController, DEFAULT_CONTROLLER_CONFIG } from './controller/quorum-controller';
export type { ControllerConfig } from './controller/quorum-controller';
export type { Decision, Accepted } from './controller/decision';
export { registerBroker, brokerHeartbeat, fenceBroker, validRack } from './controller/broker-lifecycle';
export type { RegisterBrokerRequest, BrokerHeartbeatRequest, BrokerHeartbeatResponse } from './controller/broker-lifecycle';
export { createTopic, deleteTopic, createPartitions, replicationFactorOf, alterTopicConfig } from './controller/topic-admin';
export type { CreateTopicRequest, CreatePartitionsRequest, AlterTopicConfigRequest } from './controller/topic-admin';
export { validateTopicConfig, REPLICATION_CONFIG_DEFAULTS } from './controller/topic-config';
export type { ValidTopicConfig } from './controller/topic-config';
export { alterPartition } from './controller/alter-partition';
export type { AlterPartitionRequest, AlterPartitionResponse } from './controller/alter-partition';
export { workerHeartbeat, expireWorker, tasksOf, rebalance } from './controller/worker-lifecycle';
export type { WorkerHeartbeatRequest, WorkerAssignment } from './controller/worker-lifecycle';
export { assignTasks } from './controller/task-assignor';
export { placeReplicas, rackAlternatedBrokers } from './controller/placement';
export { electLeader, minInsyncReplicas, uncleanElectionEnabled } from './controller/partition-change';
export { HeartbeatSessions } from './controller/sessions';

// Replication.
export { PartitionReplica, ReplicationInvariantError } from './replication/partition-replica';
export type { ReplicaConfig, AppendOutcome, Truncation } from './replication/partition-replica';
export type {
  ReplicaLog,
  Acks,
  OffsetForLeaderEpochRequest,
  OffsetForLeaderEpochResponse,
  ReplicaFetchRequest,
  ReplicaFetchResponse,
  ReplicaRequest,
  ReplicaResponse,
  IsrChangeProposal,
  CompletedAppend,
} from './replication/messages';

export { ErrorCode, errorName } from './errors';
export type { Refusal } from './errors';

// The processes, by role, over real sockets and disks: controller/ (the controller
// process and its protocol), broker/ (the broker process, its Kafka ports and
// group coordinator), worker/ (worker membership), net/ (RPC framing, addresses).
export { ControllerProcess } from './controller/controller-process';
export type { ControllerOptions } from './controller/controller-process';
export { BrokerProcess } from './broker/broker-process';
export { clusterSecurityPort } from './broker/cluster-security';
export type { BrokerOptions, KafkaListenerOptions } from './broker/broker-process';
export { OFFSETS_TOPIC_PARTITIONS } from './broker/group-coordinator';
export { parseControllers } from './net/addresses';
export type { ControllerAddress } from './net/addresses';
export { RpcServer, RpcClient } from './net/rpc';
export type { LinkSockets } from './net/rpc';
export { InternalTls, parsePrincipals } from './net/internal-tls';
export type { InternalTlsOptions } from './net/internal-tls';
export { WorkerMembership, sameAssignment, taskPartition } from './worker/worker-membership';
export type { WorkerMembershipOptions, TaskAssignment, ActiveTask, AssignmentChange, AssignmentListener } from './worker/worker-membership';
export { startableMembership, isMembershipThread, ThreadedWorkerMembership } from './worker/worker-membership-thread';
export type { Membership, ThreadedMembershipOptions } from './worker/worker-membership-thread';
export { checkWorkerHeartbeat } from './controller/worker-protocol';
export type { WorkerHeartbeatRpcRequest, WorkerHeartbeatRpcResponse } from './controller/worker-protocol';
export type { RpcResult, RpcHandler, RpcMessage, LinkFilter } from './net/rpc';
export { clusterStatus, describeQuorum } from './status/cluster-status';
export { readMetadataImage } from './controller/metadata-reader';
export type { ClusterStatus, ControllerStatus, BrokerStatus, PartitionStatus, ReplicaStatus, TopicStatus, AppStatus } from './status/cluster-status';
export type { DescribeQuorumAnswer } from './controller/controller-protocol';
export { requestAddController, requestRemoveController } from './controller/controller-membership';
export type { QuorumMembers } from './controller/controller-membership';
export type { ReplicaDescription } from './broker/broker-process';
