// `rill broker` with two listeners -- PLAINTEXT for the inside, SASL_SSL for the
// outside -- users made over the wire with `rill user --bootstrap`
// (AlterUserScramCredentials), and real clients (kafkajs, @platformatic/kafka,
// the CLI's tools through --command-config) authenticating on the SASL_SSL one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { UsageError } from '../../cli/args';
import { applyConfig, completeSettings } from '../../cli/broker-config';
import { brokerListeners, exposureWarnings } from '../../cli/listener-config';
import { runBroker } from '../../cli/broker-command';
import { runTopic } from '../../cli/topic-command';
import { runUser } from '../../cli/user-command';
import { run } from '../core/protocol/children';
import { type BrokerProcess, killBrokerProcesses, startBrokerProcess } from '../support/broker-process';
import { makeTestCerts, type TestCerts } from '../support/test-certs';
import { fakeIO } from './fake-io';

let certs: TestCerts;
let broker: BrokerProcess;
let internal: string;
let external: string;

beforeAll(async () => {
  certs = makeTestCerts();
  broker = await startBrokerProcess([
    '--data-dir',
    path.join(certs.dir, 'data'),
    '--listeners',
    'INTERNAL://127.0.0.1:0,EXTERNAL://127.0.0.1:0',
    '--listener-security-protocol-map',
    'INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL',
    '--sasl-mechanisms',
    'SCRAM-SHA-512,PLAIN',
    '--ssl-cert',
    certs.server.cert,
    '--ssl-key',
    certs.server.key,
    '--schema-registry-port',
    '0',
  ]);
  [internal, external] = broker.listenerPorts.map((p) => `127.0.0.1:${p}`);
}, 60_000);

afterAll(() => {
  killBrokerProcesses();
  certs.remove();
});

async function cli(command: (argv: string[], io: ReturnType<typeof fakeIO>) => Promise<number>, argv: string[], stdin = '') {
  const io = fakeIO(stdin);
  const code = await command(argv, io);
  return { code, out: io.out(), err: io.err() };
}

function properties(name: string, lines: string[]): string {
  const file = path.join(certs.dir, name);
  fs.writeFileSync(file, [`bootstrap.servers=${external}`, 'security.protocol=SASL_SSL', `ssl.ca.location=${certs.ca}`, ...lines].join('\n') + '\n');
  return file;
}

test('users made over the PLAINTEXT listener authenticate kafkajs, @platformatic/kafka and the CLI on the SASL_SSL one', async () => {
  expect(broker.listenerPorts).toHaveLength(2);
  expect(await cli(runUser, ['create', 'alice', '--bootstrap', internal, '--mechanism', 'SCRAM-SHA-512', '--iterations', '4096'], 'alice-pw\n')).toMatchObject({
    code: 0,
    out: 'created SCRAM-SHA-512 credential of alice (4096 iterations)\n',
  });
  expect(await cli(runUser, ['list', '--bootstrap', internal, '--format', 'json'])).toMatchObject({
    code: 0,
    out: `${JSON.stringify([{ name: 'alice', credentials: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] }])}\n`,
  });
  // Kept as salted keys in the data dir, never the password.
  expect(fs.readFileSync(path.join(certs.dir, 'data', 'scram-credentials.json'), 'utf8')).not.toContain('alice-pw');

  const kafka = new Kafka({
    brokers: [external],
    ssl: { ca: certs.read(certs.ca) },
    sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-pw' },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'outside' }] });
  await admin.disconnect();

  const platformatic = (args: string[]) =>
    run(
      'env',
      [
        `RILL_TLS_CA=${certs.ca}`,
        'RILL_SASL=SCRAM-SHA-512:alice:alice-pw',
        'node',
        path.join(__dirname, '..', 'core', 'protocol', 'platformatic-client.mjs'),
        ...args,
      ],
      {
        timeoutMs: 30000,
      },
    );
  const produced = await platformatic([
    'produce',
    external,
    'outside',
    JSON.stringify([
      { key: 'k', value: 'v1' },
      { key: 'k', value: 'v2' },
    ]),
  ]);
  expect(produced).toMatchObject({ code: 0 });
  const consumed = await platformatic(['consume', external, 'outside', 'outside-group', '2']);
  expect(
    consumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).value),
  ).toEqual(['v1', 'v2']);

  const jaas = properties('jaas.properties', [
    'sasl.mechanism=SCRAM-SHA-512',
    'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="alice-pw";',
  ]);
  const listed = await cli(runTopic, ['list', '--command-config', jaas]);
  expect(listed).toMatchObject({ code: 0, out: expect.stringContaining('outside') });
  const plain = properties('plain.properties', ['sasl.mechanism=PLAIN', 'sasl.username=alice', 'sasl.password=alice-pw']);
  expect(await cli(runTopic, ['list', '--command-config', plain])).toMatchObject({ code: 0, out: expect.stringContaining('outside') });
});

