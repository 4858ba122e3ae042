import * as fs from 'node:fs';
import fc from 'fast-check';
import { PartitionLog, LogCleaner, decodeRecordBatches, DecodedRecord } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('cleaner');
afterEach(() => dirs.removeAll());

function readAll(log: PartitionLog): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const bytes = log.read(offset, 64 * 1024);
    if (bytes.length === 0) break;
    const d = decodeRecordBatches(bytes);
    if (d._tag === 'Left') throw new Error(d.left.message);
    const fresh = d.right.flatMap((b) => b.records).filter((r) => r.offset >= offset);
    if (fresh.length === 0) {
      // A batch whose records were all compacted away past `offset`: skip to its end.
      offset = d.right[d.right.length - 1].lastOffset + 1;
      continue;
    }
    out.push(...fresh);
    offset = fresh[fresh.length - 1].offset + 1;
  }
  return out;
}

const COMPACT = { 'cleanup.policy': 'compact', 'segment.bytes': 400, 'min.cleanable.dirty.ratio': 0, 'delete.retention.ms': 1000 };

test('keeps the latest value per key, preserves offsets, and leaves the active segment alone', () => {
  const log = PartitionLog.open(dirs.make(), COMPACT);
  for (let i = 0; i < 60; i++) log.appendRecords([{ key: Buffer.from(`k${i % 5}`), value: Buffer.from(`v${i}`), timestamp: 0 }]);
  const sizeBefore = log.size;
  const result = new LogCleaner().clean(log, 0);
  expect(result.skipped).toBeUndefined();
  expect(result.recordsRemoved).toBeGreaterThan(0);
  expect(log.size).toBeLessThan(sizeBefore);
  const after = readAll(log);
  // Offsets strictly increase, each key's newest value is there, the end offset is unchanged.
  for (let i = 1; i < after.length; i++) expect(after[i].offset).toBeGreaterThan(after[i - 1].offset);
  const latest = new Map(after.map((r) => [r.key!.toString(), r.value!.toString()]));
  expect([...latest.entries()].sort()).toEqual([0, 1, 2, 3, 4].map((k) => [`k${k}`, `v${55 + k}`]).sort());
  expect(log.logEndOffset).toBe(60);
  for (const r of after) expect(r.value!.toString()).toBe(`v${r.offset}`);
  log.close();
});

test('tombstones are kept for delete.retention.ms, then dropped', () => {
  const log = PartitionLog.open(dirs.make(), COMPACT);
  log.appendRecords([{ key: Buffer.from('gone'), value: Buffer.from('x'), timestamp: 0 }]);
  log.appendRecords([{ key: Buffer.from('gone'), value: null, timestamp: 10 }]);
  for (let i = 0; i < 30; i++) log.appendRecords([{ key: Buffer.from(`k${i}`), value: Buffer.from('y'), timestamp: 10 }]);
  const cleaner = new LogCleaner();
  cleaner.clean(log, 500);
  const early = readAll(log).filter((r) => r.key!.toString() === 'gone');
  expect(early.map((r) => r.value)).toEqual([null]); // the tombstone shadows the value, and stays
  log.appendRecords([{ key: Buffer.from('k0'), value: Buffer.from('z'), timestamp: 2000 }]); // makes the log dirty again
  for (let i = 0; i < 10; i++) log.appendRecords([{ key: Buffer.from(`pad${i}`), value: Buffer.from('p'), timestamp: 2000 }]);
  const result = cleaner.clean(log, 5000);
  expect(result.tombstonesRemoved).toBe(1);
  expect(readAll(log).filter((r) => r.key!.toString() === 'gone')).toEqual([]);
  log.close();
});

