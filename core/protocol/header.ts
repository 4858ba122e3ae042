// Request and response headers. A request header is v1 (api key, version,
// correlation id, client id) for classic versions and v2 (+ tagged fields) for
// flexible ones; a response header is v0 (correlation id) or v1 (+ tagged
// fields) -- except ApiVersions, whose response header is always v0 so a client
// can read it before it knows anything else.
import { Reader, Writer, decodeMessage, encodeMessage, field, message } from '../wire';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** The fixed part every header version shares: readable for any frame of 8 bytes or more. */
export function peekHeader(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number } {
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

// Described once: only the tagged-field buffer depends on flexibility.
const TAGS_ONLY = message('0+', []);
const header = message('2+', [
  field('apiKey', 'int16', '0+'),
  field('apiVersion', 'int16', '0+'),
  field('correlationId', 'int32', '0+'),
  field('clientId', 'string', '1+', { nullable: '1+', default: null }),
]);

/** Reads the whole header; the reader is left at the body. `flexible`: the API version is flexible. */
export function readRequestHeader(reader: Reader, flexible: boolean): RequestHeader {
  // client_id stays an INT16 string even in header v2, so decode at v1 and read the tags separately.
  const h = decodeMessage(header, 1, reader) as unknown as RequestHeader;
  if (flexible) decodeMessage(TAGS_ONLY, 0, reader);
  return h;
}

/** Reads past a tagged-field buffer (a flexible response header). */
export function skipTaggedFields(reader: Reader): void {
  decodeMessage(TAGS_ONLY, 0, reader);
}

/** Writes a request header (clients and tests). */
export function writeRequestHeader(writer: Writer, h: RequestHeader, flexible: boolean): Writer {
  encodeMessage(header, 1, h, writer);
  if (flexible) writer.unsignedVarint(0);
  return writer;
}

/** Response header bytes: size prefix (of header + body), correlation id, and an empty tag buffer when flexible. */
export function responseHeader(correlationId: number, bodyLength: number, flexible: boolean): Buffer {
  const h = Buffer.allocUnsafe(flexible ? 9 : 8);
  h.writeInt32BE(bodyLength + h.length - 4, 0);
  h.writeInt32BE(correlationId, 4);
  if (flexible) h[8] = 0;
  return h;
}
