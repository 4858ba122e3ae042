// core/broker: the topics and partitions of one node — produce, fetch, offsets,
// consumer groups. The only door into this folder.
export { Broker, DEFAULT_BROKER_LIMITS, brokerLimits } from './broker';
export type {
  BrokerOptions,
  BrokerCloseReport,
  TransactionSettings,
  BrokerLimits,
  FetchRequest,
  FetchPartitionRequest,
  FetchPartitionResponse,
  OffsetCommitResult,
} from './broker';
export { GroupService, DEFAULT_GROUP_TICK_INTERVAL_MS } from './group-service';
export type {
  GroupOffsets,
  GroupServiceOptions,
  JoinGroupParams,
  SyncGroupParams,
  HeartbeatParams,
  LeaveGroupParams,
  ListedGroup,
  OffsetDeletion,
} from './group-service';
export { BrokerError, ErrorCode, errorName } from './errors';
export { FetchBudget } from './fetch-budget';
export type { ErrorCodeName } from './errors';
export type { NewTopic, TopicDescription, ConfigAlteration, PartitionCloseFailure } from './topics';
export { DEFAULT_MAX_BROKER_PARTITIONS, MAX_PARTITIONS, validateConfig as validateTopicConfig } from './topics';
export { validateTopicName, MAX_TOPIC_NAME_LENGTH, CONSUMER_OFFSETS_TOPIC, SCHEMAS_TOPIC, TRANSACTION_STATE_TOPIC } from './topic-name';
export type { ProduceResult, PartitionOffsets, IsolationLevel, AbortedTransaction } from './partition';
export { abortedTransactionsIn } from './partition';
// Idempotent produce, shared with core/cluster's partition replicas.
export { ProducerStateTable, appendWithProducerState, appendTxnMarker, rebuildProducerState, PRODUCER_STATE_WINDOW } from './producer-state';
export type { CheckedAppend } from './producer-state';
export type { CommittedOffset, OffsetCommit } from './offset-store';
export { offsetsPartitionFor, OffsetCache, offsetCommitRecords, offsetTombstones } from './offset-store';
export { encodeOffsetKey, encodeOffsetValue, decodeOffsetKey, decodeOffsetValue } from './offset-records';
export type { OffsetKey, OffsetValue } from './offset-records';
export { GroupCoordinator, DEFAULT_COORDINATOR_CONFIG } from './group-coordinator';
export type {
  CoordinatorConfig,
  GroupState,
  GroupProtocol,
  GroupInput,
  GroupOutput,
  GroupEffect,
  GroupResponse,
  GroupSummary,
  JoinGroupRequest,
  JoinGroupResponse,
  SyncGroupRequest,
  SyncGroupResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
} from './group-coordinator';
export { LogScheduler } from './scheduler';
export { applyConfigOps, ConfigOp } from './config-ops';
export type { ConfigOperation } from './config-ops';
export type { SchedulerOptions } from './scheduler';
export { encodeSubscription, decodeSubscription, encodeAssignment, decodeAssignment, groupByTopic } from './consumer-protocol';
export type { TopicPartition, Subscription, Assignment } from './consumer-protocol';
// Transactions (KIP-98): the coordinator, its pure decisions and `__transaction_state` records.
export {
  TransactionCoordinator,
  txnStatePartitionFor,
  DEFAULT_TRANSACTION_STATE_PARTITIONS,
  DEFAULT_TXN_TICK_INTERVAL_MS,
} from './transaction-coordinator';
export type { TxnMarkerSpec, TxnMarkerWriter, TxnStateLog, TxnRefusal, ProducerGrant, TransactionCoordinatorOptions } from './transaction-coordinator';
export { TxnStatus, DEFAULT_MAX_TRANSACTION_TIMEOUT_MS } from './transaction-state';
export type { TxnMetadata, TxnPartition } from './transaction-state';
/** The coordinator's pure decisions, for shells other than TransactionCoordinator (the cluster simulation's, which runs without promises). */
export * as txnDecisions from './transaction-state';
export { encodeTxnKey, encodeTxnValue, decodeTxnKey, decodeTxnValue } from './transaction-records';
export { storedBatches } from './offset-store';
