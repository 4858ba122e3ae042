// leftJoin(): every record of this stream yields a result; the other side is
// null when the table has no value, or when no record of the other stream
// arrived within the window (emitted once the window closes).
import type { OperatorFunction } from 'rxjs';
import type { KRecord } from '../record';
import { KTable } from '../topology/ktable';
import type { KStream } from '../topology/kstream';
import { streamStreamJoin, type StreamJoinOptions } from './internal/stream-stream-join';
import { streamTableJoin } from './internal/stream-table-join';

export function leftJoin<K, V, T, R>(table: KTable<K, T>, joiner: (value: V, tableValue: T | null, key: K) => R): OperatorFunction<KRecord<K, V>, KRecord<K, R>>;
export function leftJoin<K, V, V2, R>(other: KStream<K, V2>, joiner: (value: V, otherValue: V2 | null, key: K) => R, options: StreamJoinOptions): OperatorFunction<KRecord<K, V>, KRecord<K, R>>;
export function leftJoin<K, V, V2, R>(other: KTable<K, V2> | KStream<K, V2>, joiner: (value: V, otherValue: V2 | null, key: K) => R, options?: StreamJoinOptions): OperatorFunction<KRecord<K, V>, KRecord<K, R>> {
  if (other instanceof KTable) return streamTableJoin(other, joiner, 'left');
  if (!options) throw new Error('A stream-stream join needs a window: leftJoin(other, joiner, { window: { beforeMs } }).');
  return streamStreamJoin(other, joiner, 'left', options);
}
