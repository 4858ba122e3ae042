// The RecordBatch codecs (issue 20 item 10): batches Rill writes in gzip,
// snappy and lz4 decode back to their records; frames written by the
// reference tools (zstd, lz4) decode; snappy reads both xerial framing (what
// Kafka's Java client and librdkafka write) and raw blocks; zstd is refused
// for writing, naming the alternatives, where node:zlib has no zstd; every
// decoder stops at the size bound instead of inflating a bomb.
import { spawnSync } from 'node:child_process';
import { isLeft, isRight } from 'fp-ts/Either';
import { COMPRESSION_NAMES, decodeRecordBatches, encodeRecordBatch, unwritableCompression, type CompressionName } from '../../../core/log';
import { compress, compressionOf, decompress } from '../../../core/log/compression';

const RECORDS = Array.from({ length: 200 }, (_, i) => ({
  key: Buffer.from(`k${i}`),
  value: Buffer.from(`value ${i} `.repeat(1 + (i % 7))),
  timestamp: 1_700_000_000_000 + i,
}));
const TEXT = Buffer.from('rill reads compressed records written by kcat and Kafka clients. '.repeat(3000));
const hasNativeZstd = unwritableCompression('zstd') === undefined;

/** zstd frames made by the zstd tool (1.5): a line of text, and 1 MiB of zeros (no content size in the header). */
const ZSTD_TEXT = Buffer.from('KLUv/QRYyQEAcmlsbCByZWFkcyB6c3RkIHJlY29yZHMgd3JpdHRlbiBieSBrY2F0IGFuZCBLYWZrYSBjbGllbnRzVCPmPg==', 'base64');
const ZSTD_ZEROS = Buffer.from('KLUv/QRYVAAAEAAAAQD7/znAAgIAEAACABAAAgAQAAIAEAACABAAAgAQAAMAEADxPhbh', 'base64');
/** An LZ4 frame made by the lz4 tool (1.9): independent blocks with a content checksum. */
const LZ4_TEXT = Buffer.from('BCJNGGRApy0AAIByaWxsIHJlYWRzIGx6NCBmcmFtZXMgd3JpdHRlbiBieSB0aGUgbHo0IHRvb2wAAAAARt6rmA==', 'base64');

const writable = COMPRESSION_NAMES.filter((c) => c !== 'none' && (c !== 'zstd' || hasNativeZstd));

describe('record batch compression', () => {
  it.each(writable)('a %s batch decodes to the records written, with its codec in the attributes', (codec) => {
    const plain = encodeRecordBatch({ records: RECORDS });
    const batch = encodeRecordBatch({ records: RECORDS, compression: codec });
    expect(batch.length).toBeLessThan(plain.length / 2);
    const decoded = decodeRecordBatches(batch);
    if (isLeft(decoded)) throw new Error(decoded.left.message);
    expect(decoded.right[0].compression).toBe(codec);
    expect(decoded.right[0].records.map((r) => [r.key?.toString(), r.value?.toString(), r.timestamp])).toEqual(
      RECORDS.map((r) => [r.key.toString(), r.value.toString(), r.timestamp]),
    );
  });

  it('names every codec id of the attributes, and refuses ids Kafka does not define', () => {
    expect([0, 1, 2, 3, 4].map((id) => compressionOf(id))).toEqual(COMPRESSION_NAMES.map((name) => ({ _tag: 'Right', right: name })));
    for (const id of [5, 6, 7]) expect(compressionOf(id)).toMatchObject({ _tag: 'Left', left: { kind: 'corrupt' } });
  });

  it('reads zstd frames written by the zstd tool', () => {
    expect(decompress('zstd', ZSTD_TEXT)).toEqual({ _tag: 'Right', right: Buffer.from('rill reads zstd records written by kcat and Kafka clients') });
  });

  it('reads an LZ4 frame written by the lz4 tool, and writes frames of independent 64 KiB blocks, as Kafka reads them', () => {
    expect(decompress('lz4', LZ4_TEXT)).toEqual({ _tag: 'Right', right: Buffer.from('rill reads lz4 frames written by the lz4 tool') });
    const frame = compress('lz4', TEXT);
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect(frame[4] & 0x20).toBe(0x20); // FLG: block independence
    expect(frame[5] >> 4).toBe(4); // BD: 64 KiB
    const tool = spawnSync('lz4', ['-d', '-c'], { input: frame, maxBuffer: 16 * 1024 * 1024 });
    if (tool.error === undefined) expect(tool.stdout.equals(TEXT)).toBe(true);
  });

  it('writes snappy in xerial framing, and reads framed and raw snappy', () => {
    const framed = compress('snappy', TEXT);
    expect(framed.subarray(0, 8)).toEqual(Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]));
    expect(decompress('snappy', framed)).toEqual({ _tag: 'Right', right: TEXT });
    // A raw block: what is left of one xerial block without the framing.
    const small = Buffer.from('one raw snappy block');
    const oneBlock = compress('snappy', small);
    expect(decompress('snappy', oneBlock.subarray(20))).toEqual({ _tag: 'Right', right: small });
  });

  it.each([
    ['gzip', () => compress('gzip', Buffer.alloc(1 << 20))],
    ['snappy', () => compress('snappy', Buffer.alloc(1 << 20))],
    ['lz4', () => compress('lz4', Buffer.alloc(1 << 20))],
    ['zstd', () => ZSTD_ZEROS],
  ] as [CompressionName, () => Buffer][])('stops a %s bomb at the size bound', (codec, bomb) => {
    const r = decompress(codec, bomb(), 64 * 1024);
    expect(r).toMatchObject({ _tag: 'Left', left: { kind: 'corrupt' } });
    if (isLeft(r)) expect(r.left.message).toBe(`${codec} records inflate to more than ${64 * 1024} bytes; refusing to decompress`);
    // Under a bound that fits (an LZ4 frame without a content size is bounded by its blocks' maximum sizes).
    expect(isRight(decompress(codec, bomb(), 2 << 20))).toBe(true);
  });

  it.each(['snappy', 'lz4', 'zstd'] as CompressionName[])('reports %s garbage as corrupt, not as a crash', (codec) => {
    const r = decompress(codec, Buffer.from('this is not compressed at all, just bytes'));
    expect(r).toMatchObject({ _tag: 'Left', left: { kind: 'corrupt' } });
  });

  it('refuses to write zstd without a native codec, naming the alternatives', () => {
    if (hasNativeZstd) {
      expect(decompress('zstd', compress('zstd', TEXT))).toEqual({ _tag: 'Right', right: TEXT });
      return;
    }
    expect(unwritableCompression('zstd')).toMatch(/zstd compression needs node:zlib's zstd .*gzip, lz4 or snappy instead/);
    expect(() => encodeRecordBatch({ records: RECORDS, compression: 'zstd' })).toThrow(/gzip, lz4 or snappy/);
    expect(unwritableCompression('brotli')).toBe('unknown compression "brotli": use one of none, gzip, snappy, lz4, zstd');
  });
});
