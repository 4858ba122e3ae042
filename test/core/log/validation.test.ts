// Validation on append (Kafka's LogValidator): each hostile batch below has a
// valid CRC32C, is refused with CORRUPT_MESSAGE (2) or INVALID_RECORD (87), and
// leaves the log exactly as it was. Then an injected ENOSPC.
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { PartitionLog, LogError, LogWarning, batchHeader, crc32c, decodeRecordBatches, encodeRecordBatch, validateBatch } from '../../../core/log';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('validation');
afterEach(() => {
  jest.restoreAllMocks();
  dirs.removeAll();
});

const { ATTRIBUTES, CRC, LAST_OFFSET_DELTA, RECORDS, RECORD_COUNT, BASE_SEQUENCE, BASE_TIMESTAMP } = batchHeader;

/** Recomputes the CRC32C after a hand edit, so only the deeper checks can refuse the batch. */
function reseal(batch: Buffer): Buffer {
  batch.writeUInt32BE(crc32c(batch, ATTRIBUTES, batch.length), CRC);
  return batch;
}

function oneRecord(value = 'v', key: string | null = 'k'): Buffer {
  return encodeRecordBatch({ records: [{ key: key === null ? null : Buffer.from(key), value: Buffer.from(value), timestamp: 1_700_000_000_000 }] });
}

/** Appends, expecting a refusal with `code`; checks nothing was stored. Returns the message. */
function refused(log: PartitionLog, batch: Buffer, code: number, options: { assignOffsets?: boolean } = {}): string {
  const endBefore = log.logEndOffset;
  const sizeBefore = log.size;
  let error: unknown;
  try {
    log.append(batch, options);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(LogError);
  expect((error as LogError).code).toBe(code);
  expect(log.logEndOffset).toBe(endBefore);
  expect(log.size).toBe(sizeBefore);
  return (error as Error).message;
}

function openWithData(dir: string, config: Record<string, unknown> = {}): PartitionLog {
  const log = PartitionLog.open(dir, config);
  for (let i = 0; i < 3; i++) log.append(oneRecord(`v${i}`));
  return log;
}

test('the offset jump: 58 one-record batches with lastOffsetDelta 0x7fffffff are refused, nothing moves, the log reopens', () => {
  const dir = dirs.make();
  const log = openWithData(dir);
  const jumps = Array.from({ length: 58 }, () => {
    const b = oneRecord();
    b.writeInt32BE(0x7fffffff, LAST_OFFSET_DELTA);
    return reseal(b);
  });
  expect(refused(log, Buffer.concat(jumps), 87)).toMatch(/lastOffsetDelta 2147483647 for 1 records/);
  // One alone, too.
  refused(log, jumps[0], 87);
  expect(log.append(oneRecord('after')).baseOffset).toBe(3);
  log.close();
  const again = PartitionLog.open(dir);
  expect(again.logEndOffset).toBe(4);
  expect(again.failure).toBeUndefined();
  again.close();
});

test('the poison pill: a valid CRC around a record whose key length runs past the record is CORRUPT_MESSAGE', () => {
  const log = openWithData(dirs.make());
  const pill = oneRecord('value');
  // Record layout: length, attributes, timestampDelta, offsetDelta, then the key length varint.
  pill[RECORDS + 4] = 0x7e; // zigzag 63: far more than the record holds
  expect(refused(log, reseal(pill), 2)).toMatch(/record 0 key length 63 does not fit/);
  log.close();
});

test('poison pills of every record field: lengths, varints, header counts, trailing bytes', () => {
  const log = openWithData(dirs.make());
  const base = () =>
    encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('vv'), headers: [{ key: 'h', value: Buffer.from('x') }], timestamp: 1 }] });
  const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
    ['record length past the batch', (b) => ((b[RECORDS] = 0x7e), b), /record 0 declares length 63/],
    ['a varint that runs to the end of the record', (b) => (b.fill(0xff, RECORDS + 2), b), /record 0 timestampDelta: .*varint/],
    ['value length past the record', (b) => ((b[RECORDS + 6] = 0x40), b), /value length 32 does not fit/],
    ['a negative header count', (b) => ((b[RECORDS + 9] = 0x01), b), /declares -1 headers/],
    [
      'bytes after the last record',
      (b) => {
        const longer = Buffer.concat([b, Buffer.from([0])]);
        longer.writeInt32BE(longer.length - 12, batchHeader.BATCH_LENGTH);
        return longer;
      },
      /1 bytes follow the last of the 1 declared records/,
    ],
  ];
  for (const [what, mutate, message] of cases) {
    const m = refused(log, reseal(mutate(base())), 2);
    expect({ what, m }).toEqual({ what, m: expect.stringMatching(message) });
  }
  // The intact batch goes in.
  expect(log.append(base()).recordCount).toBe(1);
  log.close();
});

