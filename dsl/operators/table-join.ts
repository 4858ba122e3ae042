// Table-table join on the key, materialized: a change on either side looks up
// the other side's current value and updates the result table. Inner: a result
// while both sides have a value, a deletion when one goes away. Left: a result
// while the left side has a value.
import { map, merge, type OperatorFunction } from 'rxjs';
import type { Serde } from '../../core/schema';
import type { DeclaredTable } from '../declared';
import { perRecord, rillOperator, type StoreSpec } from '../operator';
import type { KRecord } from '../record';

export function tableJoin<K, V, V2, R>(
  left: DeclaredTable<K, V>,
  right: DeclaredTable<K, V2>,
  joiner: (left: V, right: V2) => R,
  type: 'inner' | 'left',
  options: { store?: string; valueSerde?: Serde<R> },
): OperatorFunction<KRecord<K, V | null>, KRecord<K, R | null>> {
  const store: StoreSpec = { name: options.store, kind: 'key-value', valueSerde: options.valueSerde, changelog: 'own' };
  const kind = type === 'inner' ? 'tableJoin' : 'tableLeftJoin';
  return rillOperator(
    { kind, keyed: true, table: true, inputs: [right], stores: [store], keepsKeySerde: true, detail: `${left.storeName} with ${right.storeName}` },
    (source, task) => {
      const changes = merge(
        source.pipe(map((r) => ({ side: 'left' as const, r }))),
        task.observe<KRecord<K, V2 | null>>(right).pipe(map((r) => ({ side: 'right' as const, r }))),
      );
      return perRecord<{ side: 'left' | 'right'; r: KRecord<K, unknown> }, KRecord<K, R | null>>(changes, (emit) => {
        const leftStore = task.keyValueStore<K, V>(left.storeName);
        const rightStore = task.keyValueStore<K, V2>(right.storeName);
        const result = task.keyValueStore<K, R>(store.name!);
        return {
          next({ r }) {
            if (r.key === null || r.key === undefined) return;
            const l = leftStore.get(r.key);
            const rv = rightStore.get(r.key);
            let value: R | undefined;
            if (l !== undefined && (rv !== undefined || type === 'left')) {
              try {
                value = joiner(l, (rv ?? null) as V2);
              } catch (e) {
                return task.userError(e, kind, r);
              }
            }
            if (value === undefined) {
              if (result.get(r.key) === undefined) return;
              result.delete(r.key);
              emit({ key: r.key, value: null, timestamp: r.timestamp });
            } else {
              result.put(r.key, value);
              emit({ key: r.key, value, timestamp: r.timestamp });
            }
          },
        };
      });
    },
  );
}
