// The file-handle budget of partition logs, and segment.ms rolling under
// hostile timestamps (issue 21).
import * as fs from 'node:fs';
import { FileHandleCache, PartitionLog, RateLimitedLog, decodeRecordBatches } from '../../../core/log';
import { ManualClock, tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('handles');
afterEach(() => dirs.removeAll());

const DAY = 24 * 3600 * 1000;

test('50 logs share a budget of 4 descriptors: segments are opened on use, the least recently used closed, and everything reads back', () => {
  const handles = new FileHandleCache({ maxOpen: 4 });
  const before = fs.readdirSync('/proc/self/fd').length;
  const logs = Array.from({ length: 50 }, () => PartitionLog.open(dirs.make(), { 'segment.bytes': 200 }, { fileHandles: handles }));
  try {
    for (let round = 0; round < 3; round++) {
      logs.forEach((log, i) => log.appendRecords([{ key: null, value: Buffer.from(`${i}:${round}`.padEnd(120, '.')) }]));
    }
    expect(logs[0].segmentCount).toBeGreaterThan(1);
    expect(handles.openCount).toBeLessThanOrEqual(4);
    expect(fs.readdirSync('/proc/self/fd').length - before).toBeLessThanOrEqual(4);
    expect(handles.evictions).toBeGreaterThan(0);
    logs.forEach((log, i) => {
      const values: string[] = [];
      for (let offset = 0; offset < log.logEndOffset; offset++) {
        const batches = decodeRecordBatches(log.read(offset, 1 << 16));
        if (batches._tag === 'Left') throw new Error(batches.left.message);
        values.push(
          batches.right[0].records
            .find((r) => r.offset === offset)!
            .value!.toString()
            .replace(/\.+$/, ''),
        );
      }
      expect(values).toEqual([`${i}:0`, `${i}:1`, `${i}:2`]);
    });
  } finally {
    for (const log of logs) log.close();
  }
  expect(handles.openCount).toBe(0);
});

test('timestamps days apart: future ones roll no segment, past ones roll at most once per segment.ms of their time (Kafka: first batch vs incoming max timestamp)', () => {
  const clock = new ManualClock();
  const log = PartitionLog.open(dirs.make(), {}, { clock });
  try {
    // 100 produces, each 8 days further into the future than the last.
    for (let i = 0; i < 100; i++) log.appendRecords([{ key: null, value: Buffer.from('f'), timestamp: clock.now() + i * 8 * DAY }]);
    expect(log.segmentCount).toBe(1);
    // Alternating old and new timestamps (a week apart) roll once, not per request.
    const other = PartitionLog.open(dirs.make(), {}, { clock });
    try {
      for (let i = 0; i < 100; i++) other.appendRecords([{ key: null, value: Buffer.from('a'), timestamp: clock.now() - (i % 2 === 0 ? 30 * DAY : 0) }]);
      expect(other.segmentCount).toBeLessThanOrEqual(2);
    } finally {
      other.close();
    }
  } finally {
    log.close();
  }
});

test('RateLimitedLog logs a key once per interval and says how many it held back', () => {
  const lines: string[] = [];
  let now = 0;
  const log = new RateLimitedLog(
    (m) => lines.push(m),
    1000,
    () => now,
  );
  for (let i = 0; i < 500; i++) log.warn('emfile', 'out of descriptors');
  now = 1500;
  log.warn('emfile', 'out of descriptors');
  expect(lines).toEqual(['out of descriptors', 'out of descriptors (499 similar message(s) suppressed in the last 2 s)']);
});
