// Serdes turn record keys and values into bytes and back. Failures are
// values (SerdeError), never exceptions: a bad record must not kill a stream.
import { left, right, type Either } from 'fp-ts/Either';
import { decodeAvro, encodeAvro } from './avro-codec';
import { serdeError, SerdeException, type RecordLocation, type SerdeError } from './serde-error';
import type { TypedAvroSchema } from './typed-schema';

export interface Serde<T> {
  /** Short name for logs and topology descriptions: 'avro', 'json', ... */
  readonly format: string;
  serialize(value: T, location?: RecordLocation): Either<SerdeError, Buffer>;
  deserialize(bytes: Buffer, location?: RecordLocation): Either<SerdeError, T>;
}

/** For callers that prefer exceptions: unwraps or throws SerdeException. */
export function orThrow<T>(result: Either<SerdeError, T>): T {
  if (result._tag === 'Left') throw new SerdeException(result.left);
  return result.right;
}

/** Raw bytes, untouched. */
export function bytesSerde(): Serde<Buffer> {
  return {
    format: 'bytes',
    serialize: (value) => right(value),
    deserialize: (bytes) => right(bytes),
  };
}

/**
 * Longest text built in JS by shortAsciiText: V8 keeps concatenations this
 * short flat (longer ones become rope strings, flattened again when hashed).
 */
const SHORT_TEXT = 12;

/**
 * Short all-ASCII bytes as a string, built in JS; undefined when longer or a
 * byte is >= 0x80 (then the strict decoder checks the UTF-8). ASCII needs no
 * check and has no BOM to strip, and for the words and ids that keys usually
 * are this costs less than half a TextDecoder call.
 */
function shortAsciiText(bytes: Buffer): string | undefined {
  const n = bytes.length;
  if (n > SHORT_TEXT) return undefined;
  let text = '';
  for (let i = 0; i < n; i++) {
    const c = bytes[i];
    if (c >= 0x80) return undefined;
    text += String.fromCharCode(c);
  }
  return text;
}

/** UTF-8 text; bytes that are not valid UTF-8 are refused, not replaced with U+FFFD. */
export function stringSerde(): Serde<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return {
    format: 'string',
    serialize: (value) => right(Buffer.from(value, 'utf8')),
    deserialize: (bytes, location) => {
      try {
        return right(shortAsciiText(bytes) ?? decoder.decode(bytes));
      } catch {
        return left(serdeError('invalid-payload', 'bytes are not valid UTF-8', location));
      }
    },
  };
}

/** JSON text in UTF-8. The type parameter is the caller's claim; JSON carries no schema. */
export function jsonSerde<T = unknown>(): Serde<T> {
  const text = stringSerde();
  return {
    format: 'json',
    serialize: (value, location) => {
      let json: string | undefined;
      try {
        json = JSON.stringify(value);
      } catch (error) {
        return left(serdeError('invalid-value', `cannot be written as JSON: ${(error as Error).message}`, location));
      }
      if (json === undefined) return left(serdeError('invalid-value', 'cannot be written as JSON (undefined or a function)', location));
      return right(Buffer.from(json, 'utf8'));
    },
    deserialize: (bytes, location) => {
      const decoded = text.deserialize(bytes, location);
      if (decoded._tag === 'Left') return decoded;
      try {
        return right(JSON.parse(decoded.right) as T);
      } catch (error) {
        return left(serdeError('invalid-payload', `not valid JSON: ${(error as Error).message}`, location));
      }
    },
  };
}

/**
 * Plain Avro binary, no framing: both sides must know the schema out of band.
 * For data other tools read, use the Confluent-framed serde (confluent-serde.ts).
 */
export function avroSerde<T>(schema: TypedAvroSchema<T>): Serde<T> {
  const type = schema.avroType;
  return {
    format: 'avro',
    serialize: (value, location) => {
      const encoded = encodeAvro(type, value, 0);
      if (encoded._tag === 'Right') return encoded;
      return left(invalidValue(encoded.left, location));
    },
    deserialize: (bytes, location) => {
      const decoded = decodeAvro(type, bytes, 0);
      if (decoded._tag === 'Right') return decoded as Either<never, T>;
      return left(serdeError('invalid-payload', decoded.left, location));
    },
  };
}

export function invalidValue(paths: readonly string[], location: RecordLocation | undefined, schemaId?: number): SerdeError {
  return serdeError('invalid-value', `does not match the Avro schema at ${paths.join(', ')}`, location, {
    paths,
    ...(schemaId === undefined ? {} : { schemaId }),
  });
}
