// core/client: producer, consumer and admin over the embedded broker, the
// top-level Rill.open({ dir }), and the one LogClient interface with its three
// implementations (embedded, Rill protocol, kafkajs). The only door into this folder.
export { Rill } from './rill';
export { optionalPackage } from './optional-package';
export { openBrokerSchemaRegistry, schemaRegistryRequest } from './schema-registry';
export type { SchemaRegistryClientOptions, SchemaRegistryAnswer } from './schema-registry';
export { LogClientSchemaStorage, openLogClientSchemaRegistry } from './log-client-schema-storage';
export type { LogClientSchemaRegistryOptions } from './log-client-schema-storage';
export type { RillOptions } from './rill';
export { Producer } from './producer';
export type { ProducerOptions, ProducerRecord, RecordMetadata, ProduceTarget, Acks, TransactionHooks } from './producer';
export { TransactionalProducer } from './transactional-producer';
export type { TransactionalProducerOptions, OffsetToCommit } from './transactional-producer';
export { Consumer } from './consumer';
export { SpanRecord } from './span-record';
export type { ConsumerOptions, ConsumerRecord, SeekTarget, RebalanceListener } from './consumer';
export { Admin } from './admin';
export type { PartitionLag, TopicOffsets, GroupDescription } from './admin';
export { murmur2, toPositive, partitionForKey } from './murmur2';
export { DefaultPartitioner } from './partitioner';
export type { KeylessPartitioning } from './partitioner';
export type { Assignor, MemberSubscription } from './assignor';
export { rangeAssignor } from './range-assignor';
export { roundRobinAssignor } from './round-robin-assignor';
export { cooperativeStickyAssignor } from './cooperative-sticky-assignor';
export { coPartitionedAssignor } from './co-partitioned-assignor';
export { encodeSubscription, decodeSubscription, encodeAssignment, decodeAssignment } from '../broker';
export type { TopicPartition, Subscription, Assignment } from '../broker';
export { GroupMember, brokerGroupPort } from './group-member';
export type { GroupMemberOptions, GroupMemberHandlers, GroupPort } from './group-member';
export { BrokerError, ErrorCode } from '../broker';
// Parking callers until a wake, a timeout or an abort (the consumers, the DSL runtime and the connectors wait this way).
export { Waiters } from './waiters';
export { AbortedTransactionFilter } from './aborted-filter';
export type { AbortedTransactionRef } from './aborted-filter';
// Data-directory locks (Rill.open takes one; RillStreams takes one on its state directory).
export { DirLock, DirLockedError } from '../log';

// The one LogClient interface (what the DSL runtime, `rill worker` and the connectors use).
export { CommitRefusedError, ProducerFencedError } from './log-client';
export type {
  LogClient,
  LogConsumer,
  LogProducer,
  LogRecord,
  FetchedRecord,
  OutgoingRecord,
  RecordWriter,
  TopicSpec,
  TransactionalLogProducer,
  TransactionalLogProducerOptions,
  ConsumerGroupMetadata,
  LogRebalanceListener,
  GroupMembershipOptions,
  IsolationLevelName,
  GroupMemberInfo,
} from './log-client';
// Its implementations: the embedded Rill, ...
export { rillLogClient } from './embedded-log-client';
// ... a Rill cluster or `rill broker` over the Kafka protocol (core/protocol's KafkaConnection), ...
export { protocolLogClient } from './remote/protocol-log-client';
export type { ProtocolLogClient, ProtocolLogClientOptions } from './remote/protocol-log-client';
export type { PartitionFetch } from './remote/partition-reader';
export type { CommitMember } from './remote/remote-consumer';
// ... and any Kafka-compatible cluster through kafkajs.
export { kafkaLogClient, kafkaConfig } from './kafkajs/kafkajs-log-client';
export type { KafkaLogClient, KafkaLogClientOptions } from './kafkajs/kafkajs-log-client';
export { exactAssigner, EXACT_ASSIGNER } from './kafkajs/exact-assigner';
// What the Kafka protocol clients (this one and the CLI's tools) share: connections, leaders, coordinators.
export { BrokerConnections, bootstrapAddresses } from './remote/broker-connections';
export type { BrokerConnectionsOptions } from './remote/broker-connections';
export { PartitionLeaders, LEADER_MOVED, STALE_METADATA, MOVED, kafkaError, checkCode } from './remote/partition-leaders';
export { RetryPolicy, RetryLater, backoff, DEFAULT_BROKER_UNAVAILABLE_TIMEOUT_MS, type RetryOptions } from './remote/retry-policy';
export { GroupCoordinator, coordinatorAddress, COORDINATOR_MOVED } from './remote/group-coordinator';
export { protocolGroupPort } from './remote/protocol-group-port';
