// flatMapValues(fn): zero or more values per record, each with the record's key and timestamp.
import type { OperatorFunction } from 'rxjs';
import { perRecord, rillOperator } from '../operator';
import type { KRecord } from '../record';

export function flatMapValues<K, V, R>(project: (value: V, key: K) => Iterable<R>): OperatorFunction<KRecord<K, V>, KRecord<K, R>> {
  return rillOperator({ kind: 'flatMapValues', keepsKeySerde: true }, (source, task) =>
    perRecord<KRecord<K, V>, KRecord<K, R>>(
      source,
      (emit) => ({
        next(r) {
          let values: Iterable<R>;
          try {
            values = project(r.value, r.key);
          } catch (e) {
            return task.userError(e, 'flatMapValues', r);
          }
          // An array (split, map) by index: no iterator object per record.
          if (Array.isArray(values)) {
            for (let i = 0; i < values.length; i++) emit({ key: r.key, value: values[i] as R, timestamp: r.timestamp, headers: r.headers });
          } else for (const value of values) emit({ key: r.key, value, timestamp: r.timestamp, headers: r.headers });
        },
      }),
      // Each output record is new and kept nowhere: the step after it may reuse it.
      true,
    ),
  );
}
