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
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  RECORDS,
  readInt64,
  writeInt64,
} from './batch-header';
import { crc32c } from './crc32c';
import { RecentAppends } from './recent-appends';
import { LogConfig, logConfigOrThrow, isCompacted, deletesOldSegments, parseLogConfig } from './config';
import {
  readCheckpoint,
  readOffsetCheckpoint,
  writeCheckpoint,
  writeOffsetCheckpoint,
  fsyncDirectory,
  fsyncPath,
  fsyncPathAsync,
  stageCheckpoint,
  placeStaged,
  type StagedCheckpoint,
  CheckpointError,
} from './checkpoint-file';
import { LeaderEpochCache, isLeaderEpochTemp } from './leader-epoch-cache';
import { UNREADABLE_CHECKPOINT as UNREADABLE, type CheckpointOffsets, type CheckpointRead, type LogDirCheckpoints } from './log-dir-checkpoints';
import { LogSegment, BatchInfo, SegmentScan, parseSegmentFileName, segmentFileName } from './segment';
import { decodeRecordBatch, encodeRecordBatch, BatchError, RecordInput, CompressionName } from './record-batch';
import { validateBatch, refusalCode } from './batch-validator';
import { FileHandleCache, sharedFileHandles } from './file-handles';
import { OpenTransactions, TXN_ATTRIBUTE_BITS } from './transactions';
import type { AbortedTxn } from './txn-index';
import { CorruptRecordError, InvalidRecordError, KafkaStorageError, LogClosedError, LogError, OffsetOutOfRangeError, RecordTooLargeError } from './errors';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface LogWarning {
  kind:
    | 'torn-tail-truncated'
    | 'index-rebuilt'
    | 'corruption-moved-aside'
    | 'leftover-removed'
    | 'checkpoint-ignored'
    | 'gap-accepted'
    | 'partition-failed'
    | 'write-failed';
  file: string;
  message: string;
}

/**
 * Why a log is in the failed state: damage found outside crash recovery (a gap
 * or overlap between segments, a closed segment failing validation, a CRC or
 * offset mismatch met while serving a read), or a write refused by a failing
 * device (EIO). Appends and reads answer KafkaStorageError (56) until the log
 * is reopened (with { recoverCorruption: true } for damage).
 */
export interface LogFailure {
  file: string;
  /** Byte position in `file` where the damage starts. */
  position: number;
  /** Offsets affected: from `firstOffset` to `lastOffset` (undefined: unknown). */
  firstOffset: number;
  lastOffset: number | undefined;
  /** One line naming file, position, offset range and what was found. */
  message: string;
}

/**
 * Errnos of a failing device: what it holds can no longer be trusted. Any other
 * write error (ENOSPC, EDQUOT, EMFILE...) is transient: the next append tries again.
 */
const FAILING_DEVICE = new Set(['EIO', 'EROFS', 'ENODEV', 'ENXIO']);

export interface OpenOptions {
  clock?: Clock;
  /**
   * Damage outside crash recovery (see LogFailure): false (default) opens the
   * log in the failed state (`failure` says where; appends and reads answer
   * KafkaStorageError); true repairs it: damaged bytes and every later segment
   * are moved aside (`.corrupt` files, kept on disk) and the log opens truncated
   * there; a gap between segments is accepted with a warning. 'refetch' (a
   * replica, whose leader holds every offset) also cuts at a gap: the segment
   * after it and every later one are moved aside, and the replica fetches the
   * missing offsets again instead of keeping a hole.
   */
  recoverCorruption?: boolean | 'refetch';
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
  /**
   * The checkpoints of the directory holding this log's directory (a broker's
   * data directory): the recovery point and high watermark go there, written
   * for all partitions by the broker's timer, instead of into two files of this
   * log's own. Without it (a lone log, a tool) the log writes its own files.
   */
  dirCheckpoints?: LogDirCheckpoints;
}

export interface AppendOptions {
  /**
   * false for a follower copying the leader's batches with their offsets
   * (checked by header and CRC only); their partitionLeaderEpochs are then
   * recorded in the epoch cache, each from the first batch that carries it.
   */
  assignOffsets?: boolean;
  /** Stamped into each batch's partitionLeaderEpoch and recorded in the epoch cache. */
  leaderEpoch?: number;
  /**
   * Who writes (Kafka's AppendOrigin): 'client' (default) a producer's batches,
   * 'coordinator' a transaction marker (a control batch, refused from clients).
   * A follower's copy (assignOffsets false) takes any stored batch.
   */
  origin?: 'client' | 'coordinator';
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  recordCount: number;
  /** The broker's time stamped into the batches under LogAppendTime, else -1. */
  logAppendTime: number;
}

/** ListOffsets' MAX_TIMESTAMP: the record with the newest timestamp (KIP-734). */
const MAX_TIMESTAMP_QUERY = -3;

export interface TimestampOffset {
  offset: number;
  timestamp: number;
}

const RECOVERY_POINT_FILE = 'recovery-point-offset-checkpoint';
const LOG_START_FILE = 'log-start-offset-checkpoint';
const LEADER_EPOCH_FILE = 'leader-epoch-checkpoint';
const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
const HIGH_WATERMARK_FILE = 'high-watermark-checkpoint';
/** Gaps between segments a repair accepted ("first last" per line): not reported again. */
const ACCEPTED_GAPS_FILE = 'accepted-gaps-checkpoint';
/** Written by the cleaner (cleaner.ts): its presence means the log was compacted. */
const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';
/**
 * The open transactions at an offset ("offset", then "producerId firstOffset"
 * per open transaction), written when a segment rolls and at a clean close:
 * recovery replays the batch headers after it instead of the whole log (a
 * small form of Kafka's producer-state snapshots).
 */
const TXN_STATE_FILE = 'transaction-state-checkpoint';
/** How often maybeFlush() persists the recovery point (Kafka: log.flush.offset.checkpoint.interval.ms). */
const RECOVERY_CHECKPOINT_INTERVAL_MS = 60_000;

export class PartitionLog {
  private segments: LogSegment[] = [];
  private _logStartOffset = 0;
  private _highWatermark = 0;
  private _recoveryPoint = 0;
  private checkpointedRecoveryPoint = -1;
  /**
   * The high watermark the checkpoint file holds (-1: none yet). Unchanged, it is
   * not written again: each write costs two fsyncs on the event loop, and a
   * broker with 10,000 idle replicas spent half its time rewriting equal files.
   */
  private checkpointedHighWatermark = -1;
  private unflushedMessages = 0;
  private firstUnflushedAt = -1;
  private lastCheckpointAt: number;
  private closed = false;
  /** Why a close failed after it had begun: a later close() reports it instead of success (the log has no clean mark). */
  private closeFailure: Error | undefined;
  private _failure: LogFailure | undefined;
  /**
   * Per segment, how many bytes from its start are known valid: validated when
   * appended, scanned by recovery, or checked once when first served. Reads
   * check CRCs only beyond this, so a batch costs one check per process.
   */
  private readonly verifiedBytes = new WeakMap<LogSegment, number>();
  /** Compaction has rewritten segments here (now or under an earlier cleanup.policy): offsets may have gaps. */
  private compactedBefore = false;
  /** Open transactions of this partition: from every append (a leader's, a follower's copy, a marker) and rebuilt on open. */
  private txns = new OpenTransactions();
  /** The last transaction-state checkpoint: where a truncation replays from. */
  private txnSnapshot: { offset: number; open: [number, number][] } = { offset: 0, open: [] };
  /** What the transaction-state checkpoint file holds (its lines joined), as read or last written: a close leaves it alone when unchanged. */
  private txnCheckpointHolds: string | undefined;
  /** What the log-start checkpoint file holds (absent reads as 0), as read or last written: a close leaves it alone when unchanged. */
  private checkpointedLogStart = 0;
  readonly leaderEpochs: LeaderEpochCache;
  private readonly recent: RecentAppends | undefined;
  private fileHandles: FileHandleCache = sharedFileHandles;
  private dirCheckpoints: LogDirCheckpoints | undefined;

