import { SchemaRegistry as ConfluentClient, SchemaType } from '@kafkajs/confluent-schema-registry';
import {
  confluentAvroSerde,
  EphemeralSchemaStorage,
  orThrow,
  SchemaRegistry,
  startSchemaRegistryServer,
  type SchemaRegistryServer,
} from '../../../core/schema';
import { UserV1, UserV2 } from './user-schemas';

const UserIncompatible = {
  type: 'record',
  name: 'User',
  namespace: 'rill.test',
  fields: [
    { name: 'user', type: 'string' },
    { name: 'ts', type: 'long' },
    { name: 'age', type: 'int' },
  ],
};

let registry: SchemaRegistry;
let server: SchemaRegistryServer;
let client: ConfluentClient;

beforeAll(async () => {
  registry = SchemaRegistry.open(new EphemeralSchemaStorage());
  server = await startSchemaRegistryServer({ registry, port: 0 });
  client = new ConfluentClient({ host: server.url, retry: { retries: 0 } });
});

afterAll(async () => {
  await server.close();
});

describe('@kafkajs/confluent-schema-registry, unmodified, against Rill', () => {
  it('registers, encodes and decodes; Rill and the client read each other', async () => {
    const { id } = await client.register({ type: SchemaType.AVRO, schema: UserV1.text }, { subject: 'users-value' });
    expect(registry.version('users-value', 'latest')).toMatchObject({ _tag: 'Right', right: { id, version: 1 } });
    expect(registry.subjectCompatibility('users-value')).toEqual({ _tag: 'Right', right: 'BACKWARD' }); // the client sets it

    const fromClient = await client.encode(id, { user: 'ada', ts: 1 });
    expect(await client.decode(fromClient)).toEqual({ user: 'ada', ts: 1 });

    const serde = confluentAvroSerde({ registry, schema: UserV1, topic: 'users' });
    expect(orThrow(serde.deserialize(fromClient))).toEqual({ user: 'ada', ts: 1 });
    const fromRill = orThrow(serde.serialize({ user: 'bob', ts: 2 }));
    expect(fromRill).toEqual(await client.encode(id, { user: 'bob', ts: 2 }));
    expect(await client.decode(fromRill)).toEqual({ user: 'bob', ts: 2 });

    // registering the same schema again returns the same id
    expect(await client.register({ type: SchemaType.AVRO, schema: UserV1.text }, { subject: 'users-value' })).toEqual({ id });
    expect(await client.getRegistryIdBySchema('users-value', { type: SchemaType.AVRO, schema: UserV1.text })).toBe(id);
  });

  it('evolves: a compatible v2 is accepted and old records read into it', async () => {
    const { id: v1Id } = await client.register({ type: SchemaType.AVRO, schema: UserV1.text }, { subject: 'users-value' });
    const old = await client.encode(v1Id, { user: 'ada', ts: 1 });
    const { id: v2Id } = await client.register({ type: SchemaType.AVRO, schema: UserV2.text }, { subject: 'users-value' });
    expect(v2Id).not.toBe(v1Id);
    expect(await client.getLatestSchemaId('users-value')).toBe(v2Id);
    expect(await client.decode(old, { [SchemaType.AVRO]: { readerSchema: UserV2.definition } } as never)).toEqual({
      user: 'ada',
      ts: 1,
      country: 'unknown',
    });
    const serdeV2 = confluentAvroSerde({ registry, schema: UserV2, topic: 'users' });
    expect(orThrow(serdeV2.deserialize(old))).toEqual({ user: 'ada', ts: 1, country: 'unknown' });
    expect(await client.decode(orThrow(serdeV2.serialize({ user: 'cy', ts: 3, country: 'FR' })))).toEqual({ user: 'cy', ts: 3, country: 'FR' });
  });

  it('an incompatible change is refused with the field and the rule', async () => {
    const attempt = client.register({ type: SchemaType.AVRO, schema: JSON.stringify(UserIncompatible) }, { subject: 'users-value' });
    await expect(attempt).rejects.toMatchObject({
      status: 409,
      message: expect.stringMatching(
        /incompatible .*BACKWARD: the new schema cannot read data written with version 2: field rill\.test\.User\.age: the reader has field 'age' without a default/,
      ),
    });
  });

  it('a client asking for another compatibility level than the subject has is told so', async () => {
    await expect(client.register({ type: SchemaType.AVRO, schema: UserV2.text }, { subject: 'users-value', compatibility: 'FULL' as never })).rejects.toThrow(
      /Compatibility does not match the configuration \(FULL != BACKWARD\)/,
    );
  });
});

