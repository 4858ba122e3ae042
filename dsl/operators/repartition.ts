// The write half of a repartition: records go to `<app>-<step>-repartition`,
// partitioned by their new key, and are read back by the task owning that key.
// Inserted by the builder, never by users.
import { Observable } from 'rxjs';
import type { Serde } from '../../core/schema';
import { rillOperator, type RillOperator } from '../operator';
import type { KRecord } from '../record';
import { sendRecord } from './internal/serialize';

export function repartitionSink<K, V>(topic: string, keySerde: Serde<K>, valueSerde: Serde<V>): RillOperator<KRecord<K, V>, never> {
  return rillOperator<KRecord<K, V>, never>(
    { kind: 'repartition', sinks: [{ topic, role: 'repartition' }] },
    (source, task) =>
      new Observable<never>((subscriber) =>
        source.subscribe({
          next: (r) => (task.repartitionLocally ? task.forward(topic, r) : sendRecord(task, topic, r, keySerde, valueSerde, `repartition(${topic})`)),
          error: (e) => subscriber.error(e),
          complete: () => subscriber.complete(),
        }),
      ),
  );
}
