// Racks on a real cluster (4 controllers and 4 brokers in this process, two
// racks): each broker registers its broker.rack, Metadata reports it, and a
// topic's replicas are placed so every partition spans both racks.
import { apis, KafkaConnection } from '../../../../core/protocol';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3, 4];
const RACKS: Record<number, string> = { 1: 'rack-a', 2: 'rack-b', 3: 'rack-a', 4: 'rack-b' };
const DEADLINE_MS = 40_000;

describe('brokers in racks', () => {
  let cluster: InProcessCluster;

  beforeAll(async () => {
    cluster = await InProcessCluster.start({ ids: IDS, racks: RACKS });
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  it(
    'reports each broker rack in Metadata and spreads every partition over both racks',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      const c = await KafkaConnection.connect(cluster.bootstrap(1), { timeoutMs: 5000 });
      try {
        const registered = await cluster.allBrokersRegistered(deadline);
        expect(Object.fromEntries(registered.brokers.map((b) => [b.nodeId, b.rack]))).toEqual(RACKS);

        const created = await c.request<apis.CreateTopicsResponse>(apis.createTopics, {
          topics: [{ name: 'racked', numPartitions: 8, replicationFactor: 2, assignments: [], configs: [] }],
          timeoutMs: 10_000,
          validateOnly: false,
        });
        expect(created.topics[0].errorCode).toBe(0);
        const topic = await until(
          deadline,
          async () => {
            const t = (await cluster.metadata(1, ['racked'])).topics[0];
            return t.errorCode === 0 && t.partitions.length === 8 ? t : undefined;
          },
          'the topic did not appear',
        );
        for (const p of topic.partitions) {
          expect(p.replicaNodes).toHaveLength(2);
          expect(new Set(p.replicaNodes.map((id) => RACKS[id])).size).toBe(2);
        }
        // Leaders (first replicas) spread evenly: two partitions per broker.
        const leaders = topic.partitions.map((p) => p.replicaNodes[0]);
        for (const id of IDS) expect(leaders.filter((l) => l === id)).toHaveLength(2);
      } finally {
        c.close();
      }
    },
    DEADLINE_MS + 20_000,
  );
});
