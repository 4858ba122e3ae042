// A client's view of a partition's leader epoch against the leader's own
// (KIP-320). Fetch, ListOffsets and OffsetsForLeaderEpoch carry the epoch the
// client last saw in Metadata as CurrentLeaderEpoch; Kafka refuses a request
// from an older view (the client must refresh metadata: a new leader may have
// truncated the log under it) and one from a newer view (this broker has not
// learnt the new leader yet: the client retries).
import { ErrorCode } from '../wire';
import type { MetadataPort, PortError } from './ports';

/**
 * 0, or the error code for a request made with `currentLeaderEpoch` to a leader
 * at `leaderEpoch`. A negative epoch (-1: the client knows none) is not checked,
 * as Kafka reads it as absent.
 */
export function leaderEpochError(currentLeaderEpoch: number, leaderEpoch: number): number {
  if (currentLeaderEpoch < 0 || currentLeaderEpoch === leaderEpoch) return 0;
  return currentLeaderEpoch < leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
}

/** The refusal for a stale or future CurrentLeaderEpoch, or undefined when the request may go on. */
export function leaderEpochRefusal(name: string, currentLeaderEpoch: number, leaderEpoch: number): PortError | undefined {
  const code = leaderEpochError(currentLeaderEpoch, leaderEpoch);
  if (code === 0) return undefined;
  const why =
    code === ErrorCode.FENCED_LEADER_EPOCH ? 'a newer leader has been elected since; refresh metadata' : 'this broker has not learnt that leader yet; retry';
  return { code, message: `${name}: the request names leader epoch ${currentLeaderEpoch}, the leader is at ${leaderEpoch}: ${why}.` };
}

/**
 * 0, or the error for a request naming `currentLeaderEpoch` for a partition,
 * against the leader epoch this broker knows for it. A partition it knows no
 * leader for passes: the port answers why (unknown, or no leader).
 */
export function currentLeaderEpochError(metadata: MetadataPort, topic: string, partition: number, currentLeaderEpoch: number): number {
  if (currentLeaderEpoch < 0) return 0;
  const leader = metadata.currentLeader(topic, partition);
  return leader === undefined ? 0 : leaderEpochError(currentLeaderEpoch, leader.leaderEpoch);
}
