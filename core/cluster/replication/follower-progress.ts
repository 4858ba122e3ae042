// What a partition leader knows of each follower (Kafka's Replica state,
// etcd's tracker.Progress): its log end offset from its last fetch and the
// last time it was caught up, which decides ISR shrink (replica.lag.time.max.ms).

export interface FollowerProgress {
  /** The follower's log end offset (its last fetch offset); -1 until it fetches in this leader epoch. */
  logEndOffset: number;
  /** Last time the follower had everything the leader had. */
  lastCaughtUpMs: number;
  /** The leader's log end offset and the time of the follower's previous fetch. */
  lastFetchLeaderLogEndOffset: number;
  lastFetchMs: number;
  /** The broker epoch of the follower incarnation that fetched (0: none yet). */
  brokerEpoch: number;
}

export function newFollowerProgress(now: number): FollowerProgress {
  // A new leader gives every follower a full lag window before it may be dropped.
  return { logEndOffset: -1, lastCaughtUpMs: now, lastFetchLeaderLogEndOffset: -1, lastFetchMs: now, brokerEpoch: 0 };
}

/**
 * Kafka's rule (Replica.updateFetchState): a fetch at or past the leader's end
 * is caught up now; a fetch at or past where the leader's end was at the
 * previous fetch was caught up as of that previous fetch.
 */
export function recordFetch(p: FollowerProgress, fetchOffset: number, leaderLogEndOffset: number, now: number): void {
  if (fetchOffset >= leaderLogEndOffset) p.lastCaughtUpMs = Math.max(p.lastCaughtUpMs, now);
  else if (fetchOffset >= p.lastFetchLeaderLogEndOffset) p.lastCaughtUpMs = Math.max(p.lastCaughtUpMs, p.lastFetchMs);
  p.logEndOffset = fetchOffset;
  p.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
  p.lastFetchMs = now;
}
