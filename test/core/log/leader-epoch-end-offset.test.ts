// LeaderEpochCache.endOffsetFor, case by case against Kafka's
// LeaderEpochFileCache.endOffsetFor: the answer a leader gives to
// OffsetsForLeaderEpoch (replicas truncating, clients validating a position
// after a leader change) and the lookup a follower makes of its own epochs.
import * as path from 'node:path';
import { LeaderEpochCache } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('epoch-end');
afterEach(() => dirs.removeAll());

/** A cache holding these (epoch, start offset) entries, in memory only. */
function cacheOf(...entries: [number, number][]): LeaderEpochCache {
  const cache = new LeaderEpochCache(path.join(dirs.make(), 'leader-epoch-checkpoint'));
  // The lookup is what is tested, not the background file write: nothing is written.
  cache.abandon();
  for (const [epoch, start] of entries) cache.assign(epoch, start);
  return cache;
}

const LEO = 100;

describe('endOffsetFor, as Kafka answers OffsetsForLeaderEpoch', () => {
  // Epoch 3 covers [10, 40), epoch 5 [40, 70), epoch 8 [70, LEO).
  const known = (): LeaderEpochCache => cacheOf([3, 10], [5, 40], [8, 70]);

  test('the latest epoch ends at the log end offset', () => {
    expect(known().endOffsetFor(8, LEO)).toEqual({ epoch: 8, endOffset: LEO });
  });

  test('a known epoch ends where the next known epoch starts', () => {
    expect(known().endOffsetFor(3, LEO)).toEqual({ epoch: 3, endOffset: 40 });
    expect(known().endOffsetFor(5, LEO)).toEqual({ epoch: 5, endOffset: 70 });
  });

  test('an unknown epoch between two known ones: the largest known epoch below it, ending where the next starts', () => {
    expect(known().endOffsetFor(4, LEO)).toEqual({ epoch: 3, endOffset: 40 });
    expect(known().endOffsetFor(7, LEO)).toEqual({ epoch: 5, endOffset: 70 });
  });

  test('an epoch older than every known one: that epoch, ending where the first known epoch starts (not "no epoch")', () => {
    expect(known().endOffsetFor(2, LEO)).toEqual({ epoch: 2, endOffset: 10 });
    expect(known().endOffsetFor(0, LEO)).toEqual({ epoch: 0, endOffset: 10 });
  });

  test('an epoch older than the only known one, which is the latest', () => {
    expect(cacheOf([4, 25]).endOffsetFor(1, LEO)).toEqual({ epoch: 1, endOffset: 25 });
  });

  test('an epoch newer than every known one is undefined', () => {
    expect(known().endOffsetFor(9, LEO)).toEqual({ epoch: -1, endOffset: -1 });
  });

  test('the undefined epoch (-1) and an empty cache are undefined', () => {
    expect(known().endOffsetFor(-1, LEO)).toEqual({ epoch: -1, endOffset: -1 });
    expect(cacheOf().endOffsetFor(0, LEO)).toEqual({ epoch: -1, endOffset: -1 });
  });

  test('after the log start moved past the first epochs, an older epoch ends at the new first start', () => {
    const cache = known();
    cache.truncateFromStart(50);
    expect(cache.list()).toEqual([
      { epoch: 5, startOffset: 50 },
      { epoch: 8, startOffset: 70 },
    ]);
    expect(cache.endOffsetFor(3, LEO)).toEqual({ epoch: 3, endOffset: 50 });
    expect(cache.endOffsetFor(5, LEO)).toEqual({ epoch: 5, endOffset: 70 });
  });
});