test('a gzip batch is decompressed and its records checked', () => {
  const log = openWithData(dirs.make());
  const good = encodeRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('zipped') }], compression: 'gzip' });
  // Inflate, break the key length, deflate again and reseal: valid gzip, valid CRC, bad record.
  const plain = zlib.gunzipSync(good.subarray(RECORDS));
  plain[4] = 0x7e;
  const bad = Buffer.concat([good.subarray(0, RECORDS), zlib.gzipSync(plain)]);
  bad.writeInt32BE(bad.length - 12, batchHeader.BATCH_LENGTH);
  expect(refused(log, reseal(bad), 2)).toMatch(/decompressed records: record 0 key length 63/);
  // Not gzip at all.
  const garbage = Buffer.concat([good.subarray(0, RECORDS), Buffer.from('not gzip at all')]);
  garbage.writeInt32BE(garbage.length - 12, batchHeader.BATCH_LENGTH);
  expect(refused(log, reseal(garbage), 2)).toMatch(/do not decompress/);
  expect(log.append(good).recordCount).toBe(1);
  log.close();
});

test('offsets, counts and deltas must agree (INVALID_RECORD)', () => {
  const log = openWithData(dirs.make());
  const two = () =>
    encodeRecordBatch({
      records: [
        { key: null, value: Buffer.from('a') },
        { key: null, value: Buffer.from('b') },
      ],
      baseTimestamp: 5,
    });
  // A record count that says 3 for two records.
  const count = two();
  count.writeInt32BE(3, RECORD_COUNT);
  count.writeInt32BE(2, LAST_OFFSET_DELTA);
  refused(log, reseal(count), 2);
  // A second record whose offset delta is 5 in a dense batch.
  const gap = encodeRecordBatch({
    records: [
      { key: null, value: Buffer.from('a') },
      { key: null, value: Buffer.from('b') },
    ],
    offsetDeltas: [0, 5],
  });
  expect(refused(log, gap, 87)).toMatch(/inconsistent lastOffsetDelta 5 for 2 records/);
  const gapInside = encodeRecordBatch({
    records: [
      { key: null, value: Buffer.from('a') },
      { key: null, value: Buffer.from('b') },
    ],
    offsetDeltas: [0, 5],
    lastOffsetDelta: 5,
  });
  gapInside.writeInt32BE(1, LAST_OFFSET_DELTA);
  expect(refused(log, reseal(gapInside), 87)).toMatch(/record 1 has offsetDelta 5; expected 1/);
  // No records at all.
  const empty = two();
  empty.writeInt32BE(0, RECORD_COUNT);
  empty.writeInt32BE(0, LAST_OFFSET_DELTA);
  expect(refused(log, reseal(empty), 87)).toMatch(/holds no records/);
  log.close();
});

test('producer fields, control batches and timestamps are checked (INVALID_RECORD)', () => {
  const log = openWithData(dirs.make());
  const idempotent = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }], producerId: 7, producerEpoch: 0, baseSequence: 0 });
  const noSequence = Buffer.from(idempotent);
  noSequence.writeInt32BE(-1, BASE_SEQUENCE);
  expect(refused(log, reseal(noSequence), 87)).toMatch(/invalid sequence number -1/);
  const negativeEpoch = Buffer.from(idempotent);
  negativeEpoch.writeInt16BE(-3, batchHeader.PRODUCER_EPOCH);
  expect(refused(log, reseal(negativeEpoch), 87)).toMatch(/negative producerEpoch -3/);
  // Without a producer id the other fields are the client's business (kafkajs sends epoch 0, sequence 0).
  const kafkajsStyle = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }], producerId: -1, producerEpoch: 0, baseSequence: 0 });
  expect(log.append(kafkajsStyle).recordCount).toBe(1);
  refused(log, encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }], isControl: true }), 87);
  const future = oneRecord();
  batchHeader.writeInt64(future, BASE_TIMESTAMP, 9e15);
  expect(refused(log, reseal(future), 87)).toMatch(/baseTimestamp 9000000000000000 is out of range/);
  const early = encodeRecordBatch({
    records: [
      { key: null, value: Buffer.from('a'), timestamp: 10 },
      { key: null, value: Buffer.from('b'), timestamp: -7 },
    ],
  });
  expect(validateBatch(early, 0, early.length, { mode: 'client' })).toMatchObject({
    _tag: 'Left',
    left: { kind: 'invalid', message: expect.stringMatching(/record 1 timestamp -7 is out of range/) },
  });
  expect(log.append(idempotent).recordCount).toBe(1);
  log.close();
});

