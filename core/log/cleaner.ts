// Log compaction (Kafka's LogCleaner, for one partition): keeps the latest record
// per key in the closed segments, drops tombstones once they are older than
// delete.retention.ms, and preserves every surviving record's offset, so gaps are
// normal and order never changes.
//
// A pass: (1) find the dirty range, from the cleaner checkpoint to the first
// uncleanable offset (the active segment, or the first segment with records younger
// than min.compaction.lag.ms); (2) skip unless dirty bytes / cleanable bytes reach
// min.cleanable.dirty.ratio; (3) map each key in the dirty range to its latest
// offset; (4) rewrite every closed segment below the uncleanable offset, one segment
// at a time, through PartitionLog.replaceSegment (crash-safe swap).
//
// Transactions: only segments below the last stable offset are cleanable (see
// PartitionLog.closedSegments), so every transaction there has ended. Records
// of aborted transactions are dropped and never count as a key's latest value
// (an aborted write must not shadow the committed one, as in Kafka's cleaner);
// control batches (markers) are kept.
import * as path from 'node:path';
import { decodeRecordBatch, encodeRecordBatch, DecodedBatch, DecodedRecord } from './record-batch';
import { isCompacted } from './config';
import { readOffsetCheckpoint, writeOffsetCheckpoint } from './checkpoint-file';
import { LogCorruptionError } from './errors';
import type { PartitionLog } from './partition-log';
import type { LogSegment, BatchInfo } from './segment';

const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

export interface CleanerOptions {
  /**
   * Upper bound on distinct keys held in memory per pass (Kafka's dedupe buffer).
   * A pass covers only as many dirty segments as fit; the next pass goes on.
   */
  maxKeysPerPass?: number;
}

export interface CleanResult {
  /** Why nothing was done, when nothing was. */
  skipped?: 'not-compacted' | 'nothing-dirty' | 'below-dirty-ratio';
  segmentsRewritten: number;
  recordsRemoved: number;
  tombstonesRemoved: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Offset up to which the log is now clean (the next pass starts here). */
  firstDirtyOffset: number;
}

/** Where the cleaner stopped last time, per partition directory. */
function readCleanerCheckpoint(log: PartitionLog): number {
  return readOffsetCheckpoint(path.join(log.dir, CLEANER_CHECKPOINT_FILE)) ?? 0;
}

/** Visits every stored batch of a segment, decoded. */
function forEachBatch(segment: LogSegment, visit: (batch: DecodedBatch, raw: Buffer) => void): void {
  for (let b = segment.batchAt(0); b; b = segment.batchAt(b.position + b.size)) {
    const raw = segment.read(b.position, 1);
    const decoded = decodeRecordBatch(raw, 0);
    if (decoded._tag === 'Left') throw new LogCorruptionError(segment.file, b.position, decoded.left.message);
    visit(decoded.right, raw);
  }
}

/** Map keys by their bytes; latin1 turns any byte string into a distinct JS string. */
function keyOf(record: DecodedRecord): string | undefined {
  return record.key === null ? undefined : record.key.toString('latin1');
}

function recordTimestamp(batch: DecodedBatch, record: DecodedRecord): number {
  return batch.timestampType === 'logAppend' ? batch.maxTimestamp : record.timestamp;
}

export class LogCleaner {
  private readonly maxKeysPerPass: number;

  constructor(options: CleanerOptions = {}) {
    this.maxKeysPerPass = options.maxKeysPerPass ?? 1_000_000;
  }

  /** Fraction of the cleanable bytes that lie in the dirty range (0 when nothing is cleanable). */
  dirtyRatio(log: PartitionLog, now: number): number {
    const { cleanable, firstDirty } = this.cleanableRange(log, now);
    let total = 0;
    let dirty = 0;
    for (const s of cleanable) {
      total += s.size;
      if (s.nextOffset > firstDirty) dirty += s.size;
    }
    return total === 0 ? 0 : dirty / total;
  }

  private cleanableRange(log: PartitionLog, now: number): { cleanable: LogSegment[]; firstDirty: number } {
    const lag = log.config['min.compaction.lag.ms'];
    const cleanable: LogSegment[] = [];
    for (const s of log.closedSegments()) {
      if (s.maxTimestamp >= 0 && now - s.maxTimestamp < lag) break;
      cleanable.push(s);
    }
    return { cleanable, firstDirty: Math.max(readCleanerCheckpoint(log), log.logStartOffset) };
  }

