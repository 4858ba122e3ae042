// A close that failed part-way is not reported as a success by a later close: the log has no clean mark.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PartitionLog } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';
import { injectDiskFault } from './disk-faults';

const dirs = tempDirs('close-retry');
afterEach(() => dirs.removeAll());

test('closeAsync fails on EIO; a second close, once the disk is back, reports that failure again', async () => {
  const log = PartitionLog.open(dirs.make(), {});
  log.appendRecords([{ key: null, value: Buffer.from('x') }]);
  const disk = injectDiskFault(log.dir);
  disk.fsyncErrno = 'EIO';
  await expect(log.closeAsync()).rejects.toThrow(/EIO/);
  disk.restore();
  await expect(log.closeAsync()).rejects.toThrow(/earlier close failed.*EIO.*recovered at the next open/);
  expect(() => log.close()).toThrow(/earlier close failed/);
  expect(fs.existsSync(path.join(log.dir, '.clean-shutdown'))).toBe(false);
});
