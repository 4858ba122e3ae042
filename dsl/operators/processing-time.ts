// processingTime(): stamps each record with the wall clock of the task that
// processes it (Flink's PROCTIME()), so the windows downstream are
// processing-time windows. Key and value are kept. The wall clock is the
// runtime's (Date.now) or, in the TopologyTestDriver, the driver's, which
// moves only with advanceWallClockTime: processing-time results are then
// deterministic in tests.
import type { OperatorFunction } from 'rxjs';
import { perRecord, rillOperator } from '../operator';
import type { KRecord, OwnedRecord } from '../record';

export function processingTime<K, V>(): OperatorFunction<KRecord<K, V>, KRecord<K, V>> {
  return rillOperator({ kind: 'processingTime', keepsKeySerde: true, keepsValueSerde: true }, (source, task) =>
    perRecord<KRecord<K, V>, KRecord<K, V>>(
      source,
      (emit, inputOwned) => ({
        next(r) {
          if (inputOwned) {
            // The record is this step's alone: stamped in place, no second record.
            (r as OwnedRecord).timestamp = task.now();
            emit(r);
          } else emit({ key: r.key, value: r.value, timestamp: task.now(), headers: r.headers });
        },
      }),
      true,
    ),
  );
}