  /** One compaction pass over `log` at time `now`. */
  clean(log: PartitionLog, now: number): CleanResult {
    const result: CleanResult = {
      segmentsRewritten: 0,
      recordsRemoved: 0,
      tombstonesRemoved: 0,
      bytesBefore: 0,
      bytesAfter: 0,
      firstDirtyOffset: readCleanerCheckpoint(log),
    };
    if (!isCompacted(log.config)) return { ...result, skipped: 'not-compacted' };
    const { cleanable, firstDirty } = this.cleanableRange(log, now);
    const dirtySegments = cleanable.filter((s) => s.nextOffset > firstDirty);
    if (dirtySegments.length === 0) return { ...result, skipped: 'nothing-dirty' };
    if (this.dirtyRatio(log, now) < log.config['min.cleanable.dirty.ratio']) return { ...result, skipped: 'below-dirty-ratio' };

    // (3) latest offset per key over as many whole dirty segments as the map holds.
    const latest = new Map<string, number>();
    const aborted = abortedBatches(log, cleanable[0].baseOffset);
    let cleanUpTo = firstDirty;
    for (const segment of dirtySegments) {
      forEachBatch(segment, (batch) => {
        if (aborted(batch)) return;
        for (const r of batch.records) {
          const key = keyOf(r);
          if (key !== undefined && r.offset >= firstDirty) latest.set(key, r.offset);
        }
      });
      cleanUpTo = segment.nextOffset;
      if (latest.size >= this.maxKeysPerPass) break;
    }

    // (4) rewrite each segment below cleanUpTo.
    const deleteHorizon = now - log.config['delete.retention.ms'];
    for (const segment of cleanable) {
      if (segment.baseOffset >= cleanUpTo) break;
      result.bytesBefore += segment.size;
      const rewritten = this.rewriteSegment(log, segment, { latest, aborted }, cleanUpTo, deleteHorizon, result);
      result.bytesAfter += rewritten ? rewritten.size : segment.size;
    }
    writeOffsetCheckpoint(path.join(log.dir, CLEANER_CHECKPOINT_FILE), cleanUpTo);
    result.firstDirtyOffset = cleanUpTo;
    return result;
  }

  /**
   * Writes the surviving records of `segment` into a `.cleaned` twin and swaps it
   * in; returns the twin, or undefined when nothing in the segment had to go.
   */
  private rewriteSegment(
    log: PartitionLog,
    segment: LogSegment,
    { latest, aborted }: { latest: Map<string, number>; aborted: (batch: DecodedBatch) => boolean },
    cleanUpTo: number,
    deleteHorizon: number,
    result: CleanResult,
  ): LogSegment | undefined {
    const survivors: { bytes: Buffer; info: BatchInfo }[] = [];
    let changed = false;
    forEachBatch(segment, (batch, raw) => {
      // Control batches (transaction markers) and records past the cleaned range stay as they are.
      const kept = batch.isControl
        ? batch.records
        : aborted(batch)
          ? batch.records.filter((r) => {
              if (r.offset >= cleanUpTo) return true;
              result.recordsRemoved++;
              return false;
            })
          : batch.records.filter((r) => {
              if (r.offset >= cleanUpTo) return true;
              const key = keyOf(r);
              const newest = key === undefined ? undefined : latest.get(key);
              if (newest !== undefined && r.offset < newest) {
                result.recordsRemoved++;
                return false;
              }
              if (r.value === null && recordTimestamp(batch, r) < deleteHorizon) {
                result.tombstonesRemoved++;
                return false;
              }
              return true;
            });
      if (kept.length === batch.records.length) {
        survivors.push({ bytes: raw, info: infoOf(batch, raw.length) });
        return;
      }
      changed = true;
      if (kept.length === 0) return;
      const bytes = reencode(batch, kept);
      survivors.push({ bytes, info: infoOf(batch, bytes.length, kept) });
    });
    if (!changed) return undefined;
    const cleaned = log.createCleanedSegment(segment.baseOffset);
    for (const s of survivors) cleaned.append(s.bytes, 0, s.bytes.length, [s.info]);
    log.replaceSegment(cleaned);
    result.segmentsRewritten++;
    return cleaned;
  }
}

/**
 * Whether a stored batch belongs to an aborted transaction: a transactional
 * data batch inside an aborted transaction of its producer (first offset to
 * marker), as the aborted-transaction indexes from `from` on list them.
 */
function abortedBatches(log: PartitionLog, from: number): (batch: DecodedBatch) => boolean {
  const aborted = log.abortedTransactions(from, Number.MAX_SAFE_INTEGER);
  if (aborted.length === 0) return () => false;
  return (batch) =>
    batch.isTransactional &&
    !batch.isControl &&
    aborted.some((t) => t.producerId === batch.producerId && t.firstOffset <= batch.baseOffset && batch.baseOffset < t.lastOffset);
}

/**
 * A batch holding only `kept`, with the original base offset, last offset delta,
 * producer fields and compression, so offsets and producer state are preserved.
 */
function reencode(batch: DecodedBatch, kept: DecodedRecord[]): Buffer {
  return encodeRecordBatch({
    records: kept.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
    offsetDeltas: kept.map((r) => r.offset - batch.baseOffset),
    lastOffsetDelta: batch.lastOffset - batch.baseOffset,
    baseOffset: batch.baseOffset,
    baseTimestamp: batch.baseTimestamp,
    compression: batch.compression,
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    producerId: batch.producerId,
    producerEpoch: batch.producerEpoch,
    baseSequence: batch.baseSequence,
    transactional: batch.isTransactional,
    timestampType: batch.timestampType,
  });
}

function infoOf(batch: DecodedBatch, size: number, kept: DecodedRecord[] = batch.records): BatchInfo {
  let maxTimestamp = -1;
  for (const r of kept) maxTimestamp = Math.max(maxTimestamp, recordTimestamp(batch, r));
  return { baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, maxTimestamp, size };
}
