// Transactions as the log sees them (KIP-98): transactional data batches
// (attribute bit 4) open a producer's transaction at their base offset, and a
// control batch (bit 5) holding one EndTransactionMarker closes it, COMMIT or
// ABORT. The log keeps the open transactions of its partition, from which the
// last stable offset follows, and indexes the aborted ones (txn-index.ts).
//
// EndTransactionMarker, Kafka's layout of the control record:
//   key   = version int16 (0) | type int16 (0 ABORT, 1 COMMIT)
//   value = version int16 (0) | coordinatorEpoch int32
import { ATTRIBUTES, CONTROL_BIT, PRODUCER_ID, TRANSACTIONAL_BIT, readInt64 } from './batch-header';
import { decodeRecordBatch, encodeRecordBatch } from './record-batch';

/** Either bit set: the batch matters to the transaction state (the only per-batch test on the append path). */
export const TXN_ATTRIBUTE_BITS = TRANSACTIONAL_BIT | CONTROL_BIT;

export const CONTROL_TYPE_ABORT = 0;
export const CONTROL_TYPE_COMMIT = 1;
const MARKER_VERSION = 0;

export interface TxnMarkerFields {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
}

/** The control batch ending a transaction, as the coordinator's WriteTxnMarkers appends it. */
export function encodeTxnMarker(marker: TxnMarkerFields, timestamp: number): Buffer {
  const key = Buffer.allocUnsafe(4);
  key.writeInt16BE(MARKER_VERSION, 0);
  key.writeInt16BE(marker.commit ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT, 2);
  const value = Buffer.allocUnsafe(6);
  value.writeInt16BE(MARKER_VERSION, 0);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  return encodeRecordBatch({
    records: [{ key, value, timestamp }],
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
    baseSequence: -1,
    transactional: true,
    isControl: true,
  });
}

/** The control type in a control record's key (ABORT 0, COMMIT 1), or undefined when the key is not a marker's. */
export function controlType(key: Buffer | null): number | undefined {
  if (key === null || key.length < 4) return undefined;
  return key.readInt16BE(2);
}

/** The marker type of the control batch at buf[pos] (a whole, validated batch), or undefined for another control record. */
export function markerTypeAt(buf: Buffer, pos: number): number | undefined {
  const decoded = decodeRecordBatch(buf, pos);
  if (decoded._tag === 'Left' || decoded.right.records.length === 0) return undefined;
  const type = controlType(decoded.right.records[0].key);
  return type === CONTROL_TYPE_ABORT || type === CONTROL_TYPE_COMMIT ? type : undefined;
}

/** What one transactional or control batch did to the transaction state. */
export type TxnEvent =
  | { kind: 'none' }
  | { kind: 'ended'; producerId: number; firstOffset: number; markerOffset: number; aborted: boolean; lastStableOffset: number };

/** The open transactions of a partition: producer id -> first offset of its transaction. */
export class OpenTransactions {
  private readonly open = new Map<number, number>();
  private first: number | undefined;

  constructor(entries: Iterable<readonly [number, number]> = []) {
    for (const [producerId, firstOffset] of entries) this.open.set(producerId, firstOffset);
    this.first = this.lowest();
  }

  /** First offset of the oldest open transaction (undefined: none), what the last stable offset stops at. */
  get firstUnstableOffset(): number | undefined {
    return this.first;
  }

  get size(): number {
    return this.open.size;
  }

  entries(): [number, number][] {
    return [...this.open];
  }

  /**
   * Applies the batch at buf[pos] stored at `baseOffset` whose attributes have
   * a transaction bit: a data batch opens its producer's transaction (if not yet
   * open), a marker closes it.
   */
  apply(buf: Buffer, pos: number, baseOffset: number): TxnEvent {
    const attributes = buf.readInt16BE(pos + ATTRIBUTES);
    const producerId = readInt64(buf, pos + PRODUCER_ID);
    if ((attributes & CONTROL_BIT) === 0) {
      if ((attributes & TRANSACTIONAL_BIT) !== 0 && !this.open.has(producerId)) {
        this.open.set(producerId, baseOffset);
        if (this.first === undefined || baseOffset < this.first) this.first = baseOffset;
      }
      return { kind: 'none' };
    }
    const type = markerTypeAt(buf, pos);
    if (type === undefined) return { kind: 'none' };
    // A marker for a producer with no data here (Kafka writes it to every partition
    // the transaction added) ends an empty transaction at the marker itself.
    const firstOffset = this.open.get(producerId) ?? baseOffset;
    if (this.open.delete(producerId) && firstOffset === this.first) this.first = this.lowest();
    return {
      kind: 'ended',
      producerId,
      firstOffset,
      markerOffset: baseOffset,
      aborted: type === CONTROL_TYPE_ABORT,
      lastStableOffset: this.first ?? baseOffset + 1,
    };
  }

  private lowest(): number | undefined {
    let min: number | undefined;
    for (const offset of this.open.values()) if (min === undefined || offset < min) min = offset;
    return min;
  }
}
