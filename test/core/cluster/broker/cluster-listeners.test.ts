// Several Kafka listeners on the brokers of a cluster (in this process): each
// broker serves an INTERNAL PLAINTEXT listener and an EXTERNAL SSL one on a
// port of its own, and registers both by name. Metadata and FindCoordinator
// answer with every broker's address on the listener the client came in on,
// so kafkajs bootstrapped from one EXTERNAL address creates a replicated
// topic, produces and consumes with a group over SSL only.
import { Kafka, logLevel } from 'kafkajs';
import { apis, KafkaConnection } from '../../../../core/protocol';
import { makeTestCerts, type TestCerts } from '../../../support/test-certs';
import { InProcessCluster, until } from '../in-process-cluster';
import { replicatedRoundTrip } from './replicated-round-trip';

const IDS = [1, 2, 3];
const DEADLINE_MS = 60_000;

describe('a cluster whose brokers have an INTERNAL and an EXTERNAL listener', () => {
  let certs: TestCerts;
  let cluster: InProcessCluster;
  /** Each broker's EXTERNAL port, as it registered it. */
  const external = new Map<number, number>();

  beforeAll(async () => {
    certs = makeTestCerts();
    const listeners = {
      listenerName: 'INTERNAL',
      extraListeners: [{ name: 'EXTERNAL', port: 0, tls: { certFile: certs.server.cert, keyFile: certs.server.key } }],
    };
    cluster = await InProcessCluster.start({ ids: IDS, brokerOverrides: Object.fromEntries(IDS.map((id) => [id, listeners])) });
    await cluster.allBrokersRegistered(Date.now() + DEADLINE_MS);
    for (const id of IDS) {
      const registration = cluster.broker(1).image.brokers.get(id);
      const port = registration?.listeners?.find((l) => l.name === 'EXTERNAL')?.port;
      if (port === undefined) throw new Error(`broker ${id} registered no EXTERNAL listener: ${JSON.stringify(registration)}`);
      external.set(id, port);
    }
  }, DEADLINE_MS);

  afterAll(async () => {
    await cluster?.stop();
    certs?.remove();
  });

  it('tells each client the addresses of the listener it connected on', async () => {
    const internal = await cluster.metadata(1);
    expect(internal.brokers.map((b) => [b.nodeId, b.port])).toEqual(IDS.map((id) => [id, Number(cluster.bootstrap(id).split(':')[1])]));
    const c = await KafkaConnection.connect(`127.0.0.1:${external.get(2)}`, { timeoutMs: 10_000, tls: { ca: certs.read(certs.ca) } });
    try {
      const m = await c.request<apis.MetadataResponse>(apis.metadata, {
        topics: [],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      expect(m.brokers.map((b) => [b.nodeId, b.port])).toEqual(IDS.map((id) => [id, external.get(id)]));
    } finally {
      c.close();
    }
  });

  it(
    'serves kafkajs over the EXTERNAL listener alone: a replicated topic, produce, group consume',
    async () => {
      const kafka = new Kafka({
        clientId: 'cluster-listeners',
        brokers: [`127.0.0.1:${external.get(1)}`],
        ssl: { ca: certs.read(certs.ca) },
        logLevel: logLevel.NOTHING,
      });
      await replicatedRoundTrip(kafka, 'outside', 'outside-readers');
      // The group's coordinator was found on EXTERNAL too: ask for it there.
      const c = await KafkaConnection.connect(`127.0.0.1:${external.get(3)}`, { timeoutMs: 10_000, tls: { ca: certs.read(certs.ca) } });
      try {
        const found = await until(
          Date.now() + DEADLINE_MS,
          async () => {
            const r = await c.request<apis.FindCoordinatorResponse>(apis.findCoordinator, {
              key: 'outside-readers',
              keyType: 0,
              coordinatorKeys: ['outside-readers'],
            });
            const coordinator = c.versionFor(apis.findCoordinator) >= 4 ? r.coordinators[0] : r;
            return coordinator.errorCode === 0 ? coordinator : undefined;
          },
          'no coordinator of outside-readers',
        );
        expect(found.port).toBe(external.get(found.nodeId));
      } finally {
        c.close();
      }
    },
    DEADLINE_MS,
  );
});
