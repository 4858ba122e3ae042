// aggregate(): folds the values of a key (or of a key and window) into an
// aggregate of another type, from an initializer. Session windows also need a
// merger, for sessions that grow into each other.
import type { OperatorFunction } from 'rxjs';
import type { KRecord, Windowed } from '../record';
import type { HoppingWindows, SessionWindows, SlidingWindows, TumblingWindows } from '../windows/windows';
import type { AggregateOptions, Aggregation, WindowedOptions } from './internal/aggregation';
import { keyedAggregate } from './internal/keyed-aggregate';
import { sessionAggregate } from './internal/session-aggregate';
import { windowedAggregate } from './internal/windowed-aggregate';

export type Adder<K, V, A> = (key: K, value: V, aggregate: A) => A;

export function aggregate<K, V, A>(
  initializer: () => A,
  adder: Adder<K, V, A>,
  options: WindowedOptions<K, A, SessionWindows> & { merger: (key: K, a: A, b: A) => A },
): OperatorFunction<KRecord<K, V>, KRecord<Windowed<K>, A | null>>;
export function aggregate<K, V, A>(
  initializer: () => A,
  adder: Adder<K, V, A>,
  options: WindowedOptions<K, A, TumblingWindows | HoppingWindows | SlidingWindows>,
): OperatorFunction<KRecord<K, V>, KRecord<Windowed<K>, A>>;
export function aggregate<K, V, A>(
  initializer: () => A,
  adder: Adder<K, V, A>,
  options?: AggregateOptions<K, A>,
): OperatorFunction<KRecord<K, V>, KRecord<K, A>>;
export function aggregate<K, V, A>(
  initializer: () => A,
  adder: Adder<K, V, A>,
  options: (AggregateOptions<K, A> | WindowedOptions<K, A>) & { merger?: (key: K, a: A, b: A) => A } = {},
): OperatorFunction<KRecord<K, V>, KRecord<unknown, unknown>> {
  const aggregation: Aggregation<K, V, A> = {
    kind: 'aggregate',
    init: initializer,
    add: (k, v, agg) => adder(k, v, agg === undefined ? initializer() : agg),
    merge: options.merger,
  };
  if (!('window' in options)) return keyedAggregate(aggregation, options);
  if (options.window.type === 'session') return sessionAggregate(aggregation, options as WindowedOptions<K, A, SessionWindows>);
  return windowedAggregate(aggregation, options as WindowedOptions<K, A, TumblingWindows>);
}
