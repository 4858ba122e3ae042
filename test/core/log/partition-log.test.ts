import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import {
  PartitionLog,
  decodeRecordBatches,
  encodeRecordBatch,
  OffsetOutOfRangeError,
  CorruptRecordError,
  RecordTooLargeError,
  InvalidRecordError,
  ConfigError,
  parseLogConfig,
  checkBatch,
  DecodedRecord,
} from '../../../core/log';
import { tempDirs, ManualClock } from '../../support/tmp-dir';

const dirs = tempDirs('plog');
afterEach(() => dirs.removeAll());

const rec = (i: number, timestamp = 1000 + i) => ({
  key: Buffer.from(`k${i}`),
  value: Buffer.from(`value-${i}`),
  timestamp,
});

function records(buf: Buffer): DecodedRecord[] {
  const d = decodeRecordBatches(buf);
  if (d._tag === 'Left') throw new Error(d.left.message);
  return d.right.flatMap((b) => b.records);
}

/** Every record from `from` to the end, following reads as a consumer would. */
function readAll(log: PartitionLog, from = log.logStartOffset): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  let offset = from;
  while (offset < log.highWatermark) {
    const batch = records(log.read(offset, 1000));
    const fresh = batch.filter((r) => r.offset >= offset);
    if (fresh.length === 0) throw new Error(`no progress at ${offset}`);
    out.push(...fresh);
    offset = fresh[fresh.length - 1].offset + 1;
  }
  return out;
}

