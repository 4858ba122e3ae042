// The write half of a repartition: records go to `<app>-<step>-repartition`,
// partitioned by their new key, and are read back by the task owning that key.
// Inserted by the builder, never by users.
import type { Serde } from '../../core/schema';
import { perRecord, rillOperator, type RillOperator } from '../operator';
import type { KRecord } from '../record';
import { sendRecord, writeTarget } from './internal/serialize';

export function repartitionSink<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): RillOperator<KRecord<K, V>, never> {
  const target = writeTarget(topic, `repartition(${topic})`, keySerde, valueSerde);
  return rillOperator<KRecord<K, V>, never>({ kind: 'repartition', sinks: [{ topic, role: 'repartition' }] }, (source, task) =>
    // A chained Subscriber (perRecord), not a plain observer: no SafeSubscriber layers per record.
    perRecord<KRecord<K, V>, never>(source, () => ({
      next: task.repartitionLocally ? (r) => task.forward(topic, r) : (r) => sendRecord(task, target, r, keySerde, valueSerde),
    })),
  );
}
