// The batches of a log's latest appends, kept in memory (the very Buffers that
// were appended) until the high watermark passes them. A leader's followers
// fetch exactly these, moments after the append: served from here, each fetch
// costs no disk read and no fresh buffer. Kafka gets the same from the page
// cache and sendfile; Node has neither, and a fresh buffer per fetch per
// follower made most of a replicating broker's garbage.
//
// Only the active segment's tail is held (the log clears it when it rolls or
// truncates), so a read answered here is exactly what the segment would return.
import { baseOffsetAt, batchSizeAt, lastOffsetAt } from './batch-header';

interface Appended {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** Whole batches, as written to the segment. */
  readonly bytes: Buffer;
}

export class RecentAppends {
  private entries: Appended[] = [];
  private held = 0;

  /** At most `maxBytes` are held: the oldest appends go first (they are still on disk). */
  constructor(private readonly maxBytes: number) {}

  add(bytes: Buffer, baseOffset: number, lastOffset: number): void {
    this.entries.push({ baseOffset, lastOffset, bytes });
    this.held += bytes.length;
    while (this.held > this.maxBytes && this.entries.length > 0) this.held -= this.entries.shift()!.bytes.length;
  }

  /** Forgets appends wholly below `offset` (the high watermark: every in-sync replica has them). */
  dropBelow(offset: number): void {
    while (this.entries.length > 0 && this.entries[0].lastOffset < offset) this.held -= this.entries.shift()!.bytes.length;
  }

  clear(): void {
    // A follower's every append clears: nothing to drop then, and no garbage made.
    if (this.entries.length === 0) return;
    this.entries = [];
    this.held = 0;
  }

  /**
   * As LogSegment.read: whole batches from the one holding `offset`, at most
   * `maxBytes` (the first batch whole in any case), none at or past `upTo`.
   * Undefined when `offset` is not held here. The batches come back as views of
   * the appended buffers, one per append they span, never copied.
   */
  read(offset: number, maxBytes: number, upTo: number): Buffer[] | undefined {
    let i = this.entries.length - 1;
    while (i >= 0 && this.entries[i].baseOffset > offset) i--;
    if (i < 0 || this.entries[i].lastOffset < offset) return undefined;
    const first = this.entries[i].bytes;
    let start = 0;
    while (lastOffsetAt(first, start) < offset) start += batchSizeAt(first, start);
    const limit = Math.max(maxBytes, batchSizeAt(first, start));
    const parts: Buffer[] = [];
    let total = 0;
    for (let at = start; i < this.entries.length; i++, at = 0) {
      const bytes = this.entries[i].bytes;
      let end = at;
      while (end < bytes.length && total + end - at + batchSizeAt(bytes, end) <= limit && baseOffsetAt(bytes, end) < upTo) end += batchSizeAt(bytes, end);
      if (end > at) parts.push(end - at === bytes.length ? bytes : bytes.subarray(at, end));
      total += end - at;
      if (end < bytes.length) break;
    }
    return parts;
  }
}
