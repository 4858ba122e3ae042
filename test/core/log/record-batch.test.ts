import * as zlib from 'node:zlib';
import fc from 'fast-check';
import { Either, isLeft, isRight } from 'fp-ts/Either';
import {
  ATTRIBUTES,
  BASE_OFFSET,
  BATCH_LENGTH,
  CRC,
  LAST_OFFSET_DELTA,
  MAGIC,
  PARTITION_LEADER_EPOCH,
  RECORDS,
  RECORD_COUNT,
  writeInt64,
} from '../../../core/log/batch-header';
import { BatchError, DecodedBatch, RecordInput, checkBatch, decodeRecordBatch, decodeRecordBatches, encodeRecordBatch } from '../../../core/log/record-batch';
import { crc32c } from '../../../core/log/crc32c';

const T0 = 1_700_000_000_000;
const b = (s: string) => Buffer.from(s);

const RECORDS_3: RecordInput[] = [
  { key: b('k0'), value: b('v0'), timestamp: T0 + 10, headers: [{ key: 'h', value: b('x') }] },
  { key: null, value: b('v1'), timestamp: T0 },
  { key: b('k2'), value: null, timestamp: T0 + 25, headers: [{ key: 'n', value: null }] },
];

function ok<A>(e: Either<BatchError, A>): A {
  if (isLeft(e)) throw new Error(`expected success, got ${e.left.kind}: ${e.left.message}`);
  return e.right;
}

function err<A>(e: Either<BatchError, A>): BatchError {
  if (isRight(e)) throw new Error('expected an error, got a decoded value');
  return e.left;
}

/** Recomputes the CRC after a test edits bytes it covers, so later checks are reached. */
function refreshCrc(buf: Buffer): Buffer {
  buf.writeUInt32BE(crc32c(buf, ATTRIBUTES, buf.length), CRC);
  return buf;
}

/** Rewrites the records section of a valid uncompressed batch with raw bytes. */
function withRecordBytes(recordCount: number, records: Buffer): Buffer {
  const header = encodeRecordBatch({ records: [{ key: null, value: null }], baseTimestamp: T0 }).subarray(0, RECORDS);
  const buf = Buffer.concat([header, records]);
  buf.writeInt32BE(buf.length - 12, BATCH_LENGTH);
  buf.writeInt32BE(recordCount, RECORD_COUNT);
  buf.writeInt32BE(Math.max(0, recordCount - 1), LAST_OFFSET_DELTA);
  return refreshCrc(buf);
}

/** Replaces a gzip batch's payload with `payload` gzipped, fixing lengths and CRC. */
function withGzipPayload(recordCount: number, payload: Buffer, gzipped = zlib.gzipSync(payload)): Buffer {
  const header = encodeRecordBatch({ records: [{ key: null, value: null }], baseTimestamp: T0, compression: 'gzip' }).subarray(0, RECORDS);
  const buf = Buffer.concat([header, gzipped]);
  buf.writeInt32BE(buf.length - 12, BATCH_LENGTH);
  buf.writeInt32BE(recordCount, RECORD_COUNT);
  buf.writeInt32BE(Math.max(0, recordCount - 1), LAST_OFFSET_DELTA);
  return refreshCrc(buf);
}

