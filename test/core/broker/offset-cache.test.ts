// OffsetCache, the in-memory committed offsets that both the single node's
// OffsetStore and a cluster broker's replicated offsets partitions keep: built
// from `__consumer_offsets` records (latest per key, tombstones delete), loaded
// from a log up to a chosen offset (a cluster leader reads to its log end).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BrokerError, encodeOffsetKey, ErrorCode, OffsetCache, offsetCommitRecords } from '../../../core/broker';
import { PartitionLog } from '../../../core/log';

describe('OffsetCache', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-offset-cache-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads the latest offset per key, and the whole log when asked to read to its end', () => {
    const log = PartitionLog.open(path.join(dir, '__consumer_offsets-0'), { 'cleanup.policy': 'compact' }, { replicated: true });
    try {
      log.appendRecords(
        offsetCommitRecords(
          'g',
          [
            { topic: 't', partition: 0, offset: 5 },
            { topic: 't', partition: 1, offset: 7, metadata: 'm' },
          ],
          1000,
        ).records,
      );
      log.appendRecords(offsetCommitRecords('g', [{ topic: 't', partition: 0, offset: 9 }], 2000).records);
      log.updateHighWatermark(log.logEndOffset);
      // Past the high watermark: a tombstone for t-1 and another group's commit.
      log.appendRecords([{ key: encodeOffsetKey({ group: 'g', topic: 't', partition: 1 }), value: null }]);
      log.appendRecords(offsetCommitRecords('h', [{ topic: 't', partition: 0, offset: 1 }], 3000).records);

      const committed = new OffsetCache();
      committed.load(log);
      expect(committed.fetch('g').map((o) => [o.partition, o.offset, o.metadata])).toEqual([
        [0, 9, ''],
        [1, 7, 'm'],
      ]);
      expect(committed.groupIds()).toEqual(['g']);

      const all = new OffsetCache();
      all.load(log, log.logEndOffset);
      expect(
        all
          .fetch('g', [
            { topic: 't', partition: 0 },
            { topic: 't', partition: 1 },
          ])
          .map((o) => o.offset),
      ).toEqual([9, -1]);
      expect(all.fetch('h')[0]).toMatchObject({ topic: 't', partition: 0, offset: 1, commitTimestamp: 3000 });
    } finally {
      log.close();
    }
  });

  it('refuses metadata over offset.metadata.max.bytes', () => {
    expect(() => offsetCommitRecords('g', [{ topic: 't', partition: 0, offset: 1, metadata: 'x'.repeat(4097) }], 0)).toThrow(BrokerError);
    try {
      offsetCommitRecords('g', [{ topic: 't', partition: 0, offset: 1, metadata: 'x'.repeat(4097) }], 0);
    } catch (e) {
      expect((e as BrokerError).code).toBe(ErrorCode.OFFSET_METADATA_TOO_LARGE);
    }
  });
});
