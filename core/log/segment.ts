// One segment of a partition log: `<20-digit baseOffset>.log` holding RecordBatch v2
// bytes exactly as Kafka stores them, with its sparse `.index` and `.timeindex`, and
// `.txnindex` (the aborted transactions whose markers it holds).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ATTRIBUTES, BATCH_LENGTH, LAST_OFFSET_DELTA, LOG_OVERHEAD, BATCH_HEADER_SIZE, MAX_TIMESTAMP, PARTITION_LEADER_EPOCH, readInt64 } from './batch-header';
import { OffsetIndex, TimeIndex } from './index-file';
import { TransactionIndex } from './txn-index';
import { BatchError } from './record-batch';
import { validateStoredBatch } from './batch-validator';
import { FileHandleCache, LazyFile, sharedFileHandles } from './file-handles';

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** Parses `00000000000000000042.log` into 42, or undefined for other names. */
export function parseSegmentFileName(name: string, suffix = '.log'): number | undefined {
  if (!name.endsWith(suffix)) return undefined;
  const stem = name.slice(0, -suffix.length);
  return /^\d{20}$/.test(stem) ? Number(stem) : undefined;
}

/** What a scan of a segment's bytes found. */
export interface SegmentScan {
  /** Bytes of valid batches from the start. */
  validBytes: number;
  /** Offset after the last valid batch (the segment's base offset if none). */
  nextOffset: number;
  /** Why the scan stopped early, with the file position; undefined when every byte was valid. */
  error?: BatchError;
  /** True when the invalid bytes run to the end of the file: a torn write, not corruption. */
  tornTail: boolean;
}

/** Fields of a batch header needed to walk a segment without decoding records. */
interface BatchPosition {
  position: number;
  baseOffset: number;
  lastOffset: number;
  size: number;
  /** The batch's attributes (compression, timestamp type, transactional and control bits). */
  attributes: number;
  /** The partitionLeaderEpoch stamped in the header (-1: none). */
  leaderEpoch: number;
}

/** The header fields batchAt() reads, up to the max timestamp (loadFromIndexes reads that one from the probe). */
const HEADER_PROBE = MAX_TIMESTAMP + 8;
const SCAN_CHUNK = 1024 * 1024;

