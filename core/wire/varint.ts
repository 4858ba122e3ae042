// Kafka's variable-length integers, on Buffers — the one varint codec of Rill
// (record batches in core/log, flexible-version lengths and tagged fields in the codec).
//
// - varint:  int32, zigzag then unsigned LEB128, at most 5 bytes   (record fields)
// - varlong: int64, zigzag then unsigned LEB128, at most 10 bytes  (timestamp deltas)
// - unsigned varint: uint32, LEB128 without zigzag, at most 5 bytes (compact lengths)
//
// Readers sit on hot paths (every field of every record), so they allocate nothing:
// they return the position after the varint, or a negative status (VARINT_TRUNCATED,
// VARINT_MALFORMED), and leave the value in a caller-owned VarintValue slot.
// Varlongs are JS numbers: values whose zigzag form exceeds 2^53 - 1 (|n| > ~2^52)
// are reported as malformed rather than silently rounded.
//
// Writers trust their caller to have sized the buffer with the sizeOf* functions
// (encoders compute the whole size first, then write into one Buffer).

/** The bytes ended before the varint did. */
export const VARINT_TRUNCATED = -1;
/** Too many bytes for the type, or a value that does not fit it. */
export const VARINT_MALFORMED = -2;

/** Caller-owned slot a reader puts its value in (reuse one per decode). */
export interface VarintValue {
  value: number;
}

/** A readable sentence for a negative reader status, for error messages. */
export function varintStatusMessage(status: number, what: string): string {
  return status === VARINT_TRUNCATED ? `${what}: the bytes end inside the varint` : `${what}: varint is too long or its value is out of range`;
}

// ---------------------------------------------------------------- unsigned varint

/**
 * Reads an unsigned LEB128 uint32 from buf[pos, end). Returns the next position or a
 * negative status; the value (0 .. 2^32-1) goes to out.value.
 */
export function readUnsignedVarint(buf: Uint8Array, pos: number, end: number, out: VarintValue): number {
  if (pos >= end) return VARINT_TRUNCATED;
  let b = buf[pos];
  if (b < 0x80) {
    out.value = b;
    return pos + 1;
  }
  let value = b & 0x7f;
  let shift = 7;
  let i = pos + 1;
  for (;;) {
    if (i >= end) return VARINT_TRUNCATED;
    b = buf[i++];
    if (shift === 28) {
      // Fifth byte: only 4 bits are left in a uint32, and no continuation.
      if (b > 0x0f) return VARINT_MALFORMED;
      out.value = value + b * 0x10000000;
      return i;
    }
    value |= (b & 0x7f) << shift;
    if (b < 0x80) {
      out.value = value;
      return i;
    }
    shift += 7;
  }
}

/** Writes uint32 `value` as unsigned LEB128 at pos; returns the next position. */
export function writeUnsignedVarint(buf: Uint8Array, pos: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Bytes writeUnsignedVarint needs for uint32 `value`. */
export function sizeOfUnsignedVarint(value: number): number {
  const v = value >>> 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

// ---------------------------------------------------------------- varint (int32, zigzag)

/**
 * Reads a zigzag varint (int32) from buf[pos, end). Returns the next position or a
 * negative status; the value goes to out.value.
 */
export function readVarint(buf: Uint8Array, pos: number, end: number, out: VarintValue): number {
  // One-byte fast path: lengths -1..63, small deltas — most record fields.
  if (pos < end && buf[pos] < 0x80) {
    const z = buf[pos];
    out.value = (z >>> 1) ^ -(z & 1);
    return pos + 1;
  }
  const next = readUnsignedVarint(buf, pos, end, out);
  if (next >= 0) {
    const z = out.value;
    out.value = (z >>> 1) ^ -(z & 1);
  }
  return next;
}

/** Writes int32 `value` as a zigzag varint at pos; returns the next position. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  return writeUnsignedVarint(buf, pos, (value << 1) ^ (value >> 31));
}

/** Bytes writeVarint needs for int32 `value`. */
export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint((value << 1) ^ (value >> 31));
}

// ---------------------------------------------------------------- varlong (int64, zigzag)

const TWO_7 = 0x80;
/** Largest zigzag value a JS number holds exactly. */
const MAX_ZIGZAG = Number.MAX_SAFE_INTEGER;

/**
 * Reads a zigzag varlong (int64) from buf[pos, end) as a JS number. Returns the next
 * position or a negative status; the value goes to out.value.
 */
export function readVarlong(buf: Uint8Array, pos: number, end: number, out: VarintValue): number {
  if (pos < end && buf[pos] < 0x80) {
    const z = buf[pos];
    out.value = (z >>> 1) ^ -(z & 1);
    return pos + 1;
  }
  // Multiply instead of shift: past 31 bits JS shifts wrap.
  let z = 0;
  let scale = 1;
  for (let i = pos; i < pos + 10; i++) {
    if (i >= end) return VARINT_TRUNCATED;
    const b = buf[i];
    z += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (z > MAX_ZIGZAG) return VARINT_MALFORMED;
      out.value = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      return i + 1;
    }
    scale *= TWO_7;
  }
  return VARINT_MALFORMED;
}

function zigzag64(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/**
 * Writes integer `value` (-2^52 <= value < 2^52, what readVarlong reads back) as a
 * zigzag varlong at pos; returns the next position.
 */
export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return writeVarint(buf, pos, value);
  let z = zigzag64(value);
  if (z > MAX_ZIGZAG) throw new RangeError(`writeVarlong: ${value} is outside what a JS number varlong holds (-2^52 <= n < 2^52)`);
  while (z >= TWO_7) {
    buf[pos++] = (z % TWO_7) | 0x80;
    z = Math.floor(z / TWO_7);
  }
  buf[pos++] = z;
  return pos;
}

/** Bytes writeVarlong needs for `value`. */
export function sizeOfVarlong(value: number): number {
  if (value >= -0x40000000 && value < 0x40000000) return sizeOfVarint(value);
  let z = zigzag64(value);
  let n = 1;
  while (z >= TWO_7) {
    z = Math.floor(z / TWO_7);
    n++;
  }
  return n;
}
