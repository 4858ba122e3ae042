// PartitionLog.closeAsync(): close() with its fsyncs on libuv's threads (a
// broker closing 10,000 logs at once). The same files end up durable and in
// place, and the clean-shutdown mark is written only after all of them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PartitionLog, type LogWarning, decodeRecordBatches } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('close-async');
afterEach(() => dirs.removeAll());

const CONFIG = { 'segment.bytes': 1000, 'index.interval.bytes': 64 };
const CLEAN_MARK = '.clean-shutdown';

function fill(dir: string, n: number): PartitionLog {
  const log = PartitionLog.open(dir, CONFIG, { replicated: true });
  for (let i = 0; i < n; i++) {
    // Epoch 3 from the start, epoch 4 from the middle on.
    if (i === 0 || i === Math.floor(n / 2)) log.leaderEpochs.assign(i === 0 ? 3 : 4, i);
    log.appendRecords([{ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`), timestamp: i }]);
  }
  return log;
}

/** Every record's value from the log start, read a segment at a time. */
function values(log: PartitionLog): string[] {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const d = decodeRecordBatches(log.read(offset, 1 << 20, log.logEndOffset));
    if (d._tag === 'Left') throw new Error(d.left.message);
    for (const r of d.right.flatMap((b) => b.records)) {
      if (r.offset < offset) continue;
      out.push(r.value!.toString());
      offset = r.offset + 1;
    }
  }
  return out;
}

function reopen(dir: string): { log: PartitionLog; warnings: LogWarning[] } {
  const warnings: LogWarning[] = [];
  const log = PartitionLog.open(dir, CONFIG, { replicated: true, onWarning: (w) => warnings.push(w) });
  return { log, warnings };
}

test('closed asynchronously, a log reopens as after close(): no recovery, every record, its epochs and log start', async () => {
  const dir = dirs.make();
  const log = fill(dir, 60);
  log.updateHighWatermark(60);
  log.deleteRecordsBefore(7);
  expect(log.segmentCount).toBeGreaterThan(1);
  const closing = log.closeAsync();
  // Closed from the call on: nothing is appended while its files are made durable.
  expect(() => log.appendRecords([{ key: null, value: Buffer.from('late') }])).toThrow();
  await closing;
  expect(fs.existsSync(path.join(dir, CLEAN_MARK))).toBe(true);
  expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  const { log: again, warnings } = reopen(dir);
  expect(warnings).toEqual([]);
  expect(again.logEndOffset).toBe(60);
  expect(again.recoveryPoint).toBe(60);
  expect(again.logStartOffset).toBe(7);
  expect(values(again)).toEqual(Array.from({ length: 53 }, (_, i) => `value-${i + 7}`));
  expect(again.leaderEpochs.latestEpoch).toBe(4);
  expect(again.leaderEpochs.endOffsetFor(3, 60)).toEqual({ epoch: 3, endOffset: 30 });
  await again.closeAsync();
});

test('a file that cannot be made durable fails the close, and no clean-shutdown mark says otherwise: the next open recovers', async () => {
  const dir = dirs.make();
  const log = fill(dir, 40);
  const closing = log.closeAsync();
  // Staged on the call (the open transactions as of the log end, which moved since the last roll wrote them),
  // fsynced after it: its temp file disappears in between.
  fs.rmSync(path.join(dir, 'transaction-state-checkpoint.tmp'));
  await expect(closing).rejects.toThrow(/ENOENT/);
  expect(fs.existsSync(path.join(dir, CLEAN_MARK))).toBe(false);
  const { log: again } = reopen(dir);
  // No mark: the segments past the recovery point were scanned again, and every record is there.
  expect(again.logEndOffset).toBe(40);
  expect(values(again)).toHaveLength(40);
  again.close();
});

test('an idle log closed again writes no checkpoint anew: only its mark (and the data and directory fsyncs)', async () => {
  const dir = dirs.make();
  const first = fill(dir, 10);
  first.close();
  const { log } = reopen(dir);
  const files = ['transaction-state-checkpoint', 'leader-epoch-checkpoint'];
  const before = files.map((f) => [f, fs.statSync(path.join(dir, f)).ino]);
  await log.closeAsync();
  // A file written again is a new inode (its temp file renamed over it); a log start of 0 needs no file at all.
  expect(files.map((f) => [f, fs.statSync(path.join(dir, f)).ino])).toEqual(before);
  expect(fs.existsSync(path.join(dir, 'log-start-offset-checkpoint'))).toBe(false);
  expect(fs.existsSync(path.join(dir, CLEAN_MARK))).toBe(true);
  const { log: again, warnings } = reopen(dir);
  expect(warnings).toEqual([]);
  expect(again.logStartOffset).toBe(0);
  expect(values(again)).toHaveLength(10);
  again.close();
});

test('many logs close side by side, each with its mark', async () => {
  const logDirs = Array.from({ length: 40 }, () => dirs.make());
  const logs = logDirs.map((d) => fill(d, 5));
  await Promise.all(logs.map((l) => l.closeAsync()));
  for (const d of logDirs) expect(fs.existsSync(path.join(d, CLEAN_MARK))).toBe(true);
  for (const d of logDirs) {
    const { log, warnings } = reopen(d);
    expect(warnings).toEqual([]);
    expect(values(log)).toHaveLength(5);
    log.close();
  }
});
