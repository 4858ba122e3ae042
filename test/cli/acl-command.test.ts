// `rill acl create|list|delete` against a `rill broker --authorizer` process
// (plaintext: the CLI's principal is User:ANONYMOUS, made a super user), the
// ACLs kept across a restart, and the usage errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runAcl } from '../../cli/acl-command';
import { authorizerConfig } from '../../cli/authorizer-config';
import { applyConfig, completeSettings } from '../../cli/broker-config';
import { runBroker } from '../../cli/broker-command';
import { killBrokerProcesses, startBrokerProcess, type BrokerProcess } from '../support/broker-process';
import { fakeIO } from './fake-io';

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-acl-cli-'));
});

afterAll(() => {
  killBrokerProcesses();
  fs.rmSync(dir, { recursive: true, force: true });
});

function start(extra: string[]): Promise<BrokerProcess> {
  return startBrokerProcess(['--data-dir', dir, '--port', '0', '--host', '127.0.0.1', '--schema-registry-port', '0', ...extra]);
}

async function stop(broker: BrokerProcess): Promise<void> {
  broker.child.kill('SIGTERM');
  await broker.exited;
}

async function acl(broker: BrokerProcess, argv: string[]) {
  const io = fakeIO();
  const code = await runAcl([...argv, '--bootstrap', `127.0.0.1:${broker.port}`], io);
  return { code, out: io.out(), err: io.err() };
}

const AUTHORIZER = ['--authorizer', '--super-users', 'User:ANONYMOUS;User:admin'];

test('create, list and delete ACLs over the wire; they outlive a restart', async () => {
  let broker = await start(AUTHORIZER);
  const created = await acl(broker, [
    'create',
    '--allow-principal',
    'User:alice',
    '--operation',
    'Read',
    '--operation',
    'Describe',
    '--topic',
    'orders-',
    '--resource-pattern-type',
    'prefixed',
  ]);
  expect(created).toMatchObject({ code: 0 });
  expect(created.out).toContain('created: ALLOW User:alice from host * to READ TOPIC:PREFIXED:orders-');
  expect(await acl(broker, ['create', '--deny-principal', 'User:bob', '--operation', 'all', '--group', '*', '--host', '10.0.0.9'])).toMatchObject({ code: 0 });

  const all = await acl(broker, ['list', '--format', 'json']);
  expect(all.code).toBe(0);
  expect(JSON.parse(all.out)).toHaveLength(3);
  const matching = await acl(broker, ['list', '--topic', 'orders-eu', '--resource-pattern-type', 'match']);
  expect(matching.out.trim().split('\n')).toEqual([
    'RESOURCE\tPRINCIPAL\tHOST\tOPERATION\tPERMISSION',
    'TOPIC:PREFIXED:orders-\tUser:alice\t*\tREAD\tALLOW',
    'TOPIC:PREFIXED:orders-\tUser:alice\t*\tDESCRIBE\tALLOW',
  ]);
  const deleted = await acl(broker, ['delete', '--group', '*']);
  expect(deleted).toMatchObject({ code: 0 });
  expect(deleted.out).toContain('deleted: DENY User:bob from host 10.0.0.9 to ALL GROUP:LITERAL:*');

  await stop(broker);
  broker = await start(AUTHORIZER);
  expect(broker.stderr()).not.toContain('error');
  const after = await acl(broker, ['list', '--format', 'json']);
  expect(
    JSON.parse(after.out)
      .map((a: { operation: string }) => a.operation)
      .sort(),
  ).toEqual(['DESCRIBE', 'READ']);

  await stop(broker);
}, 60_000);

test.each([
  [['create', '--operation', 'Read', '--topic', 't'], 'give --allow-principal P or --deny-principal P'],
  [['create', '--allow-principal', 'User:a', '--topic', 't'], 'give --operation OP'],
  [['create', '--allow-principal', 'User:a', '--operation', 'Fly', '--topic', 't'], 'unknown --operation "Fly"'],
  [['create', '--allow-principal', 'alice', '--operation', 'Read', '--topic', 't'], 'Invalid principal'],
  [['create', '--allow-principal', 'User:a', '--operation', 'Read'], 'give the resource'],
  [['create', '--allow-principal', 'User:a', '--operation', 'Read', '--topic', 't', '--group', 'g'], 'give one resource'],
  [['create', '--allow-principal', 'User:a', '--operation', 'Read', '--topic', 't', '--resource-pattern-type', 'match'], 'literal, prefixed'],
])('rill acl %j is a usage error', async (argv, message) => {
  const io = fakeIO();
  expect(await runAcl([...argv, '--bootstrap', '127.0.0.1:1'], io)).toBe(2);
  expect(io.err()).toContain(message);
});

describe('authorizer settings', () => {
  const settings = (raw: Record<string, string>) => {
    const partial = {};
    applyConfig(partial, { 'data.dir': dir, ...raw }, 'test');
    return completeSettings(partial);
  };

  test("Kafka's class names and rill turn it on; super.users and allow.everyone.if.no.acl.found are read", () => {
    const s = settings({
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin; User:CN=ops,O=Example',
      'allow.everyone.if.no.acl.found': 'true',
    });
    expect(authorizerConfig(s)).toEqual({ superUsers: ['User:admin', 'User:CN=ops,O=Example'], allowEveryoneIfNoAclFound: true });
    expect(authorizerConfig(settings({ 'authorizer.class.name': 'rill' }))).toEqual({ superUsers: [], allowEveryoneIfNoAclFound: false });
    expect(authorizerConfig(settings({}))).toBeUndefined();
  });

  test.each([
    [{ 'authorizer.class.name': 'com.example.Other' }, 'is not one Rill has'],
    [{ 'authorizer.class.name': 'rill', 'super.users': 'admin' }, 'is not a principal'],
    [{ 'super.users': 'User:admin' }, 'super.users needs an authorizer'],
  ])('%j is refused', (raw, message) => {
    expect(() => settings(raw)).toThrow(message);
  });

  test('a controller-only cluster node refuses --authorizer', async () => {
    const io = fakeIO();
    const code = await runBroker(
      ['--controller', '--node-id', '1', '--controllers', '1@127.0.0.1:1', '--data-dir', dir, '--authorizer'],
      io,
      new AbortController().signal,
    );
    expect(code).toBe(2);
    expect(io.err()).toContain('--authorizer is for a broker');
  });
});
