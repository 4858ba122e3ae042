// Idempotent produce (KIP-98): per partition, the last batches each producer id
// wrote, so a retried batch is recognised and answered with its original offsets
// instead of being written twice, and a gap in sequence numbers is refused.
// Transactions add epoch fencing: a transaction marker (WriteTxnMarkers) from a
// newer producer epoch bumps the partition's epoch for that producer, and a
// batch or a marker of an older epoch is refused.
//
// The producer fields sit at fixed positions of the RecordBatch v2 header
// (Kafka's DefaultRecordBatch); they are read without decoding records.
import { batchHeader, encodeTxnMarker, readInt64, type PartitionLog, type TxnMarkerFields } from '../log';
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
  CONTROL_BIT,
  BATCH_HEADER_SIZE: HEADER_SIZE,
} = batchHeader;

/**
 * How far back (in offsets) the producer state is rebuilt from the log when a
 * partition opens (or a replica truncates). A producer whose last write is older
 * than this is forgotten, like Kafka's producer-id expiry; its next batch then
 * starts a new sequence.
 */
export const PRODUCER_STATE_WINDOW = 10_000;
const REBUILD_CHUNK = 1024 * 1024;

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

interface StoredProducerBatch {
  fields: ProducerBatchFields;
  baseOffset: number;
  lastOffset: number;
  logAppendTime: number;
  /** A transaction marker: it moves the producer's epoch, not its sequence. */
  control: boolean;
}

/** Idempotent batches stored in `bytes` (as read from the log), with the offsets they hold. */
export function storedProducerBatches(bytes: Buffer): StoredProducerBatch[] {
  const out: StoredProducerBatch[] = [];
  for (const { position } of wholeBatches(bytes).spans) {
    const baseOffset = readInt64(bytes, position);
    const lastOffset = baseOffset + bytes.readInt32BE(position + LAST_OFFSET_DELTA);
    const fields = producerFields(bytes, position);
    if (fields === undefined) continue;
    const attributes = bytes.readInt16BE(position + ATTRIBUTES);
    const logAppend = (attributes & TIMESTAMP_TYPE_BIT) !== 0;
    out.push({
      fields,
      baseOffset,
      lastOffset,
      logAppendTime: logAppend ? readInt64(bytes, position + MAX_TIMESTAMP) : -1,
      control: (attributes & CONTROL_BIT) !== 0,
    });
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
  /** Epoch of the transaction coordinator that wrote this producer's last marker (-1: none yet). */
  coordinatorEpoch: number;
}

/** A transaction marker's producer and coordinator fields (WriteTxnMarkers). */
export interface MarkerFields {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
}

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; baseOffset: number; lastOffset: number; logAppendTime: number };

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
    const entry = this.entryAtEpoch(fields.producerId, fields.producerEpoch);
    entry.batches.push({ baseSequence: fields.baseSequence, lastSequence: fields.lastSequence, ...written });
    if (entry.batches.length > BATCHES_KEPT) entry.batches.shift();
  }

  /** The producer's entry, started afresh when `epoch` is newer (a new epoch starts at sequence 0). */
  private entryAtEpoch(producerId: number, epoch: number): ProducerEntry {
    let entry = this.producers.get(producerId);
    if (entry === undefined || epoch > entry.epoch) {
      entry = { epoch, batches: [], coordinatorEpoch: entry?.coordinatorEpoch ?? -1 };
      this.producers.set(producerId, entry);
    }
    return entry;
  }

  /**
   * Whether a transaction marker may be written: refused when its producer
   * epoch is older than the partition's (PRODUCER_FENCED: a newer instance of
   * the producer took over) or its coordinator epoch older than the last
   * marker's (TRANSACTION_COORDINATOR_FENCED: a coordinator that lost its role).
   */
  checkMarker(m: MarkerFields): void {
    const entry = this.producers.get(m.producerId);
    if (entry === undefined) return;
    if (m.producerEpoch < entry.epoch)
      throw new BrokerError(
        ErrorCode.PRODUCER_FENCED,
        `A marker for producer ${m.producerId} has epoch ${m.producerEpoch}, but epoch ${entry.epoch} is current on this partition: that producer was fenced.`,
      );
    if (m.coordinatorEpoch < entry.coordinatorEpoch)
      throw new BrokerError(
        ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `A marker for producer ${m.producerId} comes from coordinator epoch ${m.coordinatorEpoch}, older than ${entry.coordinatorEpoch}: a newer transaction coordinator took over.`,
      );
  }

  /** Records a written marker: a newer producer epoch fences the old one's writes from now on. */
  recordMarker(m: MarkerFields): void {
    const entry = this.entryAtEpoch(m.producerId, m.producerEpoch);
    if (m.coordinatorEpoch > entry.coordinatorEpoch) entry.coordinatorEpoch = m.coordinatorEpoch;
  }

  /**
   * Records the idempotent batches of `bytes` as stored in a log (a follower's
   * copy of its leader's batches, or a log being read back), skipping batches
   * that end before `from`.
   */
  recordStored(bytes: Buffer, from = 0): void {
    for (const b of storedProducerBatches(bytes)) {
      if (b.lastOffset < from) continue;
      if (b.control) this.recordMarker({ producerId: b.fields.producerId, producerEpoch: b.fields.producerEpoch, coordinatorEpoch: -1 });
      else this.record(b.fields, { baseOffset: b.baseOffset, lastOffset: b.lastOffset, logAppendTime: b.logAppendTime });
    }
  }

  /**
   * Takes over the producers of `previous` (this log's table before it was cut
   * at `end`) that this table does not know, with their batches that end before
   * `end`: producers older than the rebuild window, which a truncation of the
   * log's tail must not make the replica forget.
   */
  adoptOlderProducers(previous: ProducerStateTable, end: number): void {
    for (const [producerId, entry] of previous.producers) {
      if (this.producers.has(producerId)) continue;
      const batches = entry.batches.filter((b) => b.lastOffset < end);
      if (batches.length > 0) this.producers.set(producerId, { epoch: entry.epoch, batches, coordinatorEpoch: entry.coordinatorEpoch });
    }
  }

  get size(): number {
    return this.producers.size;
  }
}

