// dsl: Rill's RxJS DSL. Declare a topology (StreamsBuilder, KStream.pipe with
// plain RxJS operators and Rill's keyed/stateful ones), then run it with
// RillStreams on a log, or with the TopologyTestDriver in a test.
export type { KRecord, TimeWindow, Windowed, KeyValueSerdes, RecordOrigin } from './record';
export { windowedSerde, listSerde, defaultSerde } from './serdes';
export { StreamsBuilder, KStream, KTable } from './topology/builder';
export type { StreamOptions, TableOptions } from './topology/builder';
export { Topology } from './topology/topology';
export type { TopologyNode } from './topology/node';

export { mapValues } from './operators/map-values';
export { mapAsync } from './operators/map-async';
export { flatMapValues } from './operators/flat-map-values';
export { selectKey, rekey } from './operators/select-key';
export { groupByKey } from './operators/group-by-key';
export { groupBy } from './operators/group-by';
export { count } from './operators/count';
export { reduce } from './operators/reduce';
export { aggregate } from './operators/aggregate';
export { join } from './operators/join';
export { leftJoin } from './operators/left-join';
export { merge } from './operators/merge';
export { processingTime } from './operators/processing-time';
export { to } from './operators/to';
export type { AggregateOptions, WindowedOptions, EmitMode } from './operators/internal/aggregation';
export type { JoinWindow, StreamJoinOptions } from './operators/internal/stream-stream-join';

export { tumbling, hopping, sliding, session } from './windows/windows';
export type { Windows, TumblingWindows, HoppingWindows, SlidingWindows, SessionWindows } from './windows/windows';

export type { KeyValueStore, ReadOnlyKeyValueStore, WindowStore, ReadOnlyWindowStore, WindowEntry } from './store';

export { RillStreams } from './runtime/rill-streams';
export type { StreamsConfig, StreamsState, RebalanceEvent, KeyQueryResult } from './runtime/rill-streams';
export type { RestoreProgress } from './runtime/restore';
export type { StreamsStatus, TaskStatus, InputStatus, StandbyStoreStatus } from './runtime/streams-status';
export type { ErrorPolicy } from './runtime/error-policy';
export { ProcessingFailure } from './runtime/error-policy';
export { rillOperator } from './operator';
export type { TaskContext, OperatorSpec } from './operator';
export type { Logger, LogLevel } from './logger';
export { defaultLogger, silentLogger, memoryLogger } from './logger';

// The log client the runtime runs on lives in core/client; re-exported here for code that imports it from the DSL.
export type {
  LogClient,
  LogConsumer,
  LogProducer,
  LogRecord,
  OutgoingRecord,
  TopicSpec,
  TransactionalLogProducer,
  LogRebalanceListener,
  GroupMembershipOptions,
  GroupMemberInfo,
  TopicPartition,
} from '../core/client';
export { CommitRefusedError, coPartitionedAssignor, rillLogClient } from '../core/client';

export { TopologyTestDriver, TestInputTopic, TestOutputTopic } from './test-driver/topology-test-driver';
export type { TestDriverOptions, TestRecord } from './test-driver/topology-test-driver';
