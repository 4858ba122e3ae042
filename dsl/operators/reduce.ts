// reduce(): combines the values of a key (or of a key and window) with a
// function of two values; the first value is the starting aggregate.
import type { OperatorFunction } from 'rxjs';
import type { KRecord, Windowed } from '../record';
import type { HoppingWindows, SessionWindows, SlidingWindows, TumblingWindows } from '../windows/windows';
import type { AggregateOptions, Aggregation, WindowedOptions } from './internal/aggregation';
import { keyedAggregate } from './internal/keyed-aggregate';
import { sessionAggregate } from './internal/session-aggregate';
import { windowedAggregate } from './internal/windowed-aggregate';

export function reduce<K, V>(
  reducer: (aggregate: V, value: V) => V,
  options: WindowedOptions<K, V, SessionWindows>,
): OperatorFunction<KRecord<K, V>, KRecord<Windowed<K>, V | null>>;
export function reduce<K, V>(
  reducer: (aggregate: V, value: V) => V,
  options: WindowedOptions<K, V, TumblingWindows | HoppingWindows | SlidingWindows>,
): OperatorFunction<KRecord<K, V>, KRecord<Windowed<K>, V>>;
export function reduce<K, V>(reducer: (aggregate: V, value: V) => V, options?: AggregateOptions<K, V>): OperatorFunction<KRecord<K, V>, KRecord<K, V>>;
export function reduce<K, V>(
  reducer: (aggregate: V, value: V) => V,
  options: AggregateOptions<K, V> | WindowedOptions<K, V> = {},
): OperatorFunction<KRecord<K, V>, KRecord<unknown, unknown>> {
  const aggregation: Aggregation<K, V, V> = {
    kind: 'reduce',
    init: undefined,
    add: (_k, v, agg) => (agg === undefined ? v : reducer(agg, v)),
    merge: (_k, a, b) => reducer(a, b),
  };
  if (!('window' in options)) return keyedAggregate(aggregation, options, options.valueSerde === undefined);
  if (options.window.type === 'session') return sessionAggregate(aggregation, options as WindowedOptions<K, V, SessionWindows>);
  return windowedAggregate(aggregation, options as WindowedOptions<K, V, TumblingWindows>, options.valueSerde);
}
