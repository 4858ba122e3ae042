// Kafka's murmur2 (Utils.murmur2 in the Java client) in 32-bit integer arithmetic,
// and the default key partitioner built on it: toPositive(murmur2(key)) % partitions.
// Byte for byte what Java clients and kafkajs' DefaultPartitioner compute, so keyed
// records land on the partition a Kafka client would choose.

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** murmur2 of data[start, end) (default: all of it). */
export function murmur2(data: Buffer, start = 0, end = data.length): number {
  const length = end - start;
  let h = SEED ^ length;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = start + i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const tail = start + (length & ~3);
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a key. */
export function partitionForKey(key: Buffer, partitions: number): number {
  return toPositive(murmur2(key)) % partitions;
}
