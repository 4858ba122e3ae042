// The write half of a repartition: records go to `<app>-<step>-repartition`,
// partitioned by their new key, and are read back by the task owning that key.
// Inserted by the builder, never by users.
import { Observable } from 'rxjs';
import type { Serde } from '../../core/schema';
import { rillOperator, type RillOperator } from '../operator';
import type { KRecord } from '../record';
import { sendRecord, writeTarget } from './internal/serialize';

export function repartitionSink<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): RillOperator<KRecord<K, V>, never> {
  const target = writeTarget(topic, `repartition(${topic})`);
  return rillOperator<KRecord<K, V>, never>(
    { kind: 'repartition', sinks: [{ topic, role: 'repartition' }] },
    (source, task) =>
      new Observable<never>((subscriber) =>
        source.subscribe({
          next: (r) => (task.repartitionLocally ? task.forward(topic, r) : sendRecord(task, target, r, keySerde, valueSerde)),
          error: (e) => subscriber.error(e),
          complete: () => subscriber.complete(),
        }),
      ),
  );
}
