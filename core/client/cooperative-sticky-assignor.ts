// Kafka's CooperativeStickyAssignor in spirit (KIP-429): a balanced assignment
// that keeps every member's still-valid partitions where they are, and that never
// hands a partition to a new owner while its old owner still holds it: such a
// partition is left out of this generation, its owner revokes it, rejoins, and the
// follow-up rebalance assigns it. So no partition is ever owned by two members.
import { Assignor, MemberSubscription, byMemberId, emptyAssignment, subscribedPartitions, tpKey } from './assignor';
import type { TopicPartition } from '../broker';

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  rebalanceProtocol: 'cooperative',
  assign(members, partitionsPerTopic) {
    const sorted = [...members].sort(byMemberId);
    const target = balancedStickyAssignment(sorted, partitionsPerTopic);
    // Who owns what right now (first claim wins if two members report the same partition).
    const owner = new Map<string, string>();
    for (const m of sorted) for (const tp of m.ownedPartitions) if (!owner.has(tpKey(tp))) owner.set(tpKey(tp), m.memberId);
    const result = emptyAssignment(sorted);
    for (const [memberId, tps] of target) {
      for (const tp of tps) {
        const current = owner.get(tpKey(tp));
        // Moving from a live owner: withhold it until that owner has revoked it.
        if (current !== undefined && current !== memberId) continue;
        result.get(memberId)!.push(tp);
      }
    }
    return result;
  },
};

/** Balanced (counts differ by at most one among members that could take a partition) and sticky to ownership. */
function balancedStickyAssignment(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Map<string, TopicPartition[]> {
  const all = subscribedPartitions(members, partitionsPerTopic);
  const valid = new Set(all.map(tpKey));
  const assignment = new Map<string, TopicPartition[]>(members.map((m) => [m.memberId, []]));
  const subscribes = (m: MemberSubscription, tp: TopicPartition) => m.topics.includes(tp.topic);
  const taken = new Set<string>();
  // 1. Keep what members own and may still have.
  for (const m of members) {
    for (const tp of m.ownedPartitions) {
      const key = tpKey(tp);
      if (!valid.has(key) || taken.has(key) || !subscribes(m, tp)) continue;
      taken.add(key);
      assignment.get(m.memberId)!.push({ topic: tp.topic, partition: tp.partition });
    }
  }
  const count = (m: MemberSubscription) => assignment.get(m.memberId)!.length;
  // 2. Give each free partition to the least loaded member that subscribes to it.
  for (const tp of all) {
    if (taken.has(tpKey(tp))) continue;
    let best: MemberSubscription | undefined;
    for (const m of members) if (subscribes(m, tp) && (best === undefined || count(m) < count(best))) best = m;
    if (best === undefined) continue;
    taken.add(tpKey(tp));
    assignment.get(best.memberId)!.push(tp);
  }
  // 3. Even out: move partitions from the most to the least loaded eligible member.
  // Each move lowers the sum of squared loads, so this ends; the bound is a guard.
  for (let moved = true, rounds = 0; moved && rounds <= all.length * all.length; rounds++) {
    moved = false;
    const byLoad = [...members].sort((a, b) => count(b) - count(a) || byMemberId(a, b));
    for (const from of byLoad) {
      const tps = assignment.get(from.memberId)!;
      for (let i = tps.length - 1; i >= 0 && !moved; i--) {
        const tp = tps[i];
        const to = [...members].filter((m) => m !== from && subscribes(m, tp)).sort((a, b) => count(a) - count(b) || byMemberId(a, b))[0];
        if (to && count(to) + 1 < count(from)) {
          tps.splice(i, 1);
          assignment.get(to.memberId)!.push(tp);
          moved = true;
        }
      }
      if (moved) break;
    }
  }
  for (const tps of assignment.values()) tps.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  return assignment;
}