export class LogSegment {
  /** Opened on use and closed when idle (the broker's file-handle budget), never held by an idle segment. */
  private readonly data: LazyFile;
  private closed = false;
  private _size: number;
  private bytesSinceLastIndexEntry = 0;
  private _maxTimestamp = -1;
  private _offsetOfMaxTimestamp = -1;
  private _firstBatchTimestamp: number | undefined;
  /** Offset after the last batch in this segment. */
  private _nextOffset: number;
  private readonly probe = Buffer.allocUnsafe(HEADER_PROBE);
  /** '' for live segments; '.cleaned' while the cleaner writes a replacement. */
  private suffix: string;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly indexIntervalBytes: number,
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    readonly txnIndex: TransactionIndex,
    data: LazyFile,
    suffix: string,
  ) {
    this.data = data;
    data.ensureExists();
    this._size = fs.statSync(data.path).size;
    this._nextOffset = baseOffset;
    this.suffix = suffix;
  }

  static open(dir: string, baseOffset: number, indexIntervalBytes: number, suffix = '', handles: FileHandleCache = sharedFileHandles): LogSegment {
    const file = path.join(dir, segmentFileName(baseOffset, '.log' + suffix));
    const data = handles.file(file, fs.constants.O_RDWR | fs.constants.O_CREAT);
    const offsetIndex = new OffsetIndex(path.join(dir, segmentFileName(baseOffset, '.index' + suffix)), baseOffset);
    const timeIndex = new TimeIndex(path.join(dir, segmentFileName(baseOffset, '.timeindex' + suffix)), baseOffset);
    const txnIndex = new TransactionIndex(path.join(dir, segmentFileName(baseOffset, '.txnindex' + suffix)));
    return new LogSegment(dir, baseOffset, indexIntervalBytes, offsetIndex, timeIndex, txnIndex, data, suffix);
  }

  get file(): string {
    return path.join(this.dir, segmentFileName(this.baseOffset, '.log' + this.suffix));
  }
  get size(): number {
    return this._size;
  }
  get nextOffset(): number {
    return this._nextOffset;
  }
  /** Largest record timestamp in the segment (-1 when empty): retention.ms uses it. */
  get maxTimestamp(): number {
    return this._maxTimestamp;
  }
  /** Max timestamp of the first batch: segment.ms counts from it, as Kafka does. */
  get firstBatchTimestamp(): number | undefined {
    return this._firstBatchTimestamp;
  }

  /**
   * Writes validated batches (buf[start, end)) at the end of the segment and indexes
   * them. `batches` describes each one so nothing is parsed twice.
   */
  append(buf: Buffer, start: number, end: number, batches: readonly BatchInfo[]): void {
    let written = 0;
    while (written < end - start) {
      written += fs.writeSync(this.data.get(), buf, start + written, end - start - written, this._size + written);
    }
    let position = this._size;
    for (const b of batches) {
      this.indexBatch(position, b);
      position += b.size;
    }
    this._size += end - start;
  }

  private indexBatch(position: number, b: BatchInfo): void {
    if (this._firstBatchTimestamp === undefined) this._firstBatchTimestamp = b.maxTimestamp;
    if (b.maxTimestamp > this._maxTimestamp) {
      this._maxTimestamp = b.maxTimestamp;
      this._offsetOfMaxTimestamp = b.lastOffset;
    }
    if (this.bytesSinceLastIndexEntry >= this.indexIntervalBytes || position === 0) {
      this.offsetIndex.append(b.baseOffset, position);
      this.timeIndex.append(this._maxTimestamp, this._offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += b.size;
    this._nextOffset = b.lastOffset + 1;
  }

  /**
   * Validates every batch from the start (CRC, records and base offsets: see
   * validateStoredBatch; `dense` when offsets have no gaps, i.e. not compacted),
   * rebuilds both indexes and the in-memory state, and reports where valid data
   * ends. Does not truncate.
   */
  scan(maxBatchBytes: number, dense = false): SegmentScan {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.bytesSinceLastIndexEntry = 0;
    this._maxTimestamp = -1;
    this._offsetOfMaxTimestamp = -1;
    this._firstBatchTimestamp = undefined;
    this._nextOffset = this.baseOffset;
    this._size = fs.fstatSync(this.data.get()).size;
    return this.walk(maxBatchBytes, dense, (position, b) => this.indexBatch(position, b));
  }

  /** Checks every batch as scan() does without changing anything. */
  verify(maxBatchBytes: number, dense = false): SegmentScan {
    return this.walk(maxBatchBytes, dense, () => {});
  }

  /** Reads the file in large chunks and hands each valid batch to `onBatch`. */
  private walk(maxBatchBytes: number, dense: boolean, onBatch: (position: number, b: BatchInfo) => void): SegmentScan {
    const fileSize = fs.fstatSync(this.data.get()).size;
    const maxSize = Math.max(maxBatchBytes, BATCH_HEADER_SIZE) + LOG_OVERHEAD;
    let chunk = Buffer.allocUnsafe(Math.min(SCAN_CHUNK, Math.max(fileSize, 1)));
    let nextOffset = this.baseOffset;
    let position = 0;
    const stop = (at: number, error: BatchError): SegmentScan => {
      // Torn tail: the bad batch is the last thing in the file (a write cut short).
      const declared = this.batchSizeAt(at);
      const tornTail = declared === undefined || at + declared >= fileSize;
      return { validBytes: at, nextOffset, error, tornTail };
    };
    while (position < fileSize) {
      const got = readFully(this.data.get(), chunk, Math.min(chunk.length, fileSize - position), position);
      let at = 0;
      while (got - at >= LOG_OVERHEAD) {
        const size = chunk.readInt32BE(at + BATCH_LENGTH) + LOG_OVERHEAD;
        if (size < BATCH_HEADER_SIZE || size > maxSize || position + at + size > fileSize) {
          return stop(position + at, {
            kind: size < BATCH_HEADER_SIZE ? 'corrupt' : 'truncated',
            message: `batch at position ${position + at} of ${this.file} declares ${size} bytes but ${fileSize - position - at} remain (limit ${maxSize})`,
            position: position + at,
          });
        }
        if (at + size > got) break; // continues in the next chunk
        const checked = validateStoredBatch(chunk, at, at + size, nextOffset, dense);
        if (checked._tag === 'Left') {
          const where = position + at;
          return stop(where, { ...checked.left, position: where, message: `${checked.left.message} (file ${this.file}, position ${where})` });
        }
        const c = checked.right;
        onBatch(position + at, { baseOffset: c.baseOffset, lastOffset: c.baseOffset + c.lastOffsetDelta, maxTimestamp: c.maxTimestamp, size });
        nextOffset = c.baseOffset + c.lastOffsetDelta + 1;
        at += size;
      }
      if (at === 0) {
        if (fileSize - position < LOG_OVERHEAD) {
          return stop(position, { kind: 'truncated', message: `${fileSize - position} stray bytes at position ${position} of ${this.file}`, position });
        }
        // One batch larger than the chunk: grow the chunk (bounded by maxSize above).
        chunk = Buffer.allocUnsafe(Math.min(fileSize - position, chunk.length * 2));
        continue;
      }
      position += at;
    }
    return { validBytes: fileSize, nextOffset, tornTail: false };
  }

  private batchSizeAt(position: number): number | undefined {
    if (readFully(this.data.get(), this.probe, LOG_OVERHEAD, position) < LOG_OVERHEAD) return undefined;
    return this.probe.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
  }

  /**
   * Restores in-memory state from intact indexes and the last batches, without a
   * full scan. False when the file does not end on a batch boundary (then scan).
   */
  loadFromIndexes(): boolean {
    const last = this.timeIndex.lastEntry();
    if (last) {
      this._maxTimestamp = last.timestamp;
      this._offsetOfMaxTimestamp = last.offset;
    }
    // Walk from the last indexed position to find the next offset.
    let position = this.offsetIndex.lookup(Number.MAX_SAFE_INTEGER);
    let lastBatch: BatchPosition | undefined;
    for (let b = this.batchAt(position); b; b = this.batchAt(position)) {
      lastBatch = b;
      position += b.size;
      // The time index holds the newest timestamp only up to its last entry: the
      // batches after it count too (else a clean restart forgot them, and lookups
      // by time answered "not found" for records the segment holds).
      const maxTimestamp = readInt64(this.probe, MAX_TIMESTAMP);
      if (maxTimestamp > this._maxTimestamp) {
        this._maxTimestamp = maxTimestamp;
        this._offsetOfMaxTimestamp = b.lastOffset;
      }
    }
    this._nextOffset = lastBatch ? lastBatch.lastOffset + 1 : this.baseOffset;
    this.bytesSinceLastIndexEntry = this._size - this.offsetIndex.lookup(Number.MAX_SAFE_INTEGER);
    if (this.batchAt(0)) {
      readFully(this.data.get(), this.probe, 8, MAX_TIMESTAMP);
      this._firstBatchTimestamp = readInt64(this.probe, 0);
    }
    // A sane index points inside this segment's offsets; anything else means rebuild.
    const timeIndexSane = !last || (last.offset >= this.baseOffset && last.offset < this._nextOffset);
    return position === this._size && timeIndexSane;
  }

  /** Header fields of the batch at `position`, or undefined past the end. */
  batchAt(position: number): BatchPosition | undefined {
    if (position + HEADER_PROBE > this._size) return undefined;
    readFully(this.data.get(), this.probe, HEADER_PROBE, position);
    const baseOffset = readInt64(this.probe, 0);
    const size = this.probe.readInt32BE(BATCH_LENGTH) + LOG_OVERHEAD;
    if (size < BATCH_HEADER_SIZE || position + size > this._size) return undefined;
    return {
      position,
      baseOffset,
      lastOffset: baseOffset + this.probe.readInt32BE(LAST_OFFSET_DELTA),
      size,
      attributes: this.probe.readInt16BE(ATTRIBUTES),
      leaderEpoch: this.probe.readInt32BE(PARTITION_LEADER_EPOCH),
    };
  }

  /** Position of the first batch whose last offset is >= `offset`, or undefined. */
  positionOf(offset: number): BatchPosition | undefined {
    let position = this.offsetIndex.lookup(offset);
    for (let b = this.batchAt(position); b; b = this.batchAt(position)) {
      if (b.lastOffset >= offset) return b;
      position += b.size;
    }
    return undefined;
  }

  /**
   * Whole batches starting at `position`, at most `maxBytes` of them, except that
   * the first batch is returned whole even when larger (so a consumer always
   * progresses, as KIP-74 specifies). Pass `firstBatchSize` when the caller has
   * just read that batch's header, to save a read. Batches starting at or after
   * `upToOffset` (the high watermark) are left out.
   */
  read(position: number, maxBytes: number, firstBatchSize?: number, upToOffset = Number.MAX_SAFE_INTEGER): Buffer {
    const available = this._size - position;
    if (available <= 0) return Buffer.alloc(0);
    const firstSize = firstBatchSize ?? this.batchAt(position)?.size;
    if (firstSize === undefined) return Buffer.alloc(0);
    const want = Math.min(available, Math.max(maxBytes, firstSize));
    const out = Buffer.allocUnsafe(want);
    readFully(this.data.get(), out, want, position);
    // Trim to whole batches, stopping at the first batch at or past `upToOffset`.
    let end = 0;
    while (end + LOG_OVERHEAD <= want) {
      const size = out.readInt32BE(end + BATCH_LENGTH) + LOG_OVERHEAD;
      if (size < BATCH_HEADER_SIZE || end + size > want || readInt64(out, end) >= upToOffset) break;
      end += size;
    }
    return end === want ? out : out.subarray(0, end);
  }

  /** Cuts the segment at `position` (a batch boundary) and rebuilds indexes and state from what remains. */
  truncateToPosition(position: number): void {
    fs.ftruncateSync(this.data.get(), position);
    this.scan(Number.MAX_SAFE_INTEGER);
    this.txnIndex.truncateFrom(this._nextOffset);
  }

  /** Drops the batch holding `offset` and every later one (batches are never split, as in Kafka). */
  truncateToOffset(offset: number): void {
    const b = this.positionOf(offset);
    if (b) this.truncateToPosition(b.position);
  }

  /**
   * Called when the segment stops being the active one: indexes its newest
   * timestamp and makes data and indexes durable. From then on recovery trusts
   * the indexes of this segment.
   */
  onRolled(): void {
    if (this._maxTimestamp >= 0) this.timeIndex.append(this._maxTimestamp, this._offsetOfMaxTimestamp);
    this.flush();
    this.flushIndexes();
  }

  /** fsyncs the data. Indexes of the active segment need no fsync: recovery rebuilds them. */
  flush(): void {
    // fsync is per file, not per descriptor: reopening a descriptor that was closed while idle still syncs what it wrote.
    if (!this.closed) fs.fsyncSync(this.data.get());
  }

  private flushIndexes(): void {
    this.offsetIndex.flush();
    this.timeIndex.flush();
    this.txnIndex.flush();
  }

  close(): void {
    if (this.closed) return;
    this.flushIndexes();
    this.data.close();
    this.closed = true;
  }

  /**
   * Closes with the fsyncs left to the caller (a log closing many files at
   * once): pending index entries are written, and the files to fsync are
   * returned: the indexes written since their last fsync, and the data file
   * when `unflushedData` (it holds records past the log's recovery point).
   */
  stageClose(unflushedData: boolean): string[] {
    if (this.closed) return [];
    const toSync: string[] = unflushedData ? [this.data.path] : [];
    for (const index of [this.offsetIndex, this.timeIndex]) {
      const file = index.stageClose();
      if (file !== undefined) toSync.push(file);
    }
    const txn = this.txnIndex.fileToSync();
    if (txn !== undefined) toSync.push(txn);
    this.data.close();
    this.closed = true;
    return toSync;
  }

  /** Closes and removes the segment's files. */
  delete(): void {
    this.data.close();
    this.closed = true;
    this.offsetIndex.delete();
    this.timeIndex.delete();
    this.txnIndex.delete();
    fs.rmSync(this.file, { force: true });
  }

  /** Renames the files to carry `suffix` ('' for a live segment). */
  renameSuffix(suffix: string): void {
    this.suffix = suffix;
    this.data.rename(this.file);
    this.offsetIndex.renameTo(path.join(this.dir, segmentFileName(this.baseOffset, '.index' + suffix)));
    this.timeIndex.renameTo(path.join(this.dir, segmentFileName(this.baseOffset, '.timeindex' + suffix)));
    this.txnIndex.renameTo(path.join(this.dir, segmentFileName(this.baseOffset, '.txnindex' + suffix)));
  }
}

export interface BatchInfo {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  size: number;
}

function readFully(fd: number, buf: Buffer, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}
