// groupByKey(): marks the point where records must be grouped by their key. It
// changes nothing itself; when the key changed upstream, the builder puts a
// repartition topic here (Kafka Streams' groupByKey()).
import type { OperatorFunction } from 'rxjs';
import { rillOperator } from '../operator';
import type { KRecord } from '../record';

export function groupByKey<K, V>(): OperatorFunction<KRecord<K, V>, KRecord<K, V>> {
  return rillOperator<KRecord<K, V>, KRecord<K, V>>({ kind: 'groupByKey', keyed: true, keepsKeySerde: true, keepsValueSerde: true }, (source) => source);
}