test('a wrong password is refused with the broker message; the listener goes on serving', async () => {
  await cli(runUser, ['create', 'bob', '--bootstrap', internal, '--iterations', '4096', '--mechanism', 'SCRAM-SHA-512'], 'bob-pw\n');
  const wrong = properties('wrong.properties', ['sasl.mechanism=SCRAM-SHA-512', 'sasl.username=bob', 'sasl.password=nope']);
  expect(await cli(runTopic, ['list', '--command-config', wrong])).toMatchObject({
    code: 1,
    err: expect.stringContaining('SASL authentication as "bob" failed: SCRAM-SHA-512: authentication failed for "bob"'),
  });
  const kcat = await run('kcat', [
    '-b',
    external,
    '-X',
    'security.protocol=SASL_SSL',
    '-X',
    `ssl.ca.location=${certs.ca}`,
    '-X',
    'sasl.mechanisms=SCRAM-SHA-512',
    '-X',
    'sasl.username=bob',
    '-X',
    'sasl.password=bob-pw',
    '-L',
    '-m',
    '10',
  ]);
  expect(kcat.code).toBe(0);
  expect(await cli(runUser, ['delete', 'bob', '--bootstrap', internal, '--mechanism', 'SCRAM-SHA-512'])).toMatchObject({ code: 0 });
  const gone = properties('gone.properties', ['sasl.mechanism=SCRAM-SHA-512', 'sasl.username=bob', 'sasl.password=bob-pw']);
  expect(await cli(runTopic, ['list', '--command-config', gone])).toMatchObject({ code: 1 });
});

describe('listener settings', () => {
  const settings = (raw: Record<string, string>) => {
    const partial = {};
    applyConfig(partial, { 'data.dir': '/tmp/x', ...raw }, 'test');
    return completeSettings(partial);
  };

  test("Kafka's listener keys: names, protocol map, advertised listeners", () => {
    const s = settings({
      listeners: 'INTERNAL://:9092,PUBLIC://0.0.0.0:9093',
      'listener.security.protocol.map': 'INTERNAL:PLAINTEXT,PUBLIC:SASL_PLAINTEXT',
      'advertised.listeners': 'PUBLIC://kafka.example.com:19093',
      'sasl.enabled.mechanisms': 'scram-sha-256',
    });
    expect(brokerListeners(s, undefined)).toEqual([
      { name: 'INTERNAL', protocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 },
      { name: 'PUBLIC', protocol: 'SASL_PLAINTEXT', host: '0.0.0.0', port: 9093, advertisedHost: 'kafka.example.com', advertisedPort: 19093 },
    ]);
  });

  test.each([
    [{ listeners: 'EXTERNAL://:9093' }, 'EXTERNAL is not a security protocol'],
    [{ listeners: 'SSL://:9093' }, 'listener SSL is SSL: give its certificate and key'],
    [{ listeners: 'PLAINTEXT://:9092,PLAINTEXT://:9093' }, 'PLAINTEXT appears twice'],
    [{ listeners: 'PLAINTEXT://:9092,SASL_PLAINTEXT://:9092' }, 'two listeners on the same port'],
    [{ listeners: 'PLAINTEXT://9092' }, 'is not NAME://HOST:PORT'],
    [{ listeners: 'SASL_PLAINTEXT://:9092', 'sasl.enabled.mechanisms': 'GSSAPI' }, 'sasl.enabled.mechanisms must name some of'],
    [{ listeners: 'PLAINTEXT://:9092', 'advertised.listeners': 'SSL://h:1' }, 'SSL is not one of the listeners'],
    [{ 'advertised.listeners': 'PLAINTEXT://h:1' }, 'need listeners'],
  ])('%j is refused: %s', (raw, message) => {
    expect(() => settings(raw)).toThrow(UsageError);
    expect(() => settings(raw)).toThrow(message);
  });

  test('--listeners with --host or --port is a usage error', async () => {
    const io = fakeIO();
    expect(
      await runBroker(['--data-dir', path.join(certs.dir, 'unused'), '--listeners', 'PLAINTEXT://:0', '--port', '0'], io, new AbortController().signal),
    ).toBe(2);
    expect(io.err()).toContain('listeners (--listeners) name every address and port: leave out host and port');
  });

  test('without listeners, --sasl-mechanisms makes the one listener SASL; a non-loopback listener without authentication is warned about', () => {
    expect(brokerListeners(settings({ 'sasl.enabled.mechanisms': 'PLAIN' }), undefined)[0].protocol).toBe('SASL_PLAINTEXT');
    expect(brokerListeners(settings({}), undefined)[0]).toMatchObject({ protocol: 'PLAINTEXT', host: '127.0.0.1' });
    const open = settings({
      listeners: 'PLAINTEXT://0.0.0.0:9092,SASL_PLAINTEXT://0.0.0.0:9093,LOCAL://127.0.0.1:9094',
      'listener.security.protocol.map': 'LOCAL:PLAINTEXT',
    });
    const warnings = exposureWarnings(brokerListeners(open, undefined), undefined);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('listener PLAINTEXT (PLAINTEXT) on 0.0.0.0:9092 is reachable from other machines and authenticates no one');
  });
});