describe('encodeRecordBatch / decodeRecordBatch round trip', () => {
  it.each(['none', 'gzip'] as const)('keeps every field and record (%s)', (compression) => {
    const buf = encodeRecordBatch({
      records: RECORDS_3,
      baseOffset: 1000,
      compression,
      partitionLeaderEpoch: 4,
      producerId: 77,
      producerEpoch: 2,
      baseSequence: 9,
      transactional: true,
    });
    const batch: DecodedBatch = ok(decodeRecordBatch(buf));
    expect(batch).toMatchObject({
      baseOffset: 1000,
      lastOffset: 1002,
      partitionLeaderEpoch: 4,
      magic: 2,
      crc: buf.readUInt32BE(CRC),
      compression,
      timestampType: 'create',
      isTransactional: true,
      isControl: false,
      baseTimestamp: T0 + 10,
      maxTimestamp: T0 + 25,
      producerId: 77,
      producerEpoch: 2,
      baseSequence: 9,
      sizeInBytes: buf.length,
    });
    expect(batch.attributes).toBe((compression === 'gzip' ? 1 : 0) | 0x10);
    expect(batch.records).toEqual([
      { offset: 1000, timestamp: T0 + 10, key: b('k0'), value: b('v0'), headers: [{ key: 'h', value: b('x') }] },
      { offset: 1001, timestamp: T0, key: null, value: b('v1'), headers: [] },
      { offset: 1002, timestamp: T0 + 25, key: b('k2'), value: null, headers: [{ key: 'n', value: null }] },
    ]);
  });

  it('uses Kafka\'s "none" defaults for producer fields and leader epoch', () => {
    const batch = ok(decodeRecordBatch(encodeRecordBatch({ records: [{ key: null, value: b('v'), timestamp: T0 }] })));
    expect(batch).toMatchObject({ baseOffset: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, partitionLeaderEpoch: -1 });
  });

  it('gives records without a timestamp the batch base timestamp', () => {
    const batch = ok(
      decodeRecordBatch(
        encodeRecordBatch({
          records: [
            { key: null, value: b('a') },
            { key: null, value: b('b'), timestamp: T0 + 5 },
          ],
          baseTimestamp: T0,
        }),
      ),
    );
    expect(batch.records.map((r) => r.timestamp)).toEqual([T0, T0 + 5]);
    expect(batch.maxTimestamp).toBe(T0 + 5);
  });

  it('round-trips arbitrary records, headers and both codecs', () => {
    const bytesOrNull = fc.option(
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      { nil: null },
    );
    const record = fc.record({
      key: bytesOrNull,
      value: bytesOrNull,
      timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
      headers: fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: bytesOrNull }), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 30 }), fc.boolean(), fc.integer({ min: 0, max: 2 ** 50 }), (records, gzip, baseOffset) => {
        const buf = encodeRecordBatch({ records, baseOffset, compression: gzip ? 'gzip' : 'none' });
        const batch = ok(decodeRecordBatch(buf));
        expect(batch.records).toEqual(records.map((r, i) => ({ ...r, offset: baseOffset + i })));
        expect(batch.maxTimestamp).toBe(Math.max(...records.map((r) => r.timestamp)));
      }),
      { seed: 1234, numRuns: 200 },
    );
  });

  it('writes exactly the bytes it needs, in one buffer', () => {
    const buf = encodeRecordBatch({ records: RECORDS_3, baseTimestamp: T0 });
    expect(buf.readInt32BE(BATCH_LENGTH) + 12).toBe(buf.length);
    expect(ok(checkBatch(buf, 0)).size).toBe(buf.length);
  });

  it('keeps explicit offset deltas and lastOffsetDelta, as compaction re-encodes survivors', () => {
    const buf = encodeRecordBatch({ records: RECORDS_3, baseOffset: 100, offsetDeltas: [1, 4, 7], lastOffsetDelta: 9 });
    expect(ok(checkBatch(buf, 0))).toMatchObject({ recordCount: 3, lastOffsetDelta: 9 });
    const batch = ok(decodeRecordBatch(buf));
    expect(batch.records.map((r) => r.offset)).toEqual([101, 104, 107]);
    expect(batch.lastOffset).toBe(109);
  });

  it.each([
    [{ offsetDeltas: [0, 1] }, /2 offsetDeltas for 3 records/],
    [{ offsetDeltas: [0, 2, 2] }, /increasing/],
    [{ offsetDeltas: [-1, 0, 1] }, /increasing/],
    [{ offsetDeltas: [0, 1, 5], lastOffsetDelta: 4 }, /below the last record's offset delta 5/],
    [{ lastOffsetDelta: 1 }, /below the last record's offset delta 2/],
  ])('refuses inconsistent offset deltas %j as a programming error', (opts, message) => {
    expect(() => encodeRecordBatch({ records: RECORDS_3, ...opts })).toThrow(message);
  });

  it('refuses an empty record list as a programming error', () => {
    expect(() => encodeRecordBatch({ records: [] })).toThrow(RangeError);
  });

  it('gives every record of a LogAppendTime batch the max timestamp', () => {
    const batch = ok(decodeRecordBatch(encodeRecordBatch({ records: RECORDS_3, timestampType: 'logAppend' })));
    expect(batch.timestampType).toBe('logAppend');
    expect(batch.records.map((r) => r.timestamp)).toEqual([T0 + 25, T0 + 25, T0 + 25]);
  });
});

