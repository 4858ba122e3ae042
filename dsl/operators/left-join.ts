// leftJoin(): every record of this stream yields a result; the other side is
// null when the table has no value, or when no record of the other stream
// arrived within the window (emitted once the window closes).
import type { OperatorFunction } from 'rxjs';
import { isTable, type DeclaredStream, type DeclaredTable } from '../declared';
import type { KRecord } from '../record';
import { streamStreamJoin, type StreamJoinOptions } from './internal/stream-stream-join';
import { streamTableJoin } from './internal/stream-table-join';

export function leftJoin<K, V, T, R>(
  table: DeclaredTable<K, T>,
  joiner: (value: V, tableValue: T | null, key: K) => R,
): OperatorFunction<KRecord<K, V>, KRecord<K, R>>;
export function leftJoin<K, V, V2, R>(
  other: DeclaredStream<K, V2>,
  joiner: (value: V, otherValue: V2 | null, key: K) => R,
  options: StreamJoinOptions,
): OperatorFunction<KRecord<K, V>, KRecord<K, R>>;
export function leftJoin<K, V, V2, R>(
  other: DeclaredTable<K, V2> | DeclaredStream<K, V2>,
  joiner: (value: V, otherValue: V2 | null, key: K) => R,
  options?: StreamJoinOptions,
): OperatorFunction<KRecord<K, V>, KRecord<K, R>> {
  if (isTable(other)) return streamTableJoin(other, joiner, 'left');
  if (!options) throw new Error('A stream-stream join needs a window: leftJoin(other, joiner, { window: { beforeMs } }).');
  return streamStreamJoin(other, joiner, 'left', options);
}
