import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as path from 'path';
import * as E from 'fp-ts/Either';
import { crc32c } from '../log';
import type { Writer } from '../wire';
import {
  ENTRIES_HEADROOM,
  decodeWith,
  entriesEncoder,
  entriesSizeHint,
  readEntries,
  readHardState,
  readSnapshot,
  withHeader,
  writeEntries,
  writeHardState,
  writeSnapshot,
} from './codec';
import { EMPTY_STATE } from './raft';
import { spliceEntries, StoredState } from './stored-state';
import type { Entry, HardState, Ready, Snapshot } from './types';

// Durable Raft storage in a directory:
//   wal       append-only records [u32 length][u32 crc32c][kind u8, payload]:
//             kind 1 = entries (writing index i discards stored entries >= i), kind 2 = hard state;
//   snapshot  the latest snapshot, [u32 length][u32 crc32c][payload], replaced atomically.
// `save` makes a Ready durable before returning; `saveInBackground` writes and
// fdatasyncs on libuv's threads, so the event loop keeps serving while the
// disk works. The commit index is synced too, though Raft could relearn it:
// a node that forgot committed configuration changes would count votes and
// acks with an old membership. On open, a torn tail (a crash mid-append) is
// cut at the last whole record whose checksum holds.

const RECORD_ENTRIES = 1;
const RECORD_HARD_STATE = 2;
const HEADER = 8;
/** No single record can be larger than this; a bigger length is corruption. */
const MAX_RECORD = 256 << 20;
/**
 * After a compaction the WAL keeps the entries the snapshot covers (recovery
 * skips them) until it outgrows this; only then is it rewritten without them.
 * A rewrite costs two fsyncs with the event loop waiting, so it should be
 * rare; recovery reads the whole WAL, so it must stay bounded.
 */
const WAL_REWRITE_BYTES = 64 << 20;

export interface RecoveryReport {
  /** Bytes cut from the end of the WAL because the last write was torn. */
  readonly truncatedBytes: number;
  readonly records: number;
}

export class FileStorage extends StoredState {
  private fd: number;
  private offset: number;
  /** A compaction's snapshot file is being written in the background. */
  private snapshotWriting = false;
  /** The durable snapshot covers entries the WAL still holds, and the WAL has outgrown WAL_REWRITE_BYTES. */
  private walRewriteDue = false;

  private constructor(
    private readonly dir: string,
    state: { fd: number; offset: number; hardState: HardState; snapshot: Snapshot | undefined; entries: Entry[] },
    readonly recovery: RecoveryReport,
  ) {
    super(state);
    this.fd = state.fd;
    this.offset = state.offset;
  }

  static open(dir: string): E.Either<string, FileStorage> {
    try {
      fs.mkdirSync(dir, { recursive: true });
      for (const stale of ['wal.tmp', 'snapshot.tmp']) fs.rmSync(path.join(dir, stale), { force: true });
      const snapshot = readSnapshotFile(path.join(dir, 'snapshot'));
      if (E.isLeft(snapshot)) return snapshot;
      const walPath = path.join(dir, 'wal');
      const fd = fs.openSync(walPath, fs.existsSync(walPath) ? 'r+' : 'w+');
      const wal = recoverWal(fd, snapshot.right);
      if (E.isLeft(wal)) {
        fs.closeSync(fd);
        return wal;
      }
      const { offset, hardState, entries, report } = wal.right;
      return E.right(new FileStorage(dir, { fd, offset, hardState, snapshot: snapshot.right, entries }, report));
    } catch (e) {
      return E.left(`cannot open raft storage in ${dir}: ${(e as Error).message}`);
    }
  }

  /** Persist a Ready's snapshot, entries and hard state; durable when this returns. */
  override save(rd: Ready): void {
    const parts = this.stage(rd);
    if (parts === undefined) return;
    let position = this.offset - byteLength(parts);
    for (const part of parts) {
      writeFully(this.fd, part, position);
      position += part.length;
    }
    fs.fdatasyncSync(this.fd);
  }

