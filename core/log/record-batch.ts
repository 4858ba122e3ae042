// Kafka RecordBatch v2 (magic 2): encode, frame-check and decode, byte for byte as
// Kafka's DefaultRecordBatch / DefaultRecord. Field positions live in batch-header.ts.
//
// Every malformed input becomes a BatchError value carrying the absolute position
// of the problem; nothing here allocates by a length it has not bounded first.

import { Either, isLeft, left, right } from 'fp-ts/Either';
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_HEADER_SIZE,
  BATCH_LENGTH,
  CONTROL_BIT,
  CRC,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORDS,
  RECORD_COUNT,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
  readInt64,
  writeInt64,
} from './batch-header';
import { CompressionName, codecId, compress, compressionOf, decompress, MAX_DECOMPRESSED_BYTES } from './compression';
import { crc32c } from './crc32c';
import { VarintValue, readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, varintStatusMessage, writeVarint, writeVarlong } from './varint';

export type { CompressionName } from './compression';
// Part of this module's API as the log uses it (checksums of stored batches).
export { crc32c } from './crc32c';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  timestamp?: number;
}

export interface EncodeBatchOptions {
  records: RecordInput[];
  baseOffset?: number;
  compression?: CompressionName;
  /** Default: the first record's timestamp, else Date.now(). */
  baseTimestamp?: number;
  partitionLeaderEpoch?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  isControl?: boolean;
  timestampType?: 'create' | 'logAppend';
  /**
   * Offset delta of each record (default: its index). Compaction re-encodes the
   * surviving records of a batch with their original deltas: increasing, >= 0.
   */
  offsetDeltas?: number[];
  /** Default: the last record's offset delta. Compaction keeps the original batch's. */
  lastOffsetDelta?: number;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  /** key, value and header values are views into the batch (or its decompressed records): copy to keep them past the buffer's reuse. */
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/**
 * Builds the object for one decoded record (a reader that wants its own record
 * shape, e.g. with topic and partition, saves an object per record over
 * copying a DecodedRecord). key, value and header values are views as in
 * DecodedRecord.
 */
export type RecordMaker<R> = (offset: number, timestamp: number, key: Buffer | null, value: Buffer | null, headers: RecordHeader[]) => R;

/**
 * Builds one decoded record from where its key and value lie in `src` (the
 * batch's bytes, or its inflated records), start -1 for null, instead of
 * views: a reader that turns the bytes into values itself saves two view
 * objects per record. Header values are views as in DecodedRecord.
 */
export type RangeRecordMaker<R> = (
  offset: number,
  timestamp: number,
  src: Buffer,
  keyStart: number,
  keyEnd: number,
  valueStart: number,
  valueEnd: number,
  headers: RecordHeader[],
) => R;

export interface DecodedBatch<R = DecodedRecord> {
  baseOffset: number;
  lastOffset: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: CompressionName;
  timestampType: 'create' | 'logAppend';
  isTransactional: boolean;
  isControl: boolean;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  records: R[];
  sizeInBytes: number;
}

export type BatchError = {
  /** 'invalid': well-formed but not acceptable (INVALID_RECORD); every other kind is damage (CORRUPT_MESSAGE). */
  kind: 'truncated' | 'bad-magic' | 'crc-mismatch' | 'corrupt' | 'unsupported-compression' | 'invalid';
  message: string;
  /** Absolute position in the input buffer where the problem was found. */
  position: number;
};

export interface BatchFrame {
  /** Whole batch in bytes: batchLength + LOG_OVERHEAD. */
  size: number;
  baseOffset: number;
  lastOffsetDelta: number;
  recordCount: number;
  maxTimestamp: number;
  compression: CompressionName;
}

export interface DecodeOptions<R = DecodedRecord> {
  /** Ceiling on a compressed batch's inflated records (default MAX_DECOMPRESSED_BYTES). */
  maxDecompressedBytes?: number;
  /** Makes each record's object (default: a DecodedRecord). */
  record?: RecordMaker<R>;
  /** Makes each record's object from its key's and value's ranges (takes the place of `record`). */
  rangeRecord?: RangeRecordMaker<R>;
}

const decodedRecord: RecordMaker<DecodedRecord> = (offset, timestamp, key, value, headers) => ({ offset, timestamp, key, value, headers });

/**
 * The headers of every record that has none: one shared array, not one per
 * record (frozen: a reader that changed it would change every record's).
 */
const NO_HEADERS = Object.freeze([]) as unknown as RecordHeader[];

/** Defaults Kafka uses for "none": NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_SEQUENCE, NO_PARTITION_LEADER_EPOCH. */
const NO_PRODUCER_ID = -1;
const NO_PRODUCER_EPOCH = -1;
const NO_SEQUENCE = -1;
const NO_PARTITION_LEADER_EPOCH = -1;

/**
 * Smallest encoded record: length, attributes, timestampDelta, offsetDelta, key
 * length, value length, header count — one byte each. Bounds counts read from input.
 */
const MIN_RECORD_SIZE = 7;

function fail(kind: BatchError['kind'], message: string, position: number): Either<BatchError, never> {
  return left({ kind, message, position });
}

// ------------------------------------------------------------------ framing check

/**
 * Checks the batch at buf[pos, end) without decoding its records: length bounds,
 * magic, CRC32C, codec, record count and offset delta plausibility. Append and
 * recovery run this on every batch. A buffer that ends before the batch does gives
 * kind 'truncated'; everything wrong inside a complete batch gives another kind.
 */
export function checkBatch(buf: Buffer, pos: number, end: number = buf.length): Either<BatchError, BatchFrame> {
  if (end > buf.length) end = buf.length;
  const available = end - pos;
  if (available < LOG_OVERHEAD) {
    return fail('truncated', `batch at ${pos} is truncated: ${available} bytes, the batch header needs ${BATCH_HEADER_SIZE}`, pos);
  }
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH);
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) {
    return fail(
      'corrupt',
      `batch at ${pos} declares batchLength ${batchLength}, less than the ${BATCH_HEADER_SIZE - LOG_OVERHEAD} bytes of its own header`,
      pos + BATCH_LENGTH,
    );
  }
  const size = batchLength + LOG_OVERHEAD;
  if (size > available) {
    // Report a readable magic first: garbage lengths usually come with a wrong magic too.
    if (available > MAGIC && buf[pos + MAGIC] !== CURRENT_MAGIC) return badMagic(buf, pos);
    return fail('truncated', `batch at ${pos} is truncated: it declares ${size} bytes but only ${available} are present`, pos);
  }
  if (buf[pos + MAGIC] !== CURRENT_MAGIC) return badMagic(buf, pos);

  const storedCrc = buf.readUInt32BE(pos + CRC);
  const actualCrc = crc32c(buf, pos + ATTRIBUTES, pos + size);
  if (storedCrc !== actualCrc) {
    return fail(
      'crc-mismatch',
      `batch at ${pos} fails its CRC32C check: stored 0x${hex32(storedCrc)}, computed 0x${hex32(actualCrc)} (bytes corrupted in transit or on disk)`,
      pos + CRC,
    );
  }

  const attributes = buf.readInt16BE(pos + ATTRIBUTES);
  const compression = compressionOf(attributes);
  if (isLeft(compression)) return fail(compression.left.kind, `batch at ${pos}: ${compression.left.message}`, pos + ATTRIBUTES);

  const recordCount = buf.readInt32BE(pos + RECORD_COUNT);
  const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA);
  if (recordCount < 0) {
    return fail('corrupt', `batch at ${pos} declares a negative record count ${recordCount}`, pos + RECORD_COUNT);
  }
  // Uncompressed records must fit; compressed ones are bounded after inflating.
  if (compression.right === 'none' && recordCount > (size - RECORDS) / MIN_RECORD_SIZE) {
    return fail('corrupt', `batch at ${pos} declares ${recordCount} records, more than its ${size - RECORDS} record bytes can hold`, pos + RECORD_COUNT);
  }
  // Offset deltas are distinct and non-negative, so the last is at least count - 1
  // (more after compaction removed records).
  if (lastOffsetDelta < 0 || lastOffsetDelta < recordCount - 1) {
    return fail('corrupt', `batch at ${pos} declares lastOffsetDelta ${lastOffsetDelta} for ${recordCount} records`, pos + LAST_OFFSET_DELTA);
  }
  return right({
    size,
    baseOffset: readInt64(buf, pos + BASE_OFFSET),
    lastOffsetDelta,
    recordCount,
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP),
    compression: compression.right,
  });
}

