// count/reduce/aggregate without windows: the latest aggregate per key in a
// key-value store; every update is emitted downstream (a table's changes).
import { rillOperator, perRecord, type RillOperator, type StoreSpec } from '../../operator';
import type { KRecord } from '../../record';
import type { Aggregation, AggregateOptions } from './aggregation';

export function keyedAggregate<K, V, A>(
  aggregation: Aggregation<K, V, A>,
  options: AggregateOptions<K, A>,
  keepsValueSerde = false,
): RillOperator<KRecord<K, V>, KRecord<K, A>> {
  const store: StoreSpec = {
    name: options.store,
    kind: 'key-value',
    keySerde: options.keySerde,
    valueSerde: options.valueSerde,
    changelog: options.changelog === false ? 'none' : 'own',
  };
  return rillOperator(
    { kind: aggregation.kind, keyed: true, table: true, stores: [store], keepsKeySerde: true, valueSerde: options.valueSerde, keepsValueSerde },
    (source, task) => {
      // At the end of a pipeline (the store is what is wanted): no output record per update.
      const emitted = task.outputRead;
      return perRecord<KRecord<K, V>, KRecord<K, A>>(
        source,
        (emit) => {
          const kv = task.keyValueStore<K, A>(store.name!);
          // Made once, not per record: the record goes to it through update()'s input.
          const add = (current: A | undefined, r: KRecord<K, V>) => aggregation.add(r.key, r.value, current ?? aggregation.init?.());
          return {
            next(r) {
              // As in Kafka Streams: aggregations skip records without a key or value.
              if (r.key === null || r.key === undefined || r.value === null || r.value === undefined) return;
              let aggregate: A;
              try {
                // One store lookup for the read and the write; an adder that throws writes nothing.
                aggregate = kv.update(r.key, add, r);
              } catch (e) {
                task.userError(e, aggregation.kind, r);
                return;
              }
              if (emitted) emit({ key: r.key, value: aggregate, timestamp: r.timestamp, headers: r.headers });
            },
          };
          // Each update is a new record kept nowhere: the step after it may reuse it.
        },
        true,
      );
    },
  );
}
