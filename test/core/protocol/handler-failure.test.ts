// A handler that throws (a bug, or a failure it did not expect) does not cost
// the client its connection where the response has a top-level error code: it
// gets UNKNOWN_SERVER_ERROR with the reason, and its next request on the same
// connection is served. APIs whose errors are per partition answer per
// partition: server/partition-failure.test.ts.
import { Broker } from '../../../core/broker';
import { silentLogger } from '../../../core/logging';
import { apis, KafkaConnection, KafkaServer, singleNodePorts, type BrokerPorts } from '../../../core/protocol';
import { tempDirs } from '../../support/tmp-dir';

const dirs = tempDirs('handler-failure');
let broker: Broker;
let server: KafkaServer;

beforeAll(async () => {
  broker = Broker.open({ dir: dirs.make(), scheduler: false });
  const ports = singleNodePorts(broker);
  const failing: BrokerPorts = {
    ...ports,
    groups: {
      ...ports.groups,
      heartbeat: async () => {
        throw new Error('the group store is on fire');
      },
    },
  };
  server = await KafkaServer.start({ ports: failing, port: 0, host: '127.0.0.1', logger: silentLogger });
});

afterAll(async () => {
  await server.close(1000);
  await broker.close();
  dirs.removeAll();
});

test('Heartbeat: UNKNOWN_SERVER_ERROR, and the connection goes on serving', async () => {
  const c = await KafkaConnection.connect(`127.0.0.1:${server.port}`);
  try {
    const r = await c.request<apis.HeartbeatResponse>(apis.heartbeat, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null });
    expect(r.errorCode).toBe(-1);
    const v = await c.request<{ errorCode: number }>(apis.apiVersions, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    expect(v.errorCode).toBe(0);
  } finally {
    c.close();
  }
});