/**
 * The producer states of a log, read from the batch headers of its last
 * PRODUCER_STATE_WINDOW offsets (records above the high watermark included: a
 * replica's table describes its whole log), so a batch retried across a restart,
 * a truncation or a change of leader is still recognised as a duplicate.
 * After a truncation, `beforeTruncation` (the table until then) adds the
 * producers older than the window.
 */
export function rebuildProducerState(
  log: Pick<PartitionLog, 'logStartOffset' | 'logEndOffset' | 'read'>,
  beforeTruncation?: ProducerStateTable,
): ProducerStateTable {
  const table = new ProducerStateTable();
  let offset = Math.max(log.logStartOffset, log.logEndOffset - PRODUCER_STATE_WINDOW);
  while (offset < log.logEndOffset) {
    const bytes = log.read(offset, REBUILD_CHUNK, log.logEndOffset);
    const next = nextOffsetAfter(bytes);
    if (next === undefined) break;
    table.recordStored(bytes, offset);
    offset = next;
  }
  if (beforeTruncation !== undefined) table.adoptOlderProducers(beforeTruncation, log.logEndOffset);
  return table;
}

/** Offsets an append gave a request's batches (a retried batch: the ones it got the first time). */
export interface CheckedAppend {
  baseOffset: number;
  lastOffset: number;
  /** Broker time stamped under LogAppendTime, else -1. */
  logAppendTime: number;
  /** True when every batch was a retry of one already written: nothing was appended. */
  duplicate: boolean;
}

/**
 * Appends the batches of one Produce request through `append`. Batches of an
 * idempotent producer are checked against `table` one by one first (a retry is
 * answered with its original offsets and not written again; a sequence gap or an
 * old epoch throws the BrokerError to answer) and recorded in it once written.
 * The embedded partition and a cluster partition leader both append this way.
 */
export function appendWithProducerState(
  batches: Buffer,
  table: ProducerStateTable,
  append: (batch: Buffer) => { baseOffset: number; lastOffset: number; logAppendTime: number },
): CheckedAppend {
  if (producerFields(batches, 0) === undefined) return { ...append(batches), duplicate: false };
  let result: CheckedAppend | undefined;
  let allDuplicates = true;
  for (const span of batchSpans(batches)) {
    const batch = batches.subarray(span.position, span.position + span.size);
    const fields = producerFields(batch);
    if (fields === undefined)
      throw new BrokerError(ErrorCode.INVALID_RECORD, 'A Produce request mixes idempotent and plain batches; send one kind per request.');
    const check = table.check(fields);
    let r: { baseOffset: number; lastOffset: number; logAppendTime: number };
    if (check.kind === 'duplicate') {
      r = check;
    } else {
      allDuplicates = false;
      r = append(batch);
      table.record(fields, { baseOffset: r.baseOffset, lastOffset: r.lastOffset, logAppendTime: r.logAppendTime });
    }
    result = { baseOffset: result?.baseOffset ?? r.baseOffset, lastOffset: r.lastOffset, logAppendTime: r.logAppendTime, duplicate: false };
  }
  return { ...result!, duplicate: allDuplicates };
}

/**
 * Appends the control batch ending `marker`'s transaction through `append`
 * (WriteTxnMarkers at a partition leader): checked against `table` first (an
 * older producer or coordinator epoch throws the BrokerError to answer), then
 * recorded, so a newer epoch fences the old producer's writes from here on.
 * The embedded partition and a cluster partition leader both write markers this way.
 */
export function appendTxnMarker(
  marker: TxnMarkerFields,
  table: ProducerStateTable,
  now: number,
  append: (batch: Buffer) => { baseOffset: number; lastOffset: number },
): { baseOffset: number; lastOffset: number } {
  table.checkMarker(marker);
  const r = append(encodeTxnMarker(marker, now));
  table.recordMarker(marker);
  return r;
}
