// closeLogsAsync(): many logs' closeAsync() a bounded number at a time. A log
// whose fsync fails (injected, disk-faults.ts) is a value in the answer, with
// its place; the logs after it still close with their marks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeLogsAsync, PartitionLog } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';
import { injectDiskFault } from './disk-faults';

const dirs = tempDirs('close-logs');
afterEach(() => dirs.removeAll());

const CLEAN_MARK = '.clean-shutdown';

function openLogs(n: number): PartitionLog[] {
  return Array.from({ length: n }, (_, i) => {
    const log = PartitionLog.open(dirs.make(), {});
    log.appendRecords([{ key: null, value: Buffer.from(`record ${i}`) }]);
    return log;
  });
}

test.each([1, 3, 64])('%i at a time: every log closed with its mark, one failure reported at its place', async (concurrency) => {
  const logs = openLogs(7);
  const disk = injectDiskFault(logs[4].dir);
  try {
    disk.fsyncErrno = 'EIO';
    const failures = await closeLogsAsync(logs, concurrency);
    expect(failures.map((f) => [f.index, f.log, f.error.message.startsWith('EIO')])).toEqual([[4, logs[4], true]]);
  } finally {
    disk.restore();
  }
  expect(logs.map((l) => fs.existsSync(path.join(l.dir, CLEAN_MARK)))).toEqual([true, true, true, true, false, true, true]);
  // The failed log was closed all the same (its next open recovers it): nothing is left open.
  for (const log of logs) expect(() => log.appendRecords([{ key: null, value: Buffer.from('late') }])).toThrow();
});

test('a concurrency below 1 is a bug of the caller: refused before any log is touched', async () => {
  const logs = openLogs(1);
  await expect(closeLogsAsync(logs, 0)).rejects.toThrow(RangeError);
  await expect(closeLogsAsync([], 0)).rejects.toThrow(/at least 1/);
  await closeLogsAsync(logs);
  expect(fs.existsSync(path.join(logs[0].dir, CLEAN_MARK))).toBe(true);
});
