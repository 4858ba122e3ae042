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
  /**
   * Optional: writes the bytes serialize() would give for `value` into `out`
   * at `at` and returns the position after them (the producer's writes then
   * need no Buffer and no Either per field). -1 when it does not: no room, or
   * a value outside this fast path (also a value serialize() refuses); the
   * caller then calls serialize(), and ignores what was written past `at`.
   * Never throws.
   */
  serializeInto?(value: T, out: Buffer, at: number): number;
  /**
   * Optional: the value deserialize() gives for bytes[start, end), read in
   * place (no view, no Either per field). undefined when it does not read
   * them: bytes outside this fast path, or bytes deserialize() refuses; the
   * caller then calls deserialize() on them, which gives the value or the
   * error. So a serde whose values can be undefined must not have it. Never
   * throws.
   */
  deserializeFrom?(bytes: Buffer, start: number, end: number): T | undefined;
}

/** For callers that prefer exceptions: unwraps or throws SerdeException. */
export function orThrow<T>(result: Either<SerdeError, T>): T {
  if (result._tag === 'Left') throw new SerdeException(result.left);
  return result.right;
}

/** Raw bytes, untouched. */
export function bytesSerde(): Serde<Buffer> {
  return withSerializeInto(
    {
      format: 'bytes',
      serialize: (value) => right(value),
      deserialize: (bytes) => right(bytes),
    },
    (value, out, at) => (Buffer.isBuffer(value) && value.length <= out.length - at ? at + value.copy(out, at) : -1),
  );
}

type SerializeInto = NonNullable<Serde<unknown>['serializeInto']>;
type Serialize = Serde<unknown>['serialize'];

/** A built-in fast path -> the serialize() whose bytes it writes. */
const builtWith = new WeakMap<SerializeInto, Serialize>();
type DeserializeFrom = NonNullable<Serde<unknown>['deserializeFrom']>;
type Deserialize = Serde<unknown>['deserialize'];
/** A built-in read fast path -> the deserialize() whose values it gives. */
const readsAs = new WeakMap<DeserializeFrom, Deserialize>();

/**
 * The serde with serializeInto (and deserializeFrom) as properties that are
 * not enumerable: a serde spread into a new one with its own serialize or
 * deserialize (`{ ...stringSerde(), serialize }`) does not keep a fast path
 * that bypasses it. A serialize or deserialize replaced in place
 * (`Object.assign(stringSerde(), { serialize })`, `s.deserialize = f`) keeps
 * the properties, so each fast path also remembers the function whose answer
 * it gives, and fastSerializeInto() / fastDeserializeFrom() check it is still there.
 * Both stay writable: a user may replace a fast path too (then it is theirs, and used).
 */
function withSerializeInto<T>(serde: Serde<T>, into: NonNullable<Serde<T>['serializeInto']>, from?: NonNullable<Serde<T>['deserializeFrom']>): Serde<T> {
  builtWith.set(into, serde.serialize);
  Object.defineProperty(serde, 'serializeInto', { value: into, enumerable: false, writable: true, configurable: true });
  if (from === undefined) return serde;
  readsAs.set(from, serde.deserialize);
  return Object.defineProperty(serde, 'deserializeFrom', { value: from, enumerable: false, writable: true, configurable: true });
}

/**
 * The serde's serializeInto when it writes what the serde's serialize() would:
 * a user's own, or a built-in one whose serialize was not replaced; undefined
 * otherwise (then serialize() it is). Every reader of serializeInto goes through here.
 */
export function fastSerializeInto<T>(serde: Serde<T>): Serde<T>['serializeInto'] {
  const into = serde.serializeInto;
  if (into === undefined) return undefined;
  const serialize = builtWith.get(into as SerializeInto);
  return serialize === undefined || serialize === serde.serialize ? into : undefined;
}

/**
 * The serde's deserializeFrom when it gives what the serde's deserialize()
 * would: a user's own, or a built-in one whose deserialize was not replaced;
 * undefined otherwise. Every reader of deserializeFrom goes through here.
 */
export function fastDeserializeFrom<T>(serde: Serde<T>): Serde<T>['deserializeFrom'] {
  const from = serde.deserializeFrom;
  if (from === undefined) return undefined;
  const deserialize = readsAs.get(from as DeserializeFrom);
  return deserialize === undefined || deserialize === serde.deserialize ? from : undefined;
}

/** Longest text asciiText builds with one String.fromCharCode call; longer ASCII is a latin1 slice. */
const SHORT_TEXT = 8;
/** Longest text written byte by byte into a new Buffer; longer text goes to Buffer's native writer. */
const SHORT_WRITE = 32;

/**
 * The bytes b[start, end) as a string when every one is ASCII (< 0x80); undefined
 * otherwise (then the strict decoder checks the UTF-8). ASCII needs no check and
 * has no BOM to strip. Up to 8 bytes it is one String.fromCharCode call (about a
 * third of a TextDecoder call for the words, ids and counts keys and values often
 * are; building it by `+=` cost one string per character); longer ASCII is one
 * latin1 slice, which for ASCII is the same text.
 */
function asciiText(b: Buffer, start: number, end: number): string | undefined {
  for (let i = start; i < end; i++) if (b[i] >= 0x80) return undefined;
  return checkedAsciiText(b, start, end);
}

