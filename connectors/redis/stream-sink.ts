// Appends records to a Redis Stream with XADD, a batch per round trip. Each
// entry carries its origin (topic/partition/offset in the field "rill-origin"),
// so a reader can drop the duplicates a retried batch may add (at-least-once).
import type { Redis } from 'ioredis';
import type { SinkConnector, SinkRecord } from '../connector';
import { execForRecords } from './replies';
import { redisText } from './text';

export interface RedisStreamSinkOptions<K, V> {
  readonly redis: Redis;
  readonly name?: string;
  /** The stream key, or one per record. */
  readonly stream: string | ((record: SinkRecord<K, V>) => string);
  /** Trim to about this many entries (XADD MAXLEN ~). */
  readonly maxLen?: number;
  /** Entry fields. Default: key and value as text (no value field for a tombstone), plus rill-origin. */
  readonly fields?: (record: SinkRecord<K, V>) => Record<string, string>;
}

export function defaultStreamFields(r: SinkRecord<unknown, unknown>): Record<string, string> {
  const fields: Record<string, string> = {};
  if (r.key !== null) fields.key = redisText(r.key);
  if (r.value !== null) fields.value = redisText(r.value);
  fields['rill-origin'] = `${r.topic}/${r.partition}/${r.offset}`;
  return fields;
}

export function redisStreamSink<K, V>(options: RedisStreamSinkOptions<K, V>): SinkConnector<K, V> {
  const streamOf =
    typeof options.stream === 'string'
      ? (
          (s: string) => () =>
            s
        )(options.stream)
      : options.stream;
  const fieldsOf = options.fields ?? defaultStreamFields;
  const trim: (string | number)[] = options.maxLen === undefined ? [] : ['MAXLEN', '~', options.maxLen];
  return {
    name: options.name ?? `redis-stream-${typeof options.stream === 'string' ? options.stream : 'sink'}`,
    write: (batch) =>
      execForRecords(
        options.redis,
        false,
        batch.map((r, index) => {
          const args = [...trim, '*', ...Object.entries(fieldsOf(r)).flat()];
          const stream = streamOf(r);
          return { owners: [index], add: (c) => void c.xadd(stream, ...(args as [string])) };
        }),
      ),
  };
}
