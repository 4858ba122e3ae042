// What the log checks in a RecordBatch v2 before it stores a byte (Kafka's
// LogValidator.validateBatch and validateRecord), and what recovery, verify()
// and a follower check in batches already stored elsewhere.
//
// One pass over the bytes, no per-record objects: the record walk reads varints
// into one reused slot and moves a position. A compressed batch is inflated once
// (bounded) and its records walked the same way.
//
// Three modes:
// - 'client': a Produce request's batch. Offsets are the log's to assign, so the
//   batch must be dense: lastOffsetDelta = recordCount - 1 and record i has
//   offsetDelta i. At least one record, no control batch, producer fields
//   consistent (Kafka's InvalidRecordException cases).
// - 'stored': a batch written by a log (a follower's copy, a segment being
//   recovered or verified). Compaction leaves gaps, so offset deltas need only
//   increase within [0, lastOffsetDelta]; the base offset is checked (it is
//   outside the CRC) to be a sane offset.
// - 'replica': a follower's copy of its leader's batch (Kafka's appendAsFollower).
//   The leader walked every record when it appended the batch, and the CRC32C
//   covers them all, so the header checks of 'stored' suffice: no record walk,
//   no inflating. Damage in transit fails the CRC.
//
// Malformed bytes (framing, CRC, varints, lengths) are kind 'corrupt'-like and
// answer CORRUPT_MESSAGE (2); well-formed but unacceptable content is kind
// 'invalid' and answers INVALID_RECORD (87).
import { Either, isLeft, left, right } from 'fp-ts/Either';
import {
  ATTRIBUTES,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  CONTROL_BIT,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORDS,
  TIMESTAMP_TYPE_BIT,
  TRANSACTIONAL_BIT,
  readInt64,
} from './batch-header';
import { decompress, MAX_DECOMPRESSED_BYTES } from './compression';
import { checkBatch, BatchError, BatchFrame } from './record-batch';
import { VarintValue, readVarint, readVarlong, varintStatusMessage } from './varint';

export type ValidationMode = 'client' | 'stored' | 'replica';

/** A refusal: kind 'invalid' is well-formed but not acceptable (INVALID_RECORD), the others are damage. */
export type BatchRefusal = BatchError;

export interface ValidateOptions {
  mode: ValidationMode;
  /** Every record needs a key (a compacted log); control batches are exempt. */
  requireKeys?: boolean;
  /** Ceiling on a gzip batch's inflated records (default MAX_DECOMPRESSED_BYTES). */
  maxDecompressedBytes?: number;
  /**
   * 'client' mode: accept a control batch (a transaction marker the broker
   * writes for the coordinator, Kafka's AppendOrigin.Coordinator). Clients never may.
   */
  allowControl?: boolean;
}

/**
 * Largest timestamp accepted (ms): JavaScript's Date range, year 275760. Kafka
 * takes any int64; Rill keeps offsets and timestamps exact as JS numbers.
 */
export const MAX_TIMESTAMP_MS = 8.64e15;
/** Kafka's NO_TIMESTAMP. */
const NO_TIMESTAMP = -1;

/** One reused varint slot: validation runs synchronously, one batch at a time. */
const slot: VarintValue = { value: 0 };

/**
 * Validates the batch at buf[pos, end): checkBatch's framing and CRC32C, then
 * offsets, producer fields, timestamps and (except in 'replica' mode) every
 * record parsed exactly to its length. Returns the batch's frame fields or the first problem found.
 */