describe('append and read', () => {
  test('assigns consecutive offsets and reads back whole stored batches', () => {
    const log = PartitionLog.open(dirs.make());
    const a = log.appendRecords([rec(0), rec(1), rec(2)]);
    const b = log.appendRecords([rec(3)]);
    expect(a).toMatchObject({ baseOffset: 0, lastOffset: 2, recordCount: 3, logAppendTime: -1 });
    expect(b).toMatchObject({ baseOffset: 3, lastOffset: 3 });
    expect(log.logEndOffset).toBe(4);
    expect(log.highWatermark).toBe(4);
    // Offset 1 lives in the first batch: the whole batch comes back, starting at 0.
    const got = records(log.read(1, 1_000_000));
    expect(got.map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    expect(got[1].value!.toString()).toBe('value-1');
    log.close();
  });

  test('one append may carry several batches, each offset-assigned', () => {
    const log = PartitionLog.open(dirs.make());
    log.appendRecords([rec(0)]);
    const two = Buffer.concat([encodeRecordBatch({ records: [rec(1), rec(2)] }), encodeRecordBatch({ records: [rec(3)] })]);
    expect(log.append(two)).toMatchObject({ baseOffset: 1, lastOffset: 3, recordCount: 3 });
    expect(readAll(log).map((r) => r.value!.toString())).toEqual(['value-0', 'value-1', 'value-2', 'value-3']);
    log.close();
  });

  test('maxBytes bounds the read to whole batches but always returns at least one', () => {
    const log = PartitionLog.open(dirs.make());
    for (let i = 0; i < 10; i++) log.appendRecords([rec(i)]);
    const one = log.read(0, 1);
    expect(records(one).map((r) => r.offset)).toEqual([0]);
    const size = one.length;
    expect(records(log.read(0, size * 3 + size / 2)).map((r) => r.offset)).toEqual([0, 1, 2]);
    log.close();
  });

  test('reading at the end gives nothing; below the start or past the end is out of range', () => {
    const log = PartitionLog.open(dirs.make());
    log.appendRecords([rec(0)]);
    expect(log.read(1, 100).length).toBe(0);
    expect(() => log.read(2, 100)).toThrow(OffsetOutOfRangeError);
    log.deleteRecordsBefore(1);
    const err = (() => {
      try {
        log.read(0, 100);
      } catch (e) {
        return e as OffsetOutOfRangeError;
      }
    })();
    expect(err).toBeInstanceOf(OffsetOutOfRangeError);
    expect(err!.code).toBe(1);
    expect(err!.message).toMatch(/holds offsets 1 to 1/);
    log.close();
  });

  test('refuses corrupt, oversized and empty input with Kafka error codes, and keeps serving', () => {
    const log = PartitionLog.open(dirs.make(), { 'max.message.bytes': 200 });
    const good = encodeRecordBatch({ records: [rec(0)] });
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1] ^= 0xff;
    expect(() => log.append(flipped)).toThrow(CorruptRecordError);
    expect(() => log.append(good.subarray(0, 30))).toThrow(CorruptRecordError);
    const big = encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(500) }] });
    expect(() => log.append(big)).toThrow(RecordTooLargeError);
    expect(() => log.append(Buffer.alloc(0))).toThrow(InvalidRecordError);
    expect(log.logEndOffset).toBe(0);
    expect(log.append(good).baseOffset).toBe(0);
    log.close();
  });

  test('a compacted log refuses records without a key', () => {
    const log = PartitionLog.open(dirs.make(), { 'cleanup.policy': 'compact' });
    expect(() => log.appendRecords([{ key: null, value: Buffer.from('x') }])).toThrow(/without a key/);
    log.close();
  });

  test('LogAppendTime stamps the broker time and keeps the CRC valid', () => {
    const clock = new ManualClock(5_000_000);
    const log = PartitionLog.open(dirs.make(), { 'message.timestamp.type': 'LogAppendTime' }, { clock });
    expect(log.appendRecords([rec(0, 1), rec(1, 2)]).logAppendTime).toBe(5_000_000);
    const bytes = log.read(0, 1000);
    expect(checkBatch(bytes, 0)._tag).toBe('Right');
    const d = decodeRecordBatches(bytes);
    if (d._tag === 'Left') throw new Error(d.left.message);
    expect(d.right[0].timestampType).toBe('logAppend');
    expect(d.right[0].maxTimestamp).toBe(5_000_000);
    log.close();
  });

  test("under LogAppendTime a follower's copy keeps the time its leader stamped, byte for byte", () => {
    const leader = PartitionLog.open(dirs.make(), { 'message.timestamp.type': 'LogAppendTime' }, { clock: new ManualClock(5_000_000) });
    const follower = PartitionLog.open(dirs.make(), { 'message.timestamp.type': 'LogAppendTime' }, { clock: new ManualClock(9_000_000) });
    leader.appendRecords([rec(0, 1), rec(1, 2)]);
    const stamped = leader.read(0, 1000);
    const copy = Buffer.from(stamped);
    expect(follower.append(copy, { assignOffsets: false }).logAppendTime).toBe(-1);
    expect(copy.equals(stamped)).toBe(true);
    expect(follower.read(0, 1000, follower.logEndOffset).equals(stamped)).toBe(true);
    expect(follower.maxTimestamp).toBe(5_000_000);
    leader.close();
    follower.close();
  });

  test('a follower append keeps the leader offsets and refuses to go backwards', () => {
    const log = PartitionLog.open(dirs.make());
    const batch = encodeRecordBatch({ records: [rec(0), rec(1)], baseOffset: 10 });
    // Gaps are legal (compacted leaders), going below the end is not.
    expect(log.append(batch, { assignOffsets: false })).toMatchObject({ baseOffset: 10, lastOffset: 11 });
    expect(log.logEndOffset).toBe(12);
    expect(() => log.append(encodeRecordBatch({ records: [rec(2)], baseOffset: 5 }), { assignOffsets: false })).toThrow(/below the log end offset/);
    log.close();
  });

  test("a follower append records its leader's epochs from the batches, each where it starts, and nothing of a copy it refuses", () => {
    const log = PartitionLog.open(dirs.make(), {}, { replicated: true });
    const run = Buffer.concat([
      encodeRecordBatch({ records: [rec(0), rec(1)], baseOffset: 0, partitionLeaderEpoch: 3 }),
      encodeRecordBatch({ records: [rec(2)], baseOffset: 2, partitionLeaderEpoch: 3 }),
      encodeRecordBatch({ records: [rec(3)], baseOffset: 3, partitionLeaderEpoch: 5 }),
    ]);
    log.append(run, { assignOffsets: false });
    const epochs = [
      { epoch: 3, startOffset: 0 },
      { epoch: 5, startOffset: 3 },
    ];
    expect(log.leaderEpochs.list()).toEqual(epochs);
    // A byte flipped on the way fails the CRC: nothing is stored, no epoch recorded.
    const damaged = encodeRecordBatch({ records: [rec(4)], baseOffset: 4, partitionLeaderEpoch: 7 });
    damaged[damaged.length - 1] ^= 0xff;
    expect(() => log.append(damaged, { assignOffsets: false })).toThrow(/CRC/);
    expect(log.leaderEpochs.list()).toEqual(epochs);
    expect(log.logEndOffset).toBe(4);
    log.close();
  });
});