test('honours min.cleanable.dirty.ratio and min.compaction.lag.ms', () => {
  const log = PartitionLog.open(dirs.make(), { ...COMPACT, 'min.cleanable.dirty.ratio': 0.99, 'min.compaction.lag.ms': 10_000 });
  for (let i = 0; i < 40; i++) log.appendRecords([{ key: Buffer.from(`k${i % 3}`), value: Buffer.from(`v${i}`), timestamp: 1000 }]);
  const cleaner = new LogCleaner();
  // Records are 1s old at t=2000: younger than the lag, nothing is cleanable.
  expect(cleaner.clean(log, 2000).skipped).toBe('nothing-dirty');
  log.updateConfig({ 'min.compaction.lag.ms': 0 });
  expect(cleaner.clean(log, 2000).skipped).toBeUndefined(); // all dirty: ratio 1
  for (let i = 0; i < 5; i++) log.appendRecords([{ key: Buffer.from('k0'), value: Buffer.from('more'), timestamp: 1000 }]);
  log.roll();
  // A little new dirt on a mostly clean log stays below 0.99.
  expect(cleaner.clean(log, 2000).skipped).toBe('below-dirty-ratio');
  log.close();
});

test('compaction survives a restart and goes on where it stopped', () => {
  const dir = dirs.make();
  let log = PartitionLog.open(dir, COMPACT);
  for (let i = 0; i < 50; i++) log.appendRecords([{ key: Buffer.from(`k${i % 4}`), value: Buffer.from(`v${i}`), timestamp: 0 }]);
  const first = new LogCleaner().clean(log, 0);
  log.close();
  log = PartitionLog.open(dir, COMPACT);
  const second = new LogCleaner().clean(log, 0);
  expect(second.firstDirtyOffset).toBeGreaterThanOrEqual(first.firstDirtyOffset);
  expect(second.recordsRemoved).toBe(0);
  expect(readAll(log).every((r) => r.value!.toString() === `v${r.offset}`)).toBe(true);
  log.close();
});

test('compact,delete applies both compaction and retention', () => {
  const log = PartitionLog.open(dirs.make(), { ...COMPACT, 'cleanup.policy': 'compact,delete', 'retention.ms': 100 });
  for (let i = 0; i < 40; i++) log.appendRecords([{ key: Buffer.from(`k${i % 3}`), value: Buffer.from(`v${i}`), timestamp: i < 20 ? 0 : 10_000 }]);
  expect(new LogCleaner().clean(log, 10_050).recordsRemoved).toBeGreaterThan(0);
  expect(log.deleteOldSegments(10_050)).toBeGreaterThan(0);
  expect(readAll(log).every((r) => r.offset >= 20 || r.offset >= log.logStartOffset)).toBe(true);
  log.close();
});

test('property: random keyed writes with tombstones, compaction, then exactly the latest value per key', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ key: fc.integer({ min: 0, max: 12 }), tombstone: fc.boolean(), batch: fc.integer({ min: 1, max: 4 }) }), {
        minLength: 1,
        maxLength: 120,
      }),
      fc.integer({ min: 200, max: 2000 }),
      fc.boolean(),
      (writes, segmentBytes, gzip) => {
        const dir = dirs.make();
        const log = PartitionLog.open(dir, { ...COMPACT, 'segment.bytes': segmentBytes, 'delete.retention.ms': 1_000_000 });
        const model = new Map<string, { offset: number; value: string | null }>();
        let n = 0;
        for (const w of writes) {
          const batch = Array.from({ length: w.batch }, (_, j) => ({
            key: Buffer.from(`key-${(w.key + j) % 13}`),
            value: w.tombstone && j === 0 ? null : Buffer.from(`value-${n + j}`),
            timestamp: 0,
          }));
          const { baseOffset } = log.appendRecords(batch, { compression: gzip ? 'gzip' : 'none' });
          batch.forEach((r, j) => model.set(r.key.toString(), { offset: baseOffset + j, value: r.value ? r.value.toString() : null }));
          n += w.batch;
        }
        new LogCleaner().clean(log, 0);
        const after = readAll(log);
        // Offsets strictly increasing: nothing reordered.
        for (let i = 1; i < after.length; i++) expect(after[i].offset).toBeGreaterThan(after[i - 1].offset);
        // Replaying the compacted log gives exactly the model: latest value (or tombstone) per key.
        const replay = new Map<string, { offset: number; value: string | null }>();
        for (const r of after) replay.set(r.key!.toString(), { offset: r.offset, value: r.value ? r.value.toString() : null });
        expect(replay).toEqual(model);
        // Every surviving record is one that was written at that offset.
        for (const r of after) if (r.value) expect(r.value.toString()).toBe(`value-${r.offset}`);
        log.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    ),
    { numRuns: 60, seed: 42 },
  );
});
