// WriteTxnMarkers under the authorizer: a marker commits or aborts any
// producer's transaction, so, as in Kafka, only a principal with ClusterAction
// on the cluster may send one. An anonymous client (no certificate) is refused
// with CLUSTER_AUTHORIZATION_FAILED on every partition and nothing is
// appended; a super user (its client certificate) has its marker written.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Broker } from '../../../core/broker';
import { silentLogger } from '../../../core/logging';
import { apis, auth, KafkaConnection, KafkaServer, singleNodePorts } from '../../../core/protocol';
import { ErrorCode } from '../../../core/wire';
import { makeTestCerts, type TestCerts } from '../../support/test-certs';

const ADMIN = 'User:CN=rill-test-client,O=Rill Tests';
const TOPIC = 'marked';

let certs: TestCerts;
let dir: string;
let broker: Broker;
let server: KafkaServer;

beforeAll(async () => {
  certs = makeTestCerts();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-txn-markers-acl-'));
  broker = Broker.open({ dir: path.join(dir, 'log'), scheduler: false });
  broker.createTopic({ name: TOPIC, partitions: 1 });
  server = await KafkaServer.start({
    ports: { ...singleNodePorts(broker), acls: auth.fileAclPort(dir, { superUsers: [ADMIN], allowEveryoneIfNoAclFound: false }) },
    port: 0,
    host: '127.0.0.1',
    tls: { certFile: certs.server.cert, keyFile: certs.server.key, caFile: certs.ca, clientAuth: 'requested' },
    logger: silentLogger,
  });
});

afterAll(async () => {
  await server?.close(2000);
  await broker?.close();
  fs.rmSync(dir, { recursive: true, force: true });
  certs?.remove();
});

async function sendMarker(tls: { ca: string; cert?: string; key?: string }): Promise<number[]> {
  const c = await KafkaConnection.connect(`127.0.0.1:${server.port}`, { tls });
  try {
    const answer = await c.request<apis.WriteTxnMarkersResponse>(apis.writeTxnMarkers, {
      markers: [{ producerId: 42, producerEpoch: 0, transactionResult: true, topics: [{ name: TOPIC, partitionIndexes: [0] }], coordinatorEpoch: 0 }],
    });
    return answer.markers.flatMap((m) => m.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)));
  } finally {
    c.close();
  }
}

const logEnd = () => {
  const p = broker.topics.partition(TOPIC, 0);
  if (p._tag === 'Left') throw new Error(p.left.message);
  return p.right.log.logEndOffset;
};

test('an anonymous client is refused with CLUSTER_AUTHORIZATION_FAILED and nothing is written; a super user writes its marker', async () => {
  expect(await sendMarker({ ca: certs.read(certs.ca) })).toEqual([ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
  expect(logEnd()).toBe(0);
  expect(await sendMarker({ ca: certs.read(certs.ca), cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) })).toEqual([0]);
  expect(logEnd()).toBe(1);
});
