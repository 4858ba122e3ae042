// Serdes the DSL adds to core/schema's: windowed keys (Kafka Streams' layout:
// key bytes, then start and end as 8-byte big-endian), lists (for join
// buffers), and the JSON default used where a user gives no serde.
import { left, right } from 'fp-ts/Either';
import { jsonSerde, type Serde } from '../core/schema';
import type { Windowed } from './record';

/** The serde used when a step does not name one: JSON, which round-trips strings, numbers and plain objects. */
export function defaultSerde<T>(): Serde<T> {
  return jsonSerde<T>();
}

export function windowedSerde<K>(key: Serde<K>): Serde<Windowed<K>> {
  return {
    format: `windowed<${key.format}>`,
    serialize(w, location) {
      const k = key.serialize(w.key, location);
      if (k._tag === 'Left') return k;
      return right(appendWindow(k.right, w.window.start, w.window.end));
    },
    deserialize(bytes, location) {
      if (bytes.length < 16) return left({ kind: 'invalid-payload', message: 'windowed key shorter than 16 bytes', location: location ?? {} });
      const k = key.deserialize(bytes.subarray(0, bytes.length - 16), location);
      if (k._tag === 'Left') return k;
      const start = Number(bytes.readBigInt64BE(bytes.length - 16));
      const end = Number(bytes.readBigInt64BE(bytes.length - 8));
      return right({ key: k.right, window: { start, end } });
    },
  };
}

export function appendWindow(keyBytes: Buffer, start: number, end: number): Buffer {
  const out = Buffer.allocUnsafe(keyBytes.length + 16);
  keyBytes.copy(out, 0);
  out.writeBigInt64BE(BigInt(start), keyBytes.length);
  out.writeBigInt64BE(BigInt(end), keyBytes.length + 8);
  return out;
}

/** A list of values, each length-prefixed with its element serde. */
export function listSerde<T>(element: Serde<T>): Serde<T[]> {
  return {
    format: `list<${element.format}>`,
    serialize(values, location) {
      const parts: Buffer[] = [];
      for (const v of values) {
        const b = element.serialize(v, location);
        if (b._tag === 'Left') return b;
        const len = Buffer.allocUnsafe(4);
        len.writeUInt32BE(b.right.length);
        parts.push(len, b.right);
      }
      return right(Buffer.concat(parts));
    },
    deserialize(bytes, location) {
      const out: T[] = [];
      let pos = 0;
      while (pos < bytes.length) {
        if (pos + 4 > bytes.length) return left({ kind: 'invalid-payload', message: 'list element length cut short', location: location ?? {} });
        const len = bytes.readUInt32BE(pos);
        pos += 4;
        if (pos + len > bytes.length) return left({ kind: 'invalid-payload', message: 'list element cut short', location: location ?? {} });
        const v = element.deserialize(bytes.subarray(pos, pos + len), location);
        if (v._tag === 'Left') return v;
        out.push(v.right);
        pos += len;
      }
      return right(out);
    },
  };
}
