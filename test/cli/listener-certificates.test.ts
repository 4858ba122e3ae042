// Certificates per listener: a `rill broker` with two SSL listeners, each with
// its own certificate signed by its own CA (Kafka's listener.name.<name>.ssl.*,
// one listener's from the config file, the other's from --listener-ssl-* flags).
// A kafkajs client that trusts one CA is served on that CA's listener and
// refused on the other; so is Rill's own client on a cluster node (run in this
// process) given the same listeners by flags; the settings that do not go
// together are refused.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { UsageError } from '../../cli/args';
import { applyConfig, completeSettings } from '../../cli/broker-config';
import { runBroker } from '../../cli/broker-command';
import { exposureWarnings, listenerFlagsAsConfig, listenerTlsOf } from '../../cli/listener-config';
import { killBrokerProcesses, startBrokerProcess, type BrokerProcess } from '../support/broker-process';
import { apis, KafkaConnection } from '../../core/protocol';
import { freePortPair } from '../support/ports';
import { soleControllerNodeArgs } from '../support/node-args';
import { makeTestCerts, type TestCerts } from '../support/test-certs';
import { fakeIO } from './fake-io';

let certs: TestCerts;
let broker: BrokerProcess;

beforeAll(async () => {
  certs = makeTestCerts();
  const config = path.join(certs.dir, 'listeners.properties');
  fs.writeFileSync(
    config,
    [
      `data.dir=${path.join(certs.dir, 'data')}`,
      'listeners=INSIDE://127.0.0.1:0,OUTSIDE://127.0.0.1:0',
      'listener.security.protocol.map=INSIDE:SSL,OUTSIDE:SSL',
      // Kafka writes the listener's name in lower case in these keys.
      `listener.name.outside.ssl.certificate.location=${certs.untrustedServer.cert}`,
      `listener.name.outside.ssl.key.location=${certs.untrustedServer.key}`,
    ].join('\n') + '\n',
  );
  broker = await startBrokerProcess([
    '--config',
    config,
    '--listener-ssl-cert',
    `INSIDE=${certs.server.cert}`,
    '--listener-ssl-key',
    `INSIDE=${certs.server.key}`,
    '--schema-registry-port',
    '0',
  ]);
}, 60_000);

afterAll(() => {
  killBrokerProcesses();
  certs.remove();
});

/** kafkajs trusting only `ca`, bootstrapped on `port`, without retries (a refusal is final). */
function clientTrusting(ca: string, port: number): Kafka {
  return new Kafka({
    brokers: [`127.0.0.1:${port}`],
    ssl: { ca: certs.read(ca) },
    retry: { retries: 0 },
    connectionTimeout: 10_000,
    logLevel: logLevel.NOTHING,
  });
}

