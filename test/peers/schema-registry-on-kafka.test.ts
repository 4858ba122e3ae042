// Issue 18, part 1: Rill's schema registry with its `_schemas` topic on Apache
// Kafka, through the kafkajs LogClient (core/client/log-client-schema-storage.ts).
// Schemas and settings registered over the REST API are stored on Kafka and
// read back from there by a restarted registry, which hands out the next id.
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { kafkaLogClient, type KafkaLogClient } from '../../core/client';
import { SCHEMAS_TOPIC } from '../../core/schema';
import { runSchemaRegistry } from '../../cli/schema-registry-command';
import { fakeIO } from '../cli/fake-io';
import { call, registryRestartScenario } from '../support/registry-over-log-scenario';
import { startKafka, type KafkaPeer } from './kafka/kafka-broker';

let kafka: KafkaPeer;
const clients: KafkaLogClient[] = [];

beforeAll(async () => {
  kafka = await startKafka({ lifetimeMs: 5 * 60_000 });
}, 180_000);
afterAll(async () => {
  for (const c of clients) await c.close();
  await kafka?.stop();
});

function kafkaClient(): KafkaLogClient {
  const c = kafkaLogClient({ brokers: [kafka.bootstrap], clientId: 'rill-schema-registry' });
  clients.push(c);
  return c;
}

test('the registry keeps its schemas in a compacted _schemas topic on Apache Kafka and reads them back after a restart', async () => {
  await registryRestartScenario(kafkaClient);
  const admin = new Kafka({ brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: SCHEMAS_TOPIC, configNames: ['cleanup.policy'] }],
      includeSynonyms: false,
    });
    expect(resources[0].configEntries.map((e) => [e.configName, e.configValue])).toEqual([['cleanup.policy', 'compact']]);
  } finally {
    await admin.disconnect();
  }
}, 120_000);

test('rill schema-registry serves the registry of the _schemas topic on Apache Kafka and stops on its signal', async () => {
  const stop = new AbortController();
  const io = fakeIO();
  const running = runSchemaRegistry(['--bootstrap', kafka.bootstrap, '--port', '0'], io, stop.signal);
  // Its start line says where it serves; it comes once the subjects the first test registered were read from Kafka.
  const started = new Promise<string>((resolve) =>
    io.stdout.on('data', () => {
      const serving = /serving (\S+),/.exec(io.out());
      if (serving) resolve(serving[1]);
    }),
  );
  const url = await Promise.race([
    started,
    running.then((code) => {
      throw new Error(`rill schema-registry exited ${code} before serving: ${io.err()}`);
    }),
  ]);
  expect(io.out()).toContain('(2 subject(s))');
  expect(await call(`${url}/subjects`, 'GET')).toEqual({ status: 200, body: ['clicks-value', 'orders-value'] });
  stop.abort();
  expect(await running).toBe(0);
  expect(io.out()).toMatch(/rill schema-registry: stopped\n$/);
}, 120_000);
