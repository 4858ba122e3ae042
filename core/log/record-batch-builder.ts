// A RecordBatch v2 written record by record as records arrive, the header
// filled in when it is sent. The producer holds a partition's pending records
// as these bytes, not as record objects and their key and value Buffers: those
// are garbage as soon as they are appended, instead of surviving (and being
// copied by every young-generation collection) until the batch goes out.
// The bytes are the ones encodeRecordBatch writes for the same records.
import { RECORDS } from './batch-header';
import { type BatchHeaderOptions, type RecordHeader, recordBodySize, withCompressedRecords, writeBatchHeader, writeRecord } from './record-batch';
import { sizeOfVarint } from './varint';

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
    if (!Number.isSafeInteger(timestamp)) throw new RangeError(`a record's timestamp must be an integer, not ${timestamp}`);
    if (this.records === 0) this.baseTimestamp = timestamp;
    const timestampDelta = timestamp - this.baseTimestamp;
    const body = recordBodySize(key, value, headers, this.records, timestampDelta);
    const needed = this.end + sizeOfVarint(body) + body;
    if (needed > this.buf.length) this.grow(needed);
    this.end = writeRecord(this.buf, this.end, body, key, value, headers, this.records, timestampDelta);
    this.records++;
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
  }

  /**
   * The batch: a new Buffer each call (the builder's own bytes are never handed
   * out, so a second build with other producer fields, after a retry, leaves the
   * first one as it was). Throws RangeError when no record was appended.
   */
  build(opts: BatchHeaderOptions): Buffer {
    if (this.records === 0) throw new RangeError('RecordBatchBuilder: a batch needs at least one record');
    const compression = opts.compression ?? 'none';
    let batch: Buffer;
    if (compression === 'none') {
      batch = Buffer.allocUnsafe(this.end);
      this.buf.copy(batch, RECORDS, RECORDS, this.end);
    } else {
      batch = withCompressedRecords(compression, this.buf, RECORDS, this.end);
    }
    writeBatchHeader(batch, opts, this.records, this.records - 1, this.baseTimestamp, this.maxTimestamp);
    return batch;
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, RECORDS + Math.max(INITIAL_CAPACITY, 2 * (this.buf.length - RECORDS))));
    this.buf.copy(next, RECORDS, RECORDS, this.end); // the header is written by build()
    this.buf = next;
  }
}
