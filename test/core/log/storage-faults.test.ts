// Damage on disk, one fault per test, with the damaged file itself: nothing is
// served silently wrong, nothing is deleted, the log never fails to open, and the
// repair (recoverPartitionLog) moves the damage aside.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PartitionLog, LogCleaner, LogError, LogWarning, decodeRecordBatches, recoverPartitionLog } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('storage-faults');
afterEach(() => dirs.removeAll());

const CONFIG = { 'segment.bytes': 1000, 'index.interval.bytes': 64 };
const name = (base: number, suffix = '.log') => String(base).padStart(20, '0') + suffix;

/** 50 one-record batches over several segments; closed cleanly unless `crash`. */
function fill(dir: string, crash = false): number[] {
  const log = PartitionLog.open(dir, CONFIG);
  for (let i = 0; i < 50; i++) log.appendRecords([{ key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`), timestamp: 1000 + i }]);
  const bases = log.segmentBaseOffsets;
  if (!crash) log.close();
  return bases;
}

function open(dir: string): { log: PartitionLog; warnings: LogWarning[] } {
  const warnings: LogWarning[] = [];
  const log = PartitionLog.open(dir, CONFIG, { onWarning: (w) => warnings.push(w) });
  return { log, warnings };
}

/** Every value from `from`, reading batch by batch as a consumer does. */
function values(log: PartitionLog, from = log.logStartOffset, to = log.logEndOffset): string[] {
  const out: string[] = [];
  let offset = from;
  while (offset < to) {
    const d = decodeRecordBatches(log.read(offset, 300));
    if (d._tag === 'Left') throw new Error(d.left.message);
    if (d.right.length === 0) throw new Error(`no progress at offset ${offset}`);
    for (const r of d.right.flatMap((b) => b.records)) if (r.offset >= offset) out.push(r.value!.toString()), (offset = r.offset + 1);
  }
  return out;
}

function storageError(f: () => unknown): LogError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LogError);
    expect((e as LogError).code).toBe(56);
    return e as LogError;
  }
  throw new Error('expected KAFKA_STORAGE_ERROR');
}

function xorByte(file: string, position: number, mask = 0x5a): void {
  const fd = fs.openSync(file, 'r+');
  const b = Buffer.alloc(1);
  fs.readSync(fd, b, 0, 1, position);
  b[0] ^= mask;
  fs.writeSync(fd, b, 0, 1, position);
  fs.closeSync(fd);
}

/** Position of the n-th batch (0-based) in a segment file. */
function batchPosition(file: string, n: number): number {
  const bytes = fs.readFileSync(file);
  let at = 0;
  for (let i = 0; i < n; i++) at += bytes.readInt32BE(at + 8) + 12;
  return at;
}

test('a flipped record byte in a closed segment (clean shutdown): the read fails the partition with KAFKA_STORAGE_ERROR, one line names file/position/range, the repair moves it aside', () => {
  const dir = dirs.make();
  const bases = fill(dir);
  const file = path.join(dir, name(bases[1]));
  const at = batchPosition(file, 2);
  xorByte(file, at + 70); // inside the third batch's record
  const { log, warnings } = open(dir);
  expect(warnings).toEqual([]); // a clean shutdown trusts flushed segments: found when served
  expect(values(log, 0, bases[1] + 2)).toHaveLength(bases[1] + 2); // what comes before is served
  const err = storageError(() => log.read(bases[1] + 2, 300));
  expect(err.message).toContain(`${file} at position ${at} (offsets ${bases[1] + 2} to ${bases[1] + 2})`);
  expect(warnings.map((w) => w.kind)).toEqual(['partition-failed']);
  expect(warnings[0].message).toMatch(/CRC32C/);
  expect(log.failure).toMatchObject({ file, position: at, firstOffset: bases[1] + 2 });
  // The whole partition answers 56 now (reads and appends), and keeps every byte.
  storageError(() => log.read(0, 300));
  storageError(() => log.appendRecords([{ key: Buffer.from('k'), value: Buffer.from('x') }]));
  expect(log.deleteOldSegments(Number.MAX_SAFE_INTEGER)).toBe(0);
  log.close();

  const repairs = recoverPartitionLog(dir, CONFIG);
  expect(repairs.map((w) => w.kind)).toEqual(['corruption-moved-aside']);
  expect(repairs[0].message).toContain(`${file} at position ${at} (offsets ${bases[1] + 2} to 49)`);
  const aside = fs.readdirSync(dir).filter((n) => n.endsWith('.corrupt'));
  expect(aside).toContain(`${name(bases[1] + 2, '')}-${name(49, '')}.corrupt`);
  const { log: repaired } = open(dir);
  expect(repaired.failure).toBeUndefined();
  expect(repaired.logEndOffset).toBe(bases[1] + 2);
  expect(values(repaired)).toEqual(Array.from({ length: bases[1] + 2 }, (_, i) => `value-${i}`));
  repaired.close();
});

test('a flipped byte in a base offset (outside the CRC) of a closed segment: verify() and the read both report it, no offsets are skipped silently', () => {
  const dir = dirs.make();
  const bases = fill(dir);
  const file = path.join(dir, name(bases[1]));
  const at = batchPosition(file, 1);
  xorByte(file, at + 7, 0x32); // low byte of the second batch's base offset: +50
  const { log } = open(dir);
  const problems = log.verify();
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatchObject({ file, position: at });
  expect(problems[0].error.message).toMatch(/base offset .* where .* belongs/);
  expect(log.failure?.message).toContain(file);
  log.close();

  // The same flip met by a consumer, without verify().
  const { log: again, warnings } = open(dir);
  expect(() => values(again, 0)).toThrow(/base offset/);
  expect(warnings.map((w) => w.kind)).toEqual(['partition-failed']);
  expect(warnings[0].message).toContain(`${file} at position ${at}`);
  again.close();
});

test('the base-offset flip after an unclean stop: recovery cuts there and names the file', () => {
  const dir = dirs.make();
  const bases = fill(dir, true);
  const last = bases[bases.length - 1];
  const file = path.join(dir, name(last));
  xorByte(file, 7, 0x32); // the first batch's base offset; another batch follows it
  const { log, warnings } = open(dir);
  expect(warnings.map((w) => w.kind)).toEqual(['corruption-moved-aside']);
  expect(warnings[0].message).toContain(`${file} at position 0 (offsets ${last} to 49)`);
  expect(warnings[0].message).toMatch(/base offset/);
  expect(log.logEndOffset).toBe(last);
  expect(values(log)).toEqual(Array.from({ length: last }, (_, i) => `value-${i}`));
  log.close();
});

test('a deleted middle segment: the log opens failed (gap named), nothing skips 500 offsets silently; the repair accepts the gap', () => {
  const dir = dirs.make();
  const bases = fill(dir);
  for (const suffix of ['.log', '.index', '.timeindex']) fs.rmSync(path.join(dir, name(bases[2], suffix)), { force: true });
  const { log, warnings } = open(dir);
  expect(warnings.map((w) => w.kind)).toEqual(['partition-failed']);
  expect(warnings[0].message).toContain(`offsets ${bases[2]} to ${bases[3] - 1} are missing`);
  expect(log.failure).toMatchObject({ file: path.join(dir, name(bases[3])), firstOffset: bases[2], lastOffset: bases[3] - 1 });
  storageError(() => log.read(0, 300));
  // Offsets for Metadata and ListOffsets are still there.
  expect(log.logEndOffset).toBe(50);
  log.close();

  expect(recoverPartitionLog(dir, CONFIG).map((w) => w.kind)).toEqual(['gap-accepted']);
  const { log: repaired } = open(dir);
  expect(repaired.failure).toBeUndefined();
  expect(values(repaired)).toHaveLength(50 - (bases[3] - bases[2]));
  repaired.close();
});

test('garbage checkpoints are ignored with a warning and recovery runs in full', () => {
  const dir = dirs.make();
  fill(dir);
  for (const f of ['recovery-point-offset-checkpoint', 'log-start-offset-checkpoint', 'leader-epoch-checkpoint']) {
    fs.writeFileSync(path.join(dir, f), '\u0000\u00ffgarbage\n-12\nzz');
  }
  const { log, warnings } = open(dir);
  const ignored = warnings
    .filter((w) => w.kind === 'checkpoint-ignored')
    .map((w) => path.basename(w.file))
    .sort();
  expect(ignored).toEqual(['leader-epoch-checkpoint', 'log-start-offset-checkpoint', 'recovery-point-offset-checkpoint']);
  expect(log.failure).toBeUndefined();
  expect(log.logEndOffset).toBe(50);
  expect(values(log)).toHaveLength(50);
  log.close();
  // Written again on close: the next open is quiet.
  const { log: again, warnings: quiet } = open(dir);
  expect(quiet).toEqual([]);
  again.close();
});

test('a truncated index is rebuilt from the segment and every offset is found', () => {
  const dir = dirs.make();
  const bases = fill(dir);
  const index = path.join(dir, name(bases[1], '.index'));
  fs.truncateSync(index, 5); // not even one entry
  const { log, warnings } = open(dir);
  expect(warnings.map((w) => w.kind)).toEqual(['index-rebuilt']);
  expect(warnings[0].file).toBe(path.join(dir, name(bases[1])));
  expect(log.failure).toBeUndefined();
  expect(values(log)).toEqual(Array.from({ length: 50 }, (_, i) => `value-${i}`));
  log.close();
});

test('a compacted log switched to cleanup.policy=delete keeps its gaps without being taken for damage', () => {
  const dir = dirs.make();
  const compact = { 'cleanup.policy': 'compact', 'segment.bytes': 400, 'min.cleanable.dirty.ratio': 0 };
  const log = PartitionLog.open(dir, compact);
  for (let i = 0; i < 40; i++) log.appendRecords([{ key: Buffer.from(`k${i % 4}`), value: Buffer.from(`v${i}`), timestamp: 0 }]);
  expect(new LogCleaner().clean(log, 0).recordsRemoved).toBeGreaterThan(0);
  log.close();
  const { log: reopened, warnings } = (() => {
    const w: LogWarning[] = [];
    return { log: PartitionLog.open(dir, { 'cleanup.policy': 'delete', 'segment.bytes': 400 }, { onWarning: (x) => w.push(x) }), warnings: w };
  })();
  expect(reopened.verify()).toEqual([]);
  expect(warnings).toEqual([]);
  const got = values(reopened);
  expect(got).toContain('v39');
  expect(got.length).toBeLessThan(40);
  expect(reopened.failure).toBeUndefined();
  reopened.close();
});
