import * as E from 'fp-ts/Either';
import { DecodeError, Reader, Writer } from '../wire';
import type { AppendEntries, ConfState, Entry, EntryType, HardState, Message, Snapshot } from './types';

// One binary format for everything Raft writes to disk or to the network, over
// core/wire's Reader/Writer. Integers that count terms and indexes use 48 bits
// (safe in a JS number); byte strings and lists have INT32 lengths, checked
// against what is left in the buffer before anything is allocated.

const MAX_LIST = 1 << 20;

/** Run a decoder; malformed input becomes a Left, never an exception. */
export function decodeWith<T>(buf: Buffer, f: (r: Reader) => T): E.Either<string, T> {
  try {
    const r = new Reader(buf);
    const v = f(r);
    if (r.remaining !== 0) return E.left(`${r.remaining} trailing bytes after the value`);
    return E.right(v);
  } catch (e) {
    if (e instanceof DecodeError) return E.left(e.message);
    throw e;
  }
}

export function fail(message: string): never {
  throw new DecodeError(message);
}

/**
 * The bytes `body` writes, after `headerBytes` left for the caller to fill
 * (a frame's length, a record's length and checksum), as one Buffer.
 */
export function withHeader(headerBytes: number, body: (w: Writer) => void, initialSize = 256): Buffer {
  const w = new Writer(initialSize);
  for (let i = 0; i < headerBytes; i += 4) w.int32(0);
  body(w);
  return w.toBuffer();
}

/** A list length, bounded by what the remaining bytes could possibly hold. */
function readCount(r: Reader, minItemBytes: number): number {
  const n = r.arrayLength(false, minItemBytes);
  if (n < 0 || n > MAX_LIST) fail(`list of ${n} items cannot fit in ${r.remaining} remaining bytes`);
  return n;
}

/** A byte string (a view into the buffer read). */
function readBytes(r: Reader): Buffer {
  return r.bytes(false) ?? fail('a byte string has a negative length');
}

function readString(r: Reader): string {
  return readBytes(r).toString('utf8');
}

function writeString(w: Writer, s: string): void {
  w.bytes(Buffer.from(s, 'utf8'), false);
}

// ---- values ----------------------------------------------------------------

const ENTRY_TYPES: readonly EntryType[] = ['normal', 'config'];

export function writeEntry(w: Writer, e: Entry): void {
  w.uint48(e.term).uint48(e.index).uint8(ENTRY_TYPES.indexOf(e.type)).bytes(e.data, false);
}

export function writeEntries(w: Writer, ents: readonly Entry[]): void {
  w.uint32(ents.length);
  for (const e of ents) writeEntry(w, e);
}

/**
 * Bytes kept free before an encoded run of entries (EntriesEncoder): exactly a
 * WAL record's header ([u32 length][u32 crc32c][u8 kind], file-storage.ts),
 * which the storage fills in place, so the WAL writes the same bytes the
 * followers are sent.
 */
export const ENTRIES_HEADROOM = 9;

/**
 * Encodes runs of entries ([u32 count][entry...], after ENTRIES_HEADROOM free
 * bytes) and remembers the last run. A leader's Ready writes its new entries
 * to the WAL and sends the same entries to every follower (each in its own
 * slice of the log, holding the same Entry objects): they are encoded once and
 * the one Buffer is shared. Entries are immutable, so the same objects in the
 * same order encode to the same bytes. Holds one Buffer (at most one
 * message's worth) until the next run is encoded.
 */
export class EntriesEncoder {
  private last: readonly Entry[] = [];
  private lastBytes: Buffer | undefined;
  /** Runs encoded and runs served from the memo (what sharing saved). */
  readonly stats = { encoded: 0, reused: 0 };

  /** The run's bytes after ENTRIES_HEADROOM free ones. Do not change them; the headroom is file-storage's. */
  encode(ents: readonly Entry[]): Buffer {
    if (this.lastBytes !== undefined && sameEntries(ents, this.last)) {
      this.stats.reused++;
      return this.lastBytes;
    }
    const w = new Writer(entriesSizeHint(ents) + ENTRIES_HEADROOM);
    for (let i = 0; i < ENTRIES_HEADROOM; i++) w.uint8(0);
    writeEntries(w, ents);
    this.last = ents;
    this.lastBytes = w.toBuffer();
    this.stats.encoded++;
    return this.lastBytes;
  }
}

