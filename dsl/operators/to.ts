// to(topic): writes each record to a topic and passes it on unchanged, so a
// pipeline can keep going after a sink. Offsets are committed only once these
// writes are acknowledged.
import { map, type OperatorFunction } from 'rxjs';
import type { Serde } from '../../core/schema';
import { rillOperator } from '../operator';
import type { KRecord } from '../record';
import { defaultSerde } from '../serdes';
import { sendRecord, writeTarget } from './internal/serialize';

export function to<K, V>(topic: string, serdes: { key?: Serde<K>; value?: Serde<V> } = {}): OperatorFunction<KRecord<K, V>, KRecord<K, V>> {
  const keySerde = serdes.key ?? defaultSerde<K>();
  const valueSerde = serdes.value ?? defaultSerde<V>();
  const target = writeTarget(topic, `to(${topic})`, keySerde, valueSerde);
  return rillOperator<KRecord<K, V>, KRecord<K, V>>(
    { kind: 'to', sinks: [{ topic, role: 'sink' }], keepsKeySerde: true, keepsValueSerde: true, detail: `key ${keySerde.format}, value ${valueSerde.format}` },
    (source, task) =>
      source.pipe(
        map((r) => {
          sendRecord(task, target, r, keySerde, valueSerde);
          return r;
        }),
      ),
  );
}
