// The one primitive codec of Rill's binary formats: big-endian integers, strings,
// bytes, arrays, their compact (flexible-version) forms and tagged-field
// buffers. Every API's schema is read and written through these two classes.
//
// It serves every binary format of Rill: Kafka API messages, raft messages,
// metadata records, offset records and the consumer protocol.
// Reading is bounded: every length or count that comes from the network is
// checked against the bytes left in the frame before anything is allocated.
import { readInt64, writeInt64 } from './int64';
import * as varint from './varint';

/** A request (or response) that does not parse: answered or closed, never thrown past the connection. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

const EMPTY = Buffer.alloc(0);

export class Reader {
  pos: number;
  private readonly slot: varint.VarintValue = { value: 0 };

  constructor(
    readonly buf: Buffer,
    pos = 0,
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) throw new DecodeError(`${what}: needs ${n} bytes at position ${this.pos}, only ${this.end - this.pos} left`);
  }

  int8(): number {
    this.need(1, 'int8');
    return this.buf.readInt8(this.pos++);
  }

  uint8(): number {
    this.need(1, 'uint8');
    return this.buf[this.pos++];
  }

  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2, 'uint16');
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** int64 as a JS number (offsets, timestamps and producer ids stay below 2^53). */
  int64(): number {
    this.need(8, 'int64');
    const v = readInt64(this.buf, this.pos);
    this.pos += 8;
    return v;
  }

  /** 6-byte unsigned integer: Rill's own formats (raft) count terms and indexes in 48 bits, exact in a JS number. */
  uint48(): number {
    this.need(6, 'uint48');
    const v = this.buf.readUIntBE(this.pos, 6);
    this.pos += 6;
    return v;
  }

  float64(): number {
    this.need(8, 'float64');
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  /** 16 bytes, as 32 hex digits. */
  uuid(): string {
    this.need(16, 'uuid');
    const s = this.buf.toString('hex', this.pos, this.pos + 16);
    this.pos += 16;
    return s;
  }

  unsignedVarint(): number {
    const next = varint.readUnsignedVarint(this.buf, this.pos, this.end, this.slot);
    if (next < 0) throw new DecodeError(varint.varintStatusMessage(next, 'unsigned varint'));
    this.pos = next;
    return this.slot.value;
  }

  varint(): number {
    const next = varint.readVarint(this.buf, this.pos, this.end, this.slot);
    if (next < 0) throw new DecodeError(varint.varintStatusMessage(next, 'varint'));
    this.pos = next;
    return this.slot.value;
  }

  varlong(): number {
    const next = varint.readVarlong(this.buf, this.pos, this.end, this.slot);
    if (next < 0) throw new DecodeError(varint.varintStatusMessage(next, 'varlong'));
    this.pos = next;
    return this.slot.value;
  }

  /** A length prefix: INT16/INT32 (-1 = null) or compact UNSIGNED_VARINT (0 = null, else n + 1). */
  private length(compact: boolean, wide: boolean): number {
    if (compact) return this.unsignedVarint() - 1;
    return wide ? this.int32() : this.int16();
  }

  /** STRING / NULLABLE_STRING / COMPACT_(NULLABLE_)STRING; null when the length says so. */
  string(compact: boolean): string | null {
    const n = this.length(compact, false);
    if (n < 0) {
      if (n === -1) return null;
      throw new DecodeError(`string length ${n} is negative`);
    }
    this.need(n, 'string');
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** BYTES / NULLABLE_BYTES / compact forms, as a view into the frame (no copy). */
  bytes(compact: boolean): Buffer | null {
    const n = this.length(compact, true);
    if (n < 0) {
      if (n === -1) return null;
      throw new DecodeError(`bytes length ${n} is negative`);
    }
    this.need(n, 'bytes');
    const b = n === 0 ? EMPTY : this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /**
   * An array's element count (-1 = null). A count larger than the bytes left
   * (each element takes at least `minElementSize` bytes) is refused before any
   * array is allocated.
   */
  arrayLength(compact: boolean, minElementSize: number): number {
    const n = this.length(compact, true);
    if (n < -1) throw new DecodeError(`array length ${n} is negative`);
    if (n > 0 && n * Math.max(1, minElementSize) > this.end - this.pos) {
      throw new DecodeError(`array of ${n} elements cannot fit in the ${this.end - this.pos} bytes left`);
    }
    return n;
  }

  /** Skips n bytes (an unknown tagged field). */
  skip(n: number): void {
    this.need(n, 'tagged field');
    this.pos += n;
  }
}

/**
 * Writes into growing Buffers. Large byte payloads (record batches) are not
 * copied: they become chunks of their own, and the socket writes the chunk list.
 */
export class Writer {
  private buf: Buffer;
  private pos = 0;
  private start = 0;
  private readonly chunks: Buffer[] = [];
  private flushed = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.flushed + this.pos - this.start;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.cut();
    this.buf = Buffer.allocUnsafe(Math.max(this.buf.length * 2, n, 256));
    this.pos = this.start = 0;
  }

  /** Ends the current chunk. */
  private cut(): void {
    if (this.pos > this.start) {
      this.chunks.push(this.buf.subarray(this.start, this.pos));
      this.flushed += this.pos - this.start;
      this.start = this.pos;
    }
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos++);
    return this;
  }

  uint8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: number): this {
    this.ensure(8);
    writeInt64(this.buf, this.pos, v);
    this.pos += 8;
    return this;
  }

  uint48(v: number): this {
    this.ensure(6);
    this.pos = this.buf.writeUIntBE(v, this.pos, 6);
    return this;
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  uuid(hex: string): this {
    this.ensure(16);
    const b = Buffer.from(hex.padStart(32, '0').slice(0, 32), 'hex');
    b.copy(this.buf, this.pos);
    this.buf.fill(0, this.pos + b.length, this.pos + 16);
    this.pos += 16;
    return this;
  }

  unsignedVarint(v: number): this {
    this.ensure(5);
    this.pos = varint.writeUnsignedVarint(this.buf, this.pos, v);
    return this;
  }

  varint(v: number): this {
    this.ensure(5);
    this.pos = varint.writeVarint(this.buf, this.pos, v);
    return this;
  }

  varlong(v: number): this {
    this.ensure(10);
    this.pos = varint.writeVarlong(this.buf, this.pos, v);
    return this;
  }

  private length_(n: number, compact: boolean, wide: boolean): this {
    if (compact) return this.unsignedVarint(n + 1);
    return wide ? this.int32(n) : this.int16(n);
  }

  string(s: string | null, compact: boolean): this {
    if (s === null) return this.length_(-1, compact, false);
    const n = Buffer.byteLength(s, 'utf8');
    this.length_(n, compact, false);
    this.ensure(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    return this;
  }

  bytes(b: Buffer | null, compact: boolean): this {
    if (b === null) return this.length_(-1, compact, true);
    this.length_(b.length, compact, true);
    return this.raw(b);
  }

  arrayLength(n: number | null, compact: boolean): this {
    return this.length_(n === null ? -1 : n, compact, true);
  }

  /** Appends bytes as they are; big ones are referenced, not copied. */
  raw(b: Buffer): this {
    if (b.length >= 1024) {
      this.cut();
      this.chunks.push(b);
      this.flushed += b.length;
      return this;
    }
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  /** The bytes written, as chunks (for socket writes). */
  chunksOut(): Buffer[] {
    this.cut();
    return this.chunks;
  }

  /** The bytes written, as one Buffer. */
  toBuffer(): Buffer {
    const chunks = this.chunksOut();
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.flushed);
  }
}
