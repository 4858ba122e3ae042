// Recovery after a crash: torn tails, flipped bytes, lost indexes, interrupted
// compaction. A crash is simulated by dropping a log without close().
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PartitionLog, LogWarning, decodeRecordBatches } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('recovery');
afterEach(() => dirs.removeAll());

const CONFIG = { 'segment.bytes': 1000, 'index.interval.bytes': 64 };
const seg = (dir: string, base: number, suffix = '.log') => path.join(dir, String(base).padStart(20, '0') + suffix);

function fill(dir: string, n: number, close = true): PartitionLog {
  const log = PartitionLog.open(dir, CONFIG);
  for (let i = 0; i < n; i++) log.appendRecords([{ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`), timestamp: i }]);
  if (close) log.close();
  return log;
}

function values(log: PartitionLog): string[] {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const d = decodeRecordBatches(log.read(offset, 10_000));
    if (d._tag === 'Left') throw new Error(d.left.message);
    for (const r of d.right.flatMap((b) => b.records)) if (r.offset >= offset) out.push(r.value!.toString()), (offset = r.offset + 1);
  }
  return out;
}

function flipByte(file: string, position: number): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, position);
  b[0] ^= 0x5a;
  fs.writeSync(fd, b, 0, 1, position);
  fs.closeSync(fd);
}

/** Opens, collecting the repair warnings. */
function reopen(dir: string, options: { recoverCorruption?: boolean } = {}): { log: PartitionLog; warnings: LogWarning[] } {
  const warnings: LogWarning[] = [];
  const log = PartitionLog.open(dir, CONFIG, { ...options, onWarning: (w) => warnings.push(w) });
  return { log, warnings };
}

test('a clean shutdown reopens without repairs and keeps every record', () => {
  const dir = dirs.make();
  fill(dir, 50);
  const { log, warnings } = reopen(dir);
  expect(warnings).toEqual([]);
  expect(log.logEndOffset).toBe(50);
  expect(log.recoveryPoint).toBe(50);
  expect(values(log)).toHaveLength(50);
  log.close();
});

test('a torn tail (file cut mid-batch) is truncated at the last whole batch', () => {
  const dir = dirs.make();
  const crashed = fill(dir, 50, false);
  const last = seg(dir, crashed.segmentBaseOffsets[crashed.segmentCount - 1]);
  fs.truncateSync(last, fs.statSync(last).size - 7);
  const { log, warnings } = reopen(dir);
  expect(warnings.map((w) => w.kind)).toEqual(['torn-tail-truncated']);
  expect(warnings[0].file).toBe(last);
  expect(log.logEndOffset).toBe(49);
  expect(values(log)).toEqual(Array.from({ length: 49 }, (_, i) => `value-${i}`));
  // The log goes on from there.
  expect(log.appendRecords([{ key: Buffer.from('k'), value: Buffer.from('after') }]).baseOffset).toBe(49);
  log.close();
});

test('a torn tail after a clean shutdown marker is still found (file does not end on a batch)', () => {
  const dir = dirs.make();
  fill(dir, 10);
  const last = seg(dir, 0);
  fs.appendFileSync(last, Buffer.from([0, 0, 0]));
  const { log } = reopen(dir);
  expect(log.logEndOffset).toBe(10);
  expect(log.appendRecords([{ key: Buffer.from('k'), value: Buffer.from('next') }]).baseOffset).toBe(10);
  expect(values(log).at(-1)).toBe('next');
  log.close();
});

test('a flipped byte inside unflushed data: recovery cuts there and moves the tail aside into a file named for its offsets', () => {
  const dir = dirs.make();
  const crashed = fill(dir, 50, false);
  const base = crashed.segmentBaseOffsets[crashed.segmentCount - 1];
  const file = seg(dir, base);
  const sizeBefore = fs.statSync(file).size;
  flipByte(file, 70); // inside the first batch of the active segment, with more batches after it
  const { log, warnings } = reopen(dir);
  expect(warnings.map((w) => w.kind)).toEqual(['corruption-moved-aside']);
  // One line naming the file, the position and the offset range.
  expect(warnings[0].message).toContain(`${file} at position 0 (offsets ${base} to 49)`);
  expect(log.failure).toBeUndefined();
  expect(log.logEndOffset).toBe(base);
  const aside = path.join(dir, `${String(base).padStart(20, '0')}-${String(49).padStart(20, '0')}.corrupt`);
  expect(fs.statSync(aside).size).toBe(sizeBefore);
  expect(log.appendRecords([{ key: Buffer.from('k'), value: Buffer.from('after') }]).baseOffset).toBe(base);
  log.close();
});

test('a flipped byte in a flushed closed segment is found by verify(), which names file and position', () => {
  const dir = dirs.make();
  const log0 = fill(dir, 50, false);
  const second = log0.segmentBaseOffsets[1];
  log0.close();
  const file = seg(dir, second);
  // Find the third batch's position in that segment and damage its payload.
  const bytes = fs.readFileSync(file);
  const firstSize = bytes.readInt32BE(8) + 12;
  const secondSize = bytes.readInt32BE(firstSize + 8) + 12;
  flipByte(file, firstSize + secondSize + 65);
  const { log } = reopen(dir);
  const problems = log.verify();
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatchObject({ file, position: firstSize + secondSize });
  expect(problems[0].error.kind).toBe('crc-mismatch');
  log.close();
});

test('only segments after the recovery point are rescanned', () => {
  const dir = dirs.make();
  const crashed = fill(dir, 50, false);
  const bases = crashed.segmentBaseOffsets;
  expect(crashed.recoveryPoint).toBe(bases[bases.length - 1]); // checkpointed at the last roll
  // Damage in an old segment below the recovery point goes unnoticed by recovery…
  flipByte(seg(dir, bases[0]), 70);
  const { log, warnings } = reopen(dir);
  expect(warnings).toEqual([]);
  expect(log.logEndOffset).toBe(50);
  // …but not by a full verification.
  expect(log.verify().map((p) => p.file)).toEqual([seg(dir, bases[0])]);
  log.close();
});

test('a missing or damaged index is rebuilt from the segment', () => {
  const dir = dirs.make();
  const log0 = fill(dir, 60);
  void log0;
  fs.rmSync(seg(dir, 0, '.index'));
  fs.writeFileSync(seg(dir, 0, '.timeindex'), Buffer.from('not an index at all'));
  const { log, warnings } = reopen(dir);
  expect(warnings.map((w) => w.kind)).toContain('index-rebuilt');
  expect(values(log)).toHaveLength(60);
  expect(log.offsetForTimestamp(5)?.offset).toBe(5);
  log.close();
});

test('interrupted compaction: a .cleaned leftover is dropped, a .swap is completed', () => {
  const dir = dirs.make();
  fill(dir, 40);
  fs.writeFileSync(seg(dir, 0, '.log.cleaned'), Buffer.from('half-written'));
  const { log, warnings } = reopen(dir);
  expect(warnings.map((w) => w.kind)).toEqual(['leftover-removed']);
  expect(fs.existsSync(seg(dir, 0, '.log.cleaned'))).toBe(false);
  expect(values(log)).toHaveLength(40);
  log.close();
  // A complete .swap replaces the segment of the same base offset.
  for (const ext of ['.log', '.index', '.timeindex']) fs.copyFileSync(seg(dir, 0, ext), seg(dir, 0, ext + '.swap'));
  fs.writeFileSync(seg(dir, 0), Buffer.from('stale bytes the swap replaces'));
  const again = reopen(dir).log;
  expect(values(again)).toHaveLength(40);
  again.close();
});
