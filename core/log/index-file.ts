// A sparse index of fixed-size entries (Kafka's .index and .timeindex files).
// Entries are kept in memory for lookups and appended to the file lazily: an index
// is always rebuildable from its segment, so it only has to be durable at the
// recovery point, when flush() writes and fsyncs what is pending.
import * as fs from 'node:fs';
import { readInt64, writeInt64 } from './batch-header';

export abstract class IndexFile {
  protected buf: Buffer;
  protected count = 0;
  /** Entries [0, written) are already in the file. */
  private written = 0;
  /** No file descriptor is held: a broker has many segments, and an index is written rarely. */
  private synced = true;

  constructor(
    readonly path: string,
    readonly entrySize: number,
  ) {
    let existing: Buffer;
    try {
      existing = fs.readFileSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      existing = Buffer.alloc(0);
      fs.writeFileSync(path, existing);
    }
    const usable = existing.length - (existing.length % entrySize);
    this.buf = Buffer.allocUnsafe(Math.max(usable, entrySize * 64));
    existing.copy(this.buf, 0, 0, usable);
    this.count = usable / entrySize;
    this.written = this.count;
    if (usable !== existing.length || !this.isSorted()) this.reset();
  }

  get entries(): number {
    return this.count;
  }

  /** Entries must grow strictly by key; subclasses check their own key order. */
  protected abstract isSorted(): boolean;

  protected reserve(): number {
    if ((this.count + 1) * this.entrySize > this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, 0, this.count * this.entrySize);
      this.buf = bigger;
    }
    return this.count++ * this.entrySize;
  }

  /** Largest entry index whose key is <= target, or -1. Keys are ascending. */
  protected floorEntry(target: number, keyAt: (entry: number) => number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Drops every entry and empties the file (used before a rebuild). */
  reset(): void {
    this.count = 0;
    this.written = 0;
    fs.truncateSync(this.path, 0);
    this.synced = false;
  }

  /** Writes pending entries and fsyncs the file; nothing to do when nothing changed. */
  flush(): void {
    if (this.written === this.count && this.synced) return;
    const fd = fs.openSync(this.path, 'r+');
    try {
      this.writeEntries(fd);
      fs.fsyncSync(fd);
      this.synced = true;
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Closing with the fsync left to the caller: writes pending entries and
   * gives the file to fsync (none when nothing changed since the last flush).
   * The caller makes it durable before anything that trusts it (the
   * clean-shutdown mark).
   */
  stageClose(): string | undefined {
    if (this.written === this.count && this.synced) return undefined;
    if (this.written < this.count) {
      const fd = fs.openSync(this.path, 'r+');
      try {
        this.writeEntries(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    this.synced = true;
    return this.path;
  }

  private writeEntries(fd: number): void {
    if (this.written >= this.count) return;
    const from = this.written * this.entrySize;
    fs.writeSync(fd, this.buf, from, (this.count - this.written) * this.entrySize, from);
    this.written = this.count;
  }

  close(): void {
    this.flush();
  }

  /** Removes the file. */
  delete(): void {
    fs.rmSync(this.path, { force: true });
  }

  renameTo(path: string): void {
    fs.renameSync(this.path, path);
    (this as { path: string }).path = path;
  }
}

/** relative offset (int32) -> file position (int32) of the batch that starts there. */
export class OffsetIndex extends IndexFile {
  static readonly ENTRY_SIZE = 8;

  constructor(
    path: string,
    readonly baseOffset: number,
  ) {
    super(path, OffsetIndex.ENTRY_SIZE);
  }

  protected isSorted(): boolean {
    for (let i = 1; i < this.count; i++) if (this.relativeOffsetAt(i) <= this.relativeOffsetAt(i - 1)) return false;
    return true;
  }

  private relativeOffsetAt(i: number): number {
    return this.buf.readInt32BE(i * 8);
  }

  private positionAt(i: number): number {
    return this.buf.readInt32BE(i * 8 + 4);
  }

  get lastOffset(): number {
    return this.count === 0 ? this.baseOffset : this.baseOffset + this.relativeOffsetAt(this.count - 1);
  }

  append(offset: number, position: number): void {
    if (this.count > 0 && offset - this.baseOffset <= this.relativeOffsetAt(this.count - 1)) return;
    const at = this.reserve();
    this.buf.writeInt32BE(offset - this.baseOffset, at);
    this.buf.writeInt32BE(position, at + 4);
  }

  /** Position of the last indexed batch starting at or before `offset` (0 if none). */
  lookup(offset: number): number {
    const i = this.floorEntry(offset - this.baseOffset, (e) => this.relativeOffsetAt(e));
    return i < 0 ? 0 : this.positionAt(i);
  }
}

/** timestamp (int64) -> relative offset (int32); timestamps strictly ascending. */
export class TimeIndex extends IndexFile {
  static readonly ENTRY_SIZE = 12;

  constructor(
    path: string,
    readonly baseOffset: number,
  ) {
    super(path, TimeIndex.ENTRY_SIZE);
  }

  protected isSorted(): boolean {
    for (let i = 1; i < this.count; i++) if (this.timestampAt(i) <= this.timestampAt(i - 1)) return false;
    return true;
  }

  private timestampAt(i: number): number {
    return readInt64(this.buf, i * 12);
  }

  private offsetAt(i: number): number {
    return this.baseOffset + this.buf.readInt32BE(i * 12 + 8);
  }

  /** The newest entry, or undefined for an empty index. */
  lastEntry(): { timestamp: number; offset: number } | undefined {
    if (this.count === 0) return undefined;
    return { timestamp: this.timestampAt(this.count - 1), offset: this.offsetAt(this.count - 1) };
  }

  /** Appends only when the timestamp grows, as Kafka's time index does. */
  append(timestamp: number, offset: number): void {
    if (this.count > 0 && timestamp <= this.timestampAt(this.count - 1)) return;
    const at = this.reserve();
    writeInt64(this.buf, at, timestamp);
    this.buf.writeInt32BE(offset - this.baseOffset, at + 8);
  }

  /** Offset of the last entry whose timestamp is < `timestamp`, or the base offset. */
  lookupBefore(timestamp: number): number {
    const i = this.floorEntry(timestamp - 1, (e) => this.timestampAt(e));
    return i < 0 ? this.baseOffset : this.offsetAt(i);
  }
}
