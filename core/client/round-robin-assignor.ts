// Kafka's RoundRobinAssignor: all partitions in (topic, partition) order dealt to
// the members in member-id order, skipping members not subscribed to the topic.
import { Assignor, byMemberId, emptyAssignment, subscribedPartitions } from './assignor';

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  rebalanceProtocol: 'eager',
  assign(members, partitionsPerTopic) {
    const result = emptyAssignment(members);
    const sorted = [...members].sort(byMemberId);
    if (sorted.length === 0) return result;
    let next = 0;
    for (const tp of subscribedPartitions(members, partitionsPerTopic)) {
      for (let tries = 0; tries < sorted.length; tries++) {
        const m = sorted[next];
        next = (next + 1) % sorted.length;
        if (m.topics.includes(tp.topic)) {
          result.get(m.memberId)!.push(tp);
          break;
        }
      }
    }
    return result;
  },
};
