// Which partition a record goes to: the one given explicitly; else by key with
// Kafka's murmur2 (exactly Kafka's default partitioner); else, for a record
// without a key, "sticky" (one partition until its batch is sent, then another —
// Kafka's KIP-480 default, fewer and fuller batches) or round-robin.
import { partitionForKey } from './murmur2';

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
    if (input.partition !== undefined) return input.partition;
    if (input.key !== null) return partitionForKey(input.key, input.partitions);
    if (this.keyless === 'round-robin') {
      const next = ((this.counters.get(input.topic) ?? Math.floor(this.random() * input.partitions)) + 1) % input.partitions;
      this.counters.set(input.topic, next);
      return next;
    }
    let p = this.sticky.get(input.topic);
    if (p === undefined || p >= input.partitions) {
      p = Math.floor(this.random() * input.partitions);
      this.sticky.set(input.topic, p);
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
