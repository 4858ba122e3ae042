// A fetched record whose key and value are still ranges of the fetched bytes.
// The DSL runtime reads them straight from those bytes (Serde.deserializeFrom):
// no view object per key and value. A view is made only when a reader asks
// for `key` or `value` (an error policy, a dead letter, a serde without the
// fast path), a new one per read.
import type { RecordHeader } from '../log';

export class SpanRecord {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly timestamp: number,
    /** The bytes key and value lie in: the fetched batch, or its inflated records. */
    readonly src: Buffer,
    /** src[keyStart, keyEnd) is the key; keyStart -1: a null key. */
    readonly keyStart: number,
    readonly keyEnd: number,
    /** src[valueStart, valueEnd) is the value; valueStart -1: a null value. */
    readonly valueStart: number,
    readonly valueEnd: number,
    readonly headers: RecordHeader[],
  ) {}

  get key(): Buffer | null {
    return this.keyStart < 0 ? null : this.src.subarray(this.keyStart, this.keyEnd);
  }

  get value(): Buffer | null {
    return this.valueStart < 0 ? null : this.src.subarray(this.valueStart, this.valueEnd);
  }

  /** Bytes of key and value (what the consumer's buffer bound counts). */
  get payloadSize(): number {
    return (this.keyStart < 0 ? 0 : this.keyEnd - this.keyStart) + (this.valueStart < 0 ? 0 : this.valueEnd - this.valueStart);
  }
}
