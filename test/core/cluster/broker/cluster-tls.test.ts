// TLS on the Kafka listeners of a 3-broker cluster (in this process): kafkajs
// creates a replicated topic, produces and consumes with a group over SSL, and
// a plaintext client is refused. Replication and the controllers' RPC stay
// plaintext here (mutual TLS between nodes: cluster-internal-tls.test.ts).
import { Kafka, logLevel } from 'kafkajs';
import { KafkaConnection } from '../../../../core/protocol';
import { makeTestCerts, type TestCerts } from '../../../support/test-certs';
import { InProcessCluster } from '../in-process-cluster';
import { replicatedRoundTrip } from './replicated-round-trip';

const IDS = [1, 2, 3];
const DEADLINE_MS = 60_000;

describe('a cluster whose Kafka listeners serve SSL', () => {
  let certs: TestCerts;
  let cluster: InProcessCluster;

  beforeAll(async () => {
    certs = makeTestCerts();
    cluster = await InProcessCluster.start({
      ids: IDS,
      broker: { kafkaTls: { certFile: certs.server.cert, keyFile: certs.server.key } },
      clientTls: { ca: certs.read(certs.ca) },
    });
    await cluster.allBrokersRegistered(Date.now() + DEADLINE_MS);
  }, DEADLINE_MS);

  afterAll(async () => {
    await cluster?.stop();
    certs?.remove();
  });

  it(
    'serves kafkajs over SSL: a replicated topic, produce, group consume',
    async () => {
      const kafka = new Kafka({
        clientId: 'cluster-tls',
        brokers: IDS.map((id) => cluster.bootstrap(id)),
        ssl: { ca: certs.read(certs.ca) },
        logLevel: logLevel.NOTHING,
      });
      await replicatedRoundTrip(kafka, 'secure-replicated', 'secure-readers');
    },
    DEADLINE_MS,
  );

  it('refuses a plaintext client on every broker', async () => {
    for (const id of IDS) await expect(KafkaConnection.connect(cluster.bootstrap(id), { timeoutMs: 10_000 })).rejects.toThrow();
    const conn = await KafkaConnection.connect(cluster.bootstrap(1), { tls: { ca: certs.read(certs.ca) } });
    conn.close();
  });
});
