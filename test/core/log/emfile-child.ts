// Run by emfile.test.ts under a low open-file limit (ulimit -n): 60 logs, then
// every other descriptor taken (as sockets would), then every log read back.
// Prints one JSON line with what happened.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileHandleCache, PartitionLog, decodeRecordBatches } from '../../../core/log';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-emfile-'));
const warnings: string[] = [];
const handles = new FileHandleCache({ maxOpen: 1000, onWarning: (m) => warnings.push(m) });
const logs = Array.from({ length: 60 }, (_, i) => {
  const log = PartitionLog.open(path.join(root, `p-${i}`), {}, { fileHandles: handles });
  log.appendRecords([{ key: null, value: Buffer.from(`v${i}`) }]);
  return log;
});
handles.maxOpen = 4;
// Take every descriptor left, as a flood of connections would.
const hogs: number[] = [];
let emfile = false;
for (;;) {
  try {
    hogs.push(fs.openSync('/dev/null', 'r'));
  } catch (e) {
    emfile = (e as NodeJS.ErrnoException).code === 'EMFILE';
    break;
  }
}
handles.maxOpen = 1000;
let readBack = 0;
for (const [i, log] of logs.entries()) {
  const batches = decodeRecordBatches(log.read(0, 1024));
  if (batches._tag === 'Right' && batches.right[0].records[0].value?.toString() === `v${i}`) readBack++;
}
const openAfter = handles.openCount;
for (const fd of hogs) fs.closeSync(fd);
for (const log of logs) log.close();
fs.rmSync(root, { recursive: true, force: true });
console.log(JSON.stringify({ emfile, hogs: hogs.length, readBack, openAfter, warnings }));