function badMagic(buf: Buffer, pos: number): Either<BatchError, never> {
  const magic = buf.readInt8(pos + MAGIC);
  return fail(
    'bad-magic',
    `batch at ${pos} has magic ${magic}; Rill reads only RecordBatch v2 (magic ${CURRENT_MAGIC}) — legacy message sets (magic 0/1) come from Produce < v3 clients`,
    pos + MAGIC,
  );
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

// ------------------------------------------------------------------ encode

/** Bytes of one record's body (everything after its length varint). */
export function recordBodySize(
  key: Buffer | null,
  value: Buffer | null,
  headers: readonly RecordHeader[] | undefined,
  offsetDelta: number,
  timestampDelta: number,
): number {
  let size =
    1 + // attributes
    sizeOfVarlong(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    bytesFieldSize(key) +
    bytesFieldSize(value);
  const headerCount = headers === undefined ? 0 : headers.length;
  size += sizeOfVarint(headerCount);
  for (let h = 0; h < headerCount; h++) {
    const header = headers![h];
    const keyBytes = Buffer.byteLength(header.key, 'utf8');
    size += sizeOfVarint(keyBytes) + keyBytes + bytesFieldSize(header.value);
  }
  return size;
}

function bytesFieldSize(b: Buffer | null): number {
  return b === null ? 1 : sizeOfVarint(b.length) + b.length;
}

/** Fields up to this long are copied byte by byte: cheaper than Buffer.copy's native call for the short keys and values most records carry. */
const SHORT_COPY = 32;

function writeBytesField(buf: Buffer, pos: number, b: Buffer | null): number {
  return b === null ? writeVarint(buf, pos, -1) : writeBytesRange(buf, pos, b, 0, b.length);
}

/** The bytes a key or value field src[start, end) takes (start -1: null). */
export function rangeFieldSize(start: number, end: number): number {
  return start < 0 ? 1 : sizeOfVarint(end - start) + end - start;
}

/** Writes src[start, end) as a length-prefixed bytes field (start -1: null) at `pos`; returns the position after it. */
export function writeBytesRange(buf: Buffer, pos: number, src: Buffer, start: number, end: number): number {
  if (start < 0) return writeVarint(buf, pos, -1);
  const n = end - start;
  pos = writeVarint(buf, pos, n);
  if (n > SHORT_COPY) return pos + src.copy(buf, pos, start, end);
  for (let i = 0; i < n; i++) buf[pos + i] = src[start + i];
  return pos + n;
}

/** Validates explicit offset deltas (a caller bug if wrong) and returns the batch's lastOffsetDelta. */
function checkedLastOffsetDelta(count: number, offsetDeltas: number[] | undefined, lastOffsetDelta: number | undefined): number {
  let last = count - 1;
  if (offsetDeltas !== undefined) {
    if (offsetDeltas.length !== count) {
      throw new RangeError(`encodeRecordBatch: ${offsetDeltas.length} offsetDeltas for ${count} records`);
    }
    let previous = -1;
    for (const delta of offsetDeltas) {
      if (!Number.isInteger(delta) || delta <= previous || delta > 0x7fffffff) {
        throw new RangeError(`encodeRecordBatch: offsetDeltas must be increasing int32s >= 0, got ${offsetDeltas.join(',')}`);
      }
      previous = delta;
    }
    last = previous;
  }
  if (lastOffsetDelta === undefined) return last;
  if (!Number.isInteger(lastOffsetDelta) || lastOffsetDelta < last || lastOffsetDelta > 0x7fffffff) {
    throw new RangeError(`encodeRecordBatch: lastOffsetDelta ${lastOffsetDelta} is below the last record's offset delta ${last}`);
  }
  return lastOffsetDelta;
}

/**
 * Encodes records into one RecordBatch v2. Record i gets offsetDelta i (or
 * offsetDeltas[i]); a record
 * without a timestamp gets the batch's baseTimestamp. Sizes are computed first and
 * the records written into one Buffer (plus one for the gzip input when compressed).
 * Throws on programmer errors (no records, out-of-range numeric fields).
 */
export function encodeRecordBatch(opts: EncodeBatchOptions): Buffer {
  const records = opts.records;
  const count = records.length;
  if (count === 0) throw new RangeError('encodeRecordBatch: a batch needs at least one record');
  const compression = opts.compression ?? 'none';
  const baseTimestamp = opts.baseTimestamp ?? records[0].timestamp ?? Date.now();
  const offsetDeltas = opts.offsetDeltas;
  const lastOffsetDelta = checkedLastOffsetDelta(count, offsetDeltas, opts.lastOffsetDelta);

  // Pass 1: sizes. bodySizes is the only per-batch scratch allocation.
  const bodySizes = new Array<number>(count);
  let recordsSize = 0;
  let maxTimestamp = -Infinity;
  for (let i = 0; i < count; i++) {
    const r = records[i];
    const timestamp = r.timestamp ?? baseTimestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const body = recordBodySize(r.key, r.value, r.headers, offsetDeltas === undefined ? i : offsetDeltas[i], timestamp - baseTimestamp);
    bodySizes[i] = body;
    recordsSize += sizeOfVarint(body) + body;
  }

  // Pass 2: records, straight into the batch when uncompressed.
  const uncompressed = compression === 'none';
  const recordsBuf = uncompressed ? Buffer.allocUnsafe(RECORDS + recordsSize) : Buffer.allocUnsafe(recordsSize);
  let pos = uncompressed ? RECORDS : 0;
  for (let i = 0; i < count; i++) {
    const r = records[i];
    const delta = offsetDeltas === undefined ? i : offsetDeltas[i];
    pos = writeRecord(recordsBuf, pos, bodySizes[i], r.key, r.value, r.headers, delta, (r.timestamp ?? baseTimestamp) - baseTimestamp);
  }
  const batch = uncompressed ? recordsBuf : withCompressedRecords(compression, recordsBuf, 0, recordsBuf.length);
  writeBatchHeader(batch, opts, count, lastOffsetDelta, baseTimestamp, maxTimestamp);
  return batch;
}

/** Writes one record (its length varint, then `bodySize` bytes of body) at `pos`; returns the position after it. */
export function writeRecord(
  buf: Buffer,
  pos: number,
  bodySize: number,
  key: Buffer | null,
  value: Buffer | null,
  headers: readonly RecordHeader[] | undefined,
  offsetDelta: number,
  timestampDelta: number,
): number {
  pos = writeRecordHead(buf, pos, bodySize, offsetDelta, timestampDelta);
  pos = writeBytesField(buf, pos, key);
  pos = writeBytesField(buf, pos, value);
  const headerCount = headers === undefined ? 0 : headers.length;
  pos = writeVarint(buf, pos, headerCount);
  for (let h = 0; h < headerCount; h++) {
    const header = headers![h];
    pos = writeVarint(buf, pos, Buffer.byteLength(header.key, 'utf8'));
    pos += buf.write(header.key, pos, 'utf8');
    pos = writeBytesField(buf, pos, header.value);
  }
  return pos;
}

/** A record's length varint, attributes, timestamp delta and offset delta: what comes before its key. */
export function writeRecordHead(buf: Buffer, pos: number, bodySize: number, offsetDelta: number, timestampDelta: number): number {
  pos = writeVarint(buf, pos, bodySize);
  buf[pos++] = 0; // record attributes: unused by Kafka
  pos = writeVarlong(buf, pos, timestampDelta);
  return writeVarint(buf, pos, offsetDelta);
}

/** A batch whose records section is `records[start, end)` compressed with `compression`, its header left to fill. */
export function withCompressedRecords(compression: CompressionName, records: Buffer, start: number, end: number): Buffer {
  const compressed = compress(compression, start === 0 && end === records.length ? records : records.subarray(start, end));
  const batch = Buffer.allocUnsafe(RECORDS + compressed.length);
  compressed.copy(batch, RECORDS);
  return batch;
}

/** The batch-level fields of EncodeBatchOptions: everything but the records and their offset deltas. */
export type BatchHeaderOptions = Omit<EncodeBatchOptions, 'records' | 'offsetDeltas' | 'lastOffsetDelta' | 'baseTimestamp'>;

/** Fills the header of a batch whose records section (from RECORDS to its end) is written, CRC last. */
export function writeBatchHeader(
  batch: Buffer,
  opts: BatchHeaderOptions,
  count: number,
  lastOffsetDelta: number,
  baseTimestamp: number,
  maxTimestamp: number,
): void {
  const compression = opts.compression ?? 'none';
  let attributes = codecId(compression);
  if (opts.timestampType === 'logAppend') attributes |= TIMESTAMP_TYPE_BIT;
  if (opts.transactional) attributes |= TRANSACTIONAL_BIT;
  if (opts.isControl) attributes |= CONTROL_BIT;

  writeInt64(batch, BASE_OFFSET, opts.baseOffset ?? 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH);
  batch.writeInt32BE(opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH);
  batch.writeInt8(CURRENT_MAGIC, MAGIC);
  batch.writeInt16BE(attributes, ATTRIBUTES);
  batch.writeInt32BE(lastOffsetDelta, LAST_OFFSET_DELTA);
  writeInt64(batch, BASE_TIMESTAMP, baseTimestamp);
  writeInt64(batch, MAX_TIMESTAMP, maxTimestamp);
  writeInt64(batch, PRODUCER_ID, opts.producerId ?? NO_PRODUCER_ID);
  batch.writeInt16BE(opts.producerEpoch ?? NO_PRODUCER_EPOCH, PRODUCER_EPOCH);
  batch.writeInt32BE(opts.baseSequence ?? NO_SEQUENCE, BASE_SEQUENCE);
  batch.writeInt32BE(count, RECORD_COUNT);
  // Last: the CRC covers attributes through the end.
  batch.writeUInt32BE(crc32c(batch, ATTRIBUTES, batch.length), CRC);
}

// ------------------------------------------------------------------ decode

interface RecordContext<R> {
  make: RecordMaker<R>;
  makeFromRanges: RangeRecordMaker<R> | undefined;
  baseOffset: number;
  baseTimestamp: number;
  /** Set for LogAppendTime batches: every record's timestamp is the batch's maxTimestamp. */
  logAppendTime: number | undefined;
}

/**
 * Cursor over a records section. Reads return undefined once something is wrong
 * and leave the reason in `error`; null stays the value of a null key, value or
 * header value. One per batch, so the per-field reads allocate nothing.
 *
 * Why not core/wire's Reader (whose varints this shares): every field here is
 * bounded by its own record's end (`limit`), not the buffer's, and a bad byte is
 * a BatchError value naming its position in the batch (or in the inflated
 * records). core/wire's Reader has one fixed end and throws; using it would
 * mean a Reader per record or a try/catch per batch, on the read path that
 * decodes every record of every batch the cleaner, the DSL and clients read.
 */
class RecordsReader {
  pos: number;
  error: BatchError | undefined;
  private readonly slot: VarintValue = { value: 0 };
  /**
   * The record (and header, -1: none) being read. Fields are named by a
   * constant ('key', 'length') and the record's name is put in front only
   * when an error is reported: a message built per field read cost eight
   * strings per record (the largest allocation of the DSL's repartition path).
   */
  private recordIndex = 0;
  private headerIndex = -1;

  /**
   * src[start, end) holds the records. `inflatedFrom` is the position of the
   * compressed blob in the batch when src is its decompressed copy: errors then
   * point there and name the offset inside the inflated bytes.
   */
  constructor(
    private readonly src: Buffer,
    private readonly start: number,
    readonly end: number,
    private readonly where: string,
    private readonly inflatedFrom: number | undefined,
  ) {
    this.pos = start;
  }

  /** "record 3 key", "record 3 header 1 value": the field being read, for an error message. */
  private field(what: string): string {
    return this.headerIndex < 0 ? `record ${this.recordIndex} ${what}` : `record ${this.recordIndex} header ${this.headerIndex} ${what}`;
  }

  fail(at: number, message: string): undefined {
    const place = this.inflatedFrom === undefined ? `${this.where} at ${at}` : `${this.where} at byte ${at - this.start} of the decompressed records`;
    this.error = { kind: 'corrupt', message: `${place}: ${message}`, position: this.inflatedFrom ?? at };
    return undefined;
  }

  /** A varint of the current record's field `what` (+ `suffix`: " length" of a bytes field). */
  varint(limit: number, what: string, suffix = ''): number | undefined {
    const next = readVarint(this.src, this.pos, limit, this.slot);
    if (next < 0) return this.fail(this.pos, varintStatusMessage(next, this.field(what) + suffix));
    this.pos = next;
    return this.slot.value;
  }

  varlong(limit: number, what: string): number | undefined {
    const next = readVarlong(this.src, this.pos, limit, this.slot);
    if (next < 0) return this.fail(this.pos, varintStatusMessage(next, this.field(what)));
    this.pos = next;
    return this.slot.value;
  }

  /** A length-prefixed byte field ending by `limit`; length -1 means null. A view, not a copy. */
  bytes(limit: number, what: string): Buffer | null | undefined {
    const start = this.span(limit, what);
    if (start === undefined) return undefined;
    return start < 0 ? null : this.src.subarray(start, this.pos);
  }

  /** Steps over a length-prefixed byte field: where it starts (its end is then `pos`), -1 for null, undefined on error. */
  span(limit: number, what: string): number | undefined {
    const at = this.pos;
    const length = this.varint(limit, what, ' length');
    if (length === undefined) return undefined;
    if (length === -1) return -1;
    if (length < 0) return this.fail(at, `${this.field(what)} length ${length} is negative`);
    if (length > limit - this.pos) return this.fail(at, `${this.field(what)} length ${length} runs past the end of the record`);
    this.pos += length;
    return this.pos - length;
  }

  /** A header key: length-prefixed UTF-8 that may not be null. */
  string(limit: number, what: string): string | undefined {
    const at = this.pos;
    const length = this.varint(limit, what, ' length');
    if (length === undefined) return undefined;
    if (length < 0) return this.fail(at, `${this.field(what)} has a null or negative length ${length}`);
    if (length > limit - this.pos) return this.fail(at, `${this.field(what)} length ${length} runs past the end of the record`);
    this.pos += length;
    return this.src.toString('utf8', this.pos - length, this.pos);
  }

  /** One record (Kafka's DefaultRecord), which must fill exactly its declared length. */
  record<R>(i: number, ctx: RecordContext<R>): R | undefined {
    const recordStart = this.pos;
    this.recordIndex = i;
    this.headerIndex = -1;
    const bodySize = this.varint(this.end, 'length');
    if (bodySize === undefined) return undefined;
    const bodyStart = this.pos;
    if (bodySize < 0 || bodySize > this.end - bodyStart) {
      return this.fail(recordStart, `record ${i} declares length ${bodySize}, but ${this.end - bodyStart} record bytes remain`);
    }
    const limit = bodyStart + bodySize;
    if (bodySize < 1) return this.fail(recordStart, `record ${i} is shorter than its attributes byte`);
    this.pos++; // record attributes: unused by Kafka

    const timestampDelta = this.varlong(limit, 'timestampDelta');
    if (timestampDelta === undefined) return undefined;
    const offsetDelta = this.varint(limit, 'offsetDelta');
    if (offsetDelta === undefined) return undefined;
    const keyStart = this.span(limit, 'key');
    if (keyStart === undefined) return undefined;
    const keyEnd = this.pos;
    const valueStart = this.span(limit, 'value');
    if (valueStart === undefined) return undefined;
    const valueEnd = this.pos;

    const countAt = this.pos;
    const headerCount = this.varint(limit, 'header count');
    if (headerCount === undefined) return undefined;
    // Each header takes at least two bytes (key length, value length).
    if (headerCount < 0 || headerCount * 2 > limit - this.pos) {
      return this.fail(countAt, `record ${i} declares ${headerCount} headers, more than its remaining ${limit - this.pos} bytes can hold`);
    }
    const headers: RecordHeader[] = headerCount === 0 ? NO_HEADERS : [];
    for (let h = 0; h < headerCount; h++) {
      this.headerIndex = h;
      const headerKey = this.string(limit, 'key');
      if (headerKey === undefined) return undefined;
      const headerValue = this.bytes(limit, 'value');
      if (headerValue === undefined) return undefined;
      headers.push({ key: headerKey, value: headerValue });
    }
    this.headerIndex = -1;
    if (this.pos !== limit) {
      return this.fail(recordStart, `record ${i} declares length ${bodySize} but its fields take ${this.pos - bodyStart} bytes`);
    }
    const offset = ctx.baseOffset + offsetDelta;
    const timestamp = ctx.logAppendTime ?? ctx.baseTimestamp + timestampDelta;
    if (ctx.makeFromRanges !== undefined) return ctx.makeFromRanges(offset, timestamp, this.src, keyStart, keyEnd, valueStart, valueEnd, headers);
    const src = this.src;
    return ctx.make(
      offset,
      timestamp,
      keyStart < 0 ? null : src.subarray(keyStart, keyEnd),
      valueStart < 0 ? null : src.subarray(valueStart, valueEnd),
      headers,
    );
  }
}

/** Decodes `count` records that must fill the reader's region exactly. */
function decodeRecords<R>(reader: RecordsReader, count: number, ctx: RecordContext<R>): Either<BatchError, R[]> {
  const records: R[] = [];
  for (let i = 0; i < count; i++) {
    const record = reader.record(i, ctx);
    if (record === undefined) return left(reader.error!);
    records.push(record);
  }
  if (reader.pos !== reader.end) {
    reader.fail(reader.pos, `${reader.end - reader.pos} bytes follow the last of the ${count} declared records`);
    return left(reader.error!);
  }
  return right(records);
}

/** Decodes the whole batch at buf[pos], records included, after checkBatch passes. */
export function decodeRecordBatch<R>(
  buf: Buffer,
  pos: number,
  options: DecodeOptions<R> & ({ record: RecordMaker<R> } | { rangeRecord: RangeRecordMaker<R> }),
): Either<BatchError, DecodedBatch<R>>;
export function decodeRecordBatch(buf: Buffer, pos?: number, options?: DecodeOptions): Either<BatchError, DecodedBatch>;
export function decodeRecordBatch<R>(buf: Buffer, pos = 0, options: DecodeOptions<R> = {}): Either<BatchError, DecodedBatch<R>> {
  const checked = checkBatch(buf, pos);
  if (isLeft(checked)) return checked;
  const frame = checked.right;
  const batchEnd = pos + frame.size;

  const attributes = buf.readInt16BE(pos + ATTRIBUTES);
  const baseTimestamp = readInt64(buf, pos + BASE_TIMESTAMP);
  const logAppend = (attributes & TIMESTAMP_TYPE_BIT) !== 0;
  const ctx: RecordContext<R> = {
    make: options.record ?? (decodedRecord as unknown as RecordMaker<R>),
    makeFromRanges: options.rangeRecord,
    baseOffset: frame.baseOffset,
    baseTimestamp,
    logAppendTime: logAppend ? frame.maxTimestamp : undefined,
  };

  let records: Either<BatchError, R[]>;
  const where = `batch at ${pos}, records`;
  if (frame.compression === 'none') {
    records = decodeRecords(new RecordsReader(buf, pos + RECORDS, batchEnd, where, undefined), frame.recordCount, ctx);
  } else {
    const inflated = decompress(frame.compression, buf.subarray(pos + RECORDS, batchEnd), options.maxDecompressedBytes ?? MAX_DECOMPRESSED_BYTES);
    if (isLeft(inflated)) return fail(inflated.left.kind, `batch at ${pos}: ${inflated.left.message}`, pos + RECORDS);
    const plain = inflated.right;
    if (frame.recordCount > plain.length / MIN_RECORD_SIZE) {
      return fail(
        'corrupt',
        `batch at ${pos} declares ${frame.recordCount} records, more than its ${plain.length} decompressed bytes can hold`,
        pos + RECORD_COUNT,
      );
    }
    records = decodeRecords(new RecordsReader(plain, 0, plain.length, where, pos + RECORDS), frame.recordCount, ctx);
  }
  if (isLeft(records)) return records;

  return right({
    baseOffset: frame.baseOffset,
    lastOffset: frame.baseOffset + frame.lastOffsetDelta,
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH),
    magic: buf[pos + MAGIC],
    crc: buf.readUInt32BE(pos + CRC),
    attributes,
    compression: frame.compression,
    timestampType: logAppend ? 'logAppend' : 'create',
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    baseTimestamp,
    maxTimestamp: frame.maxTimestamp,
    producerId: readInt64(buf, pos + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE),
    records: records.right,
    sizeInBytes: frame.size,
  });
}

/**
 * Decodes consecutive batches filling buf. A partial batch at the end (a fetch
 * response may end with one) ends the list without error; any other fault is an error.
 */
export function decodeRecordBatches<R>(
  buf: Buffer,
  options: DecodeOptions<R> & ({ record: RecordMaker<R> } | { rangeRecord: RangeRecordMaker<R> }),
): Either<BatchError, DecodedBatch<R>[]>;
export function decodeRecordBatches(buf: Buffer, options?: DecodeOptions): Either<BatchError, DecodedBatch[]>;
export function decodeRecordBatches<R>(buf: Buffer, options: DecodeOptions<R> = {}): Either<BatchError, DecodedBatch<R>[]> {
  const batches: DecodedBatch<R>[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const batch = decodeRecordBatch<R>(buf, pos, options as DecodeOptions<R> & { record: RecordMaker<R> });
    if (isLeft(batch)) {
      if (batch.left.kind === 'truncated') break;
      return batch;
    }
    batches.push(batch.right);
    pos += batch.right.sizeInBytes;
  }
  return right(batches);
}
