// Redis connectors (ioredis): a table sink, a Streams sink and a Streams source.
export { redisConnection } from './connection';
export { redisTableSink } from './table-sink';
export type { RedisTableSinkOptions } from './table-sink';
export { redisStreamSink, defaultStreamFields } from './stream-sink';
export type { RedisStreamSinkOptions } from './stream-sink';
export { redisStreamSource, defaultStreamRecord } from './stream-source';
export type { RedisStreamSourceOptions, StreamEntryId } from './stream-source';
