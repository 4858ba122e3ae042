// Big-endian int64 as a JS number, for the fields Kafka sends as INT64
// (offsets, timestamps, producer ids): all stay far below 2^53, so a number is
// exact and avoids a BigInt per field on hot paths.

const TWO_32 = 4294967296;

/** Reads an int64 as a JS number. */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

/** Writes a JS integer (|n| < 2^53) as a big-endian int64. */
export function writeInt64(buf: Buffer, pos: number, n: number): void {
  const hi = Math.floor(n / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(n - hi * TWO_32, pos + 4);
}