test('a compacted log refuses a record without a key with INVALID_RECORD, in the same pass', () => {
  const log = PartitionLog.open(dirs.make(), { 'cleanup.policy': 'compact' });
  expect(refused(log, oneRecord('v', null), 87)).toMatch(/without a key/);
  log.close();
});

test('a follower append keeps the leader offsets but a base offset past the safe range is refused', () => {
  const log = PartitionLog.open(dirs.make());
  const far = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }], baseOffset: 2 ** 60 });
  expect(refused(log, far, 2, { assignOffsets: false })).toMatch(/outside the offsets a log holds/);
  log.append(encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }], baseOffset: 0 }), { assignOffsets: false });
  expect(log.logEndOffset).toBe(1);
  log.close();
});

test("a follower's copy is checked by its header and CRC only (Kafka's appendAsFollower): the records its leader walked are not walked again", () => {
  const log = PartitionLog.open(dirs.make());
  // Records a leader would refuse (a key length past the record), sealed with a valid CRC.
  const walked = oneRecord();
  walked[RECORDS + 4] = 0x7e;
  reseal(walked);
  expect(refused(log, Buffer.from(walked), 2)).toMatch(/key length/);
  expect(log.append(Buffer.from(walked), { assignOffsets: false })).toMatchObject({ baseOffset: 0, lastOffset: 0 });
  // What the header and the CRC show is still refused: a flipped bit on the way, a wrong magic, an empty batch.
  const flipped = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }], baseOffset: 1 });
  flipped[flipped.length - 1] ^= 0xff;
  expect(refused(log, flipped, 2, { assignOffsets: false })).toMatch(/CRC32C/);
  const magic = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }], baseOffset: 1 });
  magic[batchHeader.MAGIC] = 1;
  expect(refused(log, magic, 2, { assignOffsets: false })).toMatch(/magic/);
  const empty = encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a') }], baseOffset: 1 });
  empty.writeInt32BE(0, RECORD_COUNT);
  reseal(empty);
  expect(refused(log, empty, 87, { assignOffsets: false })).toMatch(/no records/);
  const outOfRange = reseal(encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a'), timestamp: 1 }], baseOffset: 1 }));
  outOfRange.writeBigInt64BE(-5n, batchHeader.MAX_TIMESTAMP);
  expect(refused(log, reseal(outOfRange), 87, { assignOffsets: false })).toMatch(/maxTimestamp -5/);
  log.close();
});

test('ENOSPC on append answers KAFKA_STORAGE_ERROR, stores nothing, and the next append succeeds', () => {
  const dir = dirs.make();
  const warnings: LogWarning[] = [];
  const log = PartitionLog.open(dir, {}, { onWarning: (w) => warnings.push(w) });
  log.append(oneRecord('before'));
  // The module object the log's `import * as fs` reads through (the namespace here is frozen).
  const nodeFs = require('node:fs') as typeof fs;
  const realWrite = nodeFs.writeSync;
  let failNext = true;
  const write = realWrite as (...a: unknown[]) => number;
  jest.spyOn(nodeFs, 'writeSync').mockImplementation(((...args: unknown[]) => {
    const [fd, buffer, , , position] = args as [number, Buffer, number, number, number];
    if (failNext && Buffer.isBuffer(buffer) && buffer.length > RECORDS) {
      failNext = false;
      // A partial write first, then the disk is full: what a real ENOSPC looks like.
      write(fd, buffer, 0, 10, position);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    }
    return write(...args);
  }) as never);
  let error: unknown;
  try {
    log.append(oneRecord('lost'));
  } catch (e) {
    error = e;
  }
  expect((error as LogError).code).toBe(56);
  expect((error as Error).message).toMatch(/ENOSPC/);
  expect(warnings.map((w) => w.kind)).toEqual(['write-failed']);
  expect(log.logEndOffset).toBe(1);
  expect(log.failure).toBeUndefined();
  // Space is back: the partition goes on, over the partial bytes.
  expect(log.append(oneRecord('after')).baseOffset).toBe(1);
  jest.restoreAllMocks();
  log.close();
  const again = PartitionLog.open(dir);
  const values = (decodeRecordBatches(again.read(0, 1 << 20)) as { right: { records: { value: Buffer | null }[] }[] }).right.flatMap((b) =>
    b.records.map((r) => r.value!.toString()),
  );
  expect(values).toEqual(['before', 'after']);
  again.close();
  expect(fs.readdirSync(dir).filter((n) => n.endsWith('.corrupt'))).toEqual([]);
});