  /**
   * Persist a Ready without blocking the event loop. Returns false when it
   * writes nothing to the WAL; otherwise `done` runs once it is durable. The stored state changes at once. One write at a
   * time: call again, or `compact` or `close`, only after `done`.
   */
  saveInBackground(rd: Ready, done: (err: Error | null) => void): boolean {
    const parts = this.stage(rd);
    if (parts === undefined) return false;
    const fd = this.fd;
    // One writev; a short write goes on with what is left.
    const writeFrom = (rest: Buffer[], position: number): void => {
      fs.writev(fd, rest, position, (err, written) => {
        if (err) return done(err);
        let k = 0;
        let skip = written;
        while (k < rest.length && skip >= rest[k].length) skip -= rest[k++].length;
        if (k === rest.length) fs.fdatasync(fd, done);
        else writeFrom([rest[k].subarray(skip), ...rest.slice(k + 1)], position + written);
      });
    };
    writeFrom(parts, this.offset - byteLength(parts));
    return true;
  }

  /**
   * Apply a Ready to the stored state and reserve its place in the WAL: the
   * records to write, in order, ending at the new `offset` (undefined:
   * nothing to append). A snapshot from the leader is installed here,
   * synchronously (rare).
   */
  private stage(rd: Ready): Buffer[] | undefined {
    if (rd.snapshot !== undefined) {
      if (this.snapshotWriting) throw new Error('cannot install a snapshot while a compaction is being written');
      this.installSnapshot(rd.snapshot);
      this.writeSnapshotFile(rd.snapshot);
      this.rewriteWal();
    } else if (this.walRewriteDue && !this.snapshotWriting) {
      this.rewriteWal();
    }
    if (rd.entries.length === 0 && rd.hardState === undefined) return undefined;
    const records: Buffer[] = [];
    if (rd.entries.length > 0) {
      records.push(entriesRecord(rd.entries));
      spliceEntries(this.entries, rd.entries);
    }
    if (rd.hardState !== undefined) {
      const hs = rd.hardState;
      records.push(walRecord(RECORD_HARD_STATE, (p) => writeHardState(p, hs), 32));
      this.hardState = hs;
    }
    this.offset += byteLength(records);
    return records;
  }

  /** The application snapshotted: keep the snapshot, drop the entries it covers (never while a write is in flight). */
  override compact(snapshot: Snapshot): void {
    super.compact(snapshot);
    this.writeSnapshotFile(snapshot);
    this.rewriteWal();
  }

