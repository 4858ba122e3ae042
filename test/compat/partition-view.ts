// One partition as a reader under an isolation level sees it, read over the
// Kafka protocol from its leader: for read_committed, up to the last stable
// offset with the records of the aborted transactions the broker lists left out
// (what Kafka's consumers do with Fetch's aborted_transactions); for
// read_uncommitted, every data record up to the high watermark. The markers
// (control batches) come as what they say, so a test can tell an open
// transaction from an aborted or a committed one.
import { isLeft } from 'fp-ts/Either';
import { decodeRecordBatches, type DecodedBatch } from '../../core/log';
import { apis, KafkaConnection } from '../../core/protocol';
import { fetchRequestBody } from '../core/protocol/harness';

export type Isolation = 'read_committed' | 'read_uncommitted';

export interface PartitionView {
  /** The data records' values, in offset order (for read_committed, without the aborted transactions'). */
  readonly values: string[];
  /** The markers read, in order: 'COMMIT' or 'ABORT' with the producer id. */
  readonly markers: { kind: 'COMMIT' | 'ABORT'; producerId: number }[];
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  /** The producer ids of the aborted transactions the broker listed (read_committed). */
  readonly abortedProducers: number[];
}

/** Reads `topic`-`partition` from the broker at `address` to its end under `isolation` (bounded by `timeoutMs`). */
export async function readPartitionAs(address: string, topic: string, partition: number, isolation: Isolation, timeoutMs = 10_000): Promise<PartitionView> {
  const deadline = Date.now() + timeoutMs;
  const conn = await KafkaConnection.connect(address, { timeoutMs });
  const view = { values: [] as string[], markers: [] as PartitionView['markers'], highWatermark: -1, lastStableOffset: -1, abortedProducers: [] as number[] };
  const aborted = new AbortedRanges();
  try {
    for (let offset = 0; ; ) {
      if (Date.now() > deadline) throw new Error(`reading ${topic}-${partition} from ${address} did not finish within ${timeoutMs} ms`);
      const body = { ...fetchRequestBody(topic, [{ partition, fetchOffset: offset }]), isolationLevel: isolation === 'read_committed' ? 1 : 0 };
      const r = await conn.request<apis.FetchResponse>(apis.fetch, body);
      const p = r.responses[0].partitions[0];
      if (p.errorCode !== 0) throw new Error(`fetch of ${topic}-${partition} at ${offset} from ${address} failed with error ${p.errorCode}`);
      view.highWatermark = p.highWatermark;
      view.lastStableOffset = p.lastStableOffset;
      for (const a of p.abortedTransactions ?? []) {
        if (!view.abortedProducers.includes(a.producerId)) view.abortedProducers.push(a.producerId);
        aborted.add(a.producerId, a.firstOffset);
      }
      const decoded = decodeRecordBatches(p.records ?? Buffer.alloc(0));
      if (isLeft(decoded)) throw new Error(`undecodable batches in ${topic}-${partition} at ${offset}`);
      for (const b of decoded.right) {
        if (b.lastOffset < offset) continue;
        readBatch(b, offset, isolation === 'read_committed' ? aborted : undefined, view);
      }
      if (decoded.right.length > 0) offset = decoded.right[decoded.right.length - 1].lastOffset + 1;
      const end = isolation === 'read_committed' ? p.lastStableOffset : p.highWatermark;
      if (offset >= end || decoded.right.length === 0) return view;
    }
  } finally {
    conn.close();
  }
}

function readBatch(b: DecodedBatch, from: number, aborted: AbortedRanges | undefined, view: { values: string[]; markers: PartitionView['markers'] }): void {
  // Kafka's consumer (CompletedFetch): the aborted transactions starting up to this batch come into play
  // first, then an ABORT marker ends its producer's, and a data batch of a producer in play is dropped.
  if (b.isTransactional) aborted?.reach(b.producerId, b.lastOffset);
  if (b.isControl) {
    const kind = b.records[0].key!.readInt16BE(2) === 1 ? 'COMMIT' : 'ABORT';
    view.markers.push({ kind, producerId: b.producerId });
    if (kind === 'ABORT') aborted?.end(b.producerId);
    return;
  }
  if (aborted !== undefined && b.isTransactional && aborted.aborting(b.producerId)) return;
  for (const rec of b.records) if (rec.offset >= from) view.values.push(rec.value?.toString() ?? '');
}

/**
 * The data record values a read_committed consumer takes from `batches` (read
 * up to the last stable offset), given the broker's aborted transactions list.
 */
export function committedValues(batches: readonly DecodedBatch[], aborted: readonly { producerId: number; firstOffset: number }[]): string[] {
  const ranges = new AbortedRanges();
  for (const a of aborted) ranges.add(a.producerId, a.firstOffset);
  const view = { values: [] as string[], markers: [] as PartitionView['markers'] };
  for (const b of batches) readBatch(b, 0, ranges, view);
  return view.values;
}

/** Kafka's consumer rule: a listed producer's transactional batches from its first offset up to its ABORT marker are dropped. */
class AbortedRanges {
  private readonly pending = new Map<number, number[]>();
  private readonly active = new Set<number>();

  add(producerId: number, firstOffset: number): void {
    const list = this.pending.get(producerId) ?? [];
    if (!list.includes(firstOffset)) list.push(firstOffset);
    this.pending.set(
      producerId,
      list.sort((a, b) => a - b),
    );
  }

  /** A batch of the producer ending at `offset` is read: its aborted transactions starting there or before are in play. */
  reach(producerId: number, offset: number): void {
    const list = this.pending.get(producerId);
    while (list !== undefined && list.length > 0 && list[0] <= offset) {
      list.shift();
      this.active.add(producerId);
    }
  }

  aborting(producerId: number): boolean {
    return this.active.has(producerId);
  }

  end(producerId: number): void {
    this.active.delete(producerId);
  }
}
