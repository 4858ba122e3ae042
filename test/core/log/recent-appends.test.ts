import fc from 'fast-check';
import { PartitionLog, batchHeader, encodeRecordBatch, writeInt64 } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('recent');
afterEach(() => dirs.removeAll());

const batchOf = (n: number, tag: number) =>
  encodeRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.alloc(10 + ((tag * 7 + i) % 40), tag % 256), timestamp: 1000 + tag })),
  });

/** A batch set as one append carries it: one or more batches back to back. */
const appendOf = (sizes: number[], tag: number) => Buffer.concat(sizes.map((n, j) => batchOf(n, tag * 10 + j)));

const sameMemory = (a: Buffer, b: Buffer) => a.buffer === b.buffer && a.byteOffset === b.byteOffset;

/** Batches as a follower receives them: offsets from `baseOffset` on. */
function copiedAt(bytes: Buffer, baseOffset: number): Buffer {
  for (let pos = 0, next = baseOffset; pos < bytes.length; ) {
    writeInt64(bytes, pos, next);
    next += bytes.readInt32BE(pos + batchHeader.LAST_OFFSET_DELTA) + 1;
    pos += batchHeader.batchSizeAt(bytes, pos);
  }
  return bytes;
}

type Step =
  | { kind: 'append'; sizes: number[] }
  | { kind: 'copy'; sizes: number[] }
  | { kind: 'hw'; ahead: number }
  | { kind: 'truncate'; back: number }
  | { kind: 'deleteRecords'; ahead: number }
  | { kind: 'startAt'; ahead: number }
  | { kind: 'read'; back: number; maxBytes: number; upToAhead: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('copy' as const), sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }) }),
  fc.record({ kind: fc.constant('hw' as const), ahead: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('deleteRecords' as const), ahead: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('startAt' as const), ahead: fc.integer({ min: 0, max: 3 }) }),
  fc.record({
    kind: fc.constant('read' as const),
    back: fc.integer({ min: 0, max: 12 }),
    maxBytes: fc.integer({ min: 1, max: 600 }),
    upToAhead: fc.integer({ min: 1, max: 10 }),
  }),
);

