// Transaction markers between the brokers of a cluster whose own links are
// mutual TLS (--internal-ssl-*) and whose Kafka listeners take only clients
// with a certificate (ssl.client.auth=required), 3 brokers in this process.
// A kafkajs transactional producer commits one transaction and aborts another
// over partitions led by every broker, so the coordinator must have markers
// written at the other brokers' partitions: they go over the inter-broker link
// (its node certificate), not to a Kafka listener, where a coordinator without
// a client certificate would be refused and the markers never written. Every
// partition then holds its COMMIT and its ABORT marker, and its last stable
// offset reaches its end.
import { Kafka, logLevel } from 'kafkajs';
import { makeTestCerts, type TestCerts } from '../../../support/test-certs';
import { InProcessCluster, until } from '../in-process-cluster';

const IDS = [1, 2, 3];
const DEADLINE_MS = 60_000;
const TOPIC = 'txn-over-tls';
const PARTITIONS = 6;
const TXN_ID = 'markers-over-internal-tls';

describe('transaction markers on a cluster with internal mutual TLS and client-certificate Kafka listeners', () => {
  let certs: TestCerts;
  let cluster: InProcessCluster;
  const clientTls = () => ({ ca: certs.read(certs.ca), cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) });

  beforeAll(async () => {
    certs = makeTestCerts();
    cluster = await InProcessCluster.start({
      ids: IDS,
      internalTls: { certFile: certs.node.cert, keyFile: certs.node.key, caFile: certs.ca },
      broker: { kafkaTls: { certFile: certs.server.cert, keyFile: certs.server.key, caFile: certs.ca, clientAuth: 'required' } },
      clientTls: clientTls(),
    });
    await cluster.allBrokersRegistered(Date.now() + DEADLINE_MS);
  }, DEADLINE_MS);

  afterAll(async () => {
    await cluster?.stop();
    certs?.remove();
  });

  /** A partition's batches at its leader: values, or 'COMMIT' / 'ABORT'. */
  function story(partition: number): (string | string[])[] {
    const leader = cluster.broker(IDS[0]).image.topicByName(TOPIC)?.partitions.get(partition)?.leader ?? -1;
    return cluster.storedBatches(leader, TOPIC, partition);
  }

  const coordinatorOf = (transactionalId: string): Promise<number> => cluster.transactionCoordinator(IDS[0], transactionalId);

  it(
    'commits and aborts over partitions of every broker: each gets both markers, and its last stable offset reaches its end',
    async () => {
      const deadline = Date.now() + DEADLINE_MS;
      const kafka = new Kafka({
        clientId: 'txn-markers-tls',
        brokers: IDS.map((id) => cluster.bootstrap(id)),
        ssl: clientTls(),
        logLevel: logLevel.NOTHING,
        retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer({ transactionalId: TXN_ID, idempotent: true, maxInFlightRequests: 1 });
      try {
        await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
        await producer.connect();
        const send = async (value: string, end: 'commit' | 'abort') => {
          const txn = await producer.transaction();
          await txn.send({ topic: TOPIC, messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ partition, value: `${value}-${partition}` })) });
          await (end === 'commit' ? txn.commit() : txn.abort());
        };
        await send('committed', 'commit');
        await send('aborted', 'abort');

        // The transactions spanned partitions led by brokers other than their coordinator.
        const coordinator = await coordinatorOf(TXN_ID);
        const leaders = Array.from({ length: PARTITIONS }, (_, p) => cluster.broker(IDS[0]).image.topicByName(TOPIC)!.partitions.get(p)!.leader);
        expect(new Set(leaders.filter((l) => l !== coordinator)).size).toBe(IDS.length - 1);

        const expected = (p: number) => [[`committed-${p}`], 'COMMIT', [`aborted-${p}`], 'ABORT'];
        const stories = () => Array.from({ length: PARTITIONS }, (_, p) => story(p));
        await until(
          deadline,
          () => (stories().every((s, p) => JSON.stringify(s) === JSON.stringify(expected(p))) ? true : undefined),
          `the markers were not all written: ${JSON.stringify(stories())}`,
        );
        for (const id of IDS)
          for (const r of cluster
            .broker(id)
            .describeReplicas()
            .filter((d) => d.topic === TOPIC && d.role === 'leader'))
            expect({ partition: r.partition, lso: r.lastStableOffset }).toEqual({ partition: r.partition, lso: r.logEndOffset });
      } finally {
        await producer.disconnect().catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
      }
    },
    DEADLINE_MS,
  );
});
