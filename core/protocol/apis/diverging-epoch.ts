// Fetch v12+'s LastFetchedEpoch (KIP-595): the fetcher names the epoch of the
// last batch it has. When the leader's log places that epoch's end before the
// fetch offset, or knows only an older epoch at or below it, the two logs
// diverged there: the answer carries no records but DivergingEpoch {Epoch,
// EndOffset}, where the fetcher must truncate to before fetching on. The Java
// consumer sends -1 (it validates with OffsetForLeaderEpoch instead); -1 is not
// checked. Kafka's order (Partition.readRecords), kept here:
// 1. the epoch lookup's own refusal (a fenced or unknown current leader epoch);
// 2. an epoch the leader cannot place (UNDEFINED: -1, -1) is OFFSET_OUT_OF_RANGE,
//    never a DivergingEpoch of -1 (a fetcher would truncate to -1);
// 3. a fetch offset below the log start is OFFSET_OUT_OF_RANGE, diverged or not;
// 4. then the divergence check. A fetch offset past the log end is not refused
//    before it: the latest epoch ends at the log end, so it diverged there.
import * as E from 'fp-ts/Either';
import { ErrorCode, field, struct, type Field } from '../../wire';
import type { EpochEndOffset, FetchedPartition, PartitionPort } from '../ports';

/** DivergingEpoch as a Fetch answer carries it. */
export interface DivergingEpoch {
  epoch: number;
  endOffset: number;
}

/** A Fetch partition answered without reading: refused, or diverged. */
export type AnsweredPartition = FetchedPartition & { readonly divergingEpoch?: DivergingEpoch };

const NO_RECORDS = Buffer.alloc(0);

/** The DivergingEpoch field (tag 0 of a Fetch answer's partition, v12+): left out unless the logs diverged. */
export function divergingEpochField(versionSpec: string): Field {
  return field(
    'divergingEpoch',
    struct([field('epoch', 'int32', versionSpec, { default: -1 }), field('endOffset', 'int64', versionSpec, { default: -1 })]),
    versionSpec,
    { tag: 0, default: undefined },
  );
}

/** A partition answered with `errorCode` and nothing else. */
export function refusedPartition(topic: string, partition: number, errorCode: number): AnsweredPartition {
  return { topic, partition, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, abortedTransactions: null, records: NO_RECORDS };
}

/** Where the fetcher's log diverged from the leader's, or undefined when it did not. */
function divergence(end: EpochEndOffset, fetchOffset: number, lastFetchedEpoch: number): DivergingEpoch | undefined {
  return end.leaderEpoch < lastFetchedEpoch || end.endOffset < fetchOffset ? { epoch: end.leaderEpoch, endOffset: end.endOffset } : undefined;
}

/**
 * The answer for a fetch whose LastFetchedEpoch shows its log diverged from
 * the leader's (or the refusal met finding out), or undefined: fetch as asked.
 */
export function divergedAnswer(
  port: PartitionPort,
  topic: string,
  partition: number,
  wanted: { currentLeaderEpoch: number; fetchOffset: number; lastFetchedEpoch: number },
): AnsweredPartition | undefined {
  if (wanted.lastFetchedEpoch < 0) return undefined;
  const end = port.offsetForLeaderEpoch(topic, partition, wanted.currentLeaderEpoch, wanted.lastFetchedEpoch);
  if (E.isLeft(end)) return refusedPartition(topic, partition, end.left.code);
  if (end.right.leaderEpoch < 0 || end.right.endOffset < 0) return refusedPartition(topic, partition, ErrorCode.OFFSET_OUT_OF_RANGE);
  const logStart = port.listOffset(topic, partition, -2);
  if (E.isLeft(logStart)) return refusedPartition(topic, partition, logStart.left.code);
  if (wanted.fetchOffset < logStart.right.offset) return refusedPartition(topic, partition, ErrorCode.OFFSET_OUT_OF_RANGE);
  const divergingEpoch = divergence(end.right, wanted.fetchOffset, wanted.lastFetchedEpoch);
  if (divergingEpoch === undefined) return undefined;
  // The other offsets a fetch answer carries: high watermark, last stable offset.
  const offsets = [port.listOffset(topic, partition, -1, 0), port.listOffset(topic, partition, -1, 1)];
  const failed = offsets.find(E.isLeft);
  if (failed !== undefined) return refusedPartition(topic, partition, failed.left.code);
  const [highWatermark, lastStableOffset] = offsets.map((o) => (E.isRight(o) ? o.right.offset : -1));
  const logStartOffset = logStart.right.offset;
  return { topic, partition, errorCode: 0, highWatermark, lastStableOffset, logStartOffset, abortedTransactions: null, records: NO_RECORDS, divergingEpoch };
}
