// count(): records per key, as a table (or per key and window).
import { jsonSerde } from '../../core/schema';
import type { OperatorFunction } from 'rxjs';
import type { KRecord, Windowed } from '../record';
import type { HoppingWindows, SessionWindows, SlidingWindows, TumblingWindows } from '../windows/windows';
import type { AggregateOptions, Aggregation, WindowedOptions } from './internal/aggregation';
import { keyedAggregate } from './internal/keyed-aggregate';
import { sessionAggregate } from './internal/session-aggregate';
import { windowedAggregate } from './internal/windowed-aggregate';

export function count<K, V>(options: WindowedOptions<K, number, SessionWindows>): OperatorFunction<KRecord<K, V>, KRecord<Windowed<K>, number | null>>;
export function count<K, V>(
  options: WindowedOptions<K, number, TumblingWindows | HoppingWindows | SlidingWindows>,
): OperatorFunction<KRecord<K, V>, KRecord<Windowed<K>, number>>;
export function count<K, V>(options?: AggregateOptions<K, number>): OperatorFunction<KRecord<K, V>, KRecord<K, number>>;
export function count<K, V>(
  options: AggregateOptions<K, number> | WindowedOptions<K, number> = {},
): OperatorFunction<KRecord<K, V>, KRecord<unknown, unknown>> {
  const aggregation: Aggregation<K, V, number> = { kind: 'count', init: () => 0, add: (_k, _v, n) => (n ?? 0) + 1, merge: (_k, a, b) => a + b };
  const opts = { ...options, valueSerde: options.valueSerde ?? jsonSerde<number>() };
  if (!('window' in opts)) return keyedAggregate(aggregation, opts);
  if (opts.window.type === 'session') return sessionAggregate(aggregation, opts as WindowedOptions<K, number, SessionWindows>);
  return windowedAggregate(aggregation, opts as WindowedOptions<K, number, TumblingWindows>);
}