describe("decoding into a reader's own record objects", () => {
  it('hands each record to the maker (offset, timestamp, views of key and value, headers), in order', () => {
    const bytes = Buffer.concat([
      encodeRecordBatch({ records: RECORDS_3, baseOffset: 40 }),
      encodeRecordBatch({ records: RECORDS_3.slice(1), baseOffset: 43 }),
    ]);
    const batches = ok(
      decodeRecordBatches(bytes, {
        record: (offset, timestamp, key, value, headers) => ({ where: 'p-1', offset, timestamp, key: key?.toString(), value: value?.toString(), headers }),
      }),
    );
    const records = batches.flatMap((batch) => batch.records);
    expect(records.map((r) => [r.where, r.offset, r.timestamp, r.key, r.value])).toEqual([
      ['p-1', 40, T0 + 10, 'k0', 'v0'],
      ['p-1', 41, T0, undefined, 'v1'],
      ['p-1', 42, T0 + 25, 'k2', undefined],
      ['p-1', 43, T0, undefined, 'v1'],
      ['p-1', 44, T0 + 25, 'k2', undefined],
    ]);
    expect(records[0].headers).toEqual([{ key: 'h', value: b('x') }]);
    // Records without headers share one empty array, which nobody can change.
    expect(records[1].headers).toEqual([]);
    expect(records[3].headers).toBe(records[1].headers);
    expect(Object.isFrozen(records[1].headers)).toBe(true);
    expect(records[2].headers).not.toBe(records[4].headers);
  });

  it('copies short and long fields alike (short ones byte by byte)', () => {
    const long = Buffer.alloc(100, 7);
    const records: RecordInput[] = [
      { key: b(''), value: b('x'.repeat(32)), timestamp: T0 },
      { key: b('k'.repeat(33)), value: long, timestamp: T0 },
    ];
    const [batch] = ok(decodeRecordBatches(encodeRecordBatch({ records })));
    expect(batch.records.map((r) => [r.key, r.value])).toEqual(records.map((r) => [r.key, r.value]));
  });
});

