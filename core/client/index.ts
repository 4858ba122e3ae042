// core/client: producer, consumer and admin over the embedded broker, and the
// top-level Rill.open({ dir }). The only door into this folder.
export { Rill } from './rill';
export { openBrokerSchemaRegistry } from './schema-registry';
export type { RillOptions } from './rill';
export { Producer } from './producer';
export type { ProducerOptions, ProducerRecord, RecordMetadata, ProduceTarget, Acks } from './producer';
export { Consumer } from './consumer';
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
export { encodeSubscription, decodeSubscription, encodeAssignment, decodeAssignment } from './consumer-protocol';
export type { TopicPartition, Subscription, Assignment } from './consumer-protocol';
export { BrokerError, ErrorCode } from '../broker';
// Data-directory locks (Rill.open takes one; RillStreams takes one on its state directory).
export { DirLock, DirLockedError } from '../log';
