// Which partition a record goes to: the one given explicitly; else by key with
// Kafka's murmur2 (exactly Kafka's default partitioner); else, for a record
// without a key, "sticky" (one partition until its batch is sent, then another —
// Kafka's KIP-480 default, fewer and fuller batches) or round-robin.
import { murmur2, partitionForKey, toPositive } from './murmur2';

export type KeylessPartitioning = 'sticky' | 'round-robin';

export interface PartitionerInput {
  topic: string;
  partitions: number;
  key: Buffer | null;
  partition?: number;
}

export class DefaultPartitioner {
  private readonly sticky = new Map<string, number>();
  private readonly counters = new Map<string, number>();

  constructor(
    private readonly keyless: KeylessPartitioning = 'sticky',
    private readonly random: () => number = Math.random,
  ) {}

  partition(input: PartitionerInput): number {
    return this.partitionOf(input.topic, input.partitions, input.key, input.partition);
  }

  /** partition() without an input object: the producer calls it for every record. */
  partitionOf(topic: string, partitions: number, key: Buffer | null, partition: number | undefined): number {
    if (partition !== undefined) return partition;
    if (key !== null) return partitionForKey(key, partitions);
    return this.keylessPartition(topic, partitions);
  }

  /** partitionOf() for a key that is src[keyStart, keyEnd) (keyStart -1: no key). */
  partitionOfRange(topic: string, partitions: number, src: Buffer, keyStart: number, keyEnd: number, partition: number | undefined): number {
    if (partition !== undefined) return partition;
    if (keyStart >= 0) return toPositive(murmur2(src, keyStart, keyEnd)) % partitions;
    return this.keylessPartition(topic, partitions);
  }

  private keylessPartition(topic: string, partitions: number): number {
    if (this.keyless === 'round-robin') {
      const next = ((this.counters.get(topic) ?? Math.floor(this.random() * partitions)) + 1) % partitions;
      this.counters.set(topic, next);
      return next;
    }
    let p = this.sticky.get(topic);
    if (p === undefined || p >= partitions) {
      p = Math.floor(this.random() * partitions);
      this.sticky.set(topic, p);
    }
    return p;
  }

  /** The producer sent the sticky partition's batch: keyless records move on to another partition. */
  batchSent(topic: string, partition: number, partitions: number): void {
    if (this.keyless !== 'sticky' || this.sticky.get(topic) !== partition || partitions < 2) return;
    const other = Math.floor(this.random() * (partitions - 1));
    this.sticky.set(topic, other >= partition ? other + 1 : other);
  }
}