describe('checkBatch', () => {
  it('reports the frame without decoding records', () => {
    const buf = encodeRecordBatch({ records: RECORDS_3, baseOffset: 500, compression: 'gzip' });
    expect(ok(checkBatch(buf, 0))).toEqual({
      size: buf.length,
      baseOffset: 500,
      lastOffsetDelta: 2,
      recordCount: 3,
      maxTimestamp: T0 + 25,
      compression: 'gzip',
    });
  });

  it('accepts a batch whose baseOffset and leader epoch were rewritten (outside the CRC), as a broker does', () => {
    const buf = encodeRecordBatch({ records: RECORDS_3 });
    writeInt64(buf, BASE_OFFSET, 2 ** 40);
    buf.writeInt32BE(12, PARTITION_LEADER_EPOCH);
    expect(ok(checkBatch(buf, 0)).baseOffset).toBe(2 ** 40);
    expect(ok(decodeRecordBatch(buf)).records[2].offset).toBe(2 ** 40 + 2);
  });

  it('checks a batch in the middle of a buffer, bounded by end', () => {
    const one = encodeRecordBatch({ records: RECORDS_3 });
    const buf = Buffer.concat([Buffer.alloc(5, 0xee), one, Buffer.alloc(3, 0xee)]);
    expect(ok(checkBatch(buf, 5, 5 + one.length)).size).toBe(one.length);
    expect(err(checkBatch(buf, 5, 5 + one.length - 1)).kind).toBe('truncated');
  });

  it('reports every prefix of a batch as truncated, never throwing', () => {
    const buf = encodeRecordBatch({ records: RECORDS_3 });
    for (let n = 0; n < buf.length; n++) {
      const e = err(checkBatch(buf.subarray(0, n), 0));
      expect(e.kind).toBe('truncated');
      expect(e.message).toMatch(/truncated/);
      expect(err(decodeRecordBatch(buf.subarray(0, n))).kind).toBe('truncated');
    }
  });

  it('refuses a wrong magic byte, naming it', () => {
    const buf = encodeRecordBatch({ records: RECORDS_3 });
    buf[MAGIC] = 1;
    const e = err(checkBatch(buf, 0));
    expect(e).toMatchObject({ kind: 'bad-magic', position: MAGIC });
    expect(e.message).toMatch(/magic 1/);
  });

  it('refuses a wrong magic even when the declared length runs past the buffer', () => {
    const buf = encodeRecordBatch({ records: RECORDS_3 });
    buf.writeInt32BE(0x7fffffff, BATCH_LENGTH);
    buf[MAGIC] = 0;
    expect(err(checkBatch(buf, 0)).kind).toBe('bad-magic');
  });

  it('detects a flipped bit anywhere the CRC covers', () => {
    const clean = encodeRecordBatch({ records: RECORDS_3 });
    for (let i = ATTRIBUTES; i < clean.length; i++) {
      const buf = Buffer.from(clean);
      buf[i] ^= 0x04;
      const e = err(checkBatch(buf, 0));
      expect(e).toMatchObject({ kind: 'crc-mismatch', position: CRC });
      expect(e.message).toMatch(/CRC32C/);
    }
  });

  it.each([
    [0, 'smaller than the header'],
    [48, 'smaller than the header'],
    [-1, 'negative'],
    [-2147483648, 'most negative'],
  ])('refuses batchLength %d (%s) as corrupt', (length) => {
    const buf = encodeRecordBatch({ records: RECORDS_3 });
    buf.writeInt32BE(length, BATCH_LENGTH);
    expect(err(checkBatch(buf, 0))).toMatchObject({ kind: 'corrupt', position: BATCH_LENGTH });
  });

  it('treats a huge batchLength as a batch that is not all there, without allocating', () => {
    const buf = encodeRecordBatch({ records: RECORDS_3 });
    buf.writeInt32BE(0x7fffffff, BATCH_LENGTH);
    expect(err(checkBatch(buf, 0)).kind).toBe('truncated');
  });

  it.each([
    [2, 'snappy'],
    [3, 'lz4'],
    [4, 'zstd'],
  ])('reads codec %d (%s), and reports records that do not decompress as corrupt', (id, name) => {
    const buf = encodeRecordBatch({ records: RECORDS_3 });
    buf.writeInt16BE(id, ATTRIBUTES);
    const e = decodeRecordBatches(refreshCrc(buf));
    expect(e).toMatchObject({ _tag: 'Left', left: { kind: 'corrupt' } });
    if (isLeft(e)) expect(e.left.message).toContain(`${name} records do not decompress`);
  });

  it('refuses an undefined codec id as corrupt', () => {
    const buf = encodeRecordBatch({ records: RECORDS_3 });
    buf.writeInt16BE(6, ATTRIBUTES);
    expect(err(checkBatch(refreshCrc(buf), 0)).kind).toBe('corrupt');
  });

  it.each([
    [-1, /negative record count/],
    [1_000_000, /more than its \d+ record bytes/],
    [0x7fffffff, /more than its \d+ record bytes/],
  ])('refuses record count %d', (count, message) => {
    const buf = encodeRecordBatch({ records: RECORDS_3 });
    buf.writeInt32BE(count, RECORD_COUNT);
    const e = err(checkBatch(refreshCrc(buf), 0));
    expect(e).toMatchObject({ kind: 'corrupt', position: RECORD_COUNT });
    expect(e.message).toMatch(message);
  });

  it('refuses a lastOffsetDelta that cannot hold the records', () => {
    for (const delta of [-1, 1]) {
      const buf = encodeRecordBatch({ records: RECORDS_3 });
      buf.writeInt32BE(delta, LAST_OFFSET_DELTA);
      expect(err(checkBatch(refreshCrc(buf), 0))).toMatchObject({ kind: 'corrupt', position: LAST_OFFSET_DELTA });
    }
  });
});

