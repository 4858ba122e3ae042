// The stream applications' group assignor (co-partitioned-assignor.ts:
// partition p of every subscribed topic goes to the same member) as a kafkajs
// PartitionAssigner, so subscribe() over kafkajs splits tasks the way the
// embedded and Rill protocol clients do.
//
// kafkajs rebalances eagerly: every member has given up all its partitions
// before it rejoins. The members are therefore passed to the assignor as
// owning nothing; the cooperative rule (a task that moves is withheld until
// its owner revoked it, then handed out in a second rebalance) would
// otherwise withhold partitions that no second rebalance ever hands out.
import type { PartitionAssigner } from 'kafkajs';
import { kafkajs } from './kafkajs-module';
import { coPartitionedAssignor } from '../co-partitioned-assignor';

export const CO_PARTITIONED_ASSIGNER = coPartitionedAssignor.name;

/**
 * The assigner of one member; `userData` rides in its subscription (Kafka
 * Streams puts its application.server there): kafkajs has one client.id per
 * Kafka instance, so a LogClient consumer's own client id travels this way
 * and groupMembers() reads it back (memberUserData).
 */
export const coPartitionedAssigner =
  (userData: Buffer = Buffer.alloc(0)): PartitionAssigner =>
  ({ cluster }) => ({
    name: CO_PARTITIONED_ASSIGNER,
    version: 0,
    protocol: ({ topics }) => ({
      name: CO_PARTITIONED_ASSIGNER,
      metadata: kafkajs().AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData }),
    }),
    async assign({ members, topics }) {
      const subscriptions = members.map((m) => ({
        memberId: m.memberId,
        topics: kafkajs().AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? [],
        ownedPartitions: [],
      }));
      const counts = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).length]));
      const plan = coPartitionedAssignor.assign(subscriptions, counts);
      return members.map(({ memberId }) => {
        const assignment: Record<string, number[]> = {};
        for (const tp of plan.get(memberId) ?? []) (assignment[tp.topic] ??= []).push(tp.partition);
        return { memberId, memberAssignment: kafkajs().AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }) };
      });
    },
  });

/** The userData of a member's subscription (its memberMetadata in DescribeGroups); empty when there is none or it does not decode. */
export function memberUserData(memberMetadata: Buffer): Buffer {
  try {
    return kafkajs().AssignerProtocol.MemberMetadata.decode(memberMetadata)?.userData ?? Buffer.alloc(0);
  } catch {
    return Buffer.alloc(0);
  }
}
