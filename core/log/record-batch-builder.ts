// A RecordBatch v2 written record by record as records arrive, the header
// filled in when it is sent. The producer holds a partition's pending records
// as these bytes, not as record objects and their key and value Buffers: those
// are garbage as soon as they are appended, instead of surviving (and being
// copied by every young-generation collection) until the batch goes out.
// The bytes are the ones encodeRecordBatch writes for the same records.
import { RECORDS } from './batch-header';
import {
  type BatchHeaderOptions,
  type RecordHeader,
  rangeFieldSize,
  recordBodySize,
  withCompressedRecords,
  writeBatchHeader,
  writeBytesRange,
  writeRecord,
  writeRecordHead,
} from './record-batch';
import { sizeOfVarint, sizeOfVarlong } from './varint';

/** First capacity of the records section; it doubles as records arrive. */
const INITIAL_CAPACITY = 512;
/** Header room only: a builder allocates on its first append, so an idle partition's batch holds no memory. */
const UNALLOCATED = Buffer.alloc(RECORDS);

export class RecordBatchBuilder {
  /** The batch as far as written: header room [0, RECORDS), then the records up to `end`. */
  private buf = UNALLOCATED;
  private end = RECORDS;
  private records = 0;
  private baseTimestamp = 0;
  private maxTimestamp = -Infinity;
  /** The first build handed out this.buf itself: later builds copy, so that batch stays as it was. */
  private handedOut = false;

  /**
   * `capacity`: the records section's first size, taken on the first append
   * (a producer gives its batch size: a full batch is then written without
   * growing and copying it).
   */
  constructor(private readonly capacity = INITIAL_CAPACITY) {}

  /** Records appended so far. */
  get count(): number {
    return this.records;
  }

  /**
   * Appends a record with the next offset delta; its timestamp delta is from
   * the first record's timestamp (the batch's baseTimestamp, as
   * encodeRecordBatch sets it). Throws RangeError on a timestamp that is not an
   * integer; nothing is appended then.
   */
  append(key: Buffer | null, value: Buffer | null, timestamp: number, headers?: readonly RecordHeader[]): void {
    const timestampDelta = this.timestampDelta(timestamp);
    const body = recordBodySize(key, value, headers, this.records, timestampDelta);
    const at = this.room(body); // first: it may replace this.buf
    this.end = writeRecord(this.buf, at, body, key, value, headers, this.records, timestampDelta);
    this.appended(timestamp);
  }

  /**
   * As append(), the key being src[keyStart, keyEnd) and the value
   * src[valueStart, valueEnd) (a start of -1: null), without headers: a
   * serializer's bytes straight from its scratch space, no Buffer per field.
   */
  appendRange(src: Buffer, keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, timestamp: number): void {
    const timestampDelta = this.timestampDelta(timestamp);
    const offsetDelta = this.records;
    // attributes, the deltas, key, value, and a header count of 0 (one byte)
    const body = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta) + rangeFieldSize(keyStart, keyEnd) + rangeFieldSize(valueStart, valueEnd) + 1;
    const at = this.room(body); // first: it may replace this.buf
    let pos = writeRecordHead(this.buf, at, body, offsetDelta, timestampDelta);
    pos = writeBytesRange(this.buf, pos, src, keyStart, keyEnd);
    pos = writeBytesRange(this.buf, pos, src, valueStart, valueEnd);
    this.buf[pos++] = 0; // no headers
    this.end = pos;
    this.appended(timestamp);
  }

  /** The timestamp delta of the next record from the batch's first; throws RangeError (nothing appended) on a timestamp that is not an integer. */
  private timestampDelta(timestamp: number): number {
    if (!Number.isSafeInteger(timestamp)) throw new RangeError(`a record's timestamp must be an integer, not ${timestamp}`);
    if (this.records === 0) this.baseTimestamp = timestamp;
    return timestamp - this.baseTimestamp;
  }

  /** Makes room for a record of `body` bytes (plus its length varint); returns where it starts. */
  private room(body: number): number {
    const needed = this.end + sizeOfVarint(body) + body;
    if (needed > this.buf.length) this.grow(needed);
    return this.end;
  }

  private appended(timestamp: number): void {
    this.records++;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
  }

  /**
   * The batch. The first build of an uncompressed batch writes the header into
   * the builder's own buffer and hands that out (no copy of the records) when
   * the records fill at least half of it; any
   * later build (a retry with other producer fields) writes a new Buffer, so
   * the batch built before stays as it was. Appends after a build are not
   * part of a batch built before. Throws RangeError when no record was appended.
   */
  build(opts: BatchHeaderOptions): Buffer {
    if (this.records === 0) throw new RangeError('RecordBatchBuilder: a batch needs at least one record');
    const compression = opts.compression ?? 'none';
    let batch: Buffer;
    if (compression !== 'none') {
      batch = withCompressedRecords(compression, this.buf, RECORDS, this.end);
    } else if (!this.handedOut && this.end * 2 >= this.buf.length) {
      // Only a buffer at least half full: whoever keeps the batch (a log's recent appends) keeps all of it.
      this.handedOut = true;
      batch = this.buf.subarray(0, this.end);
    } else {
      batch = Buffer.allocUnsafe(this.end);
      this.buf.copy(batch, RECORDS, RECORDS, this.end);
    }
    writeBatchHeader(batch, opts, this.records, this.records - 1, this.baseTimestamp, this.maxTimestamp);
    return batch;
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, RECORDS + Math.max(this.capacity, 2 * (this.buf.length - RECORDS))));
    this.buf.copy(next, RECORDS, RECORDS, this.end); // the header is written by build()
    this.buf = next;
  }
}