describe('decodeRecordBatch on corrupt records (CRC intact)', () => {
  // A well-formed record: length 6, then attributes, timestampDelta 0, offsetDelta 0, key null, value null, no headers.
  const NULL_RECORD = '0c 00 00 00 01 01 00';
  const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

  it('decodes the hand-written record the tests below damage', () => {
    const batch = ok(decodeRecordBatch(withRecordBytes(1, hex(NULL_RECORD))));
    expect(batch.records).toEqual([{ offset: 0, timestamp: T0, key: null, value: null, headers: [] }]);
  });

  it.each([
    ['a record length past the batch end', 1, '7e 00 00 00 01 01 00', /declares length 63/],
    ['a negative record length', 1, '03 00 00 00 01 01 00', /declares length -2/],
    ['a varint longer than 5 bytes', 1, 'ff ff ff ff ff ff 01', /too long/],
    [
      'a 10-byte varlong timestamp delta beyond 2^53',
      1,
      '1e 00 fe ff ff ff ff ff ff ff ff 01 00 01 01 00',
      /timestampDelta: varint is too long or its value is out of range/,
    ],
    ['a key length past the record end', 1, '0c 00 00 00 7e 01 00', /key length 63 runs past/],
    ['a key length below -1', 1, '0c 00 00 00 03 01 00', /key length -2 is negative/],
    ['a huge value length', 1, '14 00 00 00 01 fe ff ff ff 0f 00', /value length 2147483647 runs past/],
    ['a header count past the record end', 1, '0c 00 00 00 01 01 7e', /declares 63 headers/],
    ['a negative header count', 1, '0c 00 00 00 01 01 03', /declares -2 headers/],
    ['a null header key', 1, '10 00 00 00 01 01 02 01 01', /header 0 key has a null or negative length -1/],
    ['a record longer than its fields', 1, '0e 00 00 00 01 01 00 00', /declares length 7 but its fields take 6 bytes/],
    ['a record shorter than its fields', 1, '0a 00 00 00 01 01 00', /header count: the bytes end inside the varint/],
    ['an empty record', 1, '00 00 00 00 00 00 00', /shorter than its attributes/],
    ['a second record cut short', 2, NULL_RECORD + '0e 00 00 00 01 01 00', /record 1 declares length 7, but 6 record bytes remain/],
    ['bytes after the last record', 1, NULL_RECORD + '00 00 00 00 00 00 00', /7 bytes follow the last/],
  ])('reports %s as corrupt', (_what, count, records, message) => {
    const buf = withRecordBytes(count, hex(records));
    const e = err(decodeRecordBatch(buf));
    expect(e.kind).toBe('corrupt');
    expect(e.message).toMatch(message);
    expect(e.position).toBeGreaterThanOrEqual(RECORDS);
    expect(e.position).toBeLessThan(buf.length);
    // The frame itself is sound: checkBatch does not look inside records.
    expect(isRight(checkBatch(buf, 0))).toBe(true);
  });

  it('reports gzip bytes that do not inflate as corrupt', () => {
    const e = err(decodeRecordBatch(withGzipPayload(1, Buffer.alloc(0), Buffer.from('definitely not gzip'))));
    expect(e.kind).toBe('corrupt');
    expect(e.message).toMatch(/gzip records do not decompress/);
  });

  it('refuses to inflate past the decompression ceiling (gzip bomb)', () => {
    const bomb = withGzipPayload(1, Buffer.alloc(4 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(10_000);
    const e = err(decodeRecordBatch(bomb, 0, { maxDecompressedBytes: 1024 * 1024 }));
    expect(e.kind).toBe('corrupt');
    expect(e.message).toMatch(/more than 1048576 bytes/);
  });

  it('refuses a gzip record count the inflated bytes cannot hold', () => {
    const e = err(decodeRecordBatch(withGzipPayload(1000, hex(NULL_RECORD))));
    expect(e).toMatchObject({ kind: 'corrupt', position: RECORD_COUNT });
    expect(e.message).toMatch(/1000 records/);
  });

  it('reports damage inside gzip records relative to the inflated bytes', () => {
    const e = err(decodeRecordBatch(withGzipPayload(1, hex('0c 00 00 00 7e 01 00'))));
    expect(e.kind).toBe('corrupt');
    expect(e.message).toMatch(/byte 4 of the decompressed records/);
    expect(e.position).toBe(RECORDS);
  });

  it('returns a value, never throws, whatever the record bytes are', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2, max: 40 }), fc.uint8Array({ maxLength: 120 }), fc.boolean(), (count, bytes, gzip) => {
        const buf = gzip ? withGzipPayload(count, Buffer.from(bytes)) : withRecordBytes(count, Buffer.from(bytes));
        const result = decodeRecordBatch(buf);
        if (isLeft(result)) expect(result.left.message.length).toBeGreaterThan(0);
      }),
      { seed: 99, numRuns: 2000 },
    );
  });

  it('returns a value, never throws, for random damage to a whole valid batch', () => {
    const clean = encodeRecordBatch({ records: RECORDS_3, compression: 'none' });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(clean.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (edits, fixCrc) => {
          const buf = Buffer.from(clean);
          for (const [i, v] of edits) buf[i] = v;
          if (fixCrc) refreshCrc(buf);
          decodeRecordBatch(buf);
          decodeRecordBatches(buf);
        },
      ),
      { seed: 5, numRuns: 2000 },
    );
  });
});

