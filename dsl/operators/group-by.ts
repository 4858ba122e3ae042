// groupBy(fn): a new key, then grouped by it: selectKey followed by groupByKey,
// in one step (the repartition topic goes before the next keyed step).
import type { OperatorFunction } from 'rxjs';
import type { Serde } from '../../core/schema';
import type { KRecord } from '../record';
import { keyChange } from './select-key';

export function groupBy<K, V, K2>(
  selector: (record: KRecord<K, V>) => K2,
  options: { keySerde?: Serde<K2> } = {},
): OperatorFunction<KRecord<K, V>, KRecord<K2, V>> {
  return keyChange('groupBy', selector, options);
}
