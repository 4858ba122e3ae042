// What OffsetCommit and TxnOffsetCommit share: the request's partitions as the
// commits to make, and Kafka's checks of them (READ on the group, else every
// partition GROUP_AUTHORIZATION_FAILED; READ on each topic, else that topic's
// partitions TOPIC_AUTHORIZATION_FAILED while the others are committed).
import type { RequestContext } from '../api';
import { authorized, authorizer, deniedCode } from '../auth';
import type { CommitResult, OffsetCommitEntry } from '../ports';

interface CommitTopics {
  readonly name: string;
  readonly partitions: readonly {
    readonly partitionIndex: number;
    readonly committedOffset: number;
    readonly committedLeaderEpoch: number;
    readonly committedMetadata: string | null;
  }[];
}

/** One commit per partition of the request, in request order. */
export function commitsOf(topics: readonly CommitTopics[]): OffsetCommitEntry[] {
  return topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionIndex,
      offset: p.committedOffset,
      leaderEpoch: p.committedLeaderEpoch,
      metadata: p.committedMetadata,
    })),
  );
}

export interface CheckedCommits {
  /** The principal may not READ the group: every commit is refused. */
  readonly groupDenied: boolean;
  /** The commits to make. */
  readonly allowed: readonly OffsetCommitEntry[];
  /** The refused ones, with their error codes. */
  readonly denied: readonly CommitResult[];
}

export function checkCommits(ctx: RequestContext, groupId: string, commits: readonly OffsetCommitEntry[]): CheckedCommits {
  const groupDenied = !authorized(ctx, 'Group', groupId, 'READ');
  const readable = authorizer(ctx, 'Topic', 'READ');
  const denied = commits
    .filter((c) => groupDenied || !readable(c.topic))
    .map((c) => ({ topic: c.topic, partition: c.partition, errorCode: groupDenied ? deniedCode.Group : deniedCode.Topic }));
  const allowed = denied.length === 0 ? commits : commits.filter((c) => !groupDenied && readable(c.topic));
  return { groupDenied, allowed, denied };
}
