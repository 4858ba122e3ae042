import * as fc from 'fast-check';
import { DefaultPartitioner, murmur2, partitionForKey } from '../../../core/client';

/* eslint-disable @typescript-eslint/no-require-imports */
const { Partitioners } = require('kafkajs') as { Partitioners: { DefaultPartitioner: () => (args: unknown) => number } };
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (key: Buffer | string) => number;
/* eslint-enable @typescript-eslint/no-require-imports */

function partitionMetadata(n: number) {
  return Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 0 }));
}

describe('murmur2 key partitioning', () => {
  it('picks the same partition as kafkajs DefaultPartitioner for 10,000 random keys', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    const keys = fc.sample(fc.uint8Array({ minLength: 0, maxLength: 64 }), { numRuns: 10_000, seed: 42 });
    let checked = 0;
    for (const [i, bytes] of keys.entries()) {
      const key = Buffer.from(bytes);
      const partitions = 1 + (i % 97);
      const expected = kafkajs({ topic: 't', partitionMetadata: partitionMetadata(partitions), message: { key, value: 'v' } });
      expect(partitionForKey(key, partitions)).toBe(expected);
      checked++;
    }
    expect(checked).toBe(10_000);
  });

  it('hashes a range of a buffer as it hashes those bytes alone', () => {
    const partitioner = new DefaultPartitioner();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(64), fc.nat(64), (bytes, a, b) => {
        const src = Buffer.from(bytes);
        const [start, end] = [Math.min(a, b, src.length), Math.min(Math.max(a, b), src.length)];
        expect(murmur2(src, start, end)).toBe(murmur2(Buffer.from(src.subarray(start, end))));
        expect(partitioner.partitionOfRange('t', 13, src, start, end, undefined)).toBe(partitionForKey(src.subarray(start, end), 13));
      }),
      { seed: 7, numRuns: 2000 },
    );
    expect(partitioner.partitionOfRange('t', 13, Buffer.from('k'), 0, 1, 4)).toBe(4);
  });

  it('matches kafkajs on string keys and known vectors', () => {
    for (const s of ['', 'a', 'ab', 'abc', 'abcd', 'hello world', 'ключ', '21', 'orders-42']) {
      expect(murmur2(Buffer.from(s))).toBe(kafkajsMurmur2(s));
    }
    // Kafka's own test vectors (UtilsTest.testMurmur2).
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
  });

  it('uses the explicit partition, then the key, then sticky or round-robin for keyless records', () => {
    const p = new DefaultPartitioner('round-robin', () => 0);
    expect(p.partition({ topic: 't', partitions: 4, key: Buffer.from('x'), partition: 3 })).toBe(3);
    expect(p.partition({ topic: 't', partitions: 4, key: Buffer.from('21') })).toBe(partitionForKey(Buffer.from('21'), 4));
    expect([0, 1, 2, 3, 4].map(() => p.partition({ topic: 't', partitions: 4, key: null }))).toEqual([1, 2, 3, 0, 1]);
    const sticky = new DefaultPartitioner('sticky', () => 0.5);
    const first = sticky.partition({ topic: 't', partitions: 4, key: null });
    expect(sticky.partition({ topic: 't', partitions: 4, key: null })).toBe(first);
    sticky.batchSent('t', first, 4);
    expect(sticky.partition({ topic: 't', partitions: 4, key: null })).not.toBe(first);
  });
});
