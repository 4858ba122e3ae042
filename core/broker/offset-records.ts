// Records of `__consumer_offsets` in Kafka's own format, so Kafka tools can read
// Rill's committed offsets. Each key and value is an int16 version followed by
// a message; the messages are described as data, with the versions and fields
// of Kafka's OffsetCommitKey.json and OffsetCommitValue.json:
//
//   key   = type int16 (0 or 1: an offset commit; 2: group metadata) | OffsetCommitKey v0
//   value = version int16 (0..4; Rill writes 3) | OffsetCommitValue at that version
//
// A null value (tombstone) deletes the offset. Group metadata keys (type 2) are
// records Rill does not write; they are skipped.
import { Either, left, right } from 'fp-ts/Either';
import { DecodeError, Reader, Writer, decodeMessage, encodeMessage, field, message } from '../wire';

export interface OffsetKey {
  group: string;
  topic: string;
  partition: number;
}

export interface OffsetValue {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
}

/** The key's record type Rill writes for an offset commit (Kafka writes 1 too; 0 is the legacy type). */
const KEY_TYPE = 1;
const GROUP_METADATA_KEY_TYPE = 2;
/** The value version Rill writes: the newest one older Kafka tools read. */
const VALUE_VERSION = 3;
const NEWEST_VALUE_VERSION = 4;

const OffsetCommitKey = message('none', [field('group', 'string', '0'), field('topic', 'string', '0'), field('partition', 'int32', '0')]);

const OffsetCommitValue = message('4+', [
  field('offset', 'int64', '0+'),
  field('leaderEpoch', 'int32', '3+', { default: -1 }),
  field('metadata', 'string', '0+'),
  field('commitTimestamp', 'int64', '0+'),
  field('expireTimestamp', 'int64', '1', { default: -1 }),
]);

export function encodeOffsetKey(k: OffsetKey): Buffer {
  const w = new Writer(64).int16(KEY_TYPE);
  return encodeMessage(OffsetCommitKey, 0, k, w).toBuffer();
}

export function encodeOffsetValue(v: OffsetValue): Buffer {
  const w = new Writer(64).int16(VALUE_VERSION);
  return encodeMessage(OffsetCommitValue, VALUE_VERSION, v, w).toBuffer();
}

/** Decodes a key; `undefined` for key kinds Rill ignores (group metadata). */
export function decodeOffsetKey(buf: Buffer): Either<string, OffsetKey | undefined> {
  return decoded('key', () => {
    const r = new Reader(buf);
    const type = r.int16();
    if (type === GROUP_METADATA_KEY_TYPE) return right(undefined);
    if (type !== 0 && type !== KEY_TYPE) return left(`unknown __consumer_offsets key version ${type}`);
    const { group, topic, partition } = decodeMessage(OffsetCommitKey, 0, r) as unknown as OffsetKey;
    return right({ group, topic, partition });
  });
}

export function decodeOffsetValue(buf: Buffer): Either<string, OffsetValue> {
  return decoded('value', () => {
    const r = new Reader(buf);
    const version = r.int16();
    if (version < 0 || version > NEWEST_VALUE_VERSION) return left(`unknown __consumer_offsets value version ${version}`);
    const { offset, leaderEpoch, metadata, commitTimestamp } = decodeMessage(OffsetCommitValue, version, r) as unknown as OffsetValue;
    return right({ offset, leaderEpoch, metadata, commitTimestamp });
  });
}

/** A record that does not parse is a value (a left), never an exception. */
function decoded<T>(what: string, decode: () => Either<string, T>): Either<string, T> {
  try {
    return decode();
  } catch (e) {
    if (e instanceof DecodeError) return left(`truncated or malformed __consumer_offsets ${what}: ${e.message}`);
    throw e;
  }
}