export function validateBatch(buf: Buffer, pos: number, end: number, options: ValidateOptions): Either<BatchRefusal, BatchFrame> {
  const checked = checkBatch(buf, pos, end);
  if (isLeft(checked)) return checked;
  const frame = checked.right;
  const client = options.mode === 'client';
  const attributes = buf.readInt16BE(pos + ATTRIBUTES);
  const isControl = (attributes & CONTROL_BIT) !== 0;
  const where = `batch at ${pos}`;

  // Offsets: nothing below may overflow a JS safe integer or an int32 delta.
  if (client) {
    if (frame.recordCount === 0) return invalid(`${where} holds no records`, pos);
    if (frame.lastOffsetDelta !== frame.recordCount - 1) {
      return invalid(
        `${where}: inconsistent lastOffsetDelta ${frame.lastOffsetDelta} for ${frame.recordCount} records (a producer's batch has offset deltas 0 to count - 1)`,
        pos,
      );
    }
    if (isControl && !options.allowControl) return invalid(`${where}: clients are not allowed to write control batches`, pos);
    if (isControl && frame.recordCount !== 1) return invalid(`${where}: a control batch holds exactly one record, not ${frame.recordCount}`, pos);
  } else if (frame.baseOffset < 0 || frame.baseOffset + frame.lastOffsetDelta > Number.MAX_SAFE_INTEGER) {
    return corrupt(`${where} has base offset ${frame.baseOffset} (lastOffsetDelta ${frame.lastOffsetDelta}), outside the offsets a log holds`, pos);
  }

  // Producer fields, as Kafka checks them: a producer id (>= 0) needs an epoch
  // and a sequence; a transactional batch needs a producer id. Without one
  // (-1), clients send what they like in the other fields (kafkajs: epoch 0,
  // sequence 0), and Kafka ignores it.
  const producerId = readInt64(buf, pos + PRODUCER_ID);
  const transactional = (attributes & TRANSACTIONAL_BIT) !== 0;
  if (client) {
    if (producerId >= 0) {
      const producerEpoch = buf.readInt16BE(pos + PRODUCER_EPOCH);
      const baseSequence = buf.readInt32BE(pos + BASE_SEQUENCE);
      if (producerEpoch < 0) return invalid(`${where}: producerId ${producerId} with a negative producerEpoch ${producerEpoch}`, pos);
      // A marker carries no sequence (-1): it is not part of the producer's numbered writes.
      if (baseSequence < 0 && !isControl) return invalid(`${where}: invalid sequence number ${baseSequence} in a batch with producerId ${producerId}`, pos);
    } else if (transactional) {
      return invalid(`${where}: a transactional batch without a producerId`, pos);
    }
  }

  // Timestamps: the batch's own, then each record's (base + delta) in the walk.
  const baseTimestamp = readInt64(buf, pos + BASE_TIMESTAMP);
  if (!timestampInRange(baseTimestamp)) return invalid(`${where}: baseTimestamp ${baseTimestamp} is out of range (-1 or 0 to ${MAX_TIMESTAMP_MS})`, pos);
  if (!timestampInRange(frame.maxTimestamp))
    return invalid(`${where}: maxTimestamp ${frame.maxTimestamp} is out of range (-1 or 0 to ${MAX_TIMESTAMP_MS})`, pos);
  // A follower trusts what its leader validated and the CRC protects.
  if (options.mode === 'replica') return checked;
  const checkRecordTimestamps = (attributes & TIMESTAMP_TYPE_BIT) === 0;

  const ctx: WalkContext = {
    client,
    requireKeys: (options.requireKeys ?? false) && !isControl,
    baseTimestamp: checkRecordTimestamps ? baseTimestamp : undefined,
    lastOffsetDelta: frame.lastOffsetDelta,
    where,
  };
  if (frame.compression === 'none') {
    const problem = walkRecords(buf, pos + RECORDS, pos + frame.size, frame.recordCount, ctx, undefined);
    return problem === undefined ? right(frame) : left(problem);
  }
  const inflated = decompress(frame.compression, buf.subarray(pos + RECORDS, pos + frame.size), options.maxDecompressedBytes ?? MAX_DECOMPRESSED_BYTES);
  if (isLeft(inflated)) return left({ kind: inflated.left.kind, message: `${where}: ${inflated.left.message}`, position: pos + RECORDS });
  const plain = inflated.right;
  const problem = walkRecords(plain, 0, plain.length, frame.recordCount, ctx, pos + RECORDS);
  return problem === undefined ? right(frame) : left(problem);
}

/** The Kafka error code a refusal answers with: INVALID_RECORD (87) or CORRUPT_MESSAGE (2). */
export function refusalCode(r: BatchRefusal): 2 | 87 {
  return r.kind === 'invalid' ? 87 : 2;
}

interface WalkContext {
  client: boolean;
  requireKeys: boolean;
  /** undefined under LogAppendTime (record timestamps are replaced by the broker's). */
  baseTimestamp: number | undefined;
  lastOffsetDelta: number;
  where: string;
}

function timestampInRange(ts: number): boolean {
  return ts === NO_TIMESTAMP || (ts >= 0 && ts <= MAX_TIMESTAMP_MS);
}

/**
 * Walks `count` records in src[start, end), which they must fill exactly.
 * `inflatedFrom`: position of the compressed blob in the batch when src is its
 * inflated copy (errors point there). Returns the first problem or undefined.
 */
