// connectors: sources and sinks between Rill's log and the outside world —
// files and stdio, Redis (ioredis), HTTP. Built on core/client's one LogClient
// interface: they run on a real Kafka or Redpanda through its kafkajs
// implementation (core/client's kafkaLogClient). The only door into this folder.
export type { SinkConnector, SinkRecord, SinkWriteOutcome, Rejection, SourceConnector, SourceRecord, SourceEntry, SourcePoll } from './connector';
export { written, unavailable } from './connector';
export { ConnectorRunner } from './runtime/connector-runner';
export type { ConnectorRunnerOptions } from './runtime/connector-runner';
export { SinkTask } from './runtime/sink-task';
export type { SinkTaskOptions } from './runtime/sink-task';
export { SourceTask } from './runtime/source-task';
export type { SourceTaskOptions } from './runtime/source-task';
export type { ConnectorTask, ConnectorState, ConnectorStats, CommonTaskOptions } from './runtime/task';
export { ConnectorFailure } from './runtime/bad-records';
export type { BackoffOptions } from './runtime/backoff';
export { backoffDelay } from './runtime/backoff';
// Named apart from core/log's Clock (which has no sleep), so both fit in one package face.
export type { Clock as ConnectorClock } from './runtime/clock';
export { systemClock as systemConnectorClock } from './runtime/clock';

export * from './redis';
export * from './files';
export * from './http';
export { topicSink } from './topic-sink';
export type { TopicSinkOptions } from './topic-sink';
