// mapValues(fn): a new value, same key (so no repartition is ever needed after it).
import type { OperatorFunction } from 'rxjs';
import { perRecord, rillOperator } from '../operator';
import type { KRecord } from '../record';

export function mapValues<K, V, R>(project: (value: V, key: K, record: KRecord<K, V>) => R): OperatorFunction<KRecord<K, V>, KRecord<K, R>> {
  return rillOperator({ kind: 'mapValues', keepsKeySerde: true }, (source, task) =>
    perRecord<KRecord<K, V>, KRecord<K, R>>(source, (emit) => ({
      next(r) {
        let value: R;
        try {
          value = project(r.value, r.key, r);
        } catch (e) {
          return task.userError(e, 'mapValues', r);
        }
        emit({ key: r.key, value, timestamp: r.timestamp, headers: r.headers });
      },
    })),
  );
}
