import fc from 'fast-check';
import {
  VARINT_MALFORMED,
  VARINT_TRUNCATED,
  VarintValue,
  readUnsignedVarint,
  readVarint,
  readVarlong,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
} from '../../../core/log/varint';

// kafkajs' primitive codec: an independent implementation of the same wire format.
/* eslint-disable @typescript-eslint/no-require-imports */
const KafkaEncoder = require('kafkajs/src/protocol/encoder');
const KafkaDecoder = require('kafkajs/src/protocol/decoder');
/* eslint-enable @typescript-eslint/no-require-imports */

const hex = (s: string) => Buffer.from(s.replace(/ /g, ''), 'hex');

function encode(write: (b: Buffer, p: number, v: number) => number, size: (v: number) => number, value: number): Buffer {
  const buf = Buffer.alloc(size(value));
  expect(write(buf, 0, value)).toBe(buf.length);
  return buf;
}

function read(reader: typeof readVarint, buf: Buffer, end = buf.length): { next: number; value: number } {
  const out: VarintValue = { value: NaN };
  const next = reader(buf, 0, end, out);
  return { next, value: out.value };
}

describe('varint (zigzag int32)', () => {
  it.each([
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [63, '7e'],
    [64, '8001'],
    [300, 'd804'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ])('encodes %d as %s and back', (value, bytes) => {
    expect(encode(writeVarint, sizeOfVarint, value).toString('hex')).toBe(bytes);
    expect(read(readVarint, hex(bytes))).toEqual({ next: bytes.length / 2, value });
  });

  it('is byte-identical to kafkajs for every int32', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), (value) => {
        const ours = encode(writeVarint, sizeOfVarint, value);
        expect(ours).toEqual(new KafkaEncoder().writeVarInt(value).buffer);
        expect(new KafkaDecoder(ours).readVarInt()).toBe(value);
        expect(read(readVarint, ours)).toEqual({ next: ours.length, value });
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it('reports bytes that end inside the varint as truncated', () => {
    expect(read(readVarint, hex('')).next).toBe(VARINT_TRUNCATED);
    expect(read(readVarint, hex('80')).next).toBe(VARINT_TRUNCATED);
    expect(read(readVarint, hex('ffffffff')).next).toBe(VARINT_TRUNCATED);
    // `end` bounds the read even when the buffer goes on.
    expect(read(readVarint, hex('8001'), 1).next).toBe(VARINT_TRUNCATED);
  });

  it('refuses varints longer than 5 bytes or beyond 32 bits', () => {
    expect(read(readVarint, hex('ffffffffff01')).next).toBe(VARINT_MALFORMED);
    expect(read(readVarint, hex('ffffffff1f')).next).toBe(VARINT_MALFORMED);
    expect(read(readVarint, hex('8080808080808080808001')).next).toBe(VARINT_MALFORMED);
  });

  it('reads at a position inside a buffer', () => {
    const buf = hex('aa bb d804 cc');
    const out: VarintValue = { value: 0 };
    expect(readVarint(buf, 2, buf.length, out)).toBe(4);
    expect(out.value).toBe(300);
  });
});

describe('varlong (zigzag int64 as JS number)', () => {
  it.each([
    [0, '00'],
    [-1, '01'],
    [1073741823, 'feffffff07'],
    [-1073741824, 'ffffffff07'],
    [1073741824, '8080808008'],
    [2147483648, '8080808010'],
    [1700000000000, '80a0abfef962'],
    [-1700000000000, 'ff9fabfef962'],
    [2 ** 52 - 1, 'feffffffffffff0f'],
    [-(2 ** 52), 'ffffffffffffff0f'],
  ])('encodes %d as %s and back', (value, bytes) => {
    expect(encode(writeVarlong, sizeOfVarlong, value).toString('hex')).toBe(bytes);
    expect(read(readVarlong, hex(bytes))).toEqual({ next: bytes.length / 2, value });
  });

  it('is byte-identical to kafkajs across the safe range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 - 1 }), (value) => {
        const ours = encode(writeVarlong, sizeOfVarlong, value);
        expect(ours).toEqual(new KafkaEncoder().writeVarLong(value).buffer);
        expect(new KafkaDecoder(ours).readVarLong().toString()).toBe(String(value));
        expect(read(readVarlong, ours)).toEqual({ next: ours.length, value });
      }),
      { seed: 43, numRuns: 2000 },
    );
  });

  it('refuses values a JS number cannot hold exactly, and more than 10 bytes', () => {
    // int64 max: zigzag 2^64 - 2.
    expect(read(readVarlong, hex('feffffffffffffffff01')).next).toBe(VARINT_MALFORMED);
    expect(read(readVarlong, hex('8080808080808080808001')).next).toBe(VARINT_MALFORMED);
    expect(read(readVarlong, hex('8080808080')).next).toBe(VARINT_TRUNCATED);
  });
});

describe('unsigned varint (compact lengths)', () => {
  it.each([
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [16384, '808001'],
    [0xffffffff, 'ffffffff0f'],
  ])('encodes %d as %s and back', (value, bytes) => {
    expect(encode(writeUnsignedVarint, sizeOfUnsignedVarint, value).toString('hex')).toBe(bytes);
    expect(read(readUnsignedVarint, hex(bytes))).toEqual({ next: bytes.length / 2, value });
  });

  it('is byte-identical to kafkajs for every uint32', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (value) => {
        const ours = encode(writeUnsignedVarint, sizeOfUnsignedVarint, value);
        expect(ours).toEqual(new KafkaEncoder().writeUVarInt(value).buffer);
        expect(read(readUnsignedVarint, ours)).toEqual({ next: ours.length, value });
      }),
      { seed: 44, numRuns: 1000 },
    );
  });

  it('refuses a fifth byte beyond 32 bits', () => {
    expect(read(readUnsignedVarint, hex('ffffffff10')).next).toBe(VARINT_MALFORMED);
  });
});
