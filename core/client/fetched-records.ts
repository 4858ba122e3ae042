// The records of one partition's fetched bytes (RecordBatch v2, as stored), as
// LogClient.fetch returns them: control records skipped, records before the
// asked offset (a batch fetched whole) dropped, and the next offset to read.
import { decodeRecordBatches } from '../log';
import type { FetchedRecord, TopicPartition } from './log-client';

export function fetchedRecords(tp: TopicPartition, offset: number, bytes: Buffer): { records: FetchedRecord[]; nextOffset: number } {
  const batches = decodeRecordBatches(bytes);
  if (batches._tag === 'Left') throw new Error(`${tp.topic}-${tp.partition} at ${offset}: ${batches.left.message}`);
  const records: FetchedRecord[] = [];
  let nextOffset = offset;
  for (const batch of batches.right) {
    nextOffset = Math.max(nextOffset, batch.lastOffset + 1);
    if (batch.isControl) continue;
    for (const r of batch.records) if (r.offset >= offset) records.push(r);
  }
  return { records, nextOffset };
}
