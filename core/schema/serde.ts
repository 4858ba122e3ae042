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

/** Longest text shortAsciiText builds. */
const SHORT_TEXT = 8;

/**
 * Short all-ASCII bytes as a string, made by one String.fromCharCode call;
 * undefined when longer or a byte is >= 0x80 (then the strict decoder checks
 * the UTF-8). ASCII needs no check and has no BOM to strip, and for the words,
 * ids and counts that keys and values often are this costs about a third of a
 * TextDecoder call and allocates only the string (building it by `+=` cost one
 * string per character).
 */
function shortAsciiText(b: Buffer): string | undefined {
  const n = b.length;
  if (n > SHORT_TEXT) return undefined;
  for (let i = 0; i < n; i++) if (b[i] >= 0x80) return undefined;
  const c = String.fromCharCode;
  switch (n) {
    case 0:
      return '';
    case 1:
      return c(b[0]);
    case 2:
      return c(b[0], b[1]);
    case 3:
      return c(b[0], b[1], b[2]);
    case 4:
      return c(b[0], b[1], b[2], b[3]);
    case 5:
      return c(b[0], b[1], b[2], b[3], b[4]);
    case 6:
      return c(b[0], b[1], b[2], b[3], b[4], b[5]);
    case 7:
      return c(b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
    default:
      return c(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
  }
}

/** The text of UTF-8 bytes; undefined when they are not valid UTF-8. */
function strictText(bytes: Buffer, decoder: TextDecoder): string | undefined {
  const ascii = shortAsciiText(bytes);
  if (ascii !== undefined) return ascii;
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A strict (fatal) UTF-8 decoder: invalid bytes throw instead of becoming U+FFFD. */
function strictDecoder(): TextDecoder {
  return new TextDecoder('utf-8', { fatal: true });
}

const NOT_UTF8 = 'bytes are not valid UTF-8';

/** UTF-8 text; bytes that are not valid UTF-8 are refused, not replaced with U+FFFD. */
export function stringSerde(): Serde<string> {
  const decoder = strictDecoder();
  return {
    format: 'string',
    serialize: (value) => right(Buffer.from(value, 'utf8')),
    deserialize: (bytes, location) => {
      const text = strictText(bytes, decoder);
      return text === undefined ? left(serdeError('invalid-payload', NOT_UTF8, location)) : right(text);
    },
  };
}

/** JSON text in UTF-8. The type parameter is the caller's claim; JSON carries no schema. */
export function jsonSerde<T = unknown>(): Serde<T> {
  const decoder = strictDecoder();
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
      // The text straight from the bytes: no Either of the string serde's per record in between.
      const text = strictText(bytes, decoder);
      if (text === undefined) return left(serdeError('invalid-payload', NOT_UTF8, location));
      try {
        return right(JSON.parse(text) as T);
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