/** asciiText for bytes already known to be ASCII (no second scan of them). */
function checkedAsciiText(b: Buffer, start: number, end: number): string {
  const c = String.fromCharCode;
  const s = start;
  switch (end - start) {
    case 0:
      return '';
    case 1:
      return c(b[s]);
    case 2:
      return c(b[s], b[s + 1]);
    case 3:
      return c(b[s], b[s + 1], b[s + 2]);
    case 4:
      return c(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5:
      return c(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6:
      return c(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7:
      return c(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8:
      return c(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    default:
      return b.toString('latin1', start, end);
  }
}

/** Short all-ASCII bytes as a string; undefined when longer than SHORT_TEXT or not ASCII. */
function shortAsciiText(b: Buffer): string | undefined {
  return b.length > SHORT_TEXT ? undefined : asciiText(b, 0, b.length);
}

/**
 * A JSON text that is a plain string ("...", nothing escaped, printable ASCII
 * inside) as that string, without the decoder and JSON.parse; undefined for any
 * other JSON text, which then takes the full path. The DSL's default serde writes
 * such strings for every word-like value.
 */
function plainJsonString(b: Buffer, start = 0, end = b.length): string | undefined {
  if (end - start < 2 || b[start] !== QUOTE || b[end - 1] !== QUOTE) return undefined;
  for (let i = start + 1; i < end - 1; i++) if (!plainJsonChar(b[i])) return undefined;
  return checkedAsciiText(b, start + 1, end - 1); // plainJsonChar admits ASCII only
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Printable ASCII that JSON writes as itself inside a string: not a control character, quote or backslash. */
function plainJsonChar(c: number): boolean {
  return c >= 0x20 && c < 0x7f && c !== QUOTE && c !== BACKSLASH;
}

/**
 * Short ASCII text as UTF-8 bytes (the same bytes), written by a loop into a
 * pooled Buffer: Buffer.from's native UTF-8 writer costs more than the copy for
 * the few bytes of a word or an id. `quoted` writes it as a JSON string (only
 * when every character is plainJsonChar, so JSON.stringify would write the
 * same). Undefined when longer than SHORT_WRITE or not all such characters.
 */
function shortAsciiBytes(text: string, quoted: boolean): Buffer | undefined {
  if (text.length > SHORT_WRITE) return undefined;
  const out = Buffer.allocUnsafe(text.length + (quoted ? 2 : 0));
  return writeShortAscii(text, quoted, out, 0) < 0 ? undefined : out;
}

/** shortAsciiBytes' bytes written into `out` at `at`: the position after them, or -1 (too long, not such characters, no room). */
function writeShortAscii(text: string, quoted: boolean, out: Buffer, at: number): number {
  const n = text.length;
  const q = quoted ? 1 : 0;
  if (n > SHORT_WRITE || n + 2 * q > out.length - at) return -1;
  const start = at + q;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (quoted ? !plainJsonChar(c) : c >= 0x80) return -1;
    out[start + i] = c;
  }
  if (quoted) {
    out[at] = QUOTE;
    out[start + n] = QUOTE;
  }
  return start + n + q;
}

/** UTF-8 needs at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units; a lone surrogate: 3). */
const MAX_UTF8_PER_UNIT = 3;

/** Any text as UTF-8 into `out` at `at` (what Buffer.from writes): the position after it, or -1 when it might not fit. */
function writeUtf8(text: string, out: Buffer, at: number): number {
  const short = writeShortAscii(text, false, out, at);
  if (short >= 0) return short;
  return text.length * MAX_UTF8_PER_UNIT <= out.length - at ? at + out.write(text, at, 'utf8') : -1;
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
  return withSerializeInto<string>(
    {
      format: 'string',
      // (A value of another type goes to Buffer.from, which throws as before.)
      serialize: (value) => right((typeof value === 'string' ? shortAsciiBytes(value, false) : undefined) ?? Buffer.from(value, 'utf8')),
      deserialize: (bytes, location) => {
        const text = strictText(bytes, decoder);
        return text === undefined ? left(serdeError('invalid-payload', NOT_UTF8, location)) : right(text);
      },
    },
    (value, out, at) => (typeof value === 'string' ? writeUtf8(value, out, at) : -1),
    // ASCII only: other bytes go to deserialize(), whose strict decoder checks the UTF-8.
    (bytes, start, end) => asciiText(bytes, start, end),
  );
}

/** JSON text in UTF-8. The type parameter is the caller's claim; JSON carries no schema. */
export function jsonSerde<T = unknown>(): Serde<T> {
  const decoder = strictDecoder();
  const serde: Serde<T> = {
    format: 'json',
    serialize: (value, location) => {
      const plain = typeof value === 'string' ? shortAsciiBytes(value, true) : undefined;
      if (plain !== undefined) return right(plain);
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
      const plain = plainJsonString(bytes);
      if (plain !== undefined) return right(plain as T);
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
  // Plain short strings only (the words and ids of keyed writes); anything else goes through JSON.stringify.
  return withSerializeInto(
    serde,
    (value, out, at) => (typeof value === 'string' ? writeShortAscii(value, true, out, at) : -1),
    // Plain JSON strings only: any other JSON text goes to deserialize().
    (bytes, start, end) => plainJsonString(bytes, start, end) as T | undefined,
  );
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
