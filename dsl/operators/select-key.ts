// selectKey(fn) (alias rekey): a new key for each record. A keyed step after it
// (count, join, ...) gets a repartition topic in front, so every record of a
// key reaches the same task.
import type { OperatorFunction } from 'rxjs';
import type { Serde } from '../../core/schema';
import { perRecord, rillOperator } from '../operator';
import type { KRecord, OwnedRecord } from '../record';

export function selectKey<K, V, K2>(
  selector: (record: KRecord<K, V>) => K2,
  options: { keySerde?: Serde<K2> } = {},
): OperatorFunction<KRecord<K, V>, KRecord<K2, V>> {
  return keyChange('selectKey', selector, options);
}

export const rekey = selectKey;

/** A step that gives each record a new key (selectKey, groupBy): the topology adds the repartition topic. */
export function keyChange<K, V, K2>(
  kind: 'selectKey' | 'groupBy',
  selector: (record: KRecord<K, V>) => K2,
  options: { keySerde?: Serde<K2> },
): OperatorFunction<KRecord<K, V>, KRecord<K2, V>> {
  return rillOperator({ kind, changesKey: true, keySerde: options.keySerde, keepsValueSerde: true }, (source, task) =>
    perRecord<KRecord<K, V>, KRecord<K2, V>>(
      source,
      (emit, inputOwned) => ({
        next(r) {
          let key: K2;
          try {
            key = selector(r);
          } catch (e) {
            return task.userError(e, kind, r);
          }
          if (inputOwned && !isObjectLike(key)) {
            // The record is this step's alone (flatMapValues made it for it): re-keyed in place, no
            // second record. Only for a primitive key: an object key may hold the record (or be it),
            // which would then refer to itself, so it gets a copy.
            (r as OwnedRecord).key = key;
            emit(r as unknown as KRecord<K2, V>);
          } else emit({ key, value: r.value, timestamp: r.timestamp, headers: r.headers });
        },
      }),
      true,
    ),
  );
}

function isObjectLike(key: unknown): boolean {
  return (typeof key === 'object' && key !== null) || typeof key === 'function';
}