describe('PartitionLog recentAppendBytes', () => {
  it('reads exactly what the log without it reads, through appends, follower copies, high watermark moves, truncations, deleted records, restarts at a later offset and rolls', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.integer({ min: 200, max: 2000 }), (steps, cacheBytes) => {
        // Small segments, so rolls happen too.
        const config = { 'segment.bytes': 1500 };
        const plain = PartitionLog.open(dirs.make(), config, { replicated: true });
        const cached = PartitionLog.open(dirs.make(), config, { replicated: true, recentAppendBytes: cacheBytes });
        try {
          let tag = 0;
          for (const s of steps) {
            if (s.kind === 'append') {
              tag++;
              plain.append(appendOf(s.sizes, tag), { leaderEpoch: 1 });
              cached.append(appendOf(s.sizes, tag), { leaderEpoch: 1 });
            } else if (s.kind === 'copy') {
              // A follower's append, in a buffer the caller overwrites afterwards (as the RPC client does).
              tag++;
              plain.append(copiedAt(appendOf(s.sizes, tag), plain.logEndOffset), { assignOffsets: false });
              const received = copiedAt(appendOf(s.sizes, tag), cached.logEndOffset);
              cached.append(received, { assignOffsets: false });
              received.fill(0xee);
            } else if (s.kind === 'hw') {
              const to = Math.min(plain.logEndOffset, plain.highWatermark + s.ahead);
              plain.updateHighWatermark(to);
              cached.updateHighWatermark(to);
            } else if (s.kind === 'deleteRecords') {
              // DeleteRecords: the log start moves, at most to the high watermark.
              const to = Math.min(plain.highWatermark, plain.logStartOffset + s.ahead);
              plain.deleteRecordsBefore(to);
              cached.deleteRecordsBefore(to);
            } else if (s.kind === 'startAt') {
              // A follower behind its leader's log start: empty, starting again further on.
              const to = plain.logEndOffset + s.ahead;
              plain.truncateFullyAndStartAt(to);
              cached.truncateFullyAndStartAt(to);
            } else if (s.kind === 'truncate') {
              // A follower never truncates below its high watermark.
              const to = Math.max(plain.highWatermark, plain.logEndOffset - s.back);
              plain.truncateTo(to);
              cached.truncateTo(to);
            } else {
              const offset = Math.max(plain.logStartOffset, plain.logEndOffset - s.back);
              const upTo = Math.min(plain.logEndOffset, offset + s.upToAhead);
              expect(cached.read(offset, s.maxBytes, upTo).equals(plain.read(offset, s.maxBytes, upTo))).toBe(true);
            }
            expect(cached.logEndOffset).toBe(plain.logEndOffset);
          }
        } finally {
          plain.close();
          cached.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('never reads past a follower copy it does not hold', () => {
    const log = PartitionLog.open(dirs.make(), {}, { replicated: true, recentAppendBytes: 1 << 20 });
    try {
      const leader = appendOf([2], 1);
      log.append(leader, { leaderEpoch: 1 });
      const copy = copiedAt(appendOf([3], 2), log.logEndOffset);
      log.append(copy, { assignOffsets: false });
      log.append(appendOf([1], 3), { leaderEpoch: 2 });
      const all = log.read(0, 1 << 20, log.logEndOffset);
      expect(all.subarray(leader.length, leader.length + copy.length).equals(copy)).toBe(true);
    } finally {
      log.close();
    }
  });

  it('reads several appends as the appended buffers themselves (readChunks), and read() joins them into the same bytes', () => {
    const log = PartitionLog.open(dirs.make(), {}, { replicated: true, recentAppendBytes: 1 << 20 });
    try {
      const first = appendOf([2], 1);
      const second = appendOf([1, 3], 2);
      const third = appendOf([2], 3);
      for (const a of [first, second, third]) log.append(a, { leaderEpoch: 1 });
      const chunks = log.readChunks(0, 1 << 20, log.logEndOffset);
      expect(chunks).toHaveLength(3);
      chunks.forEach((c, i) => expect(sameMemory(c, [first, second, third][i])).toBe(true));
      expect(log.read(0, 1 << 20, log.logEndOffset).equals(Buffer.concat([first, second, third]))).toBe(true);
      // Starting inside an append and bounded by maxBytes: views of the buffers, still no copy.
      const fromSecond = log.readChunks(2, second.length + 1, log.logEndOffset);
      expect(fromSecond).toHaveLength(1);
      expect(sameMemory(fromSecond[0], second)).toBe(true);
      // Nothing to serve: no chunks.
      expect(log.readChunks(log.logEndOffset, 1 << 20, log.logEndOffset)).toEqual([]);
      log.updateHighWatermark(log.logEndOffset);
      // From disk once the high watermark passes them: one buffer with the same bytes.
      const stored = log.readChunks(0, 1 << 20, log.logEndOffset);
      expect(stored).toHaveLength(1);
      expect(stored[0].equals(Buffer.concat([first, second, third]))).toBe(true);
    } finally {
      log.close();
    }
  });

  it('answers a fetch of the latest append with the appended bytes themselves, and from disk once the high watermark passes them', () => {
    const log = PartitionLog.open(dirs.make(), {}, { replicated: true, recentAppendBytes: 1 << 20 });
    try {
      log.append(appendOf([3], 1), { leaderEpoch: 1 });
      const second = appendOf([2, 2], 2);
      const { baseOffset } = log.append(second, { leaderEpoch: 1 });
      const fresh = log.read(baseOffset, 1 << 20, log.logEndOffset);
      expect(sameMemory(fresh, second)).toBe(true); // no copy, no disk read
      expect(fresh.equals(second)).toBe(true);
      log.updateHighWatermark(log.logEndOffset);
      const again = log.read(baseOffset, 1 << 20, log.logEndOffset);
      expect(sameMemory(again, second)).toBe(false);
      expect(again.equals(second)).toBe(true);
    } finally {
      log.close();
    }
  });
});
