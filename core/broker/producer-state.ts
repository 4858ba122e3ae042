// Idempotent produce (KIP-98): per partition, the last batches each producer id
// wrote, so a retried batch is recognised and answered with its original offsets
// instead of being written twice, and a gap in sequence numbers is refused.
//
// The producer fields sit at fixed positions of the RecordBatch v2 header
// (Kafka's DefaultRecordBatch); they are read without decoding records.
import { batchHeader, readInt64 } from '../log';
import { BrokerError, ErrorCode } from './errors';

const {
  BATCH_LENGTH,
  LOG_OVERHEAD,
  LAST_OFFSET_DELTA,
  PRODUCER_ID,
  PRODUCER_EPOCH,
  ATTRIBUTES,
  TIMESTAMP_TYPE_BIT,
  MAX_TIMESTAMP,
  BASE_SEQUENCE,
  BATCH_HEADER_SIZE: HEADER_SIZE,
} = batchHeader;

/** Kafka keeps the metadata of the last five batches per producer (max.in.flight 5). */
const BATCHES_KEPT = 5;
const INT32_MAX = 0x7fffffff;

export interface ProducerBatchFields {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  lastSequence: number;
}

export interface BatchSpan {
  position: number;
  size: number;
}

/** The whole batches at the start of `batches`, and where they end. */
function wholeBatches(batches: Buffer): { spans: BatchSpan[]; end: number } {
  const spans: BatchSpan[] = [];
  let position = 0;
  while (position + HEADER_SIZE <= batches.length) {
    const size = batches.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < HEADER_SIZE || position + size > batches.length) break;
    spans.push({ position, size });
    position += size;
  }
  return { spans, end: position };
}

/** Splits a buffer of consecutive batches into spans (lengths are checked by the log later). */
export function batchSpans(batches: Buffer): BatchSpan[] {
  const { spans, end } = wholeBatches(batches);
  if (end !== batches.length) return [{ position: 0, size: batches.length }]; // let the log explain the damage
  return spans;
}

/** Idempotent batches stored in `bytes` (as read from the log), with the offsets they hold. */
export function storedProducerBatches(bytes: Buffer): { fields: ProducerBatchFields; baseOffset: number; lastOffset: number; logAppendTime: number }[] {
  const out: { fields: ProducerBatchFields; baseOffset: number; lastOffset: number; logAppendTime: number }[] = [];
  for (const { position } of wholeBatches(bytes).spans) {
    const baseOffset = readInt64(bytes, position);
    const lastOffset = baseOffset + bytes.readInt32BE(position + LAST_OFFSET_DELTA);
    const fields = producerFields(bytes, position);
    if (fields === undefined) continue;
    const logAppend = (bytes.readInt16BE(position + ATTRIBUTES) & TIMESTAMP_TYPE_BIT) !== 0;
    out.push({ fields, baseOffset, lastOffset, logAppendTime: logAppend ? readInt64(bytes, position + MAX_TIMESTAMP) : -1 });
  }
  return out;
}

/** Offset after the last whole batch in `bytes` (undefined when there is none). */
export function nextOffsetAfter(bytes: Buffer): number | undefined {
  const { spans } = wholeBatches(bytes);
  const last = spans[spans.length - 1];
  if (!last) return undefined;
  return readInt64(bytes, last.position) + bytes.readInt32BE(last.position + LAST_OFFSET_DELTA) + 1;
}

/** The producer fields of the batch at `position`, or undefined for a non-idempotent batch. */
export function producerFields(batch: Buffer, position = 0): ProducerBatchFields | undefined {
  if (batch.length - position < HEADER_SIZE) return undefined;
  const producerId = readInt64(batch, position + PRODUCER_ID);
  if (producerId < 0) return undefined;
  const baseSequence = batch.readInt32BE(position + BASE_SEQUENCE);
  const lastOffsetDelta = batch.readInt32BE(position + LAST_OFFSET_DELTA);
  return {
    producerId,
    producerEpoch: batch.readInt16BE(position + PRODUCER_EPOCH),
    baseSequence,
    lastSequence: addSequence(baseSequence, lastOffsetDelta),
  };
}

/** Sequence numbers wrap from int32 max to 0. */
export function addSequence(sequence: number, delta: number): number {
  const next = sequence + delta;
  return next > INT32_MAX ? next - INT32_MAX - 1 : next;
}

interface WrittenBatch {
  baseSequence: number;
  lastSequence: number;
  baseOffset: number;
  lastOffset: number;
  logAppendTime: number;
}

interface ProducerEntry {
  epoch: number;
  batches: WrittenBatch[];
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number; lastOffset: number; logAppendTime: number };

/** The producer states of one partition. */
export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();

  /** Decides whether the batch is new (append), a retry (duplicate), or refused. */
  check(fields: ProducerBatchFields): SequenceCheck {
    const entry = this.producers.get(fields.producerId);
    const { producerId, producerEpoch, baseSequence } = fields;
    if (entry === undefined || producerEpoch > entry.epoch) {
      // A new producer (or a new epoch) starts at sequence 0.
      if (baseSequence !== 0) {
        throw new BrokerError(
          ErrorCode.UNKNOWN_PRODUCER_ID,
          `Producer ${producerId} (epoch ${producerEpoch}) is unknown to this partition and its batch starts at sequence ${baseSequence}, not 0; its state was lost (restart or expiry). Re-initialise the producer id and resend.`,
        );
      }
      return { kind: 'append' };
    }
    if (producerEpoch < entry.epoch) {
      throw new BrokerError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Producer ${producerId} sent epoch ${producerEpoch}, but epoch ${entry.epoch} is current: a newer instance of this producer fenced it.`,
      );
    }
    const duplicate = entry.batches.find((b) => b.baseSequence === baseSequence && b.lastSequence === fields.lastSequence);
    if (duplicate) return { kind: 'duplicate', baseOffset: duplicate.baseOffset, lastOffset: duplicate.lastOffset, logAppendTime: duplicate.logAppendTime };
    const last = entry.batches[entry.batches.length - 1];
    const expected = last === undefined ? 0 : addSequence(last.lastSequence, 1);
    if (baseSequence !== expected) {
      throw new BrokerError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `Producer ${producerId} sent sequence ${baseSequence}, expected ${expected}: a batch in between was lost.`,
      );
    }
    return { kind: 'append' };
  }

  /** Records a batch the log accepted. */
  record(fields: ProducerBatchFields, written: Omit<WrittenBatch, 'baseSequence' | 'lastSequence'>): void {
    let entry = this.producers.get(fields.producerId);
    if (entry === undefined || fields.producerEpoch > entry.epoch) {
      entry = { epoch: fields.producerEpoch, batches: [] };
      this.producers.set(fields.producerId, entry);
    }
    entry.batches.push({ baseSequence: fields.baseSequence, lastSequence: fields.lastSequence, ...written });
    if (entry.batches.length > BATCHES_KEPT) entry.batches.shift();
  }

  get size(): number {
    return this.producers.size;
  }
}
