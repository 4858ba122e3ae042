// Serializing a record for a topic write. A value that its serde refuses is a
// bad record, handled by the task's policy like any other.
import { fastSerializeInto, type RecordLocation, type Serde } from '../../../core/schema';
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
  /** The key and value serdes' write fast paths, when they write what serialize() would (fastSerializeInto), looked up once. */
  readonly keyInto: Serde<unknown>['serializeInto'];
  readonly valueInto: Serde<unknown>['serializeInto'];
}

export function writeTarget<K, V>(topic: string, step: string, keySerde: Serde<K>, valueSerde: Serde<V>): WriteTarget {
  return {
    topic,
    step,
    keyLocation: Object.freeze({ topic, isKey: true }),
    valueLocation: Object.freeze({ topic }),
    keyInto: fastSerializeInto(keySerde) as Serde<unknown>['serializeInto'],
    valueInto: fastSerializeInto(valueSerde) as Serde<unknown>['serializeInto'],
  };
}

/**
 * Where serdes with serializeInto write a record's key and value: the write
 * copies them out (into the producer's batch) before it returns, so one space
 * serves every write, and no Buffer or Either is made per field.
 */
const scratch = Buffer.allocUnsafe(64 * 1024);

export function sendRecord<K, V>(task: TaskContext, target: WriteTarget, r: KRecord<K, V>, keySerde: Serde<K>, valueSerde: Serde<V>): void {
  const step = target.step;
  let key: Buffer | null = null;
  let value: Buffer | null = null;
  try {
    if (task.sendRange !== undefined && sentInto(task, target, r, keySerde, valueSerde)) return;
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

/**
 * Sends the record serialized into the scratch space when both serdes write
 * theirs there (a null key or value needs none); false when one does not
 * (no serializeInto, or -1: a value outside its fast path, or one it refuses),
 * and nothing was sent: serialize() then gives the bytes or the error.
 */
function sentInto<K, V>(task: TaskContext, target: WriteTarget, r: KRecord<K, V>, keySerde: Serde<K>, valueSerde: Serde<V>): boolean {
  let keyStart = -1;
  let keyEnd = -1;
  if (r.key !== null && r.key !== undefined) {
    const keyInto = target.keyInto;
    if (keyInto === undefined) return false;
    keyEnd = keyInto.call(keySerde, r.key, scratch, 0);
    if (keyEnd < 0) return false;
    keyStart = 0;
  }
  let valueStart = -1;
  let valueEnd = -1;
  if (r.value !== null && r.value !== undefined) {
    const valueInto = target.valueInto;
    if (valueInto === undefined) return false;
    valueStart = keyStart < 0 ? 0 : keyEnd;
    valueEnd = valueInto.call(valueSerde, r.value, scratch, valueStart);
    if (valueEnd < 0) return false;
  }
  task.sendRange!(target.topic, scratch, keyStart, keyEnd, valueStart, valueEnd, r.timestamp);
  return true;
}
