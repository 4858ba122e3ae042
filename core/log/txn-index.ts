// Kafka's aborted-transaction index (`<base>.txnindex`): one 34-byte entry per
// transaction whose ABORT marker lies in the segment, so a read_committed Fetch
// can tell the consumer which producers' records to drop without the broker
// decoding a record.
//
//   version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 | lastStableOffset int64
//
// firstOffset is the transaction's first data offset in this partition,
// lastOffset the marker's offset, lastStableOffset the partition's LSO once the
// transaction ended. Aborts are rare: every entry is kept in memory, and the
// file exists only once a segment has one (as in Kafka, created lazily).
import * as fs from 'node:fs';
import { readInt64, writeInt64 } from './batch-header';

export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly lastStableOffset: number;
}

export const TXN_INDEX_ENTRY_SIZE = 34;
const VERSION = 0;

export class TransactionIndex {
  private list: AbortedTxn[];

  constructor(private file: string) {
    this.list = readEntries(file);
  }

  get path(): string {
    return this.file;
  }

  get entries(): readonly AbortedTxn[] {
    return this.list;
  }

  /** Records an aborted transaction (its marker was just appended to the segment). */
  append(entry: AbortedTxn): void {
    // A replay of the log's tail may meet a marker already indexed.
    if (this.list.some((e) => e.lastOffset === entry.lastOffset && e.producerId === entry.producerId)) return;
    this.list.push(entry);
    fs.appendFileSync(this.file, encode(entry));
  }

  /** Drops the entries of markers at or after `offset` (the segment was cut there, or they are rebuilt from the log). */
  truncateFrom(offset: number): void {
    const kept = this.list.filter((e) => e.lastOffset < offset);
    if (kept.length === this.list.length) return;
    this.replaceWith(kept);
  }

  /** Replaces every entry (the cleaner copies a segment's entries to its replacement). */
  replaceWith(entries: readonly AbortedTxn[]): void {
    this.list = [...entries];
    if (this.list.length === 0) fs.rmSync(this.file, { force: true });
    else fs.writeFileSync(this.file, Buffer.concat(this.list.map(encode)));
  }

  /** The file to fsync for its entries to be durable (none: no entries). */
  fileToSync(): string | undefined {
    return this.list.length === 0 || !fs.existsSync(this.file) ? undefined : this.file;
  }

  flush(): void {
    if (this.fileToSync() === undefined) return;
    const fd = fs.openSync(this.file, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  delete(): void {
    fs.rmSync(this.file, { force: true });
    this.list = [];
  }

  renameTo(file: string): void {
    if (fs.existsSync(this.file)) fs.renameSync(this.file, file);
    this.file = file;
  }
}

function encode(e: AbortedTxn): Buffer {
  const b = Buffer.allocUnsafe(TXN_INDEX_ENTRY_SIZE);
  b.writeInt16BE(VERSION, 0);
  writeInt64(b, 2, e.producerId);
  writeInt64(b, 10, e.firstOffset);
  writeInt64(b, 18, e.lastOffset);
  writeInt64(b, 26, e.lastStableOffset);
  return b;
}

/**
 * The entries of an index file; a torn last entry (a crash mid-append) or an
 * entry of an unknown version ends the list there, and recovery's replay of the
 * log's tail writes what is missing again.
 */
function readEntries(file: string): AbortedTxn[] {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const out: AbortedTxn[] = [];
  for (let at = 0; at + TXN_INDEX_ENTRY_SIZE <= bytes.length; at += TXN_INDEX_ENTRY_SIZE) {
    if (bytes.readInt16BE(at) !== VERSION) break;
    out.push({
      producerId: readInt64(bytes, at + 2),
      firstOffset: readInt64(bytes, at + 10),
      lastOffset: readInt64(bytes, at + 18),
      lastStableOffset: readInt64(bytes, at + 26),
    });
  }
  if (out.length * TXN_INDEX_ENTRY_SIZE !== bytes.length) fs.writeFileSync(file, bytes.subarray(0, out.length * TXN_INDEX_ENTRY_SIZE));
  return out;
}
