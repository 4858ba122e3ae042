// A stream application's own topics take its replicationFactor (Kafka
// Streams' replication.factor) on a cluster: the repartition and changelog
// topics RillStreams creates over the kafkajs client (what rill worker runs)
// get three replicas per partition on a 3-broker cluster in this process.
import { protocolLogClient } from '../../../../core/client';
import { stringSerde } from '../../../../core/schema';
import { count, memoryLogger, RillStreams, selectKey, StreamsBuilder } from '../../../../dsl';
import { InProcessCluster } from '../in-process-cluster';

const IDS = [1, 2, 3];

test('RillStreams with replicationFactor 3 creates its repartition and changelog topics with 3 replicas', async () => {
  const cluster = await InProcessCluster.start({ ids: IDS });
  const client = protocolLogClient({ brokers: [cluster.bootstrap(1)], clientId: 'rf-test' });
  let app: RillStreams | undefined;
  try {
    await cluster.allBrokersRegistered(Date.now() + 60_000);
    await client.ensureTopics([{ name: 'rf-lines', partitions: 2, replicationFactor: 3 }]);
    const b = new StreamsBuilder('rf-app');
    b.stream('rf-lines', { key: stringSerde(), value: stringSerde() }).pipe(
      selectKey((r) => r.value, { keySerde: stringSerde() }),
      count({ store: 'counts', keySerde: stringSerde() }),
    );
    app = new RillStreams(b.build(), { log: client, logger: memoryLogger(), taskAssignment: 'external', replicationFactor: 3 });
    await app.start();
    const topics = ['rf-app-counts-repartition', 'rf-app-counts-changelog'];
    const m = await cluster.metadata(1, topics);
    for (const name of topics) {
      const t = m.topics.find((x) => x.name === name);
      expect(t?.errorCode).toBe(0);
      expect(t?.partitions.map((p) => p.replicaNodes.length)).toEqual([3, 3]);
    }
  } finally {
    await app?.stop();
    await client.close();
    await cluster.stop();
  }
}, 120_000);