  private constructor(
    readonly dir: string,
    private _config: LogConfig,
    private readonly clock: Clock,
    private readonly replicated: boolean,
    recentAppendBytes: number,
    private readonly warn: (w: LogWarning) => void,
  ) {
    this.leaderEpochs = openLeaderEpochCache(path.join(dir, LEADER_EPOCH_FILE), warn);
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
    const warn = options.onWarning ?? (() => {});
    const log = new PartitionLog(dir, parsed, options.clock ?? systemClock, options.replicated ?? false, options.recentAppendBytes ?? 0, warn);
    if (options.fileHandles) log.fileHandles = options.fileHandles;
    if (options.dirCheckpoints) {
      if (path.resolve(path.dirname(dir)) !== path.resolve(options.dirCheckpoints.dir)) {
        throw new Error(`${dir} is not a directory of ${options.dirCheckpoints.dir}, whose checkpoints it was given`);
      }
      log.dirCheckpoints = options.dirCheckpoints;
    }
    log.load(options);
    return log;
  }

  get config(): Readonly<LogConfig> {
    return this._config;
  }
  /** Set when the log is in the failed state (see LogFailure); undefined when healthy. */
  get failure(): LogFailure | undefined {
    return this._failure;
  }
  /** Offsets without gaps: every batch starts where the previous one ended (never compacted). */
  private get dense(): boolean {
    return !this.compactedBefore && !isCompacted(this._config);
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
  /**
   * The last stable offset: the first offset of the oldest open transaction,
   * capped at the high watermark. read_committed consumers read below it only.
   */
  get lastStableOffset(): number {
    const first = this.txns.firstUnstableOffset;
    return first === undefined || first > this._highWatermark ? this._highWatermark : first;
  }
  /** How many transactions are open in this partition. */
  get openTransactionCount(): number {
    return this.txns.size;
  }

  /**
   * The aborted transactions a read_committed consumer reading [from, upTo)
   * must filter out: those whose marker is at or after `from` and whose data
   * starts before `upTo` (Kafka's collectAbortedTransactions), oldest first.
   * A transaction's marker may lie segments after its data, so the search goes
   * on until an entry shows the LSO had passed `upTo` (nothing later can start
   * before it), as Kafka's does; segments without aborts cost a length check.
   */
  abortedTransactions(from: number, upTo: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    search: for (let i = this.segmentIndexFor(from); i < this.segments.length; i++) {
      for (const e of this.segments[i].txnIndex.entries) {
        if (e.lastOffset >= from && e.firstOffset < upTo) out.push(e);
        if (e.lastStableOffset >= upTo) break search;
      }
    }
    return out.sort((a, b) => a.firstOffset - b.firstOffset);
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
    const warn = this.warn;
    const names = fs.readdirSync(this.dir);
    this.compactedBefore = names.includes(CLEANER_CHECKPOINT_FILE);
    this.completeInterruptedSwaps(names, warn);
    for (const n of names) if (isLeaderEpochTemp(n, LEADER_EPOCH_FILE)) fs.rmSync(path.join(this.dir, n), { force: true });
    const bases = fs
      .readdirSync(this.dir)
      .map((n) => parseSegmentFileName(n))
      .filter((b): b is number => b !== undefined)
      .sort((a, b) => a - b);
    const maxBatch = this._config['max.message.bytes'];
    const dense = this.dense;
    const recoveryCheckpoint = this.checkpointed(RECOVERY_POINT_FILE, (c, name) => c.recoveryPointOf(name));
    // An unreadable recovery point proves nothing was flushed: recover everything.
    const cleanShutdown = fs.existsSync(path.join(this.dir, CLEAN_SHUTDOWN_FILE)) && recoveryCheckpoint !== UNREADABLE;
    const recoveryPoint = typeof recoveryCheckpoint === 'number' ? recoveryCheckpoint : 0;
    /** The first segment read batch by batch: leader epochs are rebuilt from its batches on. */
    let firstScanned: number | undefined;
    for (let i = 0; i < bases.length; i++) {
      const segment = this.openSegment(bases[i]);
      this.segments.push(segment);
      if (this._failure) {
        // Failed already: keep the files open for offsets and metadata, check nothing more.
        if (!segment.loadFromIndexes()) segment.scan(maxBatch, dense);
        continue;
      }
      const next = bases[i + 1];
      // Segments entirely below the recovery point were fsynced with their indexes.
      // A repair (recoverCorruption) trusts nothing: every segment is scanned.
      const flushed = !options.recoverCorruption && (cleanShutdown || (next !== undefined && next <= recoveryPoint));
      const indexUsable = segment.size === 0 || segment.offsetIndex.entries > 0;
      let scan: SegmentScan | undefined;
      if (!(flushed && indexUsable && segment.loadFromIndexes())) {
        if (flushed) warn({ kind: 'index-rebuilt', file: segment.file, message: `rebuilt the missing or damaged index of ${segment.file}` });
        scan = segment.scan(maxBatch, dense);
        firstScanned ??= i;
        if (!scan.error) this.verifiedBytes.set(segment, segment.size);
      }
      if (scan?.error) {
        const isLast = i === bases.length - 1;
        // Crash recovery (Kafka's log loader): what was not flushed may be cut at
        // the first invalid batch. Damage in flushed data is not the crash's doing.
        if ((scan.tornTail && isLast) || !flushed || options.recoverCorruption) {
          this.cutTail(segment, scan, bases.slice(i + 1), scan.tornTail && isLast);
          break;
        }
        this.markFailed(segment.file, scan.validBytes, scan.nextOffset, this.lastOffsetOfTail(segment, scan.validBytes), scan.error.message);
        continue;
      }
      if (!this.checkSegmentBounds(i, dense, options.recoverCorruption ?? false)) break;
    }
    if (this.segments.length === 0) this.segments.push(this.openSegment(0));
    // Offsets can only start where the first segment does.
    const startCheckpoint = this.readCheckpoint(LOG_START_FILE);
    const checkpointedStart = startCheckpoint === UNREADABLE ? 0 : (startCheckpoint ?? 0);
    // An unreadable file is written again at the close, whatever the start.
    this.checkpointedLogStart = startCheckpoint === UNREADABLE ? -1 : checkpointedStart;
    this._logStartOffset = Math.min(Math.max(checkpointedStart, this.segments[0].baseOffset), this.logEndOffset);
    this._recoveryPoint = Math.min(cleanShutdown ? this.logEndOffset : recoveryPoint, this.logEndOffset);
    const highWatermarkCheckpoint = this.replicated ? this.checkpointed(HIGH_WATERMARK_FILE, (c, name) => c.highWatermarkOf(name)) : undefined;
    const checkpointedHighWatermark = typeof highWatermarkCheckpoint === 'number' ? highWatermarkCheckpoint : 0;
    // An absent checkpoint reads as 0, as a written 0 would: a new partition writes none until it has data.
    this.checkpointedHighWatermark = highWatermarkCheckpoint === UNREADABLE ? -1 : checkpointedHighWatermark;
    this.checkpointedRecoveryPoint = recoveryCheckpoint === UNREADABLE ? -1 : recoveryPoint;
    this._highWatermark = Math.max(this._logStartOffset, Math.min(this.replicated ? checkpointedHighWatermark : Infinity, this.logEndOffset));
    this.leaderEpochs.truncateFromEnd(this.logEndOffset);
    // Only a replicated log's batches carry epochs this broker stamped (a lone log keeps what clients sent).
    if (this.replicated && firstScanned !== undefined && !this._failure) this.rebuildLeaderEpochs(firstScanned);
    this.leaderEpochs.truncateFromStart(this._logStartOffset);
    if (!this._failure) this.loadTransactions();
    fs.rmSync(path.join(this.dir, CLEAN_SHUTDOWN_FILE), { force: true });
    const ownFiles = names.filter((n) => n === RECOVERY_POINT_FILE || n === HIGH_WATERMARK_FILE);
    this.dirCheckpoints?.attach(path.basename(this.dir), () => this.checkpointOffsets(), ownFiles);
    // A line for offsets this directory does not hold (a topic of the same name deleted and
    // created again, data lost with the disk) must not outlive the next crash: once this log
    // holds more, it would expose records no in-sync replica has. Written at once (rare).
    const stale = (typeof highWatermarkCheckpoint === 'number' && highWatermarkCheckpoint > this._highWatermark) || recoveryPoint > this._recoveryPoint;
    if (stale) this.dirCheckpoints?.write();
  }

  /**
   * The leader epochs of the segments recovery scanned (from `segments[from]`),
   * from their batch headers: the epoch file is written in the background and
   * may lack the newest epochs after a crash, but the recovery point never
   * passes an epoch the file lacks (see checkpointOffsets()), so those batches
   * are in the segments scanned here.
   */
  private rebuildLeaderEpochs(from: number): void {
    this.leaderEpochs.truncateFromEnd(this.segments[from].baseOffset);
    for (let i = from; i < this.segments.length; i++) {
      const segment = this.segments[i];
      for (let b = segment.batchAt(0); b; b = segment.batchAt(b.position + b.size)) {
        if (b.leaderEpoch >= 0) this.leaderEpochs.assign(b.leaderEpoch, b.baseOffset);
      }
    }
  }

  /**
   * A checkpointed offset: from the directory's file when the log has one and it
   * names this log, else from the log's own file (a directory written before
   * the directory's files existed).
   */
  private checkpointed(own: string, fromDir: (c: LogDirCheckpoints, name: string) => CheckpointRead): CheckpointRead {
    const inDir = this.dirCheckpoints && fromDir(this.dirCheckpoints, path.basename(this.dir));
    return inDir !== undefined ? inDir : this.readCheckpoint(own);
  }

  /**
   * What the checkpoints may say now. The recovery point stays below the first
   * leader epoch not yet durable in its file, so after a crash recovery scans
   * (and takes the epoch from) every batch the file may not know of.
   */
  checkpointOffsets(): CheckpointOffsets {
    return {
      recoveryPoint: Math.min(this._recoveryPoint, this.leaderEpochs.undurableFrom),
      highWatermark: this.replicated ? this._highWatermark : undefined,
    };
  }

  // ---------------------------------------------------------------- transactions

  /**
   * Rebuilds the open transactions (and the aborted-transaction indexes past
   * the checkpoint) from the last transaction-state checkpoint and the batch
   * headers after it; without a usable checkpoint, from the whole log.
   */
  private loadTransactions(): void {
    const snapshot = this.readTxnCheckpoint();
    if (snapshot !== undefined && snapshot.offset <= this.logEndOffset) this.replayTransactionsFrom(snapshot);
    else this.replayTransactionsFrom({ offset: this._logStartOffset, open: [] }, true);
  }

  private readTxnCheckpoint(): { offset: number; open: [number, number][] } | undefined {
    const file = path.join(this.dir, TXN_STATE_FILE);
    let lines: string[] | undefined;
    try {
      lines = readCheckpoint(file);
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      this.warn({
        kind: 'checkpoint-ignored',
        file,
        message: `ignored the unreadable checkpoint ${file} (${e.message}); transactions are rebuilt from the whole log`,
      });
      return undefined;
    }
    if (lines === undefined || lines.length === 0) return undefined;
    this.txnCheckpointHolds = lines.join('\n');
    const numbers = lines.map((l) => l.split(' ').map(Number));
    if (numbers.some((n, i) => n.length !== (i === 0 ? 1 : 2) || n.some((v) => !Number.isSafeInteger(v) || v < 0))) {
      this.warn({ kind: 'checkpoint-ignored', file, message: `ignored the malformed checkpoint ${file}; transactions are rebuilt from the whole log` });
      return undefined;
    }
    return { offset: numbers[0][0], open: numbers.slice(1).map(([p, f]) => [p, f]) };
  }

  /** Persists the open transactions as of the log end offset (at a roll and a clean close). */
  private writeTxnCheckpoint(): void {
    const lines = this.txnCheckpointLines();
    writeCheckpoint(path.join(this.dir, TXN_STATE_FILE), lines);
    this.txnCheckpointHolds = lines.join('\n');
  }

  /** writeTxnCheckpoint() for a close: staged, not yet fsynced or in place; nothing when the file holds it already (an idle log). */
  private stageTxnCheckpoint(): StagedCheckpoint | undefined {
    const lines = this.txnCheckpointLines();
    const text = lines.join('\n');
    if (text === this.txnCheckpointHolds) return undefined;
    this.txnCheckpointHolds = text;
    return stageCheckpoint(path.join(this.dir, TXN_STATE_FILE), lines);
  }

  /** The open transactions as of the log end, remembered as the latest snapshot. */
  private txnCheckpointLines(): string[] {
    this.txnSnapshot = { offset: this.logEndOffset, open: this.txns.entries() };
    return [String(this.txnSnapshot.offset), ...this.txnSnapshot.open.map(([p, f]) => `${p} ${f}`)];
  }

  /**
   * Starts from `snapshot`'s open transactions and applies every transactional
   * and control batch from its offset on; aborted-index entries from there (all
   * of them when `whole`) are dropped first and written again by the replay.
   * Only batch headers are read, except for the rare control batches.
   */
  private replayTransactionsFrom(snapshot: { offset: number; open: [number, number][] }, whole = false): void {
    this.txns = new OpenTransactions(snapshot.open);
    this.txnSnapshot = snapshot;
    const from = Math.max(snapshot.offset, this._logStartOffset);
    for (const s of this.segments) s.txnIndex.truncateFrom(whole ? -1 : from);
    for (let i = this.segmentIndexFor(from); i < this.segments.length; i++) {
      const segment = this.segments[i];
      for (let b = segment.positionOf(from); b; b = segment.batchAt(b.position + b.size)) {
        if ((b.attributes & TXN_ATTRIBUTE_BITS) === 0) continue;
        this.applyTxnBatch(segment, segment.read(b.position, b.size, b.size), 0, b.baseOffset);
      }
    }
  }

  /** One transactional or control batch stored in `segment`: opens, or ends (and indexes an abort). */
  private applyTxnBatch(segment: LogSegment, buf: Buffer, pos: number, baseOffset: number): void {
    const event = this.txns.apply(buf, pos, baseOffset);
    if (event.kind !== 'ended' || !event.aborted) return;
    const { producerId, firstOffset, markerOffset, lastStableOffset } = event;
    segment.txnIndex.append({ producerId, firstOffset, lastOffset: markerOffset, lastStableOffset });
  }

  /** A checkpoint's offset; UNREADABLE (with a warning) when the file is garbage: it only speeds recovery up. */
  private readCheckpoint(name: string): CheckpointRead {
    const file = path.join(this.dir, name);
    try {
      return readOffsetCheckpoint(file);
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      this.warn({ kind: 'checkpoint-ignored', file, message: `ignored the unreadable checkpoint ${file} (${e.message}); recovering without it` });
      return UNREADABLE;
    }
  }

  /**
   * The cheap checks of a loaded segment (the last one pushed): its first batch
   * starts at or after its file name's offset (exactly there in a dense log),
   * and it starts where the previous segment ends (after it, in a compacted
   * log). A gap or overlap puts the log in the failed state, or with
   * recoverCorruption a gap is accepted ('refetch': moved aside too) and an
   * overlapping segment moved aside. False when loading must stop here.
   */
  private checkSegmentBounds(i: number, dense: boolean, recover: boolean | 'refetch'): boolean {
    const segment = this.segments[i];
    const first = segment.batchAt(0);
    if (first && (dense ? first.baseOffset !== segment.baseOffset : first.baseOffset < segment.baseOffset)) {
      const detail = `its first batch has base offset ${first.baseOffset}, but the file name says ${segment.baseOffset}`;
      if (!recover) {
        this.markFailed(segment.file, 0, segment.baseOffset, undefined, detail);
        return true;
      }
      this.cutTail(segment, { validBytes: 0, nextOffset: segment.baseOffset, tornTail: false }, this.laterBases(segment), false);
      return false;
    }
    if (i === 0) return true;
    const previous = this.segments[i - 1];
    const gap = `${previous.nextOffset} ${segment.baseOffset - 1}`;
    if (previous.nextOffset > segment.baseOffset || (dense && previous.nextOffset < segment.baseOffset && !this.acceptedGaps().includes(gap))) {
      const overlap = previous.nextOffset > segment.baseOffset;
      const detail = overlap
        ? `${previous.file} holds offsets up to ${previous.nextOffset - 1}, past the start of the next segment`
        : `offsets ${previous.nextOffset} to ${segment.baseOffset - 1} are missing between ${previous.file} and this segment (a deleted or lost segment file)`;
      if (!recover) {
        this.markFailed(segment.file, 0, previous.nextOffset, segment.baseOffset - 1, detail);
        return true;
      }
      if (overlap || recover === 'refetch') {
        this.segments.pop();
        segment.close();
        this.moveSegmentsAside([segment.baseOffset, ...this.laterBases(segment)]);
        this.warn({ kind: 'corruption-moved-aside', file: segment.file, message: `moved ${segment.file} and later segments aside (.corrupt): ${detail}` });
        return false;
      }
      writeCheckpoint(path.join(this.dir, ACCEPTED_GAPS_FILE), [...this.acceptedGaps(), gap]);
      this.warn({ kind: 'gap-accepted', file: segment.file, message: `accepted a gap in the log at ${segment.file}: ${detail}` });
    }
    return true;
  }

  private acceptedGaps(): string[] {
    try {
      return readCheckpoint(path.join(this.dir, ACCEPTED_GAPS_FILE)) ?? [];
    } catch (e) {
      if (e instanceof CheckpointError) return [];
      throw e;
    }
  }

  private laterBases(segment: LogSegment): number[] {
    return fs
      .readdirSync(this.dir)
      .map((n) => parseSegmentFileName(n))
      .filter((b): b is number => b !== undefined && b > segment.baseOffset)
      .sort((a, b) => a - b);
  }

  /**
   * Puts the log in the failed state with one warning line naming file,
   * position and offset range. Appends and reads answer KafkaStorageError.
   */
  private markFailed(
    file: string,
    position: number,
    firstOffset: number,
    lastOffset: number | undefined,
    detail: string,
    remedy = 'restart the broker with --recover-corruption (log.recover.corruption=true) or run "rill log recover"',
  ): void {
    if (this._failure) return;
    const range = `offsets ${firstOffset} to ${lastOffset ?? 'unknown'}`;
    const message = `partition failed: ${file} at position ${position} (${range}): ${detail}. It answers KAFKA_STORAGE_ERROR until repaired: ${remedy}.`;
    this._failure = { file, position, firstOffset, lastOffset, message };
    this.recent?.clear();
    this.warn({ kind: 'partition-failed', file, message });
  }

  private ensureHealthy(): void {
    this.ensureOpen();
    if (this._failure) throw this.storageError();
  }

  private storageError(): KafkaStorageError {
    return new KafkaStorageError(`${this.dir}: ${this._failure?.message ?? 'storage error'}`);
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

  /**
   * Crash recovery's cut: the bytes of `segment` from the first invalid batch on
   * go to a file named for the offsets they held (`<first>-<last>.corrupt`, last
   * read from the batch headers where they are readable), later segments are
   * renamed `.corrupt`, and one warning names file, position and range. Nothing
   * is deleted.
   */
  private cutTail(segment: LogSegment, scan: SegmentScan, laterBases: number[], torn: boolean): void {
    const position = scan.validBytes;
    const lastInTail = this.lastOffsetOfTail(segment, position);
    const lastLater = laterBases.length > 0 ? this.lastOffsetOfSegmentFile(laterBases[laterBases.length - 1]) : undefined;
    const last = lastLater ?? lastInTail;
    const aside = path.join(this.dir, `${segmentFileName(scan.nextOffset, '')}-${last === undefined ? 'unknown' : segmentFileName(last, '')}.corrupt`);
    copyRange(segment.file, position, segment.size, aside);
    segment.truncateToPosition(position);
    this.verifiedBytes.set(segment, segment.size); // scanned valid up to the cut
    this.moveSegmentsAside(laterBases);
    fsyncDirectory(this.dir);
    const range = `offsets ${scan.nextOffset} to ${last ?? 'unknown'}`;
    const reason = scan.error ? `: ${scan.error.message}` : '';
    this.warn({
      kind: torn ? 'torn-tail-truncated' : 'corruption-moved-aside',
      file: segment.file,
      message: `recovery cut ${segment.file} at position ${position} (${range}); the cut bytes are in ${aside}${laterBases.length ? ` and ${laterBases.length} later segment(s) in .corrupt files` : ''}${reason}`,
    });
  }

  private moveSegmentsAside(bases: number[]): void {
    for (const base of bases) {
      for (const suffix of ['.log', '.index', '.timeindex', '.txnindex']) {
        const file = path.join(this.dir, segmentFileName(base, suffix));
        if (fs.existsSync(file)) fs.renameSync(file, file + '.corrupt');
      }
    }
  }

  /** Best effort: the last offset named by plausible batch headers from `position` on. */
  private lastOffsetOfTail(segment: LogSegment, position: number): number | undefined {
    let last: number | undefined;
    const fd = fs.openSync(segment.file, 'r');
    try {
      last = lastOffsetInFile(fd, position, fs.fstatSync(fd).size);
    } finally {
      fs.closeSync(fd);
    }
    return last;
  }

  private lastOffsetOfSegmentFile(base: number): number | undefined {
    const file = path.join(this.dir, segmentFileName(base, '.log'));
    const fd = fs.openSync(file, 'r');
    try {
      return lastOffsetInFile(fd, 0, fs.fstatSync(fd).size);
    } finally {
      fs.closeSync(fd);
    }
  }

  // ---------------------------------------------------------------- append

  /**
   * Validates the RecordBatch v2 batches in `batches` (one Produce request's records
   * may hold several), assigns their offsets and appends them. The buffer is
   * modified in place (offsets, leader epoch), so the caller hands it over.
   */
  append(batches: Buffer, options: AppendOptions = {}): AppendResult {
    this.ensureHealthy();
    const assignOffsets = options.assignOffsets ?? true;
    // A follower keeps the time its leader stamped (Kafka's appendAsFollower): its copy stays the leader's bytes.
    const logAppendTime = assignOffsets && this._config['message.timestamp.type'] === 'LogAppendTime' ? this.clock.now() : -1;
    const infos = this.validate(batches, assignOffsets, options.origin === 'coordinator');
    let recordCount = 0;
    let position = 0;
    let maxTimestamp = -1;
    let transactional = false;
    for (const info of infos) {
      if ((info.attributes & TXN_ATTRIBUTE_BITS) !== 0) transactional = true;
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
    try {
      this.maybeRoll(batches.length, maxTimestamp, lastOffset);
      if (options.leaderEpoch !== undefined) this.leaderEpochs.assign(options.leaderEpoch, baseOffset);
      const active = this.active;
      const verified = (this.verifiedBytes.get(active) ?? 0) >= active.size;
      active.append(batches, 0, batches.length, infos);
      // Validated before the write: a fully verified segment stays so.
      if (verified) this.verifiedBytes.set(active, active.size);
    } catch (e) {
      throw this.writeFailed(e);
    }
    if (transactional) this.applyAppendedTransactions(batches, infos);
    // A follower's copy carries its leader's epochs: each starts at the first batch stamped with it (Kafka's appendAsFollower).
    if (!assignOffsets && options.leaderEpoch === undefined) this.assignStoredEpochs(batches, infos);
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

  /** The transaction state after an append holding transactional or control batches (now in the active segment). */
  private applyAppendedTransactions(batches: Buffer, infos: readonly ValidatedBatch[]): void {
    let position = 0;
    for (const info of infos) {
      if ((info.attributes & TXN_ATTRIBUTE_BITS) !== 0) this.applyTxnBatch(this.active, batches, position, info.baseOffset);
      position += info.size;
    }
  }

  /** The leader epochs stamped in appended batches, from the headers validate() already read (no walk of their own). */
  private assignStoredEpochs(batches: Buffer, infos: readonly ValidatedBatch[]): void {
    let position = 0;
    for (let i = 0; i < infos.length; i++) {
      this.leaderEpochs.assign(batches.readInt32BE(position + PARTITION_LEADER_EPOCH), infos[i].baseOffset);
      position += infos[i].size;
    }
  }

  /** Encodes `records` into one batch and appends it: the convenient path for tests and tools. */
  appendRecords(records: RecordInput[], options: AppendOptions & { compression?: CompressionName } = {}): AppendResult {
    return this.append(encodeRecordBatch({ records, compression: options.compression }), options);
  }

  /**
   * An I/O error while appending or rolling: nothing of the append counts (the
   * segment's size and indexes move only after a whole write, and the next
   * append writes over any partial bytes; a roll is done again whole). The
   * caller gets KafkaStorageError.
   *   - Out of space (ENOSPC, EDQUOT) or another transient error: the log stays
   *     healthy, so the next append tries again and the partition recovers
   *     when space returns.
   *   - A failing device (EIO, EROFS...): what it holds
   *     cannot be trusted, so the partition fails (Kafka takes the log dir
   *     offline) and answers KAFKA_STORAGE_ERROR until the broker restarts,
   *     whose recovery drops the partial bytes.
   */
  private writeFailed(e: unknown): Error {
    if (e instanceof LogError || typeof (e as NodeJS.ErrnoException)?.code !== 'string') return e as Error;
    const err = e as NodeJS.ErrnoException;
    const active = this.active;
    const what = `appending to ${active.file} failed with ${err.code} (${err.message})`;
    if (FAILING_DEVICE.has(err.code!)) {
      this.markFailed(
        active.file,
        active.size,
        this.logEndOffset,
        undefined,
        `${what}; nothing of that append was acknowledged`,
        'fix the disk, then restart the broker',
      );
      return this.storageError();
    }
    const message = `${this.dir}: ${what}; nothing was appended, retry when the disk accepts writes again.`;
    this.warn({ kind: 'write-failed', file: active.file, message });
    return new KafkaStorageError(message);
  }

  /**
   * Validates every batch before a byte is written (see batch-validator.ts:
   * framing, CRC, offsets, producer fields, timestamps, every record), assigns
   * offsets (or checks a follower's). A follower's copy is checked by its
   * header and CRC only, as Kafka's appendAsFollower does: its leader walked
   * the records, and the CRC covers them. Throws CorruptRecordError (2) or
   * InvalidRecordError (87); nothing is stored then.
   */
  private validate(batches: Buffer, assignOffsets: boolean, allowControl: boolean): ValidatedBatch[] {
    if (batches.length === 0) throw new InvalidRecordError('Append of an empty record set: send at least one batch.');
    const infos: ValidatedBatch[] = [];
    const limit = this._config['max.message.bytes'];
    const compacted = isCompacted(this._config);
    let nextOffset = this.logEndOffset;
    let position = 0;
    while (position < batches.length) {
      if (batches.length - position >= LOG_OVERHEAD) {
        const declared = batches.readInt32BE(position + BATCH_LENGTH) + LOG_OVERHEAD;
        if (declared > limit + LOG_OVERHEAD) throw new RecordTooLargeError(declared, limit);
      }
      const checked = validateBatch(batches, position, batches.length, { mode: assignOffsets ? 'client' : 'replica', requireKeys: compacted, allowControl });
      if (checked._tag === 'Left') {
        const message = `Rejected batch at byte ${position} of the append: ${checked.left.message}`;
        throw refusalCode(checked.left) === 87 ? new InvalidRecordError(message) : new CorruptRecordError(message);
      }
      const frame = checked.right;
      if (frame.recordCount <= 0) throw new InvalidRecordError(`Batch at byte ${position} holds no records.`);
      if (assignOffsets) {
        writeInt64(batches, position, nextOffset);
      } else if (frame.baseOffset < nextOffset) {
        throw new InvalidRecordError(`Follower append at offset ${frame.baseOffset} is below the log end offset ${nextOffset}; truncate first.`);
      }
      const baseOffset = assignOffsets ? nextOffset : frame.baseOffset;
      const lastOffset = baseOffset + frame.lastOffsetDelta;
      // The one header read transactions cost a plain batch: its attributes.
      const attributes = batches.readInt16BE(position + ATTRIBUTES);
      infos.push({ baseOffset, lastOffset, maxTimestamp: frame.maxTimestamp, size: frame.size, recordCount: frame.recordCount, attributes });
      nextOffset = lastOffset + 1;
      position += frame.size;
    }
    return infos;
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
    this.writeTxnCheckpoint();
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
    const chunks = this.readChunks(offset, maxBytes, upTo);
    return chunks.length === 1 ? chunks[0] : chunks.length === 0 ? EMPTY : Buffer.concat(chunks);
  }

  /**
   * As read(), the batches in one or more buffers laid end to end: recent
   * appends spanning several Produce requests come back as views of the
   * appended buffers, never copied into one. A replica fetch hands them to the
   * socket as they are. Empty when there is nothing to serve.
   */
  readChunks(offset: number, maxBytes: number, upTo: number = this._highWatermark): readonly Buffer[] {
    this.ensureHealthy();
    if (offset < this._logStartOffset || offset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(offset, this._logStartOffset, this.logEndOffset, this.dir);
    }
    if (offset >= upTo) return NO_CHUNKS;
    const recent = this.recent?.read(offset, maxBytes, upTo);
    if (recent !== undefined) return recent;
    const bytes = this.readSegments(offset, maxBytes, upTo);
    return bytes.length === 0 ? NO_CHUNKS : [bytes];
  }

  /** read() from the segment files, every batch not yet verified checked before it leaves. */
  private readSegments(offset: number, maxBytes: number, upTo: number): Buffer {
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const segment = this.segments[i];
      const batch = segment.positionOf(offset);
      if (!batch) continue; // offset falls in a gap at the end of a compacted segment
      // Past a gap (compaction, an accepted repair) the first offset served is the segment's first.
      const first = Math.max(offset, segment.baseOffset);
      // A dense log's batch holding `first` starts at or before it: else its base offset changed on disk.
      if (batch.baseOffset > first && this.dense) {
        this.markFailed(
          segment.file,
          batch.position,
          first,
          batch.lastOffset,
          `found while serving a read: the batch's base offset ${batch.baseOffset} (outside the CRC) does not follow the index (looked up offset ${first})`,
        );
        throw this.storageError();
      }
      if (batch.baseOffset >= upTo) return EMPTY;
      const bytes = segment.read(batch.position, maxBytes, batch.size, upTo);
      const verified = this.verifiedBytes.get(segment) ?? 0;
      if (batch.position + bytes.length <= verified) return bytes;
      const served = this.checkServed(segment, batch.position, bytes, first);
      if (batch.position <= verified) this.verifiedBytes.set(segment, batch.position + served.length);
      return served;
    }
    return EMPTY;
  }

  /**
   * What a read serves from disk is checked before it leaves: each batch's
   * CRC32C, and base offsets (outside the CRC) that hold `offset` and follow
   * each other. The batches before a damaged one are served; a read that starts
   * at damage puts the log in the failed state (KafkaStorageError): a consumer
   * never receives bytes that changed on disk.
   */
  private checkServed(segment: LogSegment, position: number, bytes: Buffer, offset: number): Buffer {
    const dense = this.dense;
    let previousLast = -1;
    for (let at = 0; at + LOG_OVERHEAD <= bytes.length; ) {
      const size = bytes.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
      const base = readInt64(bytes, at);
      const last = base + bytes.readInt32BE(at + LAST_OFFSET_DELTA);
      let problem: string | undefined;
      if (bytes[at + MAGIC] !== 2 || size < RECORDS || at + size > bytes.length) problem = `the batch header is damaged`;
      else if (bytes.readUInt32BE(at + CRC) !== crc32c(bytes, at + ATTRIBUTES, at + size)) problem = `the batch fails its CRC32C check`;
      else if (at === 0 ? last < offset || (dense && base > offset) : dense ? base !== previousLast + 1 : base <= previousLast) {
        problem = `the batch's base offset ${base} (outside the CRC) does not follow ${at === 0 ? `the index (looked up offset ${offset})` : `the previous batch, which ends at ${previousLast}`}`;
      }
      if (problem !== undefined) {
        if (at > 0) return bytes.subarray(0, at);
        this.markFailed(
          segment.file,
          position,
          offset,
          Number.isSafeInteger(last) && last >= offset ? last : undefined,
          `found while serving a read: ${problem}`,
        );
        throw this.storageError();
      }
      previousLast = last;
      at += size;
    }
    return bytes;
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
    this.ensureHealthy();
    const start = this.segments.findIndex((s) => s.maxTimestamp >= timestamp);
    if (start < 0) return undefined;
    for (let i = start; i < this.segments.length; i++) {
      const segment = this.segments[i];
      let offset = Math.max(segment.timeIndex.lookupBefore(timestamp), this._logStartOffset);
      for (let b = segment.positionOf(offset); b; b = segment.batchAt(b.position + b.size)) {
        const bytes = segment.read(b.position, 1);
        const decoded = decodeRecordBatch(bytes, 0);
        if (decoded._tag === 'Left') {
          this.markFailed(segment.file, b.position, b.baseOffset, b.lastOffset, `found while looking up a timestamp: ${decoded.left.message}`);
          throw this.storageError();
        }
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

  /**
   * ListOffsets' lookup by time, as Kafka's UnifiedLog.fetchOffsetByTimestamp:
   * MAX_TIMESTAMP (-3) names the record with the newest timestamp, any other
   * timestamp the first record at or after it; undefined when none (the caller
   * answers UNKNOWN_OFFSET, -1). The caller also hides what is not yet fetchable.
   */
  recordForTimestamp(timestamp: number): TimestampOffset | undefined {
    if (timestamp !== MAX_TIMESTAMP_QUERY) return this.offsetForTimestamp(timestamp);
    const max = this.maxTimestamp;
    return max < 0 ? undefined : this.offsetForTimestamp(max);
  }

  /** The newest timestamp of the log (-1 when it holds no record). */
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
    this.ensureHealthy();
    if (offset >= this.logEndOffset) return;
    if (offset < this._logStartOffset) offset = this._logStartOffset;
    this.recent?.clear();
    let removed = 0;
    for (; this.segments.length > 1 && this.active.baseOffset >= offset; removed++) this.segments.pop()!.delete();
    // Deleted segments must stay deleted: a crash must not bring them back as closed segments the recovery point trusts.
    if (removed > 0) fsyncDirectory(this.dir);
    this.active.truncateToOffset(offset);
    this.verifiedBytes.set(this.active, Math.min(this.verifiedBytes.get(this.active) ?? 0, this.active.size));
    // Cutting the batch that holds the log start offset (DeleteRecords moved it
    // inside a batch) would leave the end below the start: start empty there.
    if (this.logEndOffset < this._logStartOffset) {
      this.truncateFullyAndStartAt(this._logStartOffset);
      return;
    }
    this.leaderEpochs.truncateFromEnd(offset);
    this._highWatermark = Math.min(this._highWatermark, this.logEndOffset);
    this._recoveryPoint = Math.min(this._recoveryPoint, this.logEndOffset);
    this.writeRecoveryCheckpoint();
    // Markers past the cut are gone: their transactions are open again (or never were).
    if (this.txnSnapshot.offset <= this.logEndOffset) this.replayTransactionsFrom(this.txnSnapshot);
    else this.replayTransactionsFrom({ offset: this._logStartOffset, open: [] }, true);
    // A checkpoint past the cut describes a log that is gone: replace it before the log grows past it again.
    this.writeTxnCheckpoint();
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (at most the high
   * watermark) and deletes segments that lie wholly below it.
   */
  deleteRecordsBefore(offset: number): number {
    this.ensureHealthy();
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
    this.ensureHealthy();
    // The new start is on disk before any file goes, so a crash in between never reopens below it.
    this.writeLogStart(offset);
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
    // Transactions open below `offset` are unknown here now (their data is gone, as after Kafka's truncateFullyAndStartAt).
    this.txns = new OpenTransactions();
    this.writeTxnCheckpoint();
    fsyncDirectory(this.dir);
  }

  /**
   * Applies retention.ms and retention.bytes (for cleanup.policy delete or
   * compact,delete): deletes whole closed segments, oldest first, never the active
   * one, and moves the log start offset. Returns how many segments were deleted.
   */
  deleteOldSegments(now: number = this.clock.now()): number {
    this.ensureOpen();
    // A failed log keeps every byte for the repair to look at.
    if (!deletesOldSegments(this._config) || this._failure) return 0;
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

  private writeLogStart(offset: number): void {
    writeOffsetCheckpoint(path.join(this.dir, LOG_START_FILE), offset);
    this.checkpointedLogStart = offset;
  }

  private setLogStartOffset(offset: number): void {
    this._logStartOffset = offset;
    // Persist before deleting files, so a crash never leaves a start below what exists.
    this.writeLogStart(offset);
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

  /** The log's own checkpoint files; with dirCheckpoints nothing: the directory's timer reads checkpointOffsets(). */
  private writeRecoveryCheckpoint(): void {
    this.lastCheckpointAt = this.clock.now();
    if (this.dirCheckpoints) return;
    const { recoveryPoint, highWatermark } = this.checkpointOffsets();
    if (highWatermark !== undefined && this.checkpointedHighWatermark !== highWatermark) {
      writeOffsetCheckpoint(path.join(this.dir, HIGH_WATERMARK_FILE), highWatermark);
      this.checkpointedHighWatermark = highWatermark;
    }
    if (this.checkpointedRecoveryPoint === recoveryPoint) return;
    writeOffsetCheckpoint(path.join(this.dir, RECOVERY_POINT_FILE), recoveryPoint);
    this.checkpointedRecoveryPoint = recoveryPoint;
  }

  /** Flushes everything, records a clean shutdown and releases the files. */
  close(): void {
    if (this.closed) return this.throwIfCloseFailed();
    const staged = this.stageClose();
    try {
      for (const file of staged.toSync) fsyncPath(file);
      placeStaged(staged.checkpoints);
      // The renames are durable before anything counts on them (none: nothing to wait for).
      if (staged.checkpoints.length > 0) fsyncDirectory(this.dir);
      this.finishClose();
      fs.writeFileSync(path.join(this.dir, CLEAN_SHUTDOWN_FILE), '');
      fsyncDirectory(this.dir);
    } catch (e) {
      this.closeFailure = e as Error;
      throw e;
    }
  }

  /** A close after one that failed part-way: the same failure again, not a success (there is no clean mark). */
  private throwIfCloseFailed(): void {
    const failure = this.closeFailure;
    if (failure !== undefined)
      throw new Error(`${this.dir}: an earlier close failed (${failure.message}); the log has no clean-shutdown mark and is recovered at the next open`);
  }

  /**
   * close() with its fsyncs on libuv's threads: a broker closing 10,000 logs
   * runs them side by side instead of one after another on the event loop.
   * The order is close()'s: data, indexes and checkpoint files durable, the
   * checkpoints renamed into place and the directory fsynced, and only then
   * the clean-shutdown mark (with it the next open trusts all of them and
   * skips recovery). Closed for appends and reads from the call on; a failed
   * fsync leaves no mark (the next open recovers).
   */
  async closeAsync(): Promise<void> {
    if (this.closed) return this.throwIfCloseFailed();
    const staged = this.stageClose();
    try {
      await Promise.all(staged.toSync.map(fsyncPathAsync));
      placeStaged(staged.checkpoints);
      if (staged.checkpoints.length > 0) await fsyncPathAsync(this.dir);
      this.finishClose();
      fs.writeFileSync(path.join(this.dir, CLEAN_SHUTDOWN_FILE), '');
      await fsyncPathAsync(this.dir);
    } catch (e) {
      this.closeFailure = e as Error;
      throw e;
    }
  }

  /**
   * The first half of a close, with no fsync: every file written (checkpoints
   * to their temp files), every segment closed, and what must be fsynced
   * before the checkpoints are renamed into place: the data past the recovery
   * point, index files written since their last fsync, the temp files.
   */
  private stageClose(): { toSync: string[]; checkpoints: StagedCheckpoint[] } {
    this.ensureOpen();
    this.recent?.clear();
    const checkpoints: StagedCheckpoint[] = [];
    // The clean-shutdown mark skips the scan that would rebuild epochs: the epoch file is made durable with the rest.
    const epochs = this.leaderEpochs.stageClose();
    if (epochs !== undefined) checkpoints.push(epochs);
    // Files that already hold what they would be given are not written again (two fsyncs each, for every idle log of a broker).
    if (this._logStartOffset !== this.checkpointedLogStart)
      checkpoints.push(stageCheckpoint(path.join(this.dir, LOG_START_FILE), [String(this._logStartOffset)]));
    const txn = this._failure ? undefined : this.stageTxnCheckpoint();
    if (txn !== undefined) checkpoints.push(txn);
    const unflushedFrom = this.segmentIndexFor(this._recoveryPoint);
    const toSync = this.segments.flatMap((s, i) => s.stageClose(i >= unflushedFrom));
    for (const c of checkpoints) toSync.push(c.tmp);
    this.closed = true;
    return { toSync, checkpoints };
  }

  /**
   * The second half, once what stageClose() staged is fsynced, renamed into
   * place and its directory fsynced: only now do the staged leader epochs
   * count as durable (before, a failed close would let the directory's
   * recovery point pass an epoch the file lacks), then the recovery point at the end.
   */
  private finishClose(): void {
    this.leaderEpochs.stagedDurable();
    this.markFlushed();
    this.writeRecoveryCheckpoint();
    this.dirCheckpoints?.detach(path.basename(this.dir), this.checkpointOffsets());
  }

  /** Closes and removes the whole directory (topic deletion). */
  delete(): void {
    if (!this.closed) for (const s of this.segments) s.close();
    this.closed = true;
    this.leaderEpochs.abandon();
    this.dirCheckpoints?.forget(path.basename(this.dir));
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
    const dense = this.dense;
    const problems: { file: string; position: number; error: BatchError }[] = [];
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments[i];
      const scan = segment.verify(this._config['max.message.bytes'], dense);
      if (scan.error) {
        problems.push({ file: segment.file, position: scan.validBytes, error: scan.error });
        this.markFailed(
          segment.file,
          scan.validBytes,
          scan.nextOffset,
          this.lastOffsetOfTail(segment, scan.validBytes),
          `found by verify(): ${scan.error.message}`,
        );
      }
      const previous = this.segments[i - 1];
      if (previous && (previous.nextOffset > segment.baseOffset || (dense && previous.nextOffset < segment.baseOffset))) {
        const message = `${segment.file} starts at offset ${segment.baseOffset} but the previous segment ends at ${previous.nextOffset - 1}`;
        problems.push({ file: segment.file, position: 0, error: { kind: 'corrupt', message, position: 0 } });
        this.markFailed(segment.file, 0, previous.nextOffset, segment.baseOffset - 1, `found by verify(): ${message}`);
      }
    }
    return problems;
  }

  /**
   * Closed segments (all but the active one) wholly below the last stable
   * offset, oldest first: what the cleaner may rewrite. (A replicated log's
   * records above the high watermark may still be truncated, and followers copy
   * them as they are; an open transaction's records may still be aborted, as
   * Kafka's firstUncleanableOffset has it.)
   */
  closedSegments(): readonly LogSegment[] {
    if (this._failure) return [];
    const closed = this.segments.slice(0, -1);
    const stable = this.lastStableOffset;
    let n = 0;
    while (n < closed.length && closed[n].nextOffset <= stable) n++;
    return closed.slice(0, n);
  }

  /**
   * Makes `replacement` (written by the cleaner with suffix '.cleaned', same base
   * offset) durable and swaps it in for the closed segment at the same base offset. Crash-safe: the
   * `.swap` rename marks the replacement complete before the old files go.
   */
  replaceSegment(replacement: LogSegment): void {
    this.ensureHealthy();
    const i = this.segments.findIndex((s) => s.baseOffset === replacement.baseOffset);
    if (i < 0 || i === this.segments.length - 1) throw new Error(`No closed segment at ${replacement.baseOffset} to replace`);
    this.compactedBefore = true;
    // Markers stay through compaction (the cleaner keeps control batches), so their aborted-index entries do too.
    replacement.txnIndex.replaceWith(this.segments[i].txnIndex.entries);
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

/**
 * The repair of a damaged partition directory (`rill log recover`, or a broker
 * started with log.recover.corruption=true): opens the log with
 * { recoverCorruption: true } — every segment scanned, damaged bytes and later
 * segments moved aside into .corrupt files, a gap accepted — and closes it.
 * Returns what was done, one warning per repair (empty: nothing was wrong).
 */
export function recoverPartitionLog(dir: string, config: Readonly<Record<string, unknown>> = {}): LogWarning[] {
  const warnings: LogWarning[] = [];
  const log = PartitionLog.open(dir, config, { recoverCorruption: true, onWarning: (w) => warnings.push(w) });
  log.close();
  return warnings;
}

/** A batch as validate() found it, with the offsets it gets. */
type ValidatedBatch = BatchInfo & { recordCount: number; attributes: number };

const EMPTY = Buffer.alloc(0);
/** Nothing to serve (shared: never mutated). */
const NO_CHUNKS: readonly Buffer[] = Object.freeze([]);
const COPY_CHUNK = 1024 * 1024;

/** The leader epoch cache, or an empty one (with a warning) when its checkpoint is unreadable. */
function openLeaderEpochCache(file: string, warn: (w: LogWarning) => void): LeaderEpochCache {
  const onWriteError = (e: Error) =>
    warn({ kind: 'write-failed', file, message: `could not write ${file} (${e.message}); it is written again at the next epoch change or close` });
  try {
    return new LeaderEpochCache(file, onWriteError);
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    warn({ kind: 'checkpoint-ignored', file, message: `ignored the unreadable checkpoint ${file} (${e.message}); leader epochs start empty` });
    fs.rmSync(file, { force: true });
    return new LeaderEpochCache(file, onWriteError);
  }
}

/** Copies bytes [from, to) of `src` into a new file `dest`, a chunk at a time, fsynced. */
function copyRange(src: string, from: number, to: number, dest: string): void {
  const input = fs.openSync(src, 'r');
  const output = fs.openSync(dest, 'w');
  try {
    const chunk = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(to - from, 1)));
    for (let at = from; at < to; ) {
      const n = fs.readSync(input, chunk, 0, Math.min(chunk.length, to - at), at);
      if (n === 0) break;
      fs.writeSync(output, chunk, 0, n);
      at += n;
    }
    fs.fsyncSync(output);
  } finally {
    fs.closeSync(input);
    fs.closeSync(output);
  }
}

/** Walks batch headers from `position` while they look sane; the largest last offset they name. */
function lastOffsetInFile(fd: number, position: number, size: number): number | undefined {
  const header = Buffer.allocUnsafe(LOG_OVERHEAD + 15);
  let last: number | undefined;
  while (position + header.length <= size) {
    fs.readSync(fd, header, 0, header.length, position);
    const batchSize = header.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
    const base = readInt64(header, 0);
    const lastOffset = base + header.readInt32BE(LAST_OFFSET_DELTA);
    if (header[MAGIC] !== 2 || batchSize < RECORDS || base < 0 || !Number.isSafeInteger(lastOffset)) break;
    if (last === undefined || lastOffset > last) last = lastOffset;
    position += batchSize;
  }
  return last;
}

/** Sets LogAppendTime on a stored batch: the attribute bit and maxTimestamp, then the CRC they are under. */
function stampLogAppendTime(buf: Buffer, position: number, size: number, now: number): void {
  buf.writeInt16BE(buf.readInt16BE(position + ATTRIBUTES) | TIMESTAMP_TYPE_BIT, position + ATTRIBUTES);
  writeInt64(buf, position + MAX_TIMESTAMP, now);
  buf.writeUInt32BE(crc32c(buf, position + ATTRIBUTES, position + size), position + CRC);
}
