// join(): inner join with a table (enrichment) or, within a time window, with another stream.
import type { OperatorFunction } from 'rxjs';
import type { KRecord } from '../record';
import { KTable } from '../topology/ktable';
import type { KStream } from '../topology/kstream';
import { streamStreamJoin, type StreamJoinOptions } from './internal/stream-stream-join';
import { streamTableJoin } from './internal/stream-table-join';

export function join<K, V, T, R>(table: KTable<K, T>, joiner: (value: V, tableValue: T, key: K) => R): OperatorFunction<KRecord<K, V>, KRecord<K, R>>;
export function join<K, V, V2, R>(other: KStream<K, V2>, joiner: (value: V, otherValue: V2, key: K) => R, options: StreamJoinOptions): OperatorFunction<KRecord<K, V>, KRecord<K, R>>;
export function join<K, V, V2, R>(other: KTable<K, V2> | KStream<K, V2>, joiner: (value: V, otherValue: V2, key: K) => R, options?: StreamJoinOptions): OperatorFunction<KRecord<K, V>, KRecord<K, R>> {
  if (other instanceof KTable) return streamTableJoin(other, joiner as (v: V, t: V2 | null, k: K) => R, 'inner');
  if (!options) throw new Error('A stream-stream join needs a window: join(other, joiner, { window: { beforeMs } }).');
  return streamStreamJoin(other, joiner as (v: V, o: V2 | null, k: K) => R, 'inner', options);
}
