// Kafka's RangeAssignor: per topic, the subscribed members in member-id order
// each take a contiguous range; the first (partitions % members) take one more.
import { Assignor, byMemberId, emptyAssignment } from './assignor';

export const rangeAssignor: Assignor = {
  name: 'range',
  rebalanceProtocol: 'eager',
  assign(members, partitionsPerTopic) {
    const result = emptyAssignment(members);
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    for (const topic of topics) {
      const count = partitionsPerTopic.get(topic);
      if (count === undefined) continue;
      const subscribers = members.filter((m) => m.topics.includes(topic)).sort(byMemberId);
      const per = Math.floor(count / subscribers.length);
      const extra = count % subscribers.length;
      subscribers.forEach((m, i) => {
        const start = per * i + Math.min(i, extra);
        const length = per + (i < extra ? 1 : 0);
        for (let p = start; p < start + length; p++) result.get(m.memberId)!.push({ topic, partition: p });
      });
    }
    return result;
  },
};
