// `rill schema-registry` against a `rill broker` that takes SASL only and has
// its authorizer on: --command-config gives the registry's client its SASL
// login (the _schemas topic is made and read through it), basic auth on its
// REST port is checked by a SASL login at the broker (the broker's users, no
// second list), and --authorizer checks subjects against the broker's ACLs,
// read with DescribeAcls.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { schemaRegistryRequest } from '../../core/client';
import { auth } from '../../core/protocol';
import { runSchemaRegistry } from '../../cli/schema-registry-command';
import { runUser } from '../../cli/user-command';
import { type BrokerProcess, killBrokerProcesses, startBrokerProcess } from '../support/broker-process';
import { tempDirs } from '../support/tmp-dir';
import { fakeIO } from './fake-io';

const { AclOperation, AclPermission, PatternType, ResourceType } = auth;
const dirs = tempDirs('cli-registry-command-config');
let dir: string;
let broker: BrokerProcess;

beforeAll(async () => {
  dir = dirs.make();
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  for (const [user, password] of [
    ['registry', 'registry-pw'],
    ['alice', 'alice-pw'],
    ['bob', 'bob-pw'],
  ])
    expect(await runUser(['create', user, '--data-dir', data, '--password', password], fakeIO())).toBe(0);
  const allow = (principal: string, operation: number) => ({
    resourceType: ResourceType.TOPIC,
    resourceName: 'orders',
    patternType: PatternType.LITERAL,
    principal,
    host: '*',
    operation,
    permission: AclPermission.ALLOW,
  });
  new auth.FileAclStore(data).save([allow('User:alice', AclOperation.WRITE), allow('User:bob', AclOperation.READ)]);
  broker = await startBrokerProcess([
    '--data-dir',
    data,
    '--listeners',
    'SASL_PLAINTEXT://127.0.0.1:0',
    '--sasl-mechanisms',
    'SCRAM-SHA-256',
    '--authorizer',
    '--super-users',
    'User:registry',
    // Its own registry is not used here; the process test helper waits for its line.
    '--schema-registry-port',
    '0',
  ]);
}, 60_000);

afterAll(() => {
  killBrokerProcesses();
  dirs.removeAll();
});

test('SASL to the brokers from --command-config; basic auth by the brokers users; subjects checked against their ACLs', async () => {
  const config = path.join(dir, 'registry.properties');
  fs.writeFileSync(
    config,
    ['security.protocol=SASL_PLAINTEXT', 'sasl.mechanism=SCRAM-SHA-256', 'sasl.username=registry', 'sasl.password=registry-pw', ''].join('\n'),
  );
  const stop = new AbortController();
  const io = fakeIO();
  const running = runSchemaRegistry(
    ['--bootstrap', `127.0.0.1:${broker.port}`, '--command-config', config, '--port', '0', '--schema-registry-basic-auth', '--authorizer'],
    io,
    stop.signal,
  );
  try {
    const url = await Promise.race([
      new Promise<string>((resolve) =>
        io.stdout.on('data', () => {
          const serving = /serving (\S+)/.exec(io.out());
          if (serving) resolve(serving[1]);
        }),
      ),
      running.then((code) => {
        throw new Error(`rill schema-registry exited ${code} before serving: ${io.err()}`);
      }),
    ]);
    expect(io.out()).toContain('(basic auth, ACLs)');
    const body = JSON.stringify({ schema: JSON.stringify({ type: 'record', name: 'Order', fields: [{ name: 'id', type: 'long' }] }) });
    const register = (username: string, password: string) =>
      schemaRegistryRequest(`${url}/subjects/orders-value/versions`, { method: 'POST', body }, { username, password });

    expect((await register('alice', 'alice-pw')).status).toBe(200);
    // A wrong password is refused by the broker's SASL login.
    expect((await register('alice', 'guess')).status).toBe(401);
    expect(await register('bob', 'bob-pw')).toEqual({
      status: 403,
      body: { error_code: 40301, message: 'User:bob is not authorized to WRITE Topic "orders"' },
    });
    expect(await schemaRegistryRequest(`${url}/subjects`, {}, { username: 'bob', password: 'bob-pw' })).toEqual({ status: 200, body: ['orders-value'] });
  } finally {
    stop.abort();
  }
  expect(await running).toBe(0);
}, 60_000);
