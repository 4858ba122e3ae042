// mapValues(fn): a new value, same key (so no repartition is ever needed after it).
import type { OperatorFunction } from 'rxjs';
import { perRecord, rillOperator } from '../operator';
import type { KRecord, OwnedRecord } from '../record';

export function mapValues<K, V, R>(project: (value: V, key: K, record: KRecord<K, V>) => R): OperatorFunction<KRecord<K, V>, KRecord<K, R>> {
  // A function that declares the record parameter may keep the record or build its value
  // from it (an envelope), so its records are never changed in place: it gets a copy.
  const mayHoldRecord = project.length >= 3;
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
          if (inputOwned && !mayHoldRecord) {
            // The record is this step's alone and the function never saw it: its value
            // replaced in place, no second record.
            (r as OwnedRecord).value = value;
            emit(r as unknown as KRecord<K, R>);
          } else emit({ key: r.key, value, timestamp: r.timestamp, headers: r.headers });
        },
      }),
      true,
    ),
  );
}
