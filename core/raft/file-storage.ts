import * as fs from 'fs';
import * as path from 'path';
import * as E from 'fp-ts/Either';
import { crc32c } from '../log';
import type { Writer } from '../wire';
import { decodeWith, readEntries, readHardState, readSnapshot, withHeader, writeEntries, writeHardState, writeSnapshot } from './codec';
import { EMPTY_STATE } from './raft';
import { spliceEntries, StoredState } from './stored-state';
import type { Entry, HardState, Ready, Snapshot } from './types';

// Durable Raft storage in a directory:
//   wal       append-only records [u32 length][u32 crc32c][kind u8, payload]:
//             kind 1 = entries (writing index i discards stored entries >= i), kind 2 = hard state;
//   snapshot  the latest snapshot, [u32 length][u32 crc32c][payload], replaced atomically.
// `save` fsyncs before returning, so the shell may then send the Ready's
// messages. On open, a torn tail (a crash mid-append) is cut at the last
// whole record whose checksum holds.

const RECORD_ENTRIES = 1;
const RECORD_HARD_STATE = 2;
const HEADER = 8;
/** No single record can be larger than this; a bigger length is corruption. */
const MAX_RECORD = 256 << 20;

export interface RecoveryReport {
  /** Bytes cut from the end of the WAL because the last write was torn. */
  readonly truncatedBytes: number;
  readonly records: number;
}

export class FileStorage extends StoredState {
  private fd: number;
  private offset: number;

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
    if (rd.snapshot !== undefined) {
      this.installSnapshot(rd.snapshot);
      this.writeSnapshotFile(rd.snapshot);
      this.rewriteWal();
    }
    if (rd.entries.length === 0 && rd.hardState === undefined) return;
    const records: Buffer[] = [];
    if (rd.entries.length > 0) {
      records.push(walRecord(RECORD_ENTRIES, (p) => writeEntries(p, rd.entries)));
      spliceEntries(this.entries, rd.entries);
    }
    if (rd.hardState !== undefined) {
      const hs = rd.hardState;
      records.push(walRecord(RECORD_HARD_STATE, (p) => writeHardState(p, hs)));
      this.hardState = hs;
    }
    const buf = records.length === 1 ? records[0] : Buffer.concat(records);
    writeFully(this.fd, buf, this.offset);
    this.offset += buf.length;
    fs.fsyncSync(this.fd);
  }

  /** The application snapshotted: keep the snapshot, drop the entries it covers. */
  override compact(snapshot: Snapshot): void {
    super.compact(snapshot);
    this.writeSnapshotFile(snapshot);
    this.rewriteWal();
  }

  close(): void {
    fs.closeSync(this.fd);
  }

  private writeSnapshotFile(s: Snapshot): void {
    atomicWrite(
      this.dir,
      'snapshot',
      walRecord(0, (p) => writeSnapshot(p, s), s.data.length + 64),
    );
  }

  /** Replace the WAL with the current hard state and entries (after a snapshot). */
  private rewriteWal(): void {
    const records = [walRecord(RECORD_HARD_STATE, (p) => writeHardState(p, this.hardState))];
    if (this.entries.length > 0) records.push(walRecord(RECORD_ENTRIES, (p) => writeEntries(p, this.entries), 4096));
    const wal = Buffer.concat(records);
    fs.closeSync(this.fd);
    atomicWrite(this.dir, 'wal', wal);
    this.fd = fs.openSync(path.join(this.dir, 'wal'), 'r+');
    this.offset = wal.length;
  }
}

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