describe('segments and indexes', () => {
  test('rolls on segment.bytes, names files by 20-digit base offset, and reads across segments', () => {
    const dir = dirs.make();
    const log = PartitionLog.open(dir, { 'segment.bytes': 1000, 'index.interval.bytes': 100 });
    for (let i = 0; i < 100; i++) log.appendRecords([rec(i)]);
    expect(log.segmentCount).toBeGreaterThan(5);
    const files = fs.readdirSync(dir);
    for (const base of log.segmentBaseOffsets) {
      const stem = String(base).padStart(20, '0');
      expect(files).toEqual(expect.arrayContaining([`${stem}.log`, `${stem}.index`, `${stem}.timeindex`]));
    }
    expect(readAll(log).map((r) => r.offset)).toEqual([...Array(100).keys()]);
    log.close();
  });

  test('rolls on segment.ms, counted from the first batch timestamp', () => {
    const log = PartitionLog.open(dirs.make(), { 'segment.ms': 1000 });
    log.appendRecords([rec(0, 10_000)]);
    log.appendRecords([rec(1, 10_999)]);
    expect(log.segmentCount).toBe(1);
    log.appendRecords([rec(2, 11_000)]);
    expect(log.segmentBaseOffsets).toEqual([0, 2]);
    log.close();
  });

  test('every offset reads back from its own batch, whatever the index interval (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 300, max: 3000 }),
        (batchSizes, interval, segmentBytes) => {
          const dir = dirs.make();
          const log = PartitionLog.open(dir, { 'index.interval.bytes': interval, 'segment.bytes': segmentBytes });
          let n = 0;
          for (const size of batchSizes) log.appendRecords(Array.from({ length: size }, () => rec(n++)));
          for (let offset = 0; offset < n; offset++) {
            const first = records(log.read(offset, 1));
            const hit = first.find((r) => r.offset === offset);
            expect(hit?.value?.toString()).toBe(`value-${offset}`);
            expect(first[0].offset).toBeLessThanOrEqual(offset);
          }
          log.close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      ),
      { numRuns: 40, seed: 7 },
    );
  });

  test('offsetForTimestamp finds the first record at or after a time, with timestamps out of order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 120 }), fc.integer({ min: -10, max: 10_010 }), (stamps, target) => {
        const dir = dirs.make();
        const log = PartitionLog.open(dir, { 'segment.bytes': 600, 'index.interval.bytes': 50 });
        stamps.forEach((ts, i) => log.appendRecords([rec(i, ts)]));
        const expected = stamps.findIndex((ts) => ts >= target);
        const found = log.offsetForTimestamp(target);
        if (expected < 0) expect(found).toBeUndefined();
        else expect(found).toEqual({ offset: expected, timestamp: stamps[expected] });
        log.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }),
      { numRuns: 60, seed: 11 },
    );
  });
});

