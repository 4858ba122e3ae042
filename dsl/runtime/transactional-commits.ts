// Exactly-once (EOS v2, KIP-447): one transactional producer per instance.
// Every write of a commit interval (sinks, changelogs, repartition topics)
// goes into its open transaction; a commit adds the input offsets to it
// (sendOffsetsToTransaction) and commits it, and the next one begins at once.
// Nothing of an aborted transaction is ever visible to a read_committed reader.
import { randomUUID } from 'node:crypto';
import type { ConsumerGroupMetadata, TopicPartition, TransactionalLogProducer } from '../../core/client';

/** Kafka Streams' transaction.timeout.ms under exactly-once: a crashed instance's open transaction holds read_committed readers back at most this long. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 10_000;

/**
 * The instance's transactional id: stable across restarts when the instance
 * has a stable name, so that a restarted instance fences its previous
 * incarnation (the epoch bump of InitProducerId aborts what it left open and
 * refuses its late writes).
 */
export function transactionalIdOf(applicationId: string, instanceId: string | undefined): string {
  return `${applicationId}-eos-${instanceId ?? randomUUID()}`;
}

export class TransactionalCommits {
  /** The offsets and write count of the last commit: a commit with nothing new since is skipped. */
  private last = { offsets: '', written: -1 };

  constructor(
    readonly producer: TransactionalLogProducer,
    private readonly groupId: string,
  ) {}

  /** Commits the open transaction with the input offsets, then begins the next. `written`: writes handed to the producer so far. */
  async commit(offsets: readonly (TopicPartition & { offset: number })[], written: number, member: ConsumerGroupMetadata | undefined): Promise<void> {
    const key = offsets.map((o) => `${o.topic}\0${o.partition}\0${o.offset}`).join('\n');
    if (key === this.last.offsets && written === this.last.written) return;
    if (offsets.length > 0) await this.producer.sendOffsetsToTransaction(this.groupId, offsets, member);
    await this.producer.commitTransaction();
    this.last = { offsets: key, written };
    await this.producer.beginTransaction();
  }

  /** Aborts the open transaction, then begins the next. */
  async abort(): Promise<void> {
    this.last = { offsets: '', written: -1 };
    await this.producer.abortTransaction();
    await this.producer.beginTransaction();
  }
}
