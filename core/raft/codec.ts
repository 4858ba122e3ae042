import * as E from 'fp-ts/Either';
import type { ConfState, Entry, EntryType, HardState, Message, Snapshot } from './types';

// One binary codec for everything Raft writes to disk or to the network.
// Integers that count terms and indexes use 48 bits (safe in a JS number);
// every length read from outside is checked against what is left in the
// buffer before anything is allocated.

const MAX_LIST = 1 << 20;

export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(capacity = 256) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    this.pos = this.buf.writeUInt16BE(v, this.pos);
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(v >>> 0, this.pos);
    return this;
  }

  u48(v: number): this {
    this.ensure(6);
    this.pos = this.buf.writeUIntBE(v, this.pos, 6);
    return this;
  }

  bytes(b: Buffer): this {
    this.u32(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  string(s: string): this {
    return this.bytes(Buffer.from(s, 'utf8'));
  }

  /** Reserve 4 bytes to fill in later (frame lengths). */
  placeholder32(): number {
    this.ensure(4);
    const at = this.pos;
    this.pos += 4;
    return at;
  }

  patch32(at: number, v: number): void {
    this.buf.writeUInt32BE(v >>> 0, at);
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

class DecodeError extends Error {}

export class Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new DecodeError(`truncated ${what}: need ${n} bytes at offset ${this.pos}, have ${this.buf.length - this.pos}`);
    }
  }

  u8(): number {
    this.need(1, 'u8');
    return this.buf[this.pos++];
  }

  u16(): number {
    this.need(2, 'u16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4, 'u32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u48(): number {
    this.need(6, 'u48');
    const v = this.buf.readUIntBE(this.pos, 6);
    this.pos += 6;
    return v;
  }

  bytes(): Buffer {
    const n = this.u32();
    this.need(n, 'byte string');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  string(): string {
    return this.bytes().toString('utf8');
  }

  /** A list length, bounded by what the remaining bytes could possibly hold. */
  count(minItemBytes: number): number {
    const n = this.u32();
    if (n > MAX_LIST || n * minItemBytes > this.buf.length - this.pos) {
      throw new DecodeError(`list of ${n} items cannot fit in ${this.buf.length - this.pos} remaining bytes`);
    }
    return n;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }
}

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

// ---- values ----------------------------------------------------------------

const ENTRY_TYPES: readonly EntryType[] = ['normal', 'config'];

export function writeEntry(w: Writer, e: Entry): void {
  w.u48(e.term).u48(e.index).u8(ENTRY_TYPES.indexOf(e.type)).bytes(e.data);
}

export function readEntry(r: Reader): Entry {
  const term = r.u48();
  const index = r.u48();
  const type = ENTRY_TYPES[r.u8()] ?? fail('unknown entry type');
  // Copy: the entry outlives the frame or file buffer it came from.
  const data = Buffer.from(r.bytes());
  return { term, index, type, data };
}

export function writeEntries(w: Writer, ents: readonly Entry[]): void {
  w.u32(ents.length);
  for (const e of ents) writeEntry(w, e);
}

export function readEntries(r: Reader): Entry[] {
  const n = r.count(17);
  const out: Entry[] = [];
  for (let k = 0; k < n; k++) out.push(readEntry(r));
  return out;
}

export function writeHardState(w: Writer, hs: HardState): void {
  w.u48(hs.term).u32(hs.vote).u48(hs.commit);
}

export function readHardState(r: Reader): HardState {
  return { term: r.u48(), vote: r.u32(), commit: r.u48() };
}

function writeIds(w: Writer, ids: readonly number[]): void {
  w.u32(ids.length);
  for (const id of ids) w.u32(id);
}

function readIds(r: Reader): number[] {
  const n = r.count(4);
  const out: number[] = [];
  for (let k = 0; k < n; k++) out.push(r.u32());
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
  w.u48(s.metadata.index).u48(s.metadata.term);
  writeConfState(w, s.metadata.conf);
  w.bytes(s.data);
}

export function readSnapshot(r: Reader): Snapshot {
  const index = r.u48();
  const term = r.u48();
  const conf = readConfState(r);
  return { metadata: { index, term, conf }, data: Buffer.from(r.bytes()) };
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

export function writeMessage(w: Writer, m: Message): void {
  w.u8(MESSAGE_TYPES.indexOf(m.type)).u32(m.from).u32(m.to).u48(m.term);
  switch (m.type) {
    case 'preVote':
    case 'vote':
      w.u48(m.lastLogIndex).u48(m.lastLogTerm).u8(m.transfer ? 1 : 0);
      return;
    case 'preVoteResp':
    case 'voteResp':
      w.u8(m.reject ? 1 : 0);
      return;
    case 'append':
      w.u48(m.prevLogIndex).u48(m.prevLogTerm).u48(m.commit);
      writeEntries(w, m.entries);
      return;
    case 'appendResp':
      w.u8(m.reject ? 1 : 0).u48(m.index).u48(m.rejectHint).u48(m.hintTerm);
      return;
    case 'heartbeat':
      w.u48(m.commit).string(m.context);
      return;
    case 'heartbeatResp':
    case 'readIndex':
      w.string(m.context);
      return;
    case 'snapshot':
      writeSnapshot(w, m.snapshot);
      return;
    case 'timeoutNow':
      return;
    case 'readIndexResp':
      w.string(m.context).u48(m.index);
      return;
  }
}

export function readMessage(r: Reader): Message {
  const type = MESSAGE_TYPES[r.u8()] ?? fail('unknown message type');
  const from = r.u32();
  const to = r.u32();
  const term = r.u48();
  const env = { from, to, term };
  switch (type) {
    case 'preVote':
    case 'vote':
      return { type, ...env, lastLogIndex: r.u48(), lastLogTerm: r.u48(), transfer: r.u8() === 1 };
    case 'preVoteResp':
    case 'voteResp':
      return { type, ...env, reject: r.u8() === 1 };
    case 'append': {
      const prevLogIndex = r.u48();
      const prevLogTerm = r.u48();
      const commit = r.u48();
      return { type, ...env, prevLogIndex, prevLogTerm, commit, entries: readEntries(r) };
    }
    case 'appendResp':
      return { type, ...env, reject: r.u8() === 1, index: r.u48(), rejectHint: r.u48(), hintTerm: r.u48() };
    case 'heartbeat':
      return { type, ...env, commit: r.u48(), context: r.string() };
    case 'heartbeatResp':
    case 'readIndex':
      return { type, ...env, context: r.string() };
    case 'snapshot':
      return { type, ...env, snapshot: readSnapshot(r) };
    case 'timeoutNow':
      return { type, ...env };
    case 'readIndexResp':
      return { type, ...env, context: r.string(), index: r.u48() };
  }
}

export function encodeMessage(m: Message): Buffer {
  const w = new Writer();
  writeMessage(w, m);
  return w.finish();
}

export function decodeMessage(buf: Buffer): E.Either<string, Message> {
  return decodeWith(buf, readMessage);
}