describe('REST endpoints answer like the Confluent Schema Registry', () => {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    expect(response.headers.get('content-type')).toBe('application/vnd.schemaregistry.v1+json');
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the assertions
    return { status: response.status, body: (await response.json()) as any };
  };

  it('subjects, versions and schemas by id', async () => {
    const { body: registered } = await call('POST', '/subjects/rest-value/versions', { schema: '"string"' });
    expect(registered).toEqual({ id: expect.any(Number) });
    expect(await call('GET', '/subjects')).toMatchObject({ status: 200, body: expect.arrayContaining(['rest-value']) });
    expect(await call('GET', '/subjects/rest-value/versions')).toEqual({ status: 200, body: [1] });
    expect(await call('GET', '/subjects/rest-value/versions/latest')).toEqual({
      status: 200,
      body: { subject: 'rest-value', version: 1, id: registered.id, schema: '"string"' },
    });
    expect(await call('GET', '/subjects/rest-value/versions/1/schema')).toEqual({ status: 200, body: 'string' });
    expect(await call('GET', `/schemas/ids/${registered.id}`)).toEqual({ status: 200, body: { schema: '"string"' } });
    expect(await call('GET', `/schemas/ids/${registered.id}/versions`)).toEqual({ status: 200, body: [{ subject: 'rest-value', version: 1 }] });
    expect(await call('POST', '/subjects/rest-value', { schema: '"string"' })).toMatchObject({ status: 200, body: { version: 1 } });
    expect(await call('GET', '/schemas/types')).toEqual({ status: 200, body: ['AVRO'] });
  });

  it('compatibility checks and config', async () => {
    await call('POST', '/subjects/cfg-value/versions', { schema: UserV1.text });
    expect(await call('POST', '/compatibility/subjects/cfg-value/versions/latest', { schema: UserV2.text })).toEqual({
      status: 200,
      body: { is_compatible: true },
    });
    const verdict = await call('POST', '/compatibility/subjects/cfg-value/versions/1?verbose=true', { schema: JSON.stringify(UserIncompatible) });
    expect(verdict.body.is_compatible).toBe(false);
    expect(verdict.body.messages[0]).toMatch(/field rill\.test\.User\.age/);
    expect(await call('GET', '/config')).toEqual({ status: 200, body: { compatibilityLevel: 'BACKWARD' } });
    expect(await call('GET', '/config/cfg-value')).toMatchObject({ status: 404, body: { error_code: 40408 } });
    expect(await call('GET', '/config/cfg-value?defaultToGlobal=true')).toEqual({ status: 200, body: { compatibilityLevel: 'BACKWARD' } });
    expect(await call('PUT', '/config/cfg-value', { compatibility: 'NONE' })).toEqual({ status: 200, body: { compatibility: 'NONE' } });
    expect(await call('POST', '/subjects/cfg-value/versions', { schema: JSON.stringify(UserIncompatible) })).toMatchObject({ status: 200 });
    expect(await call('DELETE', '/config/cfg-value')).toEqual({ status: 200, body: { compatibilityLevel: 'NONE' } });
    expect(await call('PUT', '/config', { compatibility: 'sideways' })).toMatchObject({ status: 422, body: { error_code: 42203 } });
  });

  it('soft and hard deletes', async () => {
    await call('POST', '/subjects/del-value/versions', { schema: '"long"' });
    await call('POST', '/subjects/del-value/versions', { schema: '"double"' });
    expect(await call('DELETE', '/subjects/del-value/versions/2')).toEqual({ status: 200, body: 2 });
    expect(await call('DELETE', '/subjects/del-value/versions/1?permanent=true')).toMatchObject({ status: 404, body: { error_code: 40407 } });
    expect(await call('DELETE', '/subjects/del-value')).toEqual({ status: 200, body: [1] });
    expect(await call('DELETE', '/subjects/del-value?permanent=true')).toEqual({ status: 200, body: [1, 2] });
    expect(await call('GET', '/subjects/del-value/versions')).toMatchObject({ status: 404, body: { error_code: 40401 } });
  });

  it('bad requests get Confluent error bodies, and the server keeps serving', async () => {
    expect(await call('GET', '/schemas/ids/987654')).toEqual({ status: 404, body: { error_code: 40403, message: 'Schema 987654 not found' } });
    expect(await call('GET', '/subjects/rest-value/versions/zero')).toMatchObject({ status: 422, body: { error_code: 42202 } });
    expect(await call('POST', '/subjects/x-value/versions', '{not json')).toMatchObject({ status: 400, body: { error_code: 400 } });
    expect(await call('POST', '/subjects/x-value/versions', { schema: '{"type":"nope"}' })).toMatchObject({ status: 422, body: { error_code: 42201 } });
    expect(await call('POST', '/subjects/x-value/versions', {})).toMatchObject({ status: 422, body: { error_code: 42201 } });
    expect(await call('GET', '/subjects/%E0%A4%A/versions')).toMatchObject({ status: 400 });
    expect(await call('GET', '/nothing/here')).toMatchObject({ status: 404, body: { error_code: 404 } });
    expect(await call('PATCH', '/subjects')).toMatchObject({ status: 405 });
    expect(await call('GET', '/subjects')).toMatchObject({ status: 200 });
  });
});
