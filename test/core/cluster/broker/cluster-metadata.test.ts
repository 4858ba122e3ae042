// A cluster broker answers Metadata from topic layouts it builds once per
// metadata change (issue #19: Metadata for 10,000 partitions), so an answer
// must never outlive the change: here a broker stops (controlled shutdown,
// fenced at once) and the next answers show its replicas offline, the leaders
// moved and the ISR shrunk.
import { clusterMetadataPort } from '../../../../core/cluster/broker/cluster-ports';
import type { TopicLayout } from '../../../../core/protocol';
import { InProcessCluster, until } from '../in-process-cluster';
import * as E from 'fp-ts/Either';

const IDS = [1, 2, 3];
const DEADLINE_MS = 40_000;
const TOPIC = 'layouts';

describe('Metadata on a cluster broker', () => {
  let cluster: InProcessCluster;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it(
    'reuses a topic layout while the metadata stays the same, and answers from a new one after a change',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      await cluster.allBrokersRegistered(deadline);
      await cluster.createReplicatedTopic(1, TOPIC, 3, deadline);
      const broker1 = cluster.broker(1);
      const port = clusterMetadataPort(broker1);
      const layout = (): TopicLayout => {
        const l = port.topic(TOPIC);
        if (E.isLeft(l)) throw new Error(l.left.message);
        return l.right;
      };
      // Nothing changes between two calls in one turn of the event loop: the same layout.
      const first = layout();
      expect(layout()).toBe(first);
      expect(first.partitions.map((p) => p.offlineReplicas)).toEqual([[], [], []]);

      // Broker 3 stops: a controlled shutdown fences it and moves its leaderships.
      await cluster.broker(3).stop();
      const moved = await until(
        deadline,
        async () => {
          const m = await cluster.metadata(1, [TOPIC]);
          const ps = m.topics[0].partitions;
          const settled = m.brokers.every((b) => b.nodeId !== 3) && ps.every((p) => p.leaderId !== 3 && !p.isrNodes.includes(3));
          return settled ? m : undefined;
        },
        'broker 1 did not show broker 3 fenced',
      );
      for (const p of moved.topics[0].partitions) {
        expect(p.offlineReplicas).toEqual([3]);
        expect([...p.replicaNodes].sort()).toEqual(IDS);
      }
      // The port answers from the new image too, and from one layout while it stays.
      const after = layout();
      expect(after).not.toBe(first);
      expect(after.partitions.map((p) => p.offlineReplicas)).toEqual([[3], [3], [3]]);
      expect(after.partitions.every((p) => p.leaderId !== 3 && !p.isr.includes(3))).toBe(true);
      expect(layout()).toBe(after);
    },
    DEADLINE_MS + 10_000,
  );
});
