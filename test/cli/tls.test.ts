// `rill broker` with TLS on its Kafka listener (flags and config keys), and the
// CLI's tools reaching it through a Kafka client properties file
// (--command-config with security.protocol=SSL and the ssl.* files).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { applyConfig, completeSettings } from '../../cli/broker-config';
import { UsageError } from '../../cli/args';
import { runBroker } from '../../cli/broker-command';
import { runConsume } from '../../cli/consume-command';
import { runGroup } from '../../cli/group-command';
import { runProduce } from '../../cli/produce-command';
import { runTopic } from '../../cli/topic-command';
import { killBrokerProcesses, startBrokerProcess, type BrokerProcess } from '../support/broker-process';
import { freePortPair } from '../support/ports';
import { makeTestCerts, type TestCerts } from '../support/test-certs';
import { fakeIO } from './fake-io';

let certs: TestCerts;
let broker: BrokerProcess;

beforeAll(async () => {
  certs = makeTestCerts();
  const config = path.join(certs.dir, 'broker.properties');
  fs.writeFileSync(config, `data.dir=${path.join(certs.dir, 'data')}\nssl.certificate.location=${certs.server.cert}\nssl.key.location=${certs.server.key}\n`);
  // The config file names the broker's files, the flags ask for client certificates.
  broker = await startBrokerProcess([
    '--config',
    config,
    '--ssl-ca',
    certs.ca,
    '--ssl-client-auth',
    'required',
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--schema-registry-port',
    '0',
  ]);
}, 60_000);

afterAll(() => {
  killBrokerProcesses();
  certs.remove();
});

async function cli(run: (argv: string[], io: ReturnType<typeof fakeIO>) => Promise<number>, argv: string[], stdin = '') {
  const io = fakeIO(stdin);
  const code = await run(argv, io);
  return { code, out: io.out(), err: io.err() };
}

function clientProperties(name: string, lines: string[]): string {
  const file = path.join(certs.dir, name);
  fs.writeFileSync(file, [`bootstrap.servers=127.0.0.1:${broker.port}`, ...lines].join('\n') + '\n');
  return file;
}

test('kafkajs with a client certificate is served by `rill broker --ssl-*`', async () => {
  const kafka = new Kafka({
    brokers: [`127.0.0.1:${broker.port}`],
    ssl: { ca: certs.read(certs.ca), cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'from-kafkajs', numPartitions: 1 }] });
  await admin.disconnect();
});

test('the tools create, produce, consume with a group and describe it through --command-config over mTLS', async () => {
  const file = clientProperties('client.properties', [
    'security.protocol=SSL',
    `ssl.ca.location=${certs.ca}`,
    `ssl.certificate.location=${certs.client.cert}`,
    `ssl.key.location=${certs.client.key}`,
  ]);
  const c = ['--command-config', file];
  expect(await cli(runTopic, ['create', 'cli-secure', '--partitions', '2', ...c])).toMatchObject({ code: 0, err: '' });
  expect((await cli(runProduce, ['--topic', 'cli-secure', ...c], 'a\nb\nc\n')).code).toBe(0);
  const consumed = await cli(runConsume, ['--topic', 'cli-secure', '--group', 'cli-secure-readers', '--from-beginning', '--exit-at-end', ...c]);
  expect(consumed.code).toBe(0);
  expect(consumed.out.trim().split('\n').sort()).toEqual(['a', 'b', 'c']);
  const group = JSON.parse((await cli(runGroup, ['describe', '--group', 'cli-secure-readers', '--format', 'json', ...c])).out);
  expect(group).toMatchObject({ group: 'cli-secure-readers' });
});

test('the tools fail clearly without a client certificate, with plaintext, and with unreadable files', async () => {
  const noCert = clientProperties('no-cert.properties', ['security.protocol=SSL', `ssl.ca.location=${certs.ca}`]);
  expect((await cli(runTopic, ['list', '--command-config', noCert])).code).toBe(1);
  const plain = clientProperties('plain.properties', []);
  expect((await cli(runTopic, ['list', '--command-config', plain])).code).toBe(1);
  const missing = clientProperties('missing.properties', ['security.protocol=SSL', `ssl.ca.location=${certs.dir}/nope.pem`]);
  expect(await cli(runTopic, ['list', '--command-config', missing])).toMatchObject({ code: 1, err: expect.stringContaining('ssl.ca.location: cannot read') });
  const sasl = clientProperties('sasl.properties', ['security.protocol=SASL_SSL']);
  expect(await cli(runTopic, ['list', '--command-config', sasl])).toMatchObject({
    code: 1,
    err: expect.stringContaining('a SASL security.protocol needs sasl.mechanism'),
  });
  // The broker is still there for a client that has a certificate.
  const ok = clientProperties('ok.properties', [
    'security.protocol=SSL',
    `ssl.ca.location=${certs.ca}`,
    `ssl.certificate.location=${certs.client.cert}`,
    `ssl.key.location=${certs.client.key}`,
  ]);
  expect((await cli(runTopic, ['list', '--command-config', ok])).out).toContain('cli-secure');
});

test('`rill broker` with a key that does not match its certificate exits with a clear error before listening', async () => {
  const started = startBrokerProcess([
    '--data-dir',
    path.join(certs.dir, 'bad-key'),
    '--ssl-cert',
    certs.server.cert,
    '--ssl-key',
    certs.client.key,
    '--port',
    '0',
    '--schema-registry-port',
    '0',
  ]);
  await expect(started).rejects.toThrow(/exited with 1 before listening: .*key values mismatch/s);
});

test('a cluster node: --ssl-* are refused on a controller-only node, and a bad key fails before anything starts', async () => {
  const node = (extra: string[]) =>
    cli(
      (argv, io) => runBroker(argv, io, new AbortController().signal),
      ['--node-id', '1', '--controllers', '1@127.0.0.1:1', '--data-dir', path.join(certs.dir, 'node'), ...extra],
    );
  expect(await node(['--controller', '--ssl-cert', certs.server.cert, '--ssl-key', certs.server.key])).toMatchObject({
    code: 2,
    err: expect.stringContaining('a controller-only node (no --port) has none'),
  });
  // Replication listens on the Kafka port + 1, so a cluster node's port is a real one (never bound here: the key fails first).
  const port = String(await freePortPair(new Set()));
  expect(await node(['--port', port, '--ssl-cert', certs.server.cert, '--ssl-key', certs.client.key])).toMatchObject({
    code: 1,
    err: expect.stringContaining('key values mismatch'),
  });
});

test('TLS settings that do not go together are refused with the setting to add', () => {
  const settings = (raw: Record<string, string>) => {
    const partial = {};
    applyConfig(partial, { 'data.dir': '/tmp/x', ...raw }, 'test');
    return completeSettings(partial);
  };
  expect(() => settings({ 'ssl.certificate.location': 'c.pem' })).toThrow(UsageError);
  expect(() => settings({ 'ssl.certificate.location': 'c.pem', 'ssl.key.location': 'k.pem', 'ssl.client.auth': 'required' })).toThrow(/needs ssl.ca.location/);
  expect(() => settings({ 'ssl.client.auth': 'sometimes' })).toThrow(/none, requested, required/);
  expect(() => settings({ 'ssl.ca.location': 'ca.pem' })).toThrow(/give ssl.certificate.location and ssl.key.location/);
  expect(settings({ 'ssl.certificate.location': 'c.pem', 'ssl.key.location': 'k.pem' })).toMatchObject({ sslCertFile: 'c.pem', sslKeyFile: 'k.pem' });
});
