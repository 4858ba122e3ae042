// join(): inner join with a table (enrichment) or, within a time window, with another stream.
import type { OperatorFunction } from 'rxjs';
import { isTable, type DeclaredStream, type DeclaredTable } from '../declared';
import type { KRecord } from '../record';
import { streamStreamJoin, type StreamJoinOptions } from './internal/stream-stream-join';
import { streamTableJoin } from './internal/stream-table-join';

export function join<K, V, T, R>(table: DeclaredTable<K, T>, joiner: (value: V, tableValue: T, key: K) => R): OperatorFunction<KRecord<K, V>, KRecord<K, R>>;
export function join<K, V, V2, R>(
  other: DeclaredStream<K, V2>,
  joiner: (value: V, otherValue: V2, key: K) => R,
  options: StreamJoinOptions,
): OperatorFunction<KRecord<K, V>, KRecord<K, R>>;
export function join<K, V, V2, R>(
  other: DeclaredTable<K, V2> | DeclaredStream<K, V2>,
  joiner: (value: V, otherValue: V2, key: K) => R,
  options?: StreamJoinOptions,
): OperatorFunction<KRecord<K, V>, KRecord<K, R>> {
  if (isTable(other)) return streamTableJoin(other, joiner as (v: V, t: V2 | null, k: K) => R, 'inner');
  if (!options) throw new Error('A stream-stream join needs a window: join(other, joiner, { window: { beforeMs } }).');
  return streamStreamJoin(other, joiner as (v: V, o: V2 | null, k: K) => R, 'inner', options);
}
