// The byte budget of one Fetch response: the client's max_bytes, capped by the
// broker's fetch.max.bytes. As in Kafka (KIP-74), the first non-empty partition
// may pass it with its first batch whole, so a consumer always progresses; a
// later partition whose next batch does not fit gets nothing this time.

export class FetchBudget {
  private left: number;
  private first = true;

  constructor(requested: number | undefined, limit: number) {
    this.left = Math.min(requested !== undefined && requested > 0 ? requested : limit, limit);
  }

  /** Reads one partition (`read(maxBytes)` returns whole batches, at least one) within what is left. */
  take(partitionMaxBytes: number, read: (maxBytes: number) => Buffer, empty: Buffer): Buffer {
    if (this.left <= 0) return empty;
    let records = read(Math.min(Math.max(0, partitionMaxBytes), this.left));
    if (records.length > this.left && !this.first) records = empty;
    if (records.length > 0) this.first = false;
    this.left -= records.length;
    return records;
  }
}
