// A log's time lookups after a clean restart: the active segment's newest
// timestamp must survive the close, as Kafka's LogSegment.close() appends it to
// the time index. Before, a batch written after the last index entry was
// forgotten by the reopened segment: ListOffsets by a timestamp it holds
// answered "not found", MAX_TIMESTAMP named an older record, and once the
// segment rolled its time index kept the older maximum for good.
import { PartitionLog } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('timeidx');
afterEach(() => dirs.removeAll());

const rec = (i: number, timestamp: number) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`), timestamp });

/** A log whose first batch (1000) is the only one indexed: the next two (2000, 3000) come within the index interval. */
function written(dir: string): PartitionLog {
  const log = PartitionLog.open(dir, { 'segment.bytes': 1 << 20 });
  log.appendRecords([rec(0, 1000)]);
  log.appendRecords([rec(1, 2000)]);
  log.appendRecords([rec(2, 3000)]);
  return log;
}

test("a clean restart keeps the active segment's newest timestamp: lookups by time find the records after the last index entry", () => {
  const dir = dirs.make();
  const log = written(dir);
  expect(log.offsetForTimestamp(2500)).toEqual({ offset: 2, timestamp: 3000 });
  log.close();
  const reopened = PartitionLog.open(dir, { 'segment.bytes': 1 << 20 });
  expect(reopened.maxTimestamp).toBe(3000);
  expect(reopened.offsetForTimestamp(1500)).toEqual({ offset: 1, timestamp: 2000 });
  expect(reopened.offsetForTimestamp(2500)).toEqual({ offset: 2, timestamp: 3000 });
  expect(reopened.offsetForTimestamp(3001)).toBeUndefined();
  reopened.close();
});

test('rolled after a clean restart, the segment keeps its true newest timestamp', () => {
  const dir = dirs.make();
  written(dir).close();
  const reopened = PartitionLog.open(dir, { 'segment.bytes': 1 << 20 });
  reopened.roll();
  reopened.appendRecords([rec(3, 500)]);
  // The first segment (records at 1000, 2000, 3000) is the one holding 3000, not the new one.
  expect(reopened.offsetForTimestamp(2500)).toEqual({ offset: 2, timestamp: 3000 });
  expect(reopened.maxTimestamp).toBe(3000);
  reopened.close();
});