describe('retention', () => {
  test('retention.ms deletes whole closed segments by their newest record, never the active one', () => {
    const clock = new ManualClock(100_000);
    const log = PartitionLog.open(dirs.make(), { 'segment.bytes': 300, 'retention.ms': 10_000 }, { clock });
    for (let i = 0; i < 30; i++) log.appendRecords([rec(i, 50_000 + i * 1000)]);
    const before = log.segmentBaseOffsets;
    // Now 100s; records up to 90s are older than 10s.
    const deleted = log.deleteOldSegments();
    expect(deleted).toBeGreaterThan(0);
    expect(log.segmentBaseOffsets).toEqual(before.slice(deleted));
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets[0]);
    // Everything old: all but the active segment go.
    clock.advance(1_000_000);
    log.deleteOldSegments();
    expect(log.segmentCount).toBe(1);
    expect(log.logEndOffset).toBe(30);
    expect(() => log.read(0, 100)).toThrow(OffsetOutOfRangeError);
    expect(readAll(log).length).toBe(30 - log.logStartOffset);
    log.close();
  });

  test('retention.bytes keeps the log at or above the limit, oldest segments first', () => {
    const log = PartitionLog.open(dirs.make(), { 'segment.bytes': 500, 'retention.ms': -1, 'retention.bytes': 1200 });
    for (let i = 0; i < 60; i++) log.appendRecords([rec(i)]);
    const sizeBefore = log.size;
    log.deleteOldSegments();
    expect(log.size).toBeLessThan(sizeBefore);
    expect(log.size).toBeGreaterThanOrEqual(1200 - 500);
    expect(log.logStartOffset).toBeGreaterThan(0);
    log.close();
  });

  test('a compact-only log ignores retention; the start offset survives a restart', () => {
    const dir = dirs.make();
    const log = PartitionLog.open(dir, { 'cleanup.policy': 'compact', 'segment.bytes': 300, 'retention.ms': 1 });
    for (let i = 0; i < 20; i++) log.appendRecords([rec(i, 0)]);
    expect(log.deleteOldSegments(10_000)).toBe(0);
    log.deleteRecordsBefore(7);
    log.close();
    const again = PartitionLog.open(dir, { 'cleanup.policy': 'compact', 'segment.bytes': 300 });
    expect(again.logStartOffset).toBe(7);
    expect(readAll(again)[0].offset).toBe(7);
    again.close();
  });
});

describe('config', () => {
  test.each([
    [{ 'segment.byte': 5 }, /Unknown log config "segment.byte"/],
    [{ 'segment.bytes': 'lots' }, /"segment.bytes": expected an integer/],
    [{ 'retention.ms': -2 }, /"retention.ms": expected an integer \(-1 for unlimited\)/],
    [{ 'cleanup.policy': 'shred' }, /one of "delete", "compact", "compact,delete"/],
    [{ 'min.cleanable.dirty.ratio': 1.5 }, /between 0 and 1/],
  ])('refuses %j, naming the key and what is allowed', (input, message) => {
    const parsed = parseLogConfig(input);
    expect(parsed._tag).toBe('Left');
    if (parsed._tag === 'Left') {
      expect(parsed.left).toBeInstanceOf(ConfigError);
      expect(parsed.left.message).toMatch(message);
    }
    expect(() => PartitionLog.open(dirs.make(), input)).toThrow(message);
  });

  test('accepts Kafka string values and policy order', () => {
    const parsed = parseLogConfig({ 'segment.bytes': '4096', 'cleanup.policy': 'delete,compact', 'flush.ms': '9223372036854775807' });
    expect(parsed._tag).toBe('Right');
    if (parsed._tag === 'Right') {
      expect(parsed.right['segment.bytes']).toBe(4096);
      expect(parsed.right['cleanup.policy']).toBe('compact,delete');
    }
  });
});