function sameEntries(a: readonly Entry[], b: readonly Entry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The process's one EntriesEncoder: a node's transport and its storage must
 * share it for the WAL and the followers to share bytes. Nodes sharing a
 * process (tests, the simulation) share it too; identity decides reuse, so
 * that is safe.
 */
export const entriesEncoder = new EntriesEncoder();

/**
 * Entries whose data are views of one copy of their bytes: the entries
 * outlive the frame or file buffer they came from (a socket's 64 KiB read
 * would otherwise stay pinned while the log, or a state machine value, holds
 * one entry of it), and one copy per run costs one allocation, not one per entry.
 */
export function readEntries(r: Reader): Entry[] {
  const start = r.pos;
  const n = readCount(r, 17);
  // First pass: check the whole run and find where it ends.
  for (let k = 0; k < n; k++) {
    r.uint48();
    r.uint48();
    if (ENTRY_TYPES[r.uint8()] === undefined) fail('unknown entry type');
    readBytes(r);
  }
  const copy = new Reader(Buffer.from(r.buf.subarray(start, r.pos)), 4);
  const out: Entry[] = [];
  for (let k = 0; k < n; k++) {
    const term = copy.uint48();
    const index = copy.uint48();
    const type = ENTRY_TYPES[copy.uint8()] as EntryType;
    out.push({ term, index, type, data: readBytes(copy) });
  }
  return out;
}

export function writeHardState(w: Writer, hs: HardState): void {
  w.uint48(hs.term).uint32(hs.vote).uint48(hs.commit);
}

export function readHardState(r: Reader): HardState {
  return { term: r.uint48(), vote: r.uint32(), commit: r.uint48() };
}

function writeIds(w: Writer, ids: readonly number[]): void {
  w.uint32(ids.length);
  for (const id of ids) w.uint32(id);
}

function readIds(r: Reader): number[] {
  const n = readCount(r, 4);
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(r.uint32());
  return out;
}

export function writeConfState(w: Writer, c: ConfState): void {
  writeIds(w, c.voters);
  writeIds(w, c.learners);
}

export function readConfState(r: Reader): ConfState {
  return { voters: readIds(r), learners: readIds(r) };
}

export function writeSnapshot(w: Writer, s: Snapshot): void {
  w.uint48(s.metadata.index).uint48(s.metadata.term);
  writeConfState(w, s.metadata.conf);
  w.bytes(s.data, false);
}

export function readSnapshot(r: Reader): Snapshot {
  const index = r.uint48();
  const term = r.uint48();
  const conf = readConfState(r);
  return { metadata: { index, term, conf }, data: Buffer.from(readBytes(r)) };
}

// ---- messages --------------------------------------------------------------

const MESSAGE_TYPES: readonly Message['type'][] = [
  'preVote',
  'vote',
  'preVoteResp',
  'voteResp',
  'append',
  'appendResp',
  'heartbeat',
  'heartbeatResp',
  'snapshot',
  'timeoutNow',
  'readIndex',
  'readIndexResp',
];

/** About how many bytes `ents` encode to: a Writer sized by it never grows while encoding them. */
export function entriesSizeHint(ents: readonly Entry[]): number {
  let n = 64;
  for (const e of ents) n += e.data.length + 24;
  return n;
}

/** About how many bytes `m` encodes to (see entriesSizeHint). */
export function messageSizeHint(m: Message): number {
  if (m.type === 'append') return entriesSizeHint(m.entries);
  if (m.type === 'snapshot') return m.snapshot.data.length + 256;
  return 64;
}

export function writeMessage(w: Writer, m: Message): void {
  w.uint8(MESSAGE_TYPES.indexOf(m.type)).uint32(m.from).uint32(m.to).uint48(m.term);
  switch (m.type) {
    case 'preVote':
    case 'vote':
      w.uint48(m.lastLogIndex)
        .uint48(m.lastLogTerm)
        .uint8(m.transfer ? 1 : 0);
      return;
    case 'preVoteResp':
    case 'voteResp':
      w.uint8(m.reject ? 1 : 0);
      return;
    case 'append':
      w.uint48(m.prevLogIndex).uint48(m.prevLogTerm).uint48(m.commit);
      writeEntries(w, m.entries);
      return;
    case 'appendResp':
      w.uint8(m.reject ? 1 : 0)
        .uint48(m.index)
        .uint48(m.rejectHint)
        .uint48(m.hintTerm);
      return;
    case 'heartbeat':
      w.uint48(m.commit);
      writeString(w, m.context);
      return;
    case 'heartbeatResp':
    case 'readIndex':
      writeString(w, m.context);
      return;
    case 'snapshot':
      writeSnapshot(w, m.snapshot);
      return;
    case 'timeoutNow':
      return;
    case 'readIndexResp':
      writeString(w, m.context);
      w.uint48(m.index);
      return;
  }
}

export function readMessage(r: Reader): Message {
  const type = MESSAGE_TYPES[r.uint8()] ?? fail('unknown message type');
  const from = r.uint32();
  const to = r.uint32();
  const term = r.uint48();
  const env = { from, to, term };
  switch (type) {
    case 'preVote':
    case 'vote':
      return { type, ...env, lastLogIndex: r.uint48(), lastLogTerm: r.uint48(), transfer: r.uint8() === 1 };
    case 'preVoteResp':
    case 'voteResp':
      return { type, ...env, reject: r.uint8() === 1 };
    case 'append': {
      const prevLogIndex = r.uint48();
      const prevLogTerm = r.uint48();
      const commit = r.uint48();
      return { type, ...env, prevLogIndex, prevLogTerm, commit, entries: readEntries(r) };
    }
    case 'appendResp':
      return { type, ...env, reject: r.uint8() === 1, index: r.uint48(), rejectHint: r.uint48(), hintTerm: r.uint48() };
    case 'heartbeat':
      return { type, ...env, commit: r.uint48(), context: readString(r) };
    case 'heartbeatResp':
    case 'readIndex':
      return { type, ...env, context: readString(r) };
    case 'snapshot':
      return { type, ...env, snapshot: readSnapshot(r) };
    case 'timeoutNow':
      return { type, ...env };
    case 'readIndexResp':
      return { type, ...env, context: readString(r), index: r.uint48() };
  }
}

/** Bytes of an append frame before its entries: [u32 frame length] and the message up to `commit`. */
const APPEND_HEAD_BYTES = 4 + 1 + 4 + 4 + 6 * 4;

/**
 * An append message as a length-prefixed frame in two parts: its own head
 * and the run of entries from `encoder`, shared with every other follower
 * sent the same run and with the WAL (write both, in order, as one frame).
 */
export function appendFrame(m: AppendEntries, encoder: EntriesEncoder): [head: Buffer, entries: Buffer] {
  const entries = encoder.encode(m.entries).subarray(ENTRIES_HEADROOM);
  const head = Buffer.allocUnsafe(APPEND_HEAD_BYTES);
  head.writeUInt32BE(APPEND_HEAD_BYTES - 4 + entries.length, 0);
  head[4] = MESSAGE_TYPES.indexOf('append');
  head.writeUInt32BE(m.from, 5);
  head.writeUInt32BE(m.to, 9);
  head.writeUIntBE(m.term, 13, 6);
  head.writeUIntBE(m.prevLogIndex, 19, 6);
  head.writeUIntBE(m.prevLogTerm, 25, 6);
  head.writeUIntBE(m.commit, 31, 6);
  return [head, entries];
}

export function encodeMessage(m: Message): Buffer {
  const w = new Writer();
  writeMessage(w, m);
  return w.toBuffer();
}

export function decodeMessage(buf: Buffer): E.Either<string, Message> {
  return decodeWith(buf, readMessage);
}
