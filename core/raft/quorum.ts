import type { NodeId } from './types';

// Majority arithmetic, kept apart so it reads alone (etcd's quorum/ package).

export type VoteResult = 'won' | 'lost' | 'pending';

export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * The largest index that a majority of voters has matched. Voters with no
 * known match count as 0.
 */
export function committedIndex(voters: ReadonlySet<NodeId>, matchOf: (id: NodeId) => number): number {
  if (voters.size === 0) return 0;
  // A leader asks on every acknowledgement: sort the few matches in place in
  // one reused array (descending, by insertion) rather than allocate a copy and a sort's workspace.
  const matches = scratch;
  let n = 0;
  for (const id of voters) {
    const m = matchOf(id);
    let k = n++;
    while (k > 0 && matches[k - 1] < m) {
      matches[k] = matches[k - 1];
      k--;
    }
    matches[k] = m;
  }
  return matches[quorumSize(n) - 1];
}
const scratch: number[] = [];

export function voteResult(voters: ReadonlySet<NodeId>, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = quorumSize(voters.size);
  if (granted >= q) return 'won';
  if (granted + missing >= q) return 'pending';
  return 'lost';
}

/** Whether the given acknowledgements form a majority of voters. */
export function hasQuorum(voters: ReadonlySet<NodeId>, acked: (id: NodeId) => boolean): boolean {
  let n = 0;
  for (const id of voters) if (acked(id)) n++;
  return n >= quorumSize(voters.size);
}
