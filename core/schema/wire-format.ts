// The Confluent wire format: magic byte 0, the schema id as a 4-byte
// big-endian int, then the Avro binary. Any Kafka tool that reads Confluent
// Avro reads Rill's records.
import { left, right, type Either } from 'fp-ts/Either';
import { serdeError, type RecordLocation, type SerdeError } from './serde-error';

export const MAGIC_BYTE = 0;
export const FRAME_HEADER_SIZE = 5;

/** Writes the header into the first 5 bytes of `frame`. */
export function writeFrameHeader(frame: Buffer, schemaId: number): void {
  frame[0] = MAGIC_BYTE;
  frame.writeInt32BE(schemaId, 1);
}

/** Frames an already encoded payload (one copy; serdes write the header in place instead). */
export function frame(schemaId: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + payload.length);
  writeFrameHeader(out, schemaId);
  payload.copy(out, FRAME_HEADER_SIZE);
  return out;
}

/** Reads the schema id of a frame; the payload starts at FRAME_HEADER_SIZE. */
export function readSchemaId(bytes: Buffer, location: RecordLocation = {}): Either<SerdeError, number> {
  if (bytes.length < FRAME_HEADER_SIZE) {
    return left(
      serdeError(
        'truncated-frame',
        `truncated Confluent frame: ${bytes.length} bytes, the header alone needs ${FRAME_HEADER_SIZE} (magic byte + 4-byte schema id)`,
        location,
      ),
    );
  }
  if (bytes[0] !== MAGIC_BYTE) {
    return left(
      serdeError(
        'wrong-magic-byte',
        `wrong magic byte ${bytes[0]}: a Confluent frame starts with ${MAGIC_BYTE}; this record was not written by a schema-registry serializer`,
        location,
      ),
    );
  }
  return right(bytes.readInt32BE(1));
}
