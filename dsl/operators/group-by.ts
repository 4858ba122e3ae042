// groupBy(fn): a new key, then grouped by it: selectKey followed by groupByKey,
// in one step (the repartition topic goes before the next keyed step).
import type { OperatorFunction } from 'rxjs';
import type { Serde } from '../../core/schema';
import { perRecord, rillOperator } from '../operator';
import type { KRecord } from '../record';

export function groupBy<K, V, K2>(selector: (record: KRecord<K, V>) => K2, options: { keySerde?: Serde<K2> } = {}): OperatorFunction<KRecord<K, V>, KRecord<K2, V>> {
  return rillOperator({ kind: 'groupBy', changesKey: true, keySerde: options.keySerde, keepsValueSerde: true }, (source, task) =>
    perRecord<KRecord<K, V>, KRecord<K2, V>>(source, (emit) => ({
      next(r) {
        let key: K2;
        try {
          key = selector(r);
        } catch (e) {
          return task.userError(e, 'groupBy', r);
        }
        emit({ key, value: r.value, timestamp: r.timestamp, headers: r.headers });
      },
    })),
  );
}
