// TLS on the Kafka listener: real clients over SSL (kafkajs, kcat, Rill's own
// clients), mTLS principals, and the refusals (plaintext to an SSL port, an
// untrusted broker, a missing or expired client certificate, bad files at start).
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { Kafka, logLevel } from 'kafkajs';
import { ANONYMOUS, KafkaConnection, ListenerTls, type ListenerTlsOptions, principalOf } from '../../../core/protocol';
import { kafkaLogClient, protocolLogClient } from '../../../core/client';
import { makeTestCerts, type TestCerts } from '../../support/test-certs';
import { run } from './children';
import { startTestCluster, TestCluster, waitFor } from './harness';

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs.remove());

function serverTls(extra: Partial<ListenerTlsOptions> = {}): ListenerTlsOptions {
  return { certFile: certs.server.cert, keyFile: certs.server.key, ...extra };
}

async function withBroker(options: ListenerTlsOptions, body: (cluster: TestCluster) => Promise<void>): Promise<void> {
  const cluster = await startTestCluster({ server: { tls: options } });
  try {
    await body(cluster);
  } finally {
    await cluster.stop();
  }
}

function kafkajs(bootstrap: string, ssl: tls.ConnectionOptions | undefined): Kafka {
  return new Kafka({ clientId: 'tls-test', brokers: [bootstrap], ssl, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

describe('TLS on the Kafka listener', () => {
  test('kafkajs produces, consumes and administers over SSL', async () => {
    await withBroker(serverTls(), async ({ bootstrap, server }) => {
      expect(server.securityProtocol).toBe('SSL');
      const kafka = kafkajs(bootstrap, { ca: certs.read(certs.ca) });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'secure', numPartitions: 2 }] });
      expect(await admin.listTopics()).toContain('secure');
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'secure', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: 'secure-group' });
      await consumer.connect();
      await consumer.subscribe({ topic: 'secure', fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              seen.push(message.value!.toString());
              if (seen.length === 10) resolve();
            },
          })
          .catch(reject);
      });
      await consumer.disconnect();
      await admin.disconnect();
      expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
    });
  });

  test("Rill's protocol LogClient produces and fetches over SSL", async () => {
    await withBroker(serverTls(), async ({ bootstrap }) => {
      const client = protocolLogClient({ brokers: bootstrap, tls: { ca: certs.read(certs.ca) } });
      try {
        await client.ensureTopics([{ name: 'rill-secure', partitions: 1 }]);
        const producer = client.producer();
        await producer.sendBatch('rill-secure', [
          { key: null, value: Buffer.from('a'), timestamp: 1, partition: 0 },
          { key: null, value: Buffer.from('b'), timestamp: 2, partition: 0 },
        ]);
        await producer.close();
        const { records } = await client.fetch({ topic: 'rill-secure', partition: 0 }, 0, 1 << 20);
        expect(records.map((r) => r.value?.toString())).toEqual(['a', 'b']);
      } finally {
        await client.close();
      }
    });
  });

  test("the kafkajs LogClient's fetch() follows its ssl", async () => {
    await withBroker(serverTls(), async ({ bootstrap }) => {
      const client = kafkaLogClient({ brokers: [bootstrap], kafka: { ssl: { ca: certs.read(certs.ca) } } });
      try {
        await client.ensureTopics([{ name: 'kafkajs-secure', partitions: 1 }]);
        const producer = client.producer();
        await producer.send('kafkajs-secure', { key: null, value: Buffer.from('x'), timestamp: 1, partition: 0 });
        await producer.close();
        const { records } = await client.fetch({ topic: 'kafkajs-secure', partition: 0 }, 0, 1 << 20);
        expect(records.map((r) => r.value?.toString())).toEqual(['x']);
      } finally {
        await client.close();
      }
    });
  });

  test('kcat lists, produces and consumes with security.protocol=SSL', async () => {
    await withBroker(serverTls(), async ({ bootstrap }) => {
      const kcat = (args: string[], input?: string) =>
        run('kcat', ['-b', bootstrap, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.ca}`, ...args], { input, timeoutMs: 30000 });
      const p = await kcat(['-P', '-t', 'kcat-secure'], 'one\ntwo\nthree\n');
      expect(p.code).toBe(0);
      const l = await kcat(['-L']);
      expect(l.code).toBe(0);
      expect(l.stdout).toContain('topic "kcat-secure" with 1 partitions:');
      const c = await kcat(['-C', '-t', 'kcat-secure', '-o', 'beginning', '-e', '-q']);
      expect(c.code).toBe(0);
      expect(c.stdout.trim().split('\n')).toEqual(['one', 'two', 'three']);
    });
  });

  test('@platformatic/kafka produces and consumes with a group over SSL', async () => {
    await withBroker(serverTls(), async ({ bootstrap }) => {
      // Its `tls` option (node:tls's), from the child's RILL_TLS_CA.
      const platformatic = (args: string[]) =>
        run('env', [`RILL_TLS_CA=${certs.ca}`, 'node', path.join(__dirname, 'platformatic-client.mjs'), ...args], { timeoutMs: 30000 });
      const recs = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
      const p = await platformatic(['produce', bootstrap, 'platformatic-secure', JSON.stringify(recs)]);
      expect(p).toMatchObject({ code: 0 });
      const c = await platformatic(['consume', bootstrap, 'platformatic-secure', 'platformatic-secure-group', String(recs.length)]);
      expect(c).toMatchObject({ code: 0 });
      const values = c.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).value);
      expect(values.sort()).toEqual(recs.map((r) => r.value));
    });
  });

  test('a plaintext client on the SSL port is refused, logged once, and the next client is served', async () => {
    await withBroker(serverTls(), async ({ bootstrap, logs }) => {
      for (let i = 0; i < 3; i++) await expect(KafkaConnection.connect(bootstrap, { timeoutMs: 10000 })).rejects.toThrow(/closed|reset|EPIPE/i);
      expect(logs.filter((l) => l.includes('TLS handshake'))).toHaveLength(1);
      const conn = await KafkaConnection.connect(bootstrap, { tls: { ca: certs.read(certs.ca) } });
      conn.close();
    });
  });

  test('a client that never finishes its handshake is counted against max.connections, then closed and logged', async () => {
    await withBroker(serverTls({ handshakeTimeoutMs: 1000 }), async ({ server, logs }) => {
      const [host, port] = [server.host, server.port];
      const silent = net.connect({ host, port });
      await new Promise<void>((resolve) => silent.once('connect', () => resolve()));
      const closed = new Promise<void>((resolve) => silent.once('close', () => resolve()));
      silent.on('error', () => {});
      await waitFor(() => server.limiter.open === 1, 'the connection to be counted');
      await closed;
      await waitFor(() => server.limiter.open === 0, 'the connection to be let go');
      expect(logs.filter((l) => l.includes('TLS handshake'))).toHaveLength(1);
    });
  });

  test('a broker whose certificate no trusted CA signed is refused by the client', async () => {
    await withBroker({ certFile: certs.untrustedServer.cert, keyFile: certs.untrustedServer.key }, async ({ bootstrap }) => {
      await expect(KafkaConnection.connect(bootstrap, { tls: { ca: certs.read(certs.ca) } })).rejects.toThrow(/certificate/);
      const kafka = kafkajs(bootstrap, { ca: certs.read(certs.ca) });
      const admin = kafka.admin();
      await expect(admin.connect()).rejects.toThrow();
    });
  });

  describe('ssl.client.auth=required', () => {
    const mtls = () => serverTls({ caFile: certs.ca, clientAuth: 'required' });
    const clientTls = (files?: { cert: string; key: string }): tls.ConnectionOptions => ({
      ca: certs.read(certs.ca),
      ...(files ? { cert: certs.read(files.cert), key: certs.read(files.key) } : {}),
    });

    test('a client with a certificate the CA signed is served (kafkajs and kcat)', async () => {
      await withBroker(mtls(), async ({ bootstrap }) => {
        const admin = kafkajs(bootstrap, clientTls(certs.client)).admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: 'mtls', numPartitions: 1 }] });
        await admin.disconnect();
        const l = await run(
          'kcat',
          [
            '-b',
            bootstrap,
            '-X',
            'security.protocol=SSL',
            '-X',
            `ssl.ca.location=${certs.ca}`,
            '-X',
            `ssl.certificate.location=${certs.client.cert}`,
            '-X',
            `ssl.key.location=${certs.client.key}`,
            '-L',
            '-t',
            'mtls',
          ],
          { timeoutMs: 30000 },
        );
        expect(l.code).toBe(0);
        expect(l.stdout).toContain('topic "mtls"');
      });
    });

    test('a client without a certificate is refused', async () => {
      await withBroker(mtls(), async ({ bootstrap }) => {
        await expect(KafkaConnection.connect(bootstrap, { tls: clientTls(), timeoutMs: 10000 })).rejects.toThrow();
        const conn = await KafkaConnection.connect(bootstrap, { tls: clientTls(certs.client) });
        conn.close();
      });
    });

    test('a client with an expired certificate is refused', async () => {
      await withBroker(mtls(), async ({ bootstrap }) => {
        // Signed by the trusted CA like certs.client (served above): only its dates differ.
        await expect(KafkaConnection.connect(bootstrap, { tls: clientTls(certs.expiredClient), timeoutMs: 10000 })).rejects.toThrow();
      });
    });
  });

  test('bad files fail at start, before the port is bound, naming the setting', async () => {
    const start = (tlsOptions: ListenerTlsOptions) => startTestCluster({ server: { tls: tlsOptions } });
    await expect(start(serverTls({ certFile: `${certs.dir}/missing.pem` }))).rejects.toThrow(/ssl.certificate.location: cannot read .*missing.pem/);
    await expect(start(serverTls({ keyFile: certs.client.key }))).rejects.toThrow(/cannot use certificate .* with key .*: .*key values mismatch/);
    await expect(start(serverTls({ clientAuth: 'required' }))).rejects.toThrow(/needs ssl.ca.location/);
  });
});

describe('the connection principal', () => {
  /** The principal the listener's TLS finds for a client connecting with `options`. */
  async function principalFor(listener: ListenerTls, options: tls.ConnectionOptions): Promise<string> {
    const server = tls.createServer(listener.serverOptions());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const accepted = new Promise<string>((resolve, reject) => {
        server.once('secureConnection', (s) => resolve(principalOf(s)));
        server.once('tlsClientError', reject);
      });
      const client = tls.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port, ...options });
      client.on('error', () => {});
      const principal = await accepted;
      client.destroy();
      return principal;
    } finally {
      server.close();
    }
  }

  test('is User:<subject DN> with a verified client certificate, User:ANONYMOUS without one', async () => {
    const listener = ListenerTls.load(serverTls({ caFile: certs.ca, clientAuth: 'requested' }));
    const ca = certs.read(certs.ca);
    expect(await principalFor(listener, { ca, cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) })).toBe(
      'User:CN=rill-test-client,O=Rill Tests',
    );
    expect(await principalFor(listener, { ca })).toBe(ANONYMOUS);
  });
});
