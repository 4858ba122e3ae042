// Serializing a record for a topic write. A value that its serde refuses is a
// bad record, handled by the task's policy like any other.
import type { RecordLocation, Serde } from '../../../core/schema';
import type { TaskContext } from '../../operator';
import type { KRecord } from '../../record';

/**
 * Where sendRecord writes, named once per operator: the step's name and the
 * serdes' locations are only read when a record fails, and building them per
 * record was three allocations per write on the repartition path.
 */
export interface WriteTarget {
  readonly topic: string;
  /** Names the step in errors: "to(out)", "repartition(app-x-repartition)". */
  readonly step: string;
  readonly keyLocation: RecordLocation;
  readonly valueLocation: RecordLocation;
}

export function writeTarget(topic: string, step: string): WriteTarget {
  return { topic, step, keyLocation: Object.freeze({ topic, isKey: true }), valueLocation: Object.freeze({ topic }) };
}

export function sendRecord<K, V>(task: TaskContext, target: WriteTarget, r: KRecord<K, V>, keySerde: Serde<K>, valueSerde: Serde<V>): void {
  const step = target.step;
  let key: Buffer | null = null;
  let value: Buffer | null = null;
  try {
    if (r.key !== null && r.key !== undefined) {
      const k = keySerde.serialize(r.key, target.keyLocation);
      if (k._tag === 'Left') return task.userError(new Error(k.left.message), step, r);
      key = k.right;
    }
    if (r.value !== null && r.value !== undefined) {
      const v = valueSerde.serialize(r.value, target.valueLocation);
      if (v._tag === 'Left') return task.userError(new Error(v.left.message), step, r);
      value = v.right;
    }
  } catch (e) {
    // A serde given a value of the wrong type may throw instead of returning a Left.
    return task.userError(new Error(`the ${keySerde.format}/${valueSerde.format} serde threw: ${(e as Error).message}`), step, r);
  }
  task.send(target.topic, key, value, r.timestamp);
}
