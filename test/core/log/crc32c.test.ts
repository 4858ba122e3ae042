import fc from 'fast-check';
import { crc32c, crc32cImplementation, crc32cJs } from '../../../core/log/crc32c';

// kafkajs' own CRC32C (used by its producer), as an independent reference.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;

/** Bit-at-a-time CRC-32C: slow, obviously correct. */
function bitwiseCrc32c(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe.each([
  ['crc32c (native above 512 bytes where available)', crc32c],
  ['crc32cJs (pure JS fallback)', crc32cJs],
])('%s', (_name, crc32c) => {
  it('gives the standard check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('is 0 for no bytes', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.from('abc'), 2, 2)).toBe(0);
  });

  // RFC 3720 (iSCSI), appendix B.4 test vectors.
  it.each([
    ['32 zero bytes', Buffer.alloc(32, 0), 0x8a9136aa],
    ['32 0xff bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
    ['bytes 0..31', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
    ['bytes 31..0', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
  ])('matches RFC 3720 for %s', (_name, input, expected) => {
    expect(crc32c(input)).toBe(expected);
  });

  it('agrees with a bitwise CRC and with kafkajs on any bytes, across the 16-byte stride and the native threshold', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 2000 }), (bytes) => {
        const buf = Buffer.from(bytes);
        const expected = bitwiseCrc32c(buf);
        expect(crc32c(buf)).toBe(expected);
        expect(kafkajsCrc32c(buf)).toBe(expected);
      }),
      { seed: 20240601, numRuns: 300 },
    );
  });

  it('covers exactly [start, end) of a larger buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.nat(), fc.nat(), (bytes, a, b) => {
        const buf = Buffer.from(bytes);
        const start = a % buf.length;
        const end = start + (b % (buf.length - start + 1));
        expect(crc32c(buf, start, end)).toBe(bitwiseCrc32c(buf.subarray(start, end)));
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('agrees on a 16 KB buffer, whole and in part', () => {
    const big = Buffer.from(Array.from({ length: 16384 }, (_, i) => (i * 131 + 7) & 0xff));
    expect(crc32c(big)).toBe(bitwiseCrc32c(big));
    expect(crc32c(big, 21, 9000)).toBe(bitwiseCrc32c(big.subarray(21, 9000)));
  });
});

describe('crc32c implementation choice', () => {
  it('uses the native binary on platforms @node-rs/crc32 ships one for', () => {
    // CI and developer machines are linux-x64 or darwin: the binary must be there,
    // or append runs at JS speed without anyone noticing.
    const shipped = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'];
    if (shipped.includes(`${process.platform}-${process.arch}`)) expect(crc32cImplementation).toBe('native');
  });
});
