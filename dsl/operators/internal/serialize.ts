// Serializing a record for a topic write. A value that its serde refuses is a
// bad record, handled by the task's policy like any other.
import type { Serde } from '../../../core/schema';
import type { TaskContext } from '../../operator';
import type { KRecord } from '../../record';

export function sendRecord<K, V>(task: TaskContext, topic: string, r: KRecord<K, V>, keySerde: Serde<K>, valueSerde: Serde<V>, step: string): void {
  let key: Buffer | null = null;
  let value: Buffer | null = null;
  try {
    if (r.key !== null && r.key !== undefined) {
      const k = keySerde.serialize(r.key, { topic, isKey: true });
      if (k._tag === 'Left') return task.userError(new Error(k.left.message), step, r);
      key = k.right;
    }
    if (r.value !== null && r.value !== undefined) {
      const v = valueSerde.serialize(r.value, { topic });
      if (v._tag === 'Left') return task.userError(new Error(v.left.message), step, r);
      value = v.right;
    }
  } catch (e) {
    // A serde given a value of the wrong type may throw instead of returning a Left.
    return task.userError(new Error(`the ${keySerde.format}/${valueSerde.format} serde threw: ${(e as Error).message}`), step, r);
  }
  task.send(topic, key, value, r.timestamp);
}
