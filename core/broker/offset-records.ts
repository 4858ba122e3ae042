// Records of `__consumer_offsets` in Kafka's own format (OffsetCommitKey v1,
// OffsetCommitValue v3), so Kafka tools can read Rill's committed offsets:
//
//   key   = version int16 (1) | group string | topic string | partition int32
//   value = version int16 (3) | offset int64 | leaderEpoch int32 | metadata string | commitTimestamp int64
//
// Strings are int16 length + UTF-8. A null value (tombstone) deletes the offset.
// Keys with version 2 are group metadata, which Rill does not write; they are skipped.
import { Either, left, right } from 'fp-ts/Either';
import { readInt64, writeInt64 } from '../log';

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

const KEY_VERSION = 1;
const VALUE_VERSION = 3;

export function encodeOffsetKey(k: OffsetKey): Buffer {
  const group = Buffer.from(k.group, 'utf8');
  const topic = Buffer.from(k.topic, 'utf8');
  const buf = Buffer.allocUnsafe(2 + 2 + group.length + 2 + topic.length + 4);
  let pos = buf.writeInt16BE(KEY_VERSION, 0);
  pos = writeString(buf, pos, group);
  pos = writeString(buf, pos, topic);
  buf.writeInt32BE(k.partition, pos);
  return buf;
}

export function encodeOffsetValue(v: OffsetValue): Buffer {
  const metadata = Buffer.from(v.metadata, 'utf8');
  const buf = Buffer.allocUnsafe(2 + 8 + 4 + 2 + metadata.length + 8);
  let pos = buf.writeInt16BE(VALUE_VERSION, 0);
  writeInt64(buf, pos, v.offset);
  pos = buf.writeInt32BE(v.leaderEpoch, pos + 8);
  pos = writeString(buf, pos, metadata);
  writeInt64(buf, pos, v.commitTimestamp);
  return buf;
}

/** Decodes a key; `undefined` for key kinds Rill ignores (group metadata). */
export function decodeOffsetKey(buf: Buffer): Either<string, OffsetKey | undefined> {
  const r = new Reader(buf);
  const version = r.int16();
  if (version === 2) return right(undefined);
  if (version !== 0 && version !== 1) return left(`unknown __consumer_offsets key version ${version}`);
  const group = r.string();
  const topic = r.string();
  const partition = r.int32();
  if (r.failed || group === undefined || topic === undefined) return left('truncated __consumer_offsets key');
  return right({ group, topic, partition });
}

export function decodeOffsetValue(buf: Buffer): Either<string, OffsetValue> {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0 || version > 3) return left(`unknown __consumer_offsets value version ${version}`);
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string();
  const commitTimestamp = r.int64();
  if (version === 1) r.int64(); // expireTimestamp
  if (r.failed || metadata === undefined) return left('truncated __consumer_offsets value');
  return right({ offset, leaderEpoch, metadata, commitTimestamp });
}

function writeString(buf: Buffer, pos: number, s: Buffer): number {
  pos = buf.writeInt16BE(s.length, pos);
  return pos + s.copy(buf, pos);
}

/** Bounds-checked reads: a short buffer sets `failed` instead of throwing. */
class Reader {
  private pos = 0;
  failed = false;
  constructor(private readonly buf: Buffer) {}
  private take(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) {
      this.failed = true;
      return -1;
    }
    this.pos += n;
    return at;
  }
  int16(): number {
    const at = this.take(2);
    return at < 0 ? -1 : this.buf.readInt16BE(at);
  }
  int32(): number {
    const at = this.take(4);
    return at < 0 ? -1 : this.buf.readInt32BE(at);
  }
  int64(): number {
    const at = this.take(8);
    return at < 0 ? -1 : readInt64(this.buf, at);
  }
  string(): string | undefined {
    const length = this.int16();
    if (length < 0) return undefined;
    const at = this.take(length);
    return at < 0 ? undefined : this.buf.toString('utf8', at, at + length);
  }
}
