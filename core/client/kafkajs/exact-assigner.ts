// A kafkajs partition assigner that gives each member exactly the partitions
// it asked for (carried in its subscription's userData). This is how a
// LogConsumer's assign() — "read exactly these partitions, commit to this
// group" — maps onto kafkajs, whose consumers only subscribe to groups.
// A partition two members ask for goes to the first (by member id).
import type { PartitionAssigner } from 'kafkajs';
import { kafkajs } from './kafkajs-module';

export const EXACT_ASSIGNER = 'rill-exact';

export interface WantedPartition {
  readonly topic: string;
  readonly partition: number;
}

export function exactAssigner(wanted: readonly WantedPartition[]): PartitionAssigner {
  return () => ({
    name: EXACT_ASSIGNER,
    version: 0,
    protocol: ({ topics }) => ({
      name: EXACT_ASSIGNER,
      metadata: kafkajs().AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.from(JSON.stringify(wanted)) }),
    }),
    async assign({ members }) {
      const taken = new Set<string>();
      return [...members]
        .sort((a, b) => a.memberId.localeCompare(b.memberId))
        .map((m) => {
          const metadata = kafkajs().AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
          let asked: WantedPartition[] = [];
          try {
            asked = JSON.parse(metadata?.userData?.toString() || '[]') as WantedPartition[];
          } catch {
            // A member of another kind: it gets nothing.
          }
          const assignment: Record<string, number[]> = {};
          for (const { topic, partition } of asked) {
            const k = `${topic}\u0000${partition}`;
            if (taken.has(k)) continue;
            taken.add(k);
            (assignment[topic] ??= []).push(partition);
          }
          return {
            memberId: m.memberId,
            memberAssignment: kafkajs().AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
          };
        });
    },
  });
}
