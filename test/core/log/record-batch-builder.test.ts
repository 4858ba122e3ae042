import fc from 'fast-check';
import { isRight } from 'fp-ts/Either';
import { RecordBatchBuilder } from '../../../core/log/record-batch-builder';
import { decodeRecordBatch, encodeRecordBatch, type RecordInput } from '../../../core/log/record-batch';

/** The builder's batch of `records`, appended one by one. */
function built(records: RecordInput[], opts: Parameters<RecordBatchBuilder['build']>[0]): Buffer {
  const builder = new RecordBatchBuilder();
  for (const r of records) builder.append(r.key, r.value, r.timestamp!, r.headers);
  expect(builder.count).toBe(records.length);
  return builder.build(opts);
}

describe('RecordBatchBuilder', () => {
  const bytesOrNull = fc.option(
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    { nil: null },
  );
  const record = fc.record({
    key: bytesOrNull,
    value: bytesOrNull,
    // Around a base: deltas before and after the first record's timestamp, small and large.
    timestamp: fc.integer({ min: 1_700_000_000_000 - 2 ** 40, max: 1_700_000_000_000 + 2 ** 40 }),
    headers: fc.option(fc.array(fc.record({ key: fc.string({ maxLength: 20 }), value: bytesOrNull }), { maxLength: 3 }), { nil: undefined }),
  });
  const header = fc.record({
    compression: fc.constantFrom('none' as const, 'gzip' as const),
    producerId: fc.integer({ min: -1, max: 2 ** 40 }),
    producerEpoch: fc.integer({ min: -1, max: 32767 }),
    baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    transactional: fc.boolean(),
  });

  it('writes the bytes encodeRecordBatch writes for the same records, as many as grow its buffer', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 60 }), header, (records, opts) => {
        const bytes = built(records, opts);
        expect(bytes.equals(encodeRecordBatch({ records, ...opts }))).toBe(true);
        const decoded = decodeRecordBatch(bytes);
        expect(isRight(decoded) && decoded.right.records.map((r) => [r.key, r.value, r.timestamp])).toEqual(records.map((r) => [r.key, r.value, r.timestamp]));
      }),
      { seed: 4242, numRuns: 300 },
    );
  });

  it('appendRange writes the bytes append writes for the same key and value, taken from ranges of one buffer', () => {
    const plain = record.map((r) => ({ ...r, headers: undefined }));
    fc.assert(
      fc.property(fc.array(fc.tuple(plain, fc.nat(5)), { minLength: 1, maxLength: 60 }), header, (entries, opts) => {
        const ranged = new RecordBatchBuilder();
        for (const [r, gap] of entries) {
          // Key then value at an offset in a larger buffer, with bytes before, between and after.
          const src = Buffer.alloc(gap + (r.key?.length ?? 0) + gap + (r.value?.length ?? 0) + gap, 0xee);
          let pos = gap;
          const keyStart = r.key === null ? -1 : pos;
          if (r.key !== null) pos += r.key.copy(src, pos);
          const keyEnd = r.key === null ? -1 : pos;
          pos += gap;
          const valueStart = r.value === null ? -1 : pos;
          if (r.value !== null) pos += r.value.copy(src, pos);
          ranged.appendRange(src, keyStart, keyEnd, valueStart, r.value === null ? -1 : pos, r.timestamp);
        }
        const records = entries.map(([r]) => r);
        expect(ranged.build(opts).equals(built(records, opts))).toBe(true);
      }),
      { seed: 4343, numRuns: 300 },
    );
    const builder = new RecordBatchBuilder();
    expect(() => builder.appendRange(Buffer.from('kv'), 0, 1, 1, 2, 1.5)).toThrow(RangeError);
    expect(builder.count).toBe(0);
  });

  it('builds again with other header fields without changing the batch it built before', () => {
    const builder = new RecordBatchBuilder();
    builder.append(Buffer.from('k'), Buffer.from('v'), 1000);
    builder.append(null, Buffer.from('w'), 999);
    const first = builder.build({ producerId: 7, producerEpoch: 0, baseSequence: 0 });
    const copy = Buffer.from(first);
    const second = builder.build({ producerId: 8, producerEpoch: 1, baseSequence: 0 });
    expect(first.equals(copy)).toBe(true);
    expect(second.equals(first)).toBe(false);
    const records: RecordInput[] = [
      { key: Buffer.from('k'), value: Buffer.from('v'), timestamp: 1000 },
      { key: null, value: Buffer.from('w'), timestamp: 999 },
    ];
    expect(second.equals(encodeRecordBatch({ records, producerId: 8, producerEpoch: 1, baseSequence: 0 }))).toBe(true);
  });

  it('a batch filling most of its buffer is handed out without a copy; a second build leaves it as it was', () => {
    const builder = new RecordBatchBuilder(64);
    const records: RecordInput[] = [
      { key: Buffer.from('key-1'), value: Buffer.alloc(40, 1), timestamp: 7 },
      { key: null, value: Buffer.alloc(9, 2), timestamp: 8 },
    ];
    for (const r of records) builder.append(r.key, r.value, r.timestamp!);
    const own = (builder as unknown as { buf: Buffer }).buf;
    const first = builder.build({ producerId: 1, producerEpoch: 0, baseSequence: 0 });
    // Compared by ArrayBuffer and offset: small Buffers share Node's pool.
    const sameBytes = (a: Buffer, b: Buffer) => a.buffer === b.buffer && a.byteOffset === b.byteOffset;
    expect(sameBytes(first, own)).toBe(true); // the builder's own bytes
    const copy = Buffer.from(first);
    const second = builder.build({ producerId: 2, producerEpoch: 0, baseSequence: 5 });
    expect(sameBytes(second, own)).toBe(false);
    expect(first.equals(copy)).toBe(true);
    expect(first.equals(encodeRecordBatch({ records, producerId: 1, producerEpoch: 0, baseSequence: 0 }))).toBe(true);
    expect(second.equals(encodeRecordBatch({ records, producerId: 2, producerEpoch: 0, baseSequence: 5 }))).toBe(true);
  });

  it('a builder with no records holds no buffer of its own; its first record allocates one', () => {
    const a = new RecordBatchBuilder();
    const b = new RecordBatchBuilder();
    const buffers = (x: RecordBatchBuilder) => (x as unknown as { buf: Buffer }).buf;
    expect(buffers(a)).toBe(buffers(b));
    a.append(null, Buffer.from('x'), 1);
    expect(buffers(a)).not.toBe(buffers(b));
    expect(buffers(b).every((byte) => byte === 0)).toBe(true);
  });

  it('refuses a timestamp that is not an integer and keeps the records before it; an empty batch is not built', () => {
    const builder = new RecordBatchBuilder();
    expect(() => builder.build({})).toThrow(/at least one record/);
    builder.append(null, Buffer.from('a'), 5);
    expect(() => builder.append(null, Buffer.from('b'), 5.5)).toThrow(RangeError);
    expect(() => builder.append(null, Buffer.from('b'), Number.NaN)).toThrow(RangeError);
    expect(builder.count).toBe(1);
    expect(builder.build({}).equals(encodeRecordBatch({ records: [{ key: null, value: Buffer.from('a'), timestamp: 5 }] }))).toBe(true);
  });
});
