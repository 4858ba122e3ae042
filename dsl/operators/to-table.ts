// materialize(): a stream of upserts into a key-value store (null value:
// delete), emitted on as the table's changes. Behind KStream.toTable() and
// StreamsBuilder.table().
import { rillOperator, perRecord, type RillOperator, type StoreSpec } from '../operator';
import type { KRecord } from '../record';

export function materialize<K, V>(store: StoreSpec): RillOperator<KRecord<K, V | null>, KRecord<K, V | null>> {
  return rillOperator({ kind: 'toTable', keyed: true, table: true, stores: [store], keepsKeySerde: true, keepsValueSerde: true }, (source, task) =>
    perRecord<KRecord<K, V | null>, KRecord<K, V | null>>(source, (emit) => {
      const kv = task.keyValueStore<K, V>(store.name!);
      return {
        next(r) {
          if (r.key === null || r.key === undefined) return;
          if (r.value === null || r.value === undefined) {
            if (kv.get(r.key) === undefined) return;
            kv.delete(r.key);
            emit({ key: r.key, value: null, timestamp: r.timestamp, headers: r.headers });
          } else {
            kv.put(r.key, r.value);
            emit(r);
          }
        },
      };
    }),
  );
}
