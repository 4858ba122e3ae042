// The schema registry on a LogClient's `_schemas` topic (the storage used over
// Apache Kafka, test/peers/schema-registry-on-kafka.test.ts), here on the
// embedded log's LogClient and over the Kafka protocol (protocolLogClient, as on
// a Rill cluster): state read back after a restart, and a change the log
// refuses is answered with the storage error, as is every change after it.
import { protocolLogClient, Rill, rillLogClient, type ProtocolLogClient } from '../../../core/client';
import { SCHEMAS_TOPIC } from '../../../core/schema';
import { tempDirs } from '../../support/tmp-dir';
import { startTestCluster } from '../protocol/harness';
import { call, registryRestartScenario, serveRegistryOver } from '../../support/registry-over-log-scenario';

const dirs = tempDirs('log-client-registry');
const opened: Rill[] = [];
afterEach(async () => {
  for (const rill of opened.splice(0)) await rill.close();
  dirs.removeAll();
});

function openRill(): Rill {
  const rill = Rill.open({ dir: dirs.make(), groupTickIntervalMs: 0 });
  opened.push(rill);
  return rill;
}

test('registrations and settings written through the REST API are read back from the topic by a new registry, which hands out the next id', async () => {
  const rill = openRill();
  await registryRestartScenario(() => rillLogClient(rill));
});

test('a change the log cannot take is answered 500/50001, and so is every later change until a restart', async () => {
  const rill = openRill();
  const served = await serveRegistryOver(rillLogClient(rill));
  const schema = (name: string) => JSON.stringify({ type: 'record', name, fields: [] });
  expect((await call(`${served.url}/subjects/a-value/versions`, 'POST', { schema: schema('A') })).status).toBe(200);
  // The topic gone under the registry: its next write fails at the log.
  await rill.admin.deleteTopics([SCHEMAS_TOPIC]);
  const lost = await call(`${served.url}/subjects/b-value/versions`, 'POST', { schema: schema('B') });
  expect(lost.status).toBe(500);
  expect(lost.body).toMatchObject({ error_code: 50001 });
  const after = await call(`${served.url}/subjects/c-value/versions`, 'POST', { schema: schema('C') });
  expect(after.status).toBe(500);
  expect(after.body).toMatchObject({ error_code: 50001, message: expect.stringMatching(/restart the registry/) });
  await served.stop();
});

test('over the Kafka protocol (protocolLogClient against a broker): the same state after a restart', async () => {
  const server = await startTestCluster();
  const clients: ProtocolLogClient[] = [];
  try {
    await registryRestartScenario(() => {
      const client = protocolLogClient({ brokers: server.bootstrap, clientId: 'registry-test' });
      clients.push(client);
      return client;
    });
  } finally {
    for (const client of clients) await client.close();
    await server.stop();
  }
});
