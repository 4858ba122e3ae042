// merge(other): this stream's records and another's, as they arrive.
import { merge as rxMerge, type Observable, type OperatorFunction } from 'rxjs';
import type { DeclaredStream } from '../declared';
import { rillOperator } from '../operator';
import type { KRecord } from '../record';

export function merge<K, V>(...others: DeclaredStream<K, V>[]): OperatorFunction<KRecord<K, V>, KRecord<K, V>> {
  return rillOperator<KRecord<K, V>, KRecord<K, V>>({ kind: 'merge', inputs: others }, (source, task) =>
    rxMerge(source, ...others.map((o) => task.observe<KRecord<K, V>>(o) as Observable<KRecord<K, V>>)),
  );
}