describe('decodeRecordBatches', () => {
  const batches = [
    encodeRecordBatch({ records: RECORDS_3, baseOffset: 0 }),
    encodeRecordBatch({ records: RECORDS_3.slice(0, 1), baseOffset: 3, compression: 'gzip' }),
    encodeRecordBatch({ records: RECORDS_3.slice(1), baseOffset: 4 }),
  ];
  const all = Buffer.concat(batches);

  it('decodes consecutive batches', () => {
    expect(ok(decodeRecordBatches(all)).map((x) => [x.baseOffset, x.lastOffset])).toEqual([
      [0, 2],
      [3, 3],
      [4, 5],
    ]);
  });

  it('returns nothing for an empty buffer', () => {
    expect(ok(decodeRecordBatches(Buffer.alloc(0)))).toEqual([]);
  });

  it('stops cleanly at a partial trailing batch, at any cut', () => {
    const whole = batches[0].length + batches[1].length;
    for (let cut = whole; cut < all.length; cut++) {
      expect(ok(decodeRecordBatches(all.subarray(0, cut))).length).toBe(2);
    }
  });

  it('reports a corrupt batch in the middle with its position', () => {
    const buf = Buffer.from(all);
    buf[batches[0].length + RECORDS + 2] ^= 0xff;
    expect(err(decodeRecordBatches(buf))).toMatchObject({ kind: 'crc-mismatch', position: batches[0].length + CRC });
  });
});

describe('decoding into records made from ranges (rangeRecord)', () => {
  const field = fc.option(
    fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    { nil: null },
  );
  const header = fc.record({ key: fc.string({ maxLength: 5 }), value: field });
  const record = fc.record({ key: field, value: field, timestamp: fc.integer({ min: T0, max: T0 + 10_000 }), headers: fc.array(header, { maxLength: 2 }) });

  it('gives exactly the keys, values, offsets, timestamps and headers of the view maker, compressed or not', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(record, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom('none', 'gzip'),
        (batches, compression) => {
          let base = 7;
          const bytes = Buffer.concat(
            batches.map((records) => {
              const batch = encodeRecordBatch({ records, baseOffset: base, compression: compression as 'none' | 'gzip' });
              base += records.length;
              return batch;
            }),
          );
          const viewed = ok(decodeRecordBatches(bytes, { record: (offset, timestamp, key, value, headers) => ({ offset, timestamp, key, value, headers }) }));
          const ranged = ok(
            decodeRecordBatches(bytes, {
              rangeRecord: (offset, timestamp, src, keyStart, keyEnd, valueStart, valueEnd, headers) => ({
                offset,
                timestamp,
                key: keyStart < 0 ? null : Buffer.from(src.subarray(keyStart, keyEnd)),
                value: valueStart < 0 ? null : Buffer.from(src.subarray(valueStart, valueEnd)),
                headers,
              }),
            }),
          );
          expect(ranged.map((b) => b.records)).toEqual(viewed.map((b) => b.records));
          expect(ranged.map((b) => [b.baseOffset, b.lastOffset])).toEqual(viewed.map((b) => [b.baseOffset, b.lastOffset]));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a corrupt record with the same error as the view maker', () => {
    const bad = withRecordBytes(1, Buffer.from([0x02, 0x00, 0x00, 0x00, 0x09]));
    const viaViews = err(decodeRecordBatch(bad, 0));
    const viaRanges = err(decodeRecordBatch(bad, 0, { rangeRecord: () => ({}) }));
    expect(viaRanges).toEqual(viaViews);
  });
});
