// Stream-table join (enrichment): each stream record looks up the table's
// current value for its key. Inner: no table value, no output. Left: the
// joiner gets null.
import type { OperatorFunction } from 'rxjs';
import type { DeclaredTable } from '../../declared';
import { perRecord, rillOperator } from '../../operator';
import type { KRecord } from '../../record';

export function streamTableJoin<K, V, T, R>(
  table: DeclaredTable<K, T>,
  joiner: (value: V, tableValue: T | null, key: K) => R,
  type: 'inner' | 'left',
): OperatorFunction<KRecord<K, V>, KRecord<K, R>> {
  const kind = type === 'inner' ? 'join' : 'leftJoin';
  return rillOperator({ kind, keyed: true, inputs: [table], keepsKeySerde: true, detail: `stream-table with ${table.storeName}` }, (source, task) =>
    perRecord<KRecord<K, V>, KRecord<K, R>>(source, (emit) => {
      const store = task.keyValueStore<K, T>(table.storeName);
      return {
        next(r) {
          if (r.key === null || r.key === undefined) return;
          const found = store.get(r.key);
          if (found === undefined && type === 'inner') return;
          let value: R;
          try {
            value = joiner(r.value, found ?? null, r.key);
          } catch (e) {
            return task.userError(e, kind, r);
          }
          emit({ key: r.key, value, timestamp: r.timestamp, headers: r.headers });
        },
      };
    }),
  );
}
