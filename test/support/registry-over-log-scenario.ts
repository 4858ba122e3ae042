// The schema registry over a LogClient (core/client/log-client-schema-storage.ts),
// driven through its REST API as a Confluent serializer would: registrations,
// a compatibility setting, then a restart on a new client that must read the
// same state back from the `_schemas` topic and hand out the next id, never a
// used one. Run on the embedded log (test/core/client) and on Apache Kafka (test/peers).
import type { LogClient } from '../../core/client';
import { openLogClientSchemaRegistry } from '../../core/client';
import { SCHEMAS_TOPIC, startSchemaRegistryServer } from '../../core/schema';

const ORDER = { type: 'record', name: 'Order', fields: [{ name: 'id', type: 'string' }] };
const ORDER_V2 = { ...ORDER, fields: [...ORDER.fields, { name: 'qty', type: 'int', default: 1 }] };
const CLICK = { type: 'record', name: 'Click', fields: [{ name: 'url', type: 'string' }] };

export async function call(url: string, method: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Opens a registry on `client` and serves it on a free port; `stop` closes both (not the client). */
export async function serveRegistryOver(client: LogClient, replicationFactor?: number) {
  const registry = await openLogClientSchemaRegistry(client, { replicationFactor });
  const server = await startSchemaRegistryServer({ registry, port: 0 });
  return {
    url: server.url,
    async stop() {
      await server.close();
      await registry.close();
    },
  };
}

export async function registryRestartScenario(newClient: () => LogClient, replicationFactor?: number): Promise<void> {
  const first = await serveRegistryOver(newClient(), replicationFactor);
  expect(await call(`${first.url}/subjects/orders-value/versions`, 'POST', { schema: JSON.stringify(ORDER) })).toEqual({ status: 200, body: { id: 1 } });
  expect(await call(`${first.url}/subjects/orders-value/versions`, 'POST', { schema: JSON.stringify(ORDER_V2) })).toEqual({ status: 200, body: { id: 2 } });
  expect(await call(`${first.url}/config/orders-value`, 'PUT', { compatibility: 'FULL' })).toEqual({ status: 200, body: { compatibility: 'FULL' } });
  await first.stop();

  const client = newClient();
  expect(await client.partitionCount(SCHEMAS_TOPIC)).toBe(1);
  const second = await serveRegistryOver(client, replicationFactor);
  expect(await call(`${second.url}/subjects/orders-value/versions`, 'GET')).toEqual({ status: 200, body: [1, 2] });
  expect(await call(`${second.url}/config/orders-value`, 'GET')).toEqual({ status: 200, body: { compatibilityLevel: 'FULL' } });
  expect((await call(`${second.url}/schemas/ids/2`, 'GET')).body).toEqual({ schema: JSON.stringify(ORDER_V2) });
  // The ids read back are taken: a new schema gets the next one.
  expect(await call(`${second.url}/subjects/clicks-value/versions`, 'POST', { schema: JSON.stringify(CLICK) })).toEqual({ status: 200, body: { id: 3 } });
  await second.stop();
}
