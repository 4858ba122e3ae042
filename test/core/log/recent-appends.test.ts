import fc from 'fast-check';
import { PartitionLog, encodeRecordBatch } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('recent');
afterEach(() => dirs.removeAll());

const batchOf = (n: number, tag: number) => encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.alloc(10 + ((tag * 7 + i) % 40), tag % 256), timestamp: 1000 + tag })) });

/** A batch set as one append carries it: one or more batches back to back. */
const appendOf = (sizes: number[], tag: number) => Buffer.concat(sizes.map((n, j) => batchOf(n, tag * 10 + j)));

const sameMemory = (a: Buffer, b: Buffer) => a.buffer === b.buffer && a.byteOffset === b.byteOffset;

type Step =
  | { kind: 'append'; sizes: number[] }
  | { kind: 'hw'; ahead: number }
  | { kind: 'truncate'; back: number }
  | { kind: 'read'; back: number; maxBytes: number; upToAhead: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('append' as const), sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }) }),
  fc.record({ kind: fc.constant('hw' as const), ahead: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ kind: fc.constant('truncate' as const), back: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ kind: fc.constant('read' as const), back: fc.integer({ min: 0, max: 12 }), maxBytes: fc.integer({ min: 1, max: 600 }), upToAhead: fc.integer({ min: 1, max: 10 }) }),
);

describe('PartitionLog recentAppendBytes', () => {
  it('reads exactly what the log without it reads, through appends, high watermark moves, truncations and rolls', () => {
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
            } else if (s.kind === 'hw') {
              const to = Math.min(plain.logEndOffset, plain.highWatermark + s.ahead);
              plain.updateHighWatermark(to);
              cached.updateHighWatermark(to);
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
