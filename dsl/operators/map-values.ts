// mapValues(fn): a new value, same key (so no repartition is ever needed after it).
import type { OperatorFunction } from 'rxjs';
import { perRecord, rillOperator } from '../operator';
import type { KRecord, OwnedRecord } from '../record';

export function mapValues<K, V, R>(project: (value: V, key: K, record: KRecord<K, V>) => R): OperatorFunction<KRecord<K, V>, KRecord<K, R>> {
  return rillOperator({ kind: 'mapValues', keepsKeySerde: true }, (source, task) =>
    perRecord<KRecord<K, V>, KRecord<K, R>>(
      source,
      (emit, inputOwned) => ({
        next(r) {
          let value: R;
          try {
            value = project(r.value, r.key, r);
          } catch (e) {
            return task.userError(e, 'mapValues', r);
          }
          if (inputOwned && (value as unknown) !== r) {
            // The record is this step's alone: its value replaced in place, no second record.
            // (A function that returns its record as the value gets a copy: in place, the
            // record would become its own value.)
            (r as OwnedRecord).value = value;
            emit(r as unknown as KRecord<K, R>);
          } else emit({ key: r.key, value, timestamp: r.timestamp, headers: r.headers });
        },
      }),
      true,
    ),
  );
}
