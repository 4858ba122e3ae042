// Which buffered record a task processes next: across the partitions it reads
// (orders, payments, customers ...), the one with the smallest timestamp, as
// Kafka Streams' PartitionGroup does. Otherwise a join would see all of one
// topic before the other, and stream time would race ahead of the slower
// topic, turning its records late. Within a partition, offset order is kept.
import type { LogRecord } from '../client/log-client';

/** Orders a batch of fetched records: per partition in offset order, across partitions by timestamp. */
export function timestampOrder(batch: LogRecord[]): LogRecord[] {
  if (batch.length < 2) return batch;
  const queues = new Map<string, LogRecord[]>();
  for (const r of batch) {
    const key = `${r.topic}\u0000${r.partition}`;
    const q = queues.get(key);
    if (q) q.push(r);
    else queues.set(key, [r]);
  }
  if (queues.size === 1) return batch;
  const lists = [...queues.values()];
  const heads = lists.map(() => 0);
  const out: LogRecord[] = [];
  for (let n = 0; n < batch.length; n++) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      if (heads[i] >= lists[i].length) continue;
      if (best < 0 || lists[i][heads[i]].timestamp < lists[best][heads[best]].timestamp) best = i;
    }
    out.push(lists[best][heads[best]++]);
  }
  return out;
}
