// Avro binary encode/decode on Buffers, shared by the plain and the
// Confluent-framed serdes. One allocation per encoded record (the result),
// like avsc's own toBuffer; the frame header is written into the same buffer.
import type { Type } from 'avsc';
import { left, right, type Either } from 'fp-ts/Either';

type Resolver = ReturnType<Type['createResolver']>;

/** Reused across calls: encoding is synchronous, so one scratch buffer suffices. */
let scratch = Buffer.allocUnsafe(8192);

/**
 * Encodes `value` after `headerSize` reserved bytes, which the caller fills.
 * Left: the paths of the fields that do not match the schema.
 */
export function encodeAvro(type: Type, value: unknown, headerSize: number): Either<string[], Buffer> {
  let end: number;
  try {
    end = type.encode(value, scratch, headerSize);
    while (end < 0) {
      // avsc reports how many bytes were missing as a negative position.
      scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
      end = type.encode(value, scratch, headerSize);
    }
  } catch {
    return left(invalidPaths(type, value));
  }
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, 0, 0, end);
  return right(out);
}

function invalidPaths(type: Type, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (path) => paths.push(path.length === 0 ? '(root)' : path.join('.')) });
  return paths.length === 0 ? ['(root)'] : paths;
}

/**
 * Decodes the Avro value occupying `bytes[start..]` exactly. Left: why the
 * bytes are not a valid encoding (truncated, trailing bytes, bad index...).
 */
export function decodeAvro(type: Type, bytes: Buffer, start: number, resolver?: Resolver): Either<string, unknown> {
  let decoded: { value: unknown; offset: number };
  try {
    decoded = type.decode(bytes, start, resolver);
  } catch (error) {
    return left(`not valid Avro for the writer schema: ${(error as Error).message}`);
  }
  if (decoded.offset < 0) return left('not valid Avro for the writer schema: the payload ends before the value does');
  if (decoded.offset !== bytes.length) {
    return left(`not valid Avro for the writer schema: ${bytes.length - decoded.offset} bytes left after the value`);
  }
  return right(decoded.value);
}