  /**
   * `compact` without blocking: the stored state drops the covered entries at
   * once, the snapshot file is written on libuv's threads while Readies go on
   * being saved, and `done` runs once it is durable. The WAL keeps the
   * covered entries until it outgrows WAL_REWRITE_BYTES (then the next save
   * rewrites it). Until `done`: no other compaction, no Ready carrying a
   * snapshot, no close.
   */
  compactInBackground(snapshot: Snapshot, done: (err: Error | null) => void): void {
    if (this.snapshotWriting) throw new Error('a compaction is already being written');
    super.compact(snapshot);
    this.snapshotWriting = true;
    atomicWriteInBackground(this.dir, 'snapshot', snapshotFile(snapshot)).then(
      () => {
        this.snapshotWriting = false;
        if (this.offset > WAL_REWRITE_BYTES) this.walRewriteDue = true;
        done(null);
      },
      (err: Error) => {
        this.snapshotWriting = false;
        done(err);
      },
    );
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private writeSnapshotFile(s: Snapshot): void {
    atomicWrite(this.dir, 'snapshot', snapshotFile(s));
  }

  /** Replace the WAL with the current hard state and entries (after a snapshot). */
  private rewriteWal(): void {
    const records = [walRecord(RECORD_HARD_STATE, (p) => writeHardState(p, this.hardState))];
    if (this.entries.length > 0) records.push(walRecord(RECORD_ENTRIES, (p) => writeEntries(p, this.entries), entriesSizeHint(this.entries)));
    const wal = Buffer.concat(records);
    fs.closeSync(this.fd);
    atomicWrite(this.dir, 'wal', wal);
    this.fd = fs.openSync(path.join(this.dir, 'wal'), 'r+');
    this.offset = wal.length;
    this.walRewriteDue = false;
  }
}

/** The snapshot file's bytes: one record, as in the WAL. */
function snapshotFile(s: Snapshot): Buffer {
  return walRecord(0, (p) => writeSnapshot(p, s), s.data.length + 64);
}

function byteLength(parts: readonly Buffer[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/**
 * An entries record, in the bytes entriesEncoder shares with the append
 * messages to followers: its header goes in the headroom left for it.
 */
function entriesRecord(ents: readonly Entry[]): Buffer {
  const record = entriesEncoder.encode(ents);
  record.writeUInt32BE(record.length - HEADER, 0);
  record[HEADER] = RECORD_ENTRIES;
  record.writeUInt32BE(crc32c(record, HEADER, record.length), 4);
  return record;
}
// The headroom is exactly one record header and its kind byte.
if (ENTRIES_HEADROOM !== HEADER + 1) throw new Error('codec.ENTRIES_HEADROOM must equal a WAL record header plus its kind byte');

/** One record: [u32 length][u32 crc32c][kind u8, payload]. */
function walRecord(kind: number, body: (p: Writer) => void, initialSize = 1024): Buffer {
  const record = withHeader(
    HEADER,
    (w) => {
      w.uint8(kind);
      body(w);
    },
    initialSize,
  );
  record.writeUInt32BE(record.length - HEADER, 0);
  record.writeUInt32BE(crc32c(record, HEADER, record.length), 4);
  return record;
}

function writeFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Write to a temp file, fsync, rename over the target, fsync the directory. */
function atomicWrite(dir: string, name: string, buf: Buffer): void {
  const tmp = path.join(dir, `${name}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    writeFully(fd, buf, 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, path.join(dir, name));
  fsyncDir(dir);
}

/** `atomicWrite` on libuv's threads: the event loop goes on meanwhile. */
async function atomicWriteInBackground(dir: string, name: string, buf: Buffer): Promise<void> {
  const tmp = path.join(dir, `${name}.tmp`);
  const file = await fsp.open(tmp, 'w');
  try {
    await file.writeFile(buf);
    await file.sync();
  } finally {
    await file.close();
  }
  await fsp.rename(tmp, path.join(dir, name));
  const d = await fsp.open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

function readSnapshotFile(file: string): E.Either<string, Snapshot | undefined> {
  if (!fs.existsSync(file)) return E.right(undefined);
  const buf = fs.readFileSync(file);
  if (buf.length < HEADER || buf.readUInt32BE(0) !== buf.length - HEADER || crc32c(buf, HEADER) !== buf.readUInt32BE(4)) {
    // Written atomically, so this is not a torn write: refuse rather than lose state silently.
    return E.left(`snapshot file ${file} is corrupt (bad length or checksum); restore it from a replica`);
  }
  return decodeWith(buf.subarray(HEADER + 1), readSnapshot);
}

function recoverWal(
  fd: number,
  snapshot: Snapshot | undefined,
): E.Either<string, { offset: number; hardState: HardState; entries: Entry[]; report: RecoveryReport }> {
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.alloc(size);
  let read = 0;
  while (read < size) read += fs.readSync(fd, buf, read, size - read, read);
  let hardState = EMPTY_STATE.hardState;
  const snapIndex = snapshot?.metadata.index ?? 0;
  let entries: Entry[] = [];
  let pos = 0;
  let records = 0;
  while (pos + HEADER <= size) {
    const len = buf.readUInt32BE(pos);
    if (len === 0 || len > MAX_RECORD || pos + HEADER + len > size) break;
    const body = buf.subarray(pos + HEADER, pos + HEADER + len);
    if (crc32c(body) !== buf.readUInt32BE(pos + 4)) break;
    const kind = body[0];
    const payload = body.subarray(1);
    if (kind === RECORD_ENTRIES) {
      const ents = decodeWith(payload, readEntries);
      if (E.isLeft(ents)) return E.left(`WAL record at ${pos}: ${ents.left}`);
      spliceEntries(entries, ents.right);
    } else if (kind === RECORD_HARD_STATE) {
      const hs = decodeWith(payload, readHardState);
      if (E.isLeft(hs)) return E.left(`WAL record at ${pos}: ${hs.left}`);
      hardState = hs.right;
    } else {
      return E.left(`WAL record at ${pos} has unknown kind ${kind}`);
    }
    records++;
    pos += HEADER + len;
  }
  if (pos < size) {
    fs.ftruncateSync(fd, pos);
    fs.fsyncSync(fd);
  }
  entries = entries.filter((e) => e.index > snapIndex);
  if (entries.length > 0 && entries[0].index !== snapIndex + 1) {
    // Entries left over from before an installed snapshot that do not reach it are useless.
    entries = [];
  }
  return E.right({ offset: pos, hardState, entries, report: { truncatedBytes: size - pos, records } });
}