describe('truncation and leader epochs', () => {
  test('truncateTo drops whole batches from the offset on, across segments', () => {
    const log = PartitionLog.open(dirs.make(), { 'segment.bytes': 400 });
    for (let i = 0; i < 40; i++) log.appendRecords([rec(i)]);
    log.truncateTo(17);
    expect(log.logEndOffset).toBe(17);
    expect(readAll(log).map((r) => r.offset)).toEqual([...Array(17).keys()]);
    expect(log.appendRecords([rec(99)]).baseOffset).toBe(17);
    log.close();
  });

  test('epochs are stamped into batches, checkpointed, and answer end-offset queries (KIP-101)', async () => {
    const dir = dirs.make();
    const log = PartitionLog.open(dir);
    log.appendRecords([rec(0), rec(1)], { leaderEpoch: 1 });
    log.appendRecords([rec(2)], { leaderEpoch: 3 });
    log.appendRecords([rec(3)], { leaderEpoch: 3 });
    const d = decodeRecordBatches(log.read(2, 100));
    if (d._tag === 'Left') throw new Error(d.left.message);
    expect(d.right[0].partitionLeaderEpoch).toBe(3);
    expect(log.leaderEpochs.endOffsetFor(1, log.logEndOffset)).toEqual({ epoch: 1, endOffset: 2 });
    expect(log.leaderEpochs.endOffsetFor(2, log.logEndOffset)).toEqual({ epoch: 1, endOffset: 2 });
    expect(log.leaderEpochs.endOffsetFor(3, log.logEndOffset)).toEqual({ epoch: 3, endOffset: 4 });
    // Older than every epoch the log knows: as Kafka, that epoch ends where the first known one starts.
    expect(log.leaderEpochs.endOffsetFor(0, log.logEndOffset)).toEqual({ epoch: 0, endOffset: 0 });
    expect(log.leaderEpochs.endOffsetFor(4, log.logEndOffset)).toEqual({ epoch: -1, endOffset: -1 });
    log.close();
    const again = PartitionLog.open(dir);
    expect(again.leaderEpochs.list()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 2 },
    ]);
    again.truncateTo(2);
    expect(again.leaderEpochs.list()).toEqual([{ epoch: 1, startOffset: 0 }]);
    // Written in the background, off the caller's path.
    await again.leaderEpochs.idle();
    expect(fs.readFileSync(path.join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n1 0\n');
    again.close();
  });
});

describe('flush policy', () => {
  test('flush.messages fsyncs after that many records and moves the recovery point', () => {
    const log = PartitionLog.open(dirs.make(), { 'flush.messages': 3 });
    log.appendRecords([rec(0), rec(1)]);
    expect(log.recoveryPoint).toBe(0);
    log.appendRecords([rec(2)]);
    expect(log.recoveryPoint).toBe(3);
    log.close();
  });

  test('flush.ms fsyncs from maybeFlush once the oldest unflushed append is that old', () => {
    const clock = new ManualClock();
    const log = PartitionLog.open(dirs.make(), { 'flush.ms': 1000 }, { clock });
    log.appendRecords([rec(0)]);
    clock.advance(999);
    log.maybeFlush();
    expect(log.recoveryPoint).toBe(0);
    clock.advance(1);
    log.maybeFlush();
    expect(log.recoveryPoint).toBe(1);
    log.close();
  });

  test('a closed log refuses further use with a clear error', () => {
    const log = PartitionLog.open(dirs.make());
    log.close();
    expect(() => log.appendRecords([rec(0)])).toThrow(/is closed/);
  });
});

