// The fixed 61-byte header of a Kafka RecordBatch v2, as stored on disk and sent on
// the wire. Field positions are Kafka's; every reader of stored bytes uses these
// names instead of literal offsets.
//
//   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 |
//   crc uint32 (CRC32C of attributes..end) | attributes int16 | lastOffsetDelta int32 |
//   baseTimestamp int64 | maxTimestamp int64 | producerId int64 | producerEpoch int16 |
//   baseSequence int32 | recordCount int32 | records...
import * as wire from '../wire';

// The one int64 codec lives in core/wire; bound here as constants (a CommonJS
// re-export is a getter on every call) for core/log's readers of stored bytes.
export const readInt64 = wire.readInt64;
export const writeInt64 = wire.writeInt64;

export const BASE_OFFSET = 0;
export const BATCH_LENGTH = 8;
export const PARTITION_LEADER_EPOCH = 12;
export const MAGIC = 16;
export const CRC = 17;
export const ATTRIBUTES = 21;
export const LAST_OFFSET_DELTA = 23;
export const BASE_TIMESTAMP = 27;
export const MAX_TIMESTAMP = 35;
export const PRODUCER_ID = 43;
export const PRODUCER_EPOCH = 51;
export const BASE_SEQUENCE = 53;
export const RECORD_COUNT = 57;
export const RECORDS = 61;

/** Bytes before batchLength starts counting (baseOffset + batchLength). */
export const LOG_OVERHEAD = 12;
/** Smallest legal batch: the header alone. */
export const BATCH_HEADER_SIZE = RECORDS;
export const CURRENT_MAGIC = 2;

/** Attribute bits. */
export const COMPRESSION_MASK = 0x07;
export const TIMESTAMP_TYPE_BIT = 0x08;
export const TRANSACTIONAL_BIT = 0x10;
export const CONTROL_BIT = 0x20;

/** Total size of the batch starting at `pos` (header's batchLength + LOG_OVERHEAD). */
export function batchSizeAt(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
}

export function baseOffsetAt(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BASE_OFFSET);
}

export function lastOffsetAt(buf: Buffer, pos: number): number {
  return readInt64(buf, pos + BASE_OFFSET) + buf.readInt32BE(pos + LAST_OFFSET_DELTA);
}
