// One partition's log on disk (Kafka's UnifiedLog for a single partition): a list of
// segments, the newest one active, plus the offsets that matter — log start offset,
// high watermark, log end offset, recovery point — and the leader epoch cache.
//
// The API is synchronous on purpose: appends are page-cache writes, and a single
// thread of control makes ordering and crash behaviour easy to reason about. Only
// flush() (fsync) is slow, and the flush policy decides how often it happens.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ATTRIBUTES,
  CRC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  TIMESTAMP_TYPE_BIT,
  BATCH_LENGTH,
  LOG_OVERHEAD,
  writeInt64,
} from './batch-header';
import { crc32c } from './crc32c';
import { RecentAppends } from './recent-appends';
import { LogConfig, logConfigOrThrow, isCompacted, deletesOldSegments, parseLogConfig } from './config';
import { readOffsetCheckpoint, writeOffsetCheckpoint, fsyncDirectory } from './checkpoint-file';
import { LeaderEpochCache } from './leader-epoch-cache';
import { LogSegment, BatchInfo, parseSegmentFileName, segmentFileName } from './segment';
import { FileHandleCache, sharedFileHandles } from './file-handles';
import { checkBatch, decodeRecordBatch, encodeRecordBatch, BatchError, RecordInput, CompressionName } from './record-batch';
import {
  CorruptRecordError,
  InvalidRecordError,
  LogClosedError,
  LogCorruptionError,
  OffsetOutOfRangeError,
  RecordTooLargeError,
} from './errors';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface LogWarning {
  kind: 'torn-tail-truncated' | 'index-rebuilt' | 'corruption-moved-aside' | 'leftover-removed';
  file: string;
  message: string;
}

export interface OpenOptions {
  clock?: Clock;
  /**
   * On corruption in the middle of the log: false (default) refuses to open with a
   * LogCorruptionError naming file and position; true moves the damaged bytes and
   * every later segment aside (`.corrupt` files, kept on disk) and opens the log
   * truncated there.
   */
  recoverCorruption?: boolean;
  /** Told about every repair made while opening (torn tails, rebuilt indexes). */
  onWarning?: (w: LogWarning) => void;
  /**
   * A replicated partition: the high watermark moves only by
   * updateHighWatermark() (what every in-sync replica has), not by append, and
   * is checkpointed so a restart does not expose unreplicated records.
   */
  replicated?: boolean;
  /**
   * Keep the batches of appends above the high watermark in memory, up to this
   * many bytes, and serve reads of them from there (see recent-appends.ts): a
   * leader's followers then fetch fresh data without a disk read or a new buffer.
   * The log keeps the appended Buffers themselves (of appends that assign
   * offsets; a follower's appends are not kept), so a caller that sets this
   * must not change or append again such a buffer. Default 0 (off).
   */
  recentAppendBytes?: number;
  /** The budget of open segment files this log shares (a broker passes its own); default one per process. */
  fileHandles?: FileHandleCache;
}

export interface AppendOptions {
  /** false for a follower copying the leader's batches with their offsets. */
  assignOffsets?: boolean;
  /** Stamped into each batch's partitionLeaderEpoch and recorded in the epoch cache. */
  leaderEpoch?: number;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  recordCount: number;
  /** The broker's time stamped into the batches under LogAppendTime, else -1. */
  logAppendTime: number;
}

export interface TimestampOffset {
  offset: number;
  timestamp: number;
}

const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint';
const LOG_START_FILE = 'log-start-offset-checkpoint';
const LEADER_EPOCH_FILE = 'leader-epoch-checkpoint';
const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
const HIGH_WATERMARK_FILE = 'high-watermark-checkpoint';
/** How often maybeFlush() persists the recovery point (Kafka: log.flush.offset.checkpoint.interval.ms). */
const RECOVERY_CHECKPOINT_INTERVAL_MS = 60_000;

export class PartitionLog {
  private segments: LogSegment[] = [];
  private _logStartOffset = 0;
  private _highWatermark = 0;
  private _recoveryPoint = 0;
  private checkpointedRecoveryPoint = -1;
  private unflushedMessages = 0;
  private firstUnflushedAt = -1;
  private lastCheckpointAt: number;
  private closed = false;
  readonly leaderEpochs: LeaderEpochCache;
  private readonly recent: RecentAppends | undefined;
  private fileHandles: FileHandleCache = sharedFileHandles;