describe('replicated high watermark', () => {
  test('append does not expose records until updateHighWatermark, which never goes back and survives a restart', () => {
    const dir = dirs.make();
    const log = PartitionLog.open(dir, {}, { replicated: true });
    log.appendRecords([rec(0), rec(1), rec(2)]);
    expect(log.logEndOffset).toBe(3);
    expect(log.highWatermark).toBe(0);
    expect(log.read(0, 1000).length).toBe(0);
    expect(log.updateHighWatermark(2)).toBe(2);
    expect(log.updateHighWatermark(1)).toBe(2);
    expect(log.updateHighWatermark(99)).toBe(3);
    expect(records(log.read(0, 1000)).map((r) => r.offset)).toEqual([0, 1, 2]);
    log.appendRecords([rec(3)]);
    log.close();
    const again = PartitionLog.open(dir, {}, { replicated: true });
    expect(again.logEndOffset).toBe(4);
    expect(again.highWatermark).toBe(3);
    again.close();
  });

  test('the periodic checkpoint rewrites the high watermark file only when the high watermark moved (two fsyncs per write, 10,000 replicas per broker)', () => {
    const dir = dirs.make();
    const clock = new ManualClock(1_000_000);
    const file = path.join(dir, 'high-watermark-checkpoint');
    const log = PartitionLog.open(dir, {}, { replicated: true, clock });
    // A new partition holds 0 in both, as absent files read: neither is written.
    clock.advance(60_000);
    log.maybeFlush();
    expect([fs.existsSync(file), fs.existsSync(path.join(dir, 'recovery-point-offset-checkpoint'))]).toEqual([false, false]);
    log.appendRecords([rec(0), rec(1), rec(2)]);
    log.updateHighWatermark(2);
    clock.advance(60_000);
    log.maybeFlush();
    expect(fs.readFileSync(file, 'utf8')).toBe('0\n1\n2\n');
    // Marked as old: a rewrite would give it the current time.
    fs.utimesSync(file, 0, 0);
    clock.advance(60_000);
    log.maybeFlush();
    expect(fs.statSync(file).mtimeMs).toBe(0);
    log.updateHighWatermark(3);
    clock.advance(60_000);
    log.maybeFlush();
    expect(fs.readFileSync(file, 'utf8')).toBe('0\n1\n3\n');
    log.close();
    // Reopened, the file's value counts as written: an unmoved high watermark is not written again.
    fs.utimesSync(file, 0, 0);
    const again = PartitionLog.open(dir, {}, { replicated: true, clock });
    expect(again.highWatermark).toBe(3);
    clock.advance(60_000);
    again.maybeFlush();
    expect(fs.statSync(file).mtimeMs).toBe(0);
    again.close();
  });
});

describe("truncateFullyAndStartAt (a follower behind its leader's log start)", () => {
  test('empties the log and starts it at the offset, epochs and all, and it stays there after a restart', () => {
    const dir = dirs.make();
    const log = PartitionLog.open(dir, { 'segment.bytes': 300 }, { replicated: true });
    for (let i = 0; i < 12; i++) log.appendRecords([rec(i)], { leaderEpoch: 3 });
    log.leaderEpochs.assign(3, 0);
    log.updateHighWatermark(12);
    log.truncateFullyAndStartAt(20);
    expect([log.logStartOffset, log.logEndOffset, log.highWatermark, log.segmentBaseOffsets]).toEqual([20, 20, 20, [20]]);
    expect(log.leaderEpochs.list()).toEqual([]);
    // The leader's batches go on from there, offsets as the leader assigned them.
    log.append(encodeRecordBatch({ baseOffset: 20, partitionLeaderEpoch: 4, records: [rec(20), rec(21)] }), { assignOffsets: false });
    log.updateHighWatermark(22);
    log.close();
    const again = PartitionLog.open(dir, { 'segment.bytes': 300 }, { replicated: true });
    expect([again.logStartOffset, again.logEndOffset, again.highWatermark]).toEqual([20, 22, 22]);
    expect(readAll(again).map((r) => r.offset)).toEqual([20, 21]);
    expect(() => again.read(12, 1000)).toThrow(OffsetOutOfRangeError);
    again.close();
  });
});
