// Between the log's bytes and a connector's values: decoding for sinks,
// encoding for sources, failures as values (they become bad records).
import type { Either } from 'fp-ts/Either';
import { left, right } from 'fp-ts/Either';
import type { Serde } from '../../core/schema';
import type { LogRecord } from '../../core/client';
import type { SinkRecord } from '../connector';

export function headersOf(record: LogRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of record.headers ?? []) out[h.key] = h.value === null ? '' : h.value.toString('utf8');
  return out;
}

export function describeLogRecord(r: { topic: string; partition: number; offset: number }): string {
  return `topic ${r.topic}, partition ${r.partition}, offset ${r.offset}`;
}

export function originHeaders(r: { topic: string; partition: number; offset: number }): Record<string, string> {
  return { 'rill.source.topic': r.topic, 'rill.source.partition': String(r.partition), 'rill.source.offset': String(r.offset) };
}

/** A log record as a sink sees it; a key or value its serde refuses is a Left with the reason. */
export function decodeSinkRecord<K, V>(record: LogRecord, key: Serde<K>, value: Serde<V>): Either<string, SinkRecord<K, V>> {
  const location = { topic: record.topic, partition: record.partition, offset: record.offset };
  let k: K | null = null;
  if (record.key !== null) {
    const d = key.deserialize(record.key, location);
    if (d._tag === 'Left') return left(`key does not deserialize as ${key.format}: ${d.left.message}`);
    k = d.right;
  }
  let v: V | null = null;
  if (record.value !== null) {
    const d = value.deserialize(record.value, location);
    if (d._tag === 'Left') return left(`value does not deserialize as ${value.format}: ${d.left.message}`);
    v = d.right;
  }
  return right({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: k,
    value: v,
    headers: headersOf(record),
  });
}

/** Key and value bytes of a source record; a value its serde refuses is a Left with the reason. */
export function encodeSourceValue<T>(serde: Serde<T>, v: T | null | undefined, what: 'key' | 'value'): Either<string, Buffer | null> {
  if (v === null || v === undefined) return right(null);
  const e = serde.serialize(v);
  if (e._tag === 'Left') return left(`${what} does not serialize as ${serde.format}: ${e.left.message}`);
  return right(e.right);
}