  private constructor(
    readonly dir: string,
    private _config: LogConfig,
    private readonly clock: Clock,
    private readonly replicated: boolean,
    recentAppendBytes: number,
  ) {
    this.leaderEpochs = new LeaderEpochCache(path.join(dir, LEADER_EPOCH_FILE));
    this.lastCheckpointAt = clock.now();
    this.recent = recentAppendBytes > 0 ? new RecentAppends(recentAppendBytes) : undefined;
  }

  /**
   * Opens (creating if needed) the log in `dir`, validating `config` (Kafka names,
   * e.g. { 'segment.bytes': 1048576, 'cleanup.policy': 'compact' }). Recovers after a
   * crash by rescanning only the segments after the recovery checkpoint.
   */
  static open(dir: string, config: Readonly<Record<string, unknown>> = {}, options: OpenOptions = {}): PartitionLog {
    const parsed = logConfigOrThrow(config);
    fs.mkdirSync(dir, { recursive: true });
    const log = new PartitionLog(dir, parsed, options.clock ?? systemClock, options.replicated ?? false, options.recentAppendBytes ?? 0);
    if (options.fileHandles) log.fileHandles = options.fileHandles;
    log.load(options);
    return log;
  }

  get config(): Readonly<LogConfig> {
    return this._config;
  }
  get logStartOffset(): number {
    return this._logStartOffset;
  }
  get logEndOffset(): number {
    return this.active.nextOffset;
  }
  /** The last offset + 1 that consumers may read: the log end offset, or for a replicated log what every in-sync replica has. */
  get highWatermark(): number {
    return this._highWatermark;
  }
  get recoveryPoint(): number {
    return this._recoveryPoint;
  }
  /** Total bytes of all segments. */
  get size(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }
  get segmentCount(): number {
    return this.segments.length;
  }
  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }
  private get active(): LogSegment {
    return this.segments[this.segments.length - 1];
  }

  /** Changes the config (validated); takes effect for the next append, roll or retention pass. */
  updateConfig(changes: Readonly<Record<string, unknown>>): void {
    const parsed = parseLogConfig(changes, this._config);
    if (parsed._tag === 'Left') throw parsed.left;
    this._config = parsed.right;
  }

  // ---------------------------------------------------------------- loading

  private load(options: OpenOptions): void {
    const warn = options.onWarning ?? (() => {});
    const names = fs.readdirSync(this.dir);
    this.completeInterruptedSwaps(names, warn);
    const bases = fs
      .readdirSync(this.dir)
      .map((n) => parseSegmentFileName(n))
      .filter((b): b is number => b !== undefined)
      .sort((a, b) => a - b);
    const cleanShutdown = fs.existsSync(path.join(this.dir, CLEAN_SHUTDOWN_FILE));
    const recoveryPoint = readOffsetCheckpoint(path.join(this.dir, RECOVERY_POINT_FILE)) ?? 0;
    for (let i = 0; i < bases.length; i++) {
      const segment = this.openSegment(bases[i]);
      this.segments.push(segment);
      const next = bases[i + 1];
      // Segments entirely below the recovery point were fsynced with their indexes.
      const flushed = cleanShutdown || (next !== undefined && next <= recoveryPoint);
      const indexUsable = segment.size === 0 || segment.offsetIndex.entries > 0;
      if (flushed && indexUsable && segment.loadFromIndexes()) continue;
      if (flushed) warn({ kind: 'index-rebuilt', file: segment.file, message: `rebuilt the missing or damaged index of ${segment.file}` });
      const scan = segment.scan(this._config['max.message.bytes']);
      if (!scan.error) continue;
      const isLast = i === bases.length - 1;
      if (scan.tornTail && isLast) {
        warn({ kind: 'torn-tail-truncated', file: segment.file, message: `truncated a torn write at position ${scan.validBytes} of ${segment.file} (${segment.size - scan.validBytes} bytes): ${scan.error.message}` });
        segment.truncateToPosition(scan.validBytes);
        continue;
      }
      if (!options.recoverCorruption) {
        for (const s of this.segments) s.close();
        throw new LogCorruptionError(segment.file, scan.validBytes, scan.error.message);
      }
      this.moveAside(segment, scan.validBytes, bases.slice(i + 1), warn);
      break;
    }
    if (this.segments.length === 0) this.segments.push(this.openSegment(0));
    // Offsets can only start where the first segment does.
    const checkpointedStart = readOffsetCheckpoint(path.join(this.dir, LOG_START_FILE)) ?? 0;
    this._logStartOffset = Math.min(Math.max(checkpointedStart, this.segments[0].baseOffset), this.logEndOffset);
    this._recoveryPoint = Math.min(cleanShutdown ? this.logEndOffset : recoveryPoint, this.logEndOffset);
    const checkpointedHighWatermark = this.replicated ? (readOffsetCheckpoint(path.join(this.dir, HIGH_WATERMARK_FILE)) ?? 0) : Infinity;
    this._highWatermark = Math.max(this._logStartOffset, Math.min(checkpointedHighWatermark, this.logEndOffset));
    this.leaderEpochs.truncateFromEnd(this.logEndOffset);
    fs.rmSync(path.join(this.dir, CLEAN_SHUTDOWN_FILE), { force: true });
  }

  /**
   * The cleaner replaces a segment by writing `X.log.cleaned`, renaming it to
   * `X.log.swap`, then swapping it in. `.cleaned` leftovers are incomplete: drop
   * them. A `.swap` is complete: finish the swap.
   */
  private completeInterruptedSwaps(names: string[], warn: (w: LogWarning) => void): void {
    for (const name of names) {
      const file = path.join(this.dir, name);
      if (name.endsWith('.cleaned')) {
        fs.rmSync(file, { force: true });
        warn({ kind: 'leftover-removed', file, message: `removed ${name} left by an interrupted compaction` });
      } else if (name.endsWith('.swap')) {
        fs.renameSync(file, file.slice(0, -'.swap'.length));
      }
    }
  }

  private moveAside(segment: LogSegment, position: number, laterBases: number[], warn: (w: LogWarning) => void): void {
    const damaged = `${segment.file}.${position}.corrupt`;
    const src = fs.openSync(segment.file, 'r');
    try {
      const length = segment.size - position;
      const bytes = Buffer.allocUnsafe(length);
      fs.readSync(src, bytes, 0, length, position);
      fs.writeFileSync(damaged, bytes);
    } finally {
      fs.closeSync(src);
    }
    segment.truncateToPosition(position);
    for (const base of laterBases) {
      for (const suffix of ['.log', '.index', '.timeindex']) {
        const file = path.join(this.dir, segmentFileName(base, suffix));
        if (fs.existsSync(file)) fs.renameSync(file, file + '.corrupt');
      }
    }
    warn({ kind: 'corruption-moved-aside', file: segment.file, message: `moved the damaged bytes from position ${position} of ${segment.file} to ${damaged} and ${laterBases.length} later segment(s) to .corrupt files` });
  }

  // ---------------------------------------------------------------- append

  /**
   * Validates the RecordBatch v2 batches in `batches` (one Produce request's records
   * may hold several), assigns their offsets and appends them. The buffer is
   * modified in place (offsets, leader epoch), so the caller hands it over.
   */
  append(batches: Buffer, options: AppendOptions = {}): AppendResult {
    this.ensureOpen();
    const assignOffsets = options.assignOffsets ?? true;
    const logAppendTime = this._config['message.timestamp.type'] === 'LogAppendTime' ? this.clock.now() : -1;
    const infos = this.validate(batches, assignOffsets);
    let recordCount = 0;
    let position = 0;
    let maxTimestamp = -1;
    for (const info of infos) {
      if (options.leaderEpoch !== undefined) batches.writeInt32BE(options.leaderEpoch, position + PARTITION_LEADER_EPOCH);
      if (logAppendTime >= 0) {
        stampLogAppendTime(batches, position, info.size, logAppendTime);
        info.maxTimestamp = logAppendTime;
      }
      if (info.maxTimestamp > maxTimestamp) maxTimestamp = info.maxTimestamp;
      recordCount += info.recordCount;
      position += info.size;
    }
    const baseOffset = infos[0].baseOffset;
    const lastOffset = infos[infos.length - 1].lastOffset;
    this.maybeRoll(batches.length, maxTimestamp, lastOffset);
    if (options.leaderEpoch !== undefined) this.leaderEpochs.assign(options.leaderEpoch, baseOffset);
    this.active.append(batches, 0, batches.length, infos);
    // A follower's copies are not kept: it serves no fetches until it leads (and
    // may reuse the buffer it received them in). What is kept stays contiguous.
    if (assignOffsets) this.recent?.add(batches, baseOffset, lastOffset);
    else this.recent?.clear();
    if (!this.replicated) this.updateHighWatermark(this.logEndOffset);
    this.unflushedMessages += recordCount;
    if (this.firstUnflushedAt < 0) this.firstUnflushedAt = this.clock.now();
    if (this.unflushedMessages >= this._config['flush.messages']) this.flush();
    return { baseOffset, lastOffset, recordCount, logAppendTime };
  }

  /** Encodes `records` into one batch and appends it: the convenient path for tests and tools. */
  appendRecords(records: RecordInput[], options: AppendOptions & { compression?: CompressionName } = {}): AppendResult {
    return this.append(encodeRecordBatch({ records, compression: options.compression }), options);
  }

  /** Frame and CRC checks for every batch, offsets assigned (or checked for a follower). */
  private validate(batches: Buffer, assignOffsets: boolean): (BatchInfo & { recordCount: number })[] {
    if (batches.length === 0) throw new InvalidRecordError('Append of an empty record set: send at least one batch.');
    const infos: (BatchInfo & { recordCount: number })[] = [];
    const limit = this._config['max.message.bytes'];
    let nextOffset = this.logEndOffset;
    let position = 0;
    while (position < batches.length) {
      if (batches.length - position >= LOG_OVERHEAD) {
        const declared = batches.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD;
        if (declared > limit + LOG_OVERHEAD) throw new RecordTooLargeError(declared, limit);
      }
      const checked = checkBatch(batches, position);
      if (checked._tag === 'Left') throw new CorruptRecordError(`Rejected batch at byte ${position} of the append: ${checked.left.message}`);
      const frame = checked.right;
      if (frame.recordCount <= 0) throw new InvalidRecordError(`Batch at byte ${position} holds no records.`);
      if (isCompacted(this._config)) this.requireKeys(batches, position);
      if (assignOffsets) {
        writeInt64(batches, position, nextOffset);
      } else if (frame.baseOffset < nextOffset) {
        throw new InvalidRecordError(`Follower append at offset ${frame.baseOffset} is below the log end offset ${nextOffset}; truncate first.`);
      }
      const baseOffset = assignOffsets ? nextOffset : frame.baseOffset;
      const lastOffset = baseOffset + frame.lastOffsetDelta;
      infos.push({ baseOffset, lastOffset, maxTimestamp: frame.maxTimestamp, size: frame.size, recordCount: frame.recordCount });
      nextOffset = lastOffset + 1;
      position += frame.size;
    }
    return infos;
  }

  /** A compacted topic keeps the latest value per key, so every record needs a key (as Kafka requires). */
  private requireKeys(batches: Buffer, position: number): void {
    const decoded = decodeRecordBatch(batches, position);
    if (decoded._tag === 'Left') throw new CorruptRecordError(decoded.left.message);
    if (decoded.right.isControl) return;
    if (decoded.right.records.some((r) => r.key === null)) {
      throw new InvalidRecordError(`Compacted topic (cleanup.policy=${this._config['cleanup.policy']}) cannot accept a record without a key.`);
    }
  }

  private openSegment(baseOffset: number, suffix = ''): LogSegment {
    return LogSegment.open(this.dir, baseOffset, this._config['index.interval.bytes'], suffix, this.fileHandles);
  }

  private maybeRoll(incomingBytes: number, incomingMaxTimestamp: number, lastOffset: number): void {
    const active = this.active;
    if (active.size === 0) return;
    const full = active.size + incomingBytes > this._config['segment.bytes'];
    const first = active.firstBatchTimestamp;
    // Kafka's rule (LogSegment.timeWaitedForRoll): the incoming max timestamp minus the
    // first batch's. A timestamp from the future counts only up to now, so producers
    // cannot roll a segment per request by stepping their clocks forward; old ones roll
    // at most once per segment.ms of their time, and retention removes such segments.
    const old = first !== undefined && Math.min(incomingMaxTimestamp, this.clock.now()) - first >= this._config['segment.ms'];
    // Relative offsets in the index are int32.
    const offsetOverflow = lastOffset - active.baseOffset > 0x7fffffff;
    if (full || old || offsetOverflow) this.roll();
  }

  /** Closes the active segment and starts a new one at the log end offset. */
  roll(): void {
    this.ensureOpen();
    const old = this.active;
    if (old.size === 0) return;
    // Closed segments before `old` were made durable when they rolled, so making
    // `old` durable puts everything on disk: move the recovery point so a crash
    // rescans only the new segment.
    old.onRolled();
    this.recent?.clear();
    this.markFlushed();
    this.writeRecoveryCheckpoint();
    this.segments.push(this.openSegment(this.logEndOffset));
    fsyncDirectory(this.dir);
  }

  // ---------------------------------------------------------------- read

  /**
   * Whole stored batches starting with the one that holds `offset`, at most
   * `maxBytes` (but always at least one batch), never past the high watermark
   * (or `upTo`). Bytes come straight from the segment file: no record is decoded.
   * Throws OffsetOutOfRangeError below the log start offset or past the end.
   */
  read(offset: number, maxBytes: number, upTo: number = this._highWatermark): Buffer {
    this.ensureOpen();
    if (offset < this._logStartOffset || offset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this._logStartOffset, this.logEndOffset, this.dir);
    }
    if (offset >= upTo) return EMPTY;
    const recent = this.recent?.read(offset, maxBytes, upTo);
    if (recent !== undefined) return recent;
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const segment = this.segments[i];
      const batch = segment.positionOf(offset);
      if (!batch) continue; // offset falls in a gap at the end of a compacted segment
      if (batch.baseOffset >= upTo) return EMPTY;
      return segment.read(batch.position, maxBytes, batch.size, upTo);
    }
    return EMPTY;
  }

  /**
   * Replication moves the high watermark of a replicated log: to `offset`, capped
   * at the log end offset, never backwards. Returns the high watermark.
   */
  updateHighWatermark(offset: number): number {
    this.ensureOpen();
    const next = Math.min(offset, this.logEndOffset);
    if (next > this._highWatermark) {
      this._highWatermark = next;
      this.recent?.dropBelow(next);
    }
    return this._highWatermark;
  }

  /** Index of the segment whose range holds `offset` (the last one starting at or before it). */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The first offset whose record timestamp is >= `timestamp` (ListOffsets), or
   * undefined when every record is older.
   */
  offsetForTimestamp(timestamp: number): TimestampOffset | undefined {
    this.ensureOpen();
    const start = this.segments.findIndex((s) => s.maxTimestamp >= timestamp);
    if (start < 0) return undefined;
    for (let i = start; i < this.segments.length; i++) {
      const segment = this.segments[i];
      let offset = Math.max(segment.timeIndex.lookupBefore(timestamp), this._logStartOffset);
      for (let b = segment.positionOf(offset); b; b = segment.batchAt(b.position + b.size)) {
        const bytes = segment.read(b.position, 1);
        const decoded = decodeRecordBatch(bytes, 0);
        if (decoded._tag === 'Left') throw new LogCorruptionError(segment.file, b.position, decoded.left.message);
        const batch = decoded.right;
        if (batch.maxTimestamp < timestamp) continue;
        for (const r of batch.records) {
          const ts = batch.timestampType === 'logAppend' ? batch.maxTimestamp : r.timestamp;
          if (ts >= timestamp && r.offset >= this._logStartOffset) return { offset: r.offset, timestamp: ts };
        }
        offset = batch.lastOffset + 1;
      }
    }
    return undefined;
  }

  /** The offset of the newest timestamp: ListOffsets' MAX_TIMESTAMP. */
  get maxTimestamp(): number {
    let max = -1;
    for (const s of this.segments) if (s.maxTimestamp > max) max = s.maxTimestamp;
    return max;
  }

  // ---------------------------------------------------------------- truncation and retention

  /**
   * Removes the batch holding `offset` and everything after it (a follower
   * diverging from its leader). Batches are never split, as in Kafka.
   */
  truncateTo(offset: number): void {
    this.ensureOpen();
    if (offset >= this.logEndOffset) return;
    if (offset < this._logStartOffset) offset = this._logStartOffset;
    this.recent?.clear();
    while (this.segments.length > 1 && this.active.baseOffset >= offset) this.segments.pop()!.delete();
    this.active.truncateToOffset(offset);
    this.leaderEpochs.truncateFromEnd(offset);
    this._highWatermark = Math.min(this._highWatermark, this.logEndOffset);
    this._recoveryPoint = Math.min(this._recoveryPoint, this.logEndOffset);
    this.writeRecoveryCheckpoint();
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (at most the high
   * watermark) and deletes segments that lie wholly below it.
   */
  deleteRecordsBefore(offset: number): number {
    this.ensureOpen();
    if (offset > this._highWatermark) {
      throw new OffsetOutOfRangeError(offset, this._logStartOffset, this._highWatermark, this.dir);
    }
    if (offset > this._logStartOffset) this.setLogStartOffset(offset);
    this.deleteSegmentsWhile((s, next) => next.baseOffset <= this._logStartOffset && s !== this.active);
    return this._logStartOffset;
  }

  /**
   * Empties the log and starts it again at `offset` (Kafka's
   * truncateFullyAndStartAt): for a follower whose leader has deleted (by
   * DeleteRecords or retention) every record the follower still lacks, so it
   * goes on from the leader's log start offset.
   */
  truncateFullyAndStartAt(offset: number): void {
    this.ensureOpen();
    // The new start is on disk before any file goes, so a crash in between never reopens below it.
    writeOffsetCheckpoint(path.join(this.dir, LOG_START_FILE), offset);
    this.recent?.clear();
    for (const segment of this.segments.splice(0)) segment.delete();
    this.segments.push(this.openSegment(offset));
    this._logStartOffset = offset;
    this.leaderEpochs.truncateFromEnd(0);
    this._highWatermark = offset;
    this._recoveryPoint = offset;
    this.unflushedMessages = 0;
    this.firstUnflushedAt = -1;
    this.writeRecoveryCheckpoint();
    fsyncDirectory(this.dir);
  }

  /**
   * Applies retention.ms and retention.bytes (for cleanup.policy delete or
   * compact,delete): deletes whole closed segments, oldest first, never the active
   * one, and moves the log start offset. Returns how many segments were deleted.
   */
  deleteOldSegments(now: number = this.clock.now()): number {
    this.ensureOpen();
    if (!deletesOldSegments(this._config)) return 0;
    const retentionMs = this._config['retention.ms'];
    const retentionBytes = this._config['retention.bytes'];
    let deleted = 0;
    if (retentionMs >= 0) {
      // An empty segment (emptied by the cleaner) holds nothing to keep.
      deleted += this.deleteSegmentsWhile((s) => s.size === 0 || now - s.maxTimestamp > retentionMs);
    }
    if (retentionBytes >= 0) {
      let excess = this.size - retentionBytes;
      deleted += this.deleteSegmentsWhile((s) => {
        if (excess < s.size) return false;
        excess -= s.size;
        return true;
      });
    }
    return deleted;
  }

  /**
   * Deletes closed segments from the oldest while `shouldDelete` holds, never
   * past the high watermark (Kafka's rule: on a replicated log what lies above
   * it is not committed yet; elsewhere it is the log end offset).
   */
  private deleteSegmentsWhile(shouldDelete: (segment: LogSegment, next: LogSegment) => boolean): number {
    let deleted = 0;
    while (this.segments.length > 1 && this.segments[1].baseOffset <= this._highWatermark && shouldDelete(this.segments[0], this.segments[1])) {
      const segment = this.segments.shift()!;
      this.setLogStartOffset(Math.max(this._logStartOffset, this.segments[0].baseOffset));
      segment.delete();
      deleted++;
    }
    if (deleted) fsyncDirectory(this.dir);
    return deleted;
  }

  private setLogStartOffset(offset: number): void {
    this._logStartOffset = offset;
    // Persist before deleting files, so a crash never leaves a start below what exists.
    writeOffsetCheckpoint(path.join(this.dir, LOG_START_FILE), offset);
    this.leaderEpochs.truncateFromStart(offset);
  }

  // ---------------------------------------------------------------- flushing

  /** fsyncs every segment with unflushed data and advances the recovery point. */
  flush(): void {
    this.ensureOpen();
    for (let i = this.segmentIndexFor(this._recoveryPoint); i < this.segments.length; i++) this.segments[i].flush();
    this.markFlushed();
  }

  private markFlushed(): void {
    this._recoveryPoint = this.logEndOffset;
    this.unflushedMessages = 0;
    this.firstUnflushedAt = -1;
  }

  /**
   * Periodic work of the flush policy: fsync when the oldest unflushed append is
   * older than flush.ms, and persist the recovery point now and then.
   */
  maybeFlush(now: number = this.clock.now()): void {
    this.ensureOpen();
    if (this.firstUnflushedAt >= 0 && now - this.firstUnflushedAt >= this._config['flush.ms']) this.flush();
    if (now - this.lastCheckpointAt >= RECOVERY_CHECKPOINT_INTERVAL_MS) this.writeRecoveryCheckpoint();
  }

  private writeRecoveryCheckpoint(): void {
    this.lastCheckpointAt = this.clock.now();
    if (this.replicated) writeOffsetCheckpoint(path.join(this.dir, HIGH_WATERMARK_FILE), this._highWatermark);
    if (this.checkpointedRecoveryPoint === this._recoveryPoint) return;
    writeOffsetCheckpoint(path.join(this.dir, RECOVERY_POINT_FILE), this._recoveryPoint);
    this.checkpointedRecoveryPoint = this._recoveryPoint;
  }

  /** Flushes everything, records a clean shutdown and releases the files. */
  close(): void {
    if (this.closed) return;
    this.recent?.clear();
    this.flush();
    this.writeRecoveryCheckpoint();
    writeOffsetCheckpoint(path.join(this.dir, LOG_START_FILE), this._logStartOffset);
    for (const s of this.segments) s.close();
    fs.writeFileSync(path.join(this.dir, CLEAN_SHUTDOWN_FILE), '');
    fsyncDirectory(this.dir);
    this.closed = true;
  }

  /** Closes and removes the whole directory (topic deletion). */
  delete(): void {
    if (!this.closed) for (const s of this.segments) s.close();
    this.closed = true;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private ensureOpen(): void {
    if (this.closed) throw new LogClosedError(this.dir);
  }

  // ---------------------------------------------------------------- checks and the cleaner's door

  /**
   * Reads every batch of every segment and checks its CRC: finds damage that
   * recovery (which trusts flushed segments) does not look at. Returns one entry
   * per damaged segment with its file and position.
   */
  verify(): { file: string; position: number; error: BatchError }[] {
    this.ensureOpen();
    const problems: { file: string; position: number; error: BatchError }[] = [];
    for (const segment of this.segments) {
      const scan = segment.verify(this._config['max.message.bytes']);
      if (scan.error) problems.push({ file: segment.file, position: scan.validBytes, error: scan.error });
    }
    return problems;
  }

  /**
   * Closed segments (all but the active one) wholly below the high watermark,
   * oldest first: what the cleaner may rewrite. (A replicated log's records
   * above it may still be truncated, and followers copy them as they are.)
   */
  closedSegments(): readonly LogSegment[] {
    const closed = this.segments.slice(0, -1);
    let n = 0;
    while (n < closed.length && closed[n].nextOffset <= this._highWatermark) n++;
    return closed.slice(0, n);
  }

  /**
   * Makes `replacement` (written by the cleaner with suffix '.cleaned', same base
   * offset) durable and swaps it in for the closed segment at the same base offset. Crash-safe: the
   * `.swap` rename marks the replacement complete before the old files go.
   */
  replaceSegment(replacement: LogSegment): void {
    this.ensureOpen();
    const i = this.segments.findIndex((s) => s.baseOffset === replacement.baseOffset);
    if (i < 0 || i === this.segments.length - 1) throw new Error(`No closed segment at ${replacement.baseOffset} to replace`);
    replacement.onRolled();
    replacement.renameSuffix('.swap');
    fsyncDirectory(this.dir);
    this.segments[i].delete();
    replacement.renameSuffix('');
    fsyncDirectory(this.dir);
    this.segments[i] = replacement;
  }

  /** Opens a new segment file for the cleaner to fill (suffix '.cleaned'). */
  createCleanedSegment(baseOffset: number): LogSegment {
    return this.openSegment(baseOffset, '.cleaned');
  }
}

const EMPTY = Buffer.alloc(0);

/** Sets LogAppendTime on a stored batch: the attribute bit and maxTimestamp, then the CRC they are under. */
function stampLogAppendTime(buf: Buffer, position: number, size: number, now: number): void {
  buf.writeInt16BE(buf.readInt16BE(position + ATTRIBUTES) | TIMESTAMP_TYPE_BIT, position + ATTRIBUTES);
  writeInt64(buf, position + MAX_TIMESTAMP, now);
  buf.writeUInt32BE(crc32c(buf, position + ATTRIBUTES, position + size), position + CRC);
}