function walkRecords(src: Buffer, start: number, end: number, count: number, ctx: WalkContext, inflatedFrom: number | undefined): BatchRefusal | undefined {
  let pos = start;
  let previousDelta = -1;
  const fail = (kind: 'corrupt' | 'invalid', at: number, message: string): BatchRefusal => ({
    kind,
    message:
      inflatedFrom === undefined ? `${ctx.where}, record at ${at}: ${message}` : `${ctx.where}, byte ${at - start} of the decompressed records: ${message}`,
    position: inflatedFrom ?? at,
  });
  // Hoisted out of the per-record loop (it runs on every append).
  const client = ctx.client;
  const requireKeys = ctx.requireKeys;
  const lastOffsetDelta = ctx.lastOffsetDelta;
  const checkTimestamps = ctx.baseTimestamp !== undefined && ctx.baseTimestamp !== NO_TIMESTAMP;
  const baseTimestamp = ctx.baseTimestamp ?? 0;
  // A record's timestamp (base + delta) must land in 0..MAX_TIMESTAMP_MS.
  const minDelta = -baseTimestamp;
  const maxDelta = MAX_TIMESTAMP_MS - baseTimestamp;
  for (let i = 0; i < count; i++) {
    const recordStart = pos;
    let next = readVarint(src, pos, end, slot);
    if (next < 0) return fail('corrupt', pos, varintStatusMessage(next, `record ${i} length`));
    const bodySize = slot.value;
    if (bodySize < 1 || bodySize > end - next)
      return fail('corrupt', recordStart, `record ${i} declares length ${bodySize}, but ${end - next} record bytes remain`);
    const limit = next + bodySize;
    pos = next + 1; // record attributes: unused by Kafka

    next = readVarlong(src, pos, limit, slot);
    if (next < 0) return fail('corrupt', pos, varintStatusMessage(next, `record ${i} timestampDelta`));
    let v = slot.value;
    if (checkTimestamps && (v < minDelta || v > maxDelta)) {
      return fail('invalid', pos, `record ${i} timestamp ${baseTimestamp + v} is out of range (0 to ${MAX_TIMESTAMP_MS})`);
    }
    pos = next;

    next = readVarint(src, pos, limit, slot);
    if (next < 0) return fail('corrupt', pos, varintStatusMessage(next, `record ${i} offsetDelta`));
    v = slot.value;
    if (client ? v !== i : v <= previousDelta || v > lastOffsetDelta) {
      return fail(
        'invalid',
        pos,
        `record ${i} has offsetDelta ${v}; expected ${client ? i : `more than ${previousDelta} and at most lastOffsetDelta ${lastOffsetDelta}`}`,
      );
    }
    previousDelta = v;
    pos = next;

    // Key and value: length -1 (null) or 0.. the rest of the record.
    next = readVarint(src, pos, limit, slot);
    if (next < 0) return fail('corrupt', pos, varintStatusMessage(next, `record ${i} key length`));
    v = slot.value;
    if (v < -1 || v > limit - next) return fail('corrupt', pos, `record ${i} key length ${v} does not fit in the record`);
    if (v === -1 && requireKeys)
      return fail('invalid', pos, `record ${i}: a compacted topic cannot accept a record without a key (it keeps the latest value per key)`);
    pos = v > 0 ? next + v : next;

    next = readVarint(src, pos, limit, slot);
    if (next < 0) return fail('corrupt', pos, varintStatusMessage(next, `record ${i} value length`));
    v = slot.value;
    if (v < -1 || v > limit - next) return fail('corrupt', pos, `record ${i} value length ${v} does not fit in the record`);
    pos = v > 0 ? next + v : next;

    next = readVarint(src, pos, limit, slot);
    if (next < 0) return fail('corrupt', pos, varintStatusMessage(next, `record ${i} header count`));
    const headerCount = slot.value;
    // Each header takes at least two bytes (key length, value length).
    if (headerCount < 0 || headerCount * 2 > limit - next)
      return fail('corrupt', pos, `record ${i} declares ${headerCount} headers, more than its remaining ${limit - next} bytes hold`);
    pos = next;
    for (let h = 0; h < headerCount; h++) {
      next = readVarint(src, pos, limit, slot);
      if (next < 0) return fail('corrupt', pos, varintStatusMessage(next, `record ${i} header ${h} key length`));
      v = slot.value;
      if (v < 0 || v > limit - next) return fail('corrupt', pos, `record ${i} header ${h} key length ${v} is null, negative or past the record`);
      pos = next + v;
      next = readVarint(src, pos, limit, slot);
      if (next < 0) return fail('corrupt', pos, varintStatusMessage(next, `record ${i} header ${h} value length`));
      v = slot.value;
      if (v < -1 || v > limit - next) return fail('corrupt', pos, `record ${i} header ${h} value length ${v} does not fit in the record`);
      pos = v > 0 ? next + v : next;
    }
    if (pos !== limit) return fail('corrupt', recordStart, `record ${i} declares length ${bodySize} but its fields take ${pos - (limit - bodySize)} bytes`);
  }
  if (pos !== end) return fail('corrupt', pos, `${end - pos} bytes follow the last of the ${count} declared records`);
  return undefined;
}

function invalid(message: string, position: number): Either<BatchRefusal, never> {
  return left({ kind: 'invalid', message, position });
}

function corrupt(message: string, position: number): Either<BatchRefusal, never> {
  return left({ kind: 'corrupt', message, position });
}

/**
 * A stored batch (a segment being recovered or verified, a follower's copy):
 * validateBatch in 'stored' mode, and its base offset (not covered by the CRC)
 * follows the previous batch: exactly `expectedNext` in a dense log, at least
 * that in a compacted one (compaction removes whole batches).
 */
export function validateStoredBatch(buf: Buffer, pos: number, end: number, expectedNext: number, dense: boolean): Either<BatchRefusal, BatchFrame> {
  const v = validateBatch(buf, pos, end, { mode: 'stored' });
  if (isLeft(v)) return v;
  const base = v.right.baseOffset;
  if (dense ? base !== expectedNext : base < expectedNext) {
    return corrupt(
      `batch at ${pos} has base offset ${base} where ${dense ? '' : 'at least '}${expectedNext} belongs (the base offset is not covered by the CRC: a flipped byte there moves offsets)`,
      pos,
    );
  }
  return v;
}
