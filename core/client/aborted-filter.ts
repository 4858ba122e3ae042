// Which fetched batches a read_committed reader delivers, as Kafka's consumer
// decides it (Fetcher's abortedProducerIds): the Fetch response lists each
// aborted transaction (producer id, first offset); walking the batches in
// offset order, a transactional data batch is dropped while its producer has
// an aborted transaction begun at or before it, until that producer's ABORT
// marker. Control batches (the markers) are never delivered, whatever the
// isolation level.
import { CONTROL_TYPE_ABORT, controlType, type DecodedBatch } from '../log';

export interface AbortedTransactionRef {
  readonly producerId: number;
  readonly firstOffset: number;
}

export class AbortedTransactionFilter {
  /** Aborted transactions not yet reached, by first offset. */
  private readonly upcoming: AbortedTransactionRef[];
  /** Producers whose aborted transaction is under way at the current batch. */
  private readonly aborting = new Set<number>();

  /** `aborted`: the Fetch response's list; null (read_uncommitted) delivers every data batch. */
  constructor(aborted: readonly AbortedTransactionRef[] | null) {
    this.upcoming = aborted === null ? [] : [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** Whether the records of `batch` (the next batch in offset order) are delivered. */
  delivers(batch: DecodedBatch<{ readonly key: Buffer | null }>): boolean {
    // First the aborted transactions begun by the end of this batch, markers included: a transaction
    // that wrote nothing to this partition begins at its own ABORT marker (Kafka lists it so), which
    // must end it. Taken after the marker, it would drop every later batch of its producer.
    while (this.upcoming.length > 0 && this.upcoming[0].firstOffset <= batch.lastOffset) this.aborting.add(this.upcoming.shift()!.producerId);
    if (batch.isControl) {
      if (controlType(batch.records[0]?.key ?? null) === CONTROL_TYPE_ABORT) this.aborting.delete(batch.producerId);
      return false;
    }
    if (!batch.isTransactional) return true;
    return !this.aborting.has(batch.producerId);
  }
}
