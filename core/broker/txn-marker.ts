// The COMMIT/ABORT control batch that ends a producer's transaction on one
// partition (Kafka's EndTransactionMarker): one control record whose key is
// version int16 0 | type int16 (0 abort, 1 commit) and whose value is version
// int16 0 | coordinatorEpoch int32, in a batch with the transactional and
// control attributes and the producer's id and epoch (no sequence).
//
// appendTxnMarker is the smallest correct append of it until the log has its
// own control-batch path (#14's data plane): the batch is encoded with the log's
// end offset as its base and appended as a stored batch, since the log refuses
// control batches from clients.
import type { PartitionLog } from '../log';
import { encodeRecordBatch } from '../log';
import type { TxnMarkerSpec } from './transaction-coordinator';

const CONTROL_VERSION = 0;
const ABORT = 0;
const COMMIT = 1;

/** The control batch of a marker, with its base offset. */
export function encodeTxnMarkerBatch(marker: TxnMarkerSpec, baseOffset: number, timestamp: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(CONTROL_VERSION, 0);
  key.writeInt16BE(marker.commit ? COMMIT : ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(CONTROL_VERSION, 0);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  return encodeRecordBatch({
    records: [{ key, value, timestamp }],
    baseOffset,
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
    transactional: true,
    isControl: true,
  });
}

/** Appends the marker at the log's end; its offset. */
export function appendTxnMarker(log: PartitionLog, marker: TxnMarkerSpec, now: number, leaderEpoch?: number): number {
  const batch = encodeTxnMarkerBatch(marker, log.logEndOffset, now);
  return log.append(batch, { assignOffsets: false, leaderEpoch }).lastOffset;
}