/** Creates a topic and lists the topics through `kafka` (every request on the listener it came in on). */
async function createAndList(kafka: Kafka, topic: string): Promise<string[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

test('each listener serves its own certificate: a client trusting one CA is served on its listener and refused on the other', async () => {
  expect(broker.listenerPorts).toHaveLength(2);
  const [inside, outside] = broker.listenerPorts;
  expect(await createAndList(clientTrusting(certs.ca, inside), 'via-inside')).toContain('via-inside');
  expect(await createAndList(clientTrusting(certs.otherCa, outside), 'via-outside')).toEqual(expect.arrayContaining(['via-inside', 'via-outside']));
  await expect(createAndList(clientTrusting(certs.ca, outside), 'refused-outside')).rejects.toThrow(/certificate/);
  await expect(createAndList(clientTrusting(certs.otherCa, inside), 'refused-inside')).rejects.toThrow(/certificate/);
  // The refusals left the broker serving, and nothing was created through them.
  const topics = await createAndList(clientTrusting(certs.ca, inside), 'after-refusals');
  expect(topics).not.toContain('refused-outside');
  expect(topics).not.toContain('refused-inside');
});

/** The brokers Metadata lists through a TLS connection trusting `ca` on `port`. */
async function brokersTrusting(ca: string, port: number): Promise<number[]> {
  const c = await KafkaConnection.connect(`127.0.0.1:${port}`, { timeoutMs: 10_000, tls: { ca: certs.read(ca) } });
  try {
    const m = await c.request<apis.MetadataResponse>(apis.metadata, { topics: [], allowAutoTopicCreation: false });
    return m.brokers.map((b) => b.nodeId);
  } finally {
    c.close();
  }
}

test('a cluster node gives each listener its own certificate from --listener-ssl-* too', async () => {
  const taken = new Set<number>();
  const [controller, inside, outside] = [await freePortPair(taken), await freePortPair(taken), await freePortPair(taken)];
  const io = fakeIO('');
  const stop = new AbortController();
  const running = runBroker(
    [
      ...soleControllerNodeArgs(controller, path.join(certs.dir, 'cluster-node')),
      '--listeners',
      `INSIDE://127.0.0.1:${inside},OUTSIDE://127.0.0.1:${outside}`,
      '--listener-security-protocol-map',
      'INSIDE:SSL,OUTSIDE:SSL',
      ...['--listener-ssl-cert', `INSIDE=${certs.server.cert}`, '--listener-ssl-key', `INSIDE=${certs.server.key}`],
      ...['--listener-ssl-cert', `OUTSIDE=${certs.untrustedServer.cert}`, '--listener-ssl-key', `OUTSIDE=${certs.untrustedServer.key}`],
    ],
    io,
    stop.signal,
  );
  try {
    const deadline = Date.now() + 30_000;
    // The broker is listed once it has registered: ask (bounded) until it is.
    let listed: number[] = [];
    while (listed.length === 0) {
      if (Date.now() > deadline) throw new Error(`the node never listed itself: ${io.out()} ${io.err()}`);
      listed = await brokersTrusting(certs.ca, inside).catch(() => []);
      if (listed.length === 0) await new Promise((r) => setTimeout(r, 50)); // not listening or not registered yet
    }
    expect(listed).toEqual([1]);
    expect(await brokersTrusting(certs.otherCa, outside)).toEqual([1]);
    await expect(brokersTrusting(certs.ca, outside)).rejects.toThrow(/certificate/);
    await expect(brokersTrusting(certs.otherCa, inside)).rejects.toThrow(/certificate/);
  } finally {
    stop.abort();
    expect(await running).toBe(0);
  }
}, 60_000);

describe('listener TLS settings', () => {
  const settings = (raw: Record<string, string>) => {
    const partial = {};
    applyConfig(partial, { 'data.dir': '/tmp/x', ...raw }, 'test');
    return completeSettings(partial);
  };
  const twoSsl = { listeners: 'A://127.0.0.1:0,B://127.0.0.1:0', 'listener.security.protocol.map': 'A:SSL,B:SSL' };

  it('a listener overrides the broker-wide ssl.* files; the others keep them', () => {
    const s = settings({
      ...twoSsl,
      'ssl.certificate.location': 'shared.pem',
      'ssl.key.location': 'shared.key',
      'ssl.ca.location': 'clients-ca.pem',
      'listener.name.b.ssl.certificate.location': 'b.pem',
      'listener.name.b.ssl.key.location': 'b.key',
      'listener.name.b.ssl.client.auth': 'required',
    });
    const a = { name: 'A', protocol: 'SSL', host: '127.0.0.1', port: 0 } as const;
    const b = { ...a, name: 'B' };
    const shared = { certFile: 'shared.pem', keyFile: 'shared.key', caFile: 'clients-ca.pem', clientAuth: undefined };
    expect(listenerTlsOf(a, s, shared)).toBe(shared);
    expect(listenerTlsOf(b, s, shared)).toEqual({ certFile: 'b.pem', keyFile: 'b.key', caFile: 'clients-ca.pem', clientAuth: 'required' });
    // B requires client certificates: only A authenticates no one (on a non-loopback address).
    const exposed = exposureWarnings(
      [a, b].map((l) => ({ ...l, host: '10.0.0.1' })),
      shared,
      s,
    );
    expect(exposed).toEqual([expect.stringMatching(/^listener A \(SSL\)/)]);
  });

  it('settings that do not go together are refused, naming the setting', () => {
    expect(() => settings({ ...twoSsl, 'listener.name.a.ssl.certificate.location': 'a.pem', 'listener.name.a.ssl.key.location': 'a.key' })).toThrow(
      /listener B is SSL: give its certificate and key .*--listener-ssl-cert\/--listener-ssl-key B=FILE/,
    );
    expect(() =>
      settings({ ...twoSsl, 'ssl.certificate.location': 's.pem', 'ssl.key.location': 's.key', 'listener.name.a.ssl.certificate.location': 'a.pem' }),
    ).toThrow(/listener.name.a.ssl.certificate.location and listener.name.a.ssl.key.location go together/);
    expect(() =>
      settings({ ...twoSsl, 'ssl.certificate.location': 's.pem', 'ssl.key.location': 's.key', 'listener.name.c.ssl.ca.location': 'ca.pem' }),
    ).toThrow(/listener.name.c.ssl.\*: C is not one of the listeners \(A, B\)/);
    expect(() =>
      settings({
        listeners: 'PLAINTEXT://127.0.0.1:0',
        'listener.name.plaintext.ssl.certificate.location': 'p.pem',
        'listener.name.plaintext.ssl.key.location': 'p.key',
      }),
    ).toThrow(/listener PLAINTEXT is PLAINTEXT, which has no TLS/);
    expect(() => settings({ ...twoSsl, 'listener.name.a.ssl.client.auth': 'sometimes' })).toThrow(/none, requested, required/);
    expect(() => settings({ 'listener.name.a.ssl.keystore.location': 'a.jks' })).toThrow(/not a listener TLS setting/);
    expect(() => listenerFlagsAsConfig({ 'listener-ssl-cert': ['a.pem'] })).toThrow(UsageError);
    expect(listenerFlagsAsConfig({ 'listener-ssl-cert': ['Outside=o.pem'], 'listener-ssl-client-auth': ['OUTSIDE=required'] })).toEqual({
      'listener.name.outside.ssl.certificate.location': 'o.pem',
      'listener.name.outside.ssl.client.auth': 'required',
    });
  });

  it('--connections-max-reauth-ms is connections.max.reauth.ms on a single node, and a cluster node refuses a bad value before starting', async () => {
    expect(listenerFlagsAsConfig({ 'connections-max-reauth-ms': 60_000 })).toEqual({ 'connections.max.reauth.ms': '60000' });
    expect(settings({ 'connections.max.reauth.ms': '60000' })).toMatchObject({ connectionsMaxReauthMs: 60_000 });
    const io = fakeIO('');
    const code = await runBroker(
      [
        '--node-id',
        '1',
        '--controllers',
        '1@127.0.0.1:1',
        '--data-dir',
        path.join(certs.dir, 'reauth-node'),
        '--port',
        '1',
        '--connections-max-reauth-ms',
        '-5',
      ],
      io,
      new AbortController().signal,
    );
    expect({ code, err: io.err() }).toEqual({ code: 2, err: expect.stringContaining('--connections-max-reauth-ms must be a whole number of milliseconds') });
  });
});
