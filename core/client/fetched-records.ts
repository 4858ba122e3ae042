// The records of one partition's fetched bytes (RecordBatch v2, as stored), as
// LogClient.fetch returns them: control records skipped, records of aborted
// transactions dropped (read_committed: `aborted` is the Fetch response's
// list), records before the asked offset (a batch fetched whole) dropped, and
// the next offset to read.
import { decodeRecordBatches } from '../log';
import { AbortedTransactionFilter, type AbortedTransactionRef } from './aborted-filter';
import type { FetchedRecord, TopicPartition } from './log-client';

export function fetchedRecords(
  tp: TopicPartition,
  offset: number,
  bytes: Buffer,
  aborted: readonly AbortedTransactionRef[] | null = null,
): { records: FetchedRecord[]; nextOffset: number } {
  const batches = decodeRecordBatches(bytes);
  if (batches._tag === 'Left') throw new Error(`${tp.topic}-${tp.partition} at ${offset}: ${batches.left.message}`);
  const records: FetchedRecord[] = [];
  const filter = new AbortedTransactionFilter(aborted);
  let nextOffset = offset;
  for (const batch of batches.right) {
    nextOffset = Math.max(nextOffset, batch.lastOffset + 1);
    if (!filter.delivers(batch)) continue;
    for (const r of batch.records) if (r.offset >= offset) records.push(r);
  }
  return { records, nextOffset };
}
