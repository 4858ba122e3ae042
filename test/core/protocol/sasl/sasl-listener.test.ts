// SASL on the Kafka listener: real clients (kafkajs, kcat) authenticate with
// PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL; wrong
// passwords, unknown users, unknown mechanisms, requests before authentication,
// oversized or malformed tokens and slow exchanges are refused, and the broker
// goes on serving the others.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { ApiKey, apis, KafkaConnection, type KafkaServerOptions, type ListenerSasl, SaslSession, sasl } from '../../../../core/protocol';
import { ErrorCode } from '../../../../core/wire';
import { kafkaLogClient, protocolLogClient } from '../../../../core/client';
import { makeTestCerts, type TestCerts } from '../../../support/test-certs';
import { run } from '../children';
import { startTestCluster, type TestCluster } from '../harness';
import { rawConnect, requestFrame } from '../raw';

const ALL = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'];
let certs: TestCerts;
let credentialsDir: string;
let store: sasl.FileCredentialStore;

beforeAll(async () => {
  certs = makeTestCerts();
  credentialsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-sasl-'));
  store = new sasl.FileCredentialStore(credentialsDir);
  await store.upsert('alice', sasl.scramCredential(sasl.SCRAM_SHA_256, 'alice-pw', sasl.MIN_SCRAM_ITERATIONS));
  await store.upsert('alice', sasl.scramCredential(sasl.SCRAM_SHA_512, 'alice-pw', sasl.MIN_SCRAM_ITERATIONS));
});
afterAll(() => {
  certs.remove();
  fs.rmSync(credentialsDir, { recursive: true, force: true });
});

function listenerSasl(extra: Partial<ListenerSasl> = {}): ListenerSasl {
  return { mechanisms: ALL, security: sasl.credentialStorePort(store), ...extra };
}

async function withBroker(server: Partial<KafkaServerOptions>, body: (cluster: TestCluster) => Promise<void>): Promise<void> {
  const cluster = await startTestCluster({ server });
  try {
    await body(cluster);
  } finally {
    await cluster.stop();
  }
}

function kafkajs(bootstrap: string, credentials: SASLOptions, ssl?: { ca: string }): Kafka {
  return new Kafka({ clientId: 'sasl-test', brokers: [bootstrap], sasl: credentials, ssl, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

async function produceAndConsume(kafka: Kafka, topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: ['a', 'b', 'c'].map((value) => ({ value })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => void (seen.push(message.value!.toString()) === 3 && resolve()) }).catch(reject);
  });
  await consumer.disconnect();
  const groups = await admin.listGroups();
  expect(groups.groups.map((g) => g.groupId)).toContain(`${topic}-group`);
  await admin.disconnect();
  return seen;
}

describe('SASL on the Kafka listener', () => {
  test.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)(
    'kafkajs with %s over SASL_PLAINTEXT produces, consumes, joins a group and administers',
    async (mechanism) => {
      await withBroker({ sasl: listenerSasl() }, async ({ bootstrap, server, broker }) => {
        expect(server.securityProtocol).toBe('SASL_PLAINTEXT');
        const kafka = kafkajs(bootstrap, { mechanism, username: 'alice', password: 'alice-pw' } as SASLOptions);
        expect(await produceAndConsume(kafka, `t-${mechanism}`)).toEqual(['a', 'b', 'c']);
        expect(broker.listTopics()).toContain(`t-${mechanism}`);
      });
    },
  );

  test('a session serves only ApiVersions and SaslHandshake until authenticated, then its principal is User:<name>', () => {
    const session = new SaslSession(listenerSasl());
    expect([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.Metadata].map((k) => session.allows(k))).toEqual([true, true, false]);
    expect(session.handshake('SCRAM-SHA-512', 1)).toMatchObject({ response: { errorCode: ErrorCode.NONE }, close: false });
    expect(session.allows(ApiKey.ApiVersions)).toBe(false);
    const client = sasl.saslClient({ mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-pw' });
    let token: Buffer | null = client.first();
    while (token !== null) {
      const { response, close } = session.authenticate(token);
      expect(close).toBe(false);
      token = client.next(response.authBytes);
    }
    expect(session.authenticated).toBe(true);
    expect(session.principal).toBe('User:alice');
    expect(session.allows(ApiKey.Metadata)).toBe(true);
    // A second handshake on an authenticated connection is answered ILLEGAL_SASL_STATE, the connection kept (no re-authentication).
    expect(session.handshake('PLAIN', 1)).toMatchObject({ response: { errorCode: ErrorCode.ILLEGAL_SASL_STATE }, close: false });
  });

  test('KIP-368: with connections.max.reauth.ms the session ends unless the same user re-authenticates', async () => {
    let now = 1000;
    const session = new SaslSession(listenerSasl({ reauthMs: 60_000 }), () => now);
    const login = (user: string, password: string) => {
      const client = sasl.saslClient({ mechanism: 'PLAIN', username: user, password });
      expect(session.handshake('PLAIN', 1)).toMatchObject({ response: { errorCode: ErrorCode.NONE }, close: false });
      return session.authenticate(client.first());
    };
    expect(login('alice', 'alice-pw')).toMatchObject({ response: { errorCode: ErrorCode.NONE, sessionLifetimeMs: 60_000 }, close: false });
    now += 59_999;
    expect(session.allows(ApiKey.Metadata)).toBe(true);
    now += 1;
    expect(session.expired).toBe(true);
    expect([ApiKey.Metadata, ApiKey.SaslHandshake].map((k) => session.allows(k))).toEqual([false, true]);
    expect(login('alice', 'alice-pw')).toMatchObject({ response: { errorCode: ErrorCode.NONE, sessionLifetimeMs: 60_000 }, close: false });
    expect(session.allows(ApiKey.Metadata)).toBe(true);
    expect(session.principal).toBe('User:alice');
    // Another user cannot take the connection over (bob lives in a store of his own, with alice).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-sasl-reauth-'));
    try {
      const both = new sasl.FileCredentialStore(dir);
      for (const [user, password] of [
        ['alice', 'alice-pw'],
        ['bob', 'bob-pw'],
      ])
        await both.apply([{ kind: 'upsert', user, credential: sasl.scramCredential(sasl.SCRAM_SHA_256, password, sasl.MIN_SCRAM_ITERATIONS) }]);
      const other = new SaslSession(listenerSasl({ reauthMs: 60_000, security: sasl.credentialStorePort(both) }), () => now);
      const plain = (user: string) => sasl.saslClient({ mechanism: 'PLAIN', username: user, password: `${user}-pw` }).first();
      other.handshake('PLAIN', 1);
      expect(other.authenticate(plain('alice')).response.errorCode).toBe(ErrorCode.NONE);
      other.handshake('PLAIN', 1);
      expect(other.authenticate(plain('bob'))).toMatchObject({
        response: { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: expect.stringContaining('principals cannot change') },
        close: true,
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('without connections.max.reauth.ms a second handshake is ILLEGAL_SASL_STATE and the session never expires', () => {
    let now = 0;
    const session = new SaslSession(listenerSasl(), () => now);
    session.handshake('PLAIN', 1);
    expect(session.authenticate(sasl.saslClient({ mechanism: 'PLAIN', username: 'alice', password: 'alice-pw' }).first()).response.sessionLifetimeMs).toBe(0);
    now += 1e12;
    expect(session.allows(ApiKey.Metadata)).toBe(true);
    expect(session.handshake('PLAIN', 1)).toMatchObject({ response: { errorCode: ErrorCode.ILLEGAL_SASL_STATE }, close: false });
  });

  test("Rill's KafkaConnection authenticates with each mechanism and refuses a wrong password", async () => {
    await withBroker({ sasl: listenerSasl() }, async ({ bootstrap }) => {
      for (const mechanism of ALL) {
        const connection = await KafkaConnection.connect(bootstrap, { sasl: { mechanism, username: 'alice', password: 'alice-pw' } });
        const described = await connection.request<apis.DescribeUserScramCredentialsResponse>(apis.describeUserScramCredentials, { users: null });
        expect(described.results.map((r) => r.user)).toEqual(['alice']);
        connection.close();
      }
      await expect(KafkaConnection.connect(bootstrap, { sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'x' } })).rejects.toThrow(
        /SASL authentication as "alice" failed/,
      );
    });
  });

  test("Rill's protocol LogClient and the kafkajs LogClient's fetch() authenticate with SCRAM", async () => {
    await withBroker({ sasl: listenerSasl() }, async ({ bootstrap }) => {
      const rill = protocolLogClient({ brokers: bootstrap, sasl: { mechanism: 'SCRAM-SHA-256', username: 'alice', password: 'alice-pw' } });
      try {
        await rill.ensureTopics([{ name: 'rill-sasl', partitions: 1 }]);
        const producer = rill.producer();
        await producer.sendBatch('rill-sasl', [{ key: null, value: Buffer.from('a'), timestamp: 1, partition: 0 }]);
        await producer.close();
        expect((await rill.fetch({ topic: 'rill-sasl', partition: 0 }, 0, 1 << 20)).records.map((r) => r.value?.toString())).toEqual(['a']);
      } finally {
        await rill.close();
      }
      const kjs = kafkaLogClient({ brokers: [bootstrap], kafka: { sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-pw' } } });
      try {
        expect((await kjs.fetch({ topic: 'rill-sasl', partition: 0 }, 0, 1 << 20)).records.map((r) => r.value?.toString())).toEqual(['a']);
      } finally {
        await kjs.close();
      }
    });
  });

  test('kafkajs with scram-sha-512 over SASL_SSL', async () => {
    const tls = { certFile: certs.server.cert, keyFile: certs.server.key };
    await withBroker({ tls, sasl: listenerSasl() }, async ({ bootstrap, server }) => {
      expect(server.securityProtocol).toBe('SASL_SSL');
      const kafka = kafkajs(bootstrap, { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-pw' }, { ca: certs.read(certs.ca) });
      expect(await produceAndConsume(kafka, 'ssl-scram')).toEqual(['a', 'b', 'c']);
    });
  });

  test('kcat with SCRAM-SHA-512 and PLAIN over SASL_PLAINTEXT', async () => {
    await withBroker({ sasl: listenerSasl() }, async ({ bootstrap }) => {
      const auth = (mechanism: string, password = 'alice-pw') => [
        '-X',
        'security.protocol=SASL_PLAINTEXT',
        '-X',
        `sasl.mechanisms=${mechanism}`,
        '-X',
        'sasl.username=alice',
        '-X',
        `sasl.password=${password}`,
      ];
      const produced = await run('kcat', ['-b', bootstrap, ...auth('SCRAM-SHA-512'), '-P', '-t', 'kcat-sasl'], { input: 'one\ntwo\n' });
      expect(produced.code).toBe(0);
      const consumed = await run('kcat', ['-b', bootstrap, ...auth('PLAIN'), '-C', '-t', 'kcat-sasl', '-o', 'beginning', '-e', '-q']);
      expect(consumed.stdout.trim().split('\n')).toEqual(['one', 'two']);
      const refused = await run('kcat', ['-b', bootstrap, ...auth('SCRAM-SHA-256', 'wrong'), '-L', '-m', '5']);
      expect(refused.code).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(/Authentication failed|SASL authentication error/i);
    });
  });

  test('wrong password, unknown user and a disabled mechanism are refused; the broker serves others', async () => {
    await withBroker({ sasl: listenerSasl({ mechanisms: ['SCRAM-SHA-256'] }) }, async ({ bootstrap, logs }) => {
      await expect(kafkajs(bootstrap, { mechanism: 'scram-sha-256', username: 'alice', password: 'nope' }).admin().connect()).rejects.toThrow(
        /SASL SCRAM SHA256 authentication failed/,
      );
      await expect(kafkajs(bootstrap, { mechanism: 'scram-sha-256', username: 'mallory', password: 'x' }).admin().connect()).rejects.toThrow(
        /authentication failed/,
      );
      await expect(kafkajs(bootstrap, { mechanism: 'plain', username: 'alice', password: 'alice-pw' }).admin().connect()).rejects.toThrow(
        /does not support the requested SASL mechanism/,
      );
      expect(logs.some((l) => l.includes('SaslAuthenticate refused'))).toBe(true);
      const admin = kafkajs(bootstrap, { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-pw' }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'still-serving' }] });
      expect(await admin.listTopics()).toContain('still-serving');
      await admin.disconnect();
    });
  });

  test('a request before authentication closes the connection unanswered; ApiVersions is answered', async () => {
    await withBroker({ sasl: listenerSasl() }, async ({ server, broker }) => {
      broker.createTopic({ name: 'secret' });
      const raw = await rawConnect(server.port);
      raw.socket.write(requestFrame(apis.apiVersions, 0, 1, {}));
      await raw.responses(1);
      raw.socket.write(requestFrame(apis.metadata, 1, 2, { topics: null }));
      await raw.closed;
      expect(raw.frames).toHaveLength(1); // the ApiVersions answer only: no metadata reached it
      const produce = await rawConnect(server.port);
      produce.socket.write(requestFrame(apis.metadata, 1, 1, { topics: null }));
      await produce.closed;
      expect(produce.frames).toHaveLength(0);
    });
  });

  test('SaslHandshake v0 then bare tokens authenticates (the legacy framing)', async () => {
    await withBroker({ sasl: listenerSasl() }, async ({ server }) => {
      const raw = await rawConnect(server.port);
      raw.socket.write(requestFrame(apis.saslHandshake, 0, 1, { mechanism: 'PLAIN' }));
      const [handshake] = await raw.responses(1);
      expect(handshake.readInt16BE(4)).toBe(ErrorCode.NONE);
      // Shorter than a request header: a bare token is read as such.
      await store.upsert('al', sasl.scramCredential(sasl.SCRAM_SHA_256, 'pw', sasl.MIN_SCRAM_ITERATIONS));
      const token = Buffer.from('\0al\0pw');
      const framed = Buffer.alloc(4 + token.length);
      framed.writeInt32BE(token.length);
      token.copy(framed, 4);
      raw.socket.write(framed);
      const [answer] = await raw.responses(2).then((f) => f.slice(1));
      expect(answer).toHaveLength(0); // PLAIN's empty server token
      raw.socket.write(requestFrame(apis.metadata, 1, 3, { topics: null }));
      expect((await raw.responses(3))[2].readInt32BE(0)).toBe(3);
      raw.socket.destroy();
      await store.delete('al', sasl.SCRAM_SHA_256);
    });
  });

  test('a frame larger than sasl.server.max.receive.size before authentication closes the connection', async () => {
    await withBroker({ sasl: listenerSasl({ maxReceiveBytes: 1024 }) }, async ({ server, logs }) => {
      const raw = await rawConnect(server.port);
      raw.socket.write(requestFrame(apis.saslHandshake, 1, 1, { mechanism: 'SCRAM-SHA-256' }));
      await raw.responses(1);
      raw.socket.write(requestFrame(apis.saslAuthenticate, 1, 2, { authBytes: Buffer.alloc(4096, 0x61) }));
      await raw.closed;
      expect(raw.frames).toHaveLength(1);
      expect(logs.some((l) => l.includes('sasl.server.max.receive.size'))).toBe(true);
    });
  });

  test('an exchange not finished within the handshake timeout is closed', async () => {
    await withBroker({ sasl: listenerSasl({ handshakeTimeoutMs: 50 }) }, async ({ server, logs }) => {
      const raw = await rawConnect(server.port);
      raw.socket.write(requestFrame(apis.saslHandshake, 1, 1, { mechanism: 'SCRAM-SHA-256' }));
      await raw.responses(1);
      await raw.closed; // nothing more sent: the broker closes
      expect(logs.some((l) => l.includes('not finished within 50 ms'))).toBe(true);
    });
  });

  test('malformed SASL tokens each get SASL_AUTHENTICATION_FAILED and a closed connection (fast-check)', async () => {
    await withBroker({ sasl: listenerSasl() }, async ({ server, bootstrap }) => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...ALL), fc.uint8Array({ maxLength: 300 }), async (mechanism, token) => {
          const raw = await rawConnect(server.port);
          raw.socket.write(requestFrame(apis.saslHandshake, 1, 1, { mechanism }));
          raw.socket.write(requestFrame(apis.saslAuthenticate, 1, 2, { authBytes: Buffer.from(token) }));
          raw.socket.write(requestFrame(apis.saslAuthenticate, 1, 3, { authBytes: Buffer.from(token) }));
          await raw.closed;
          // The handshake answer, at most one challenge, then a refusal: never a third answer.
          expect(raw.frames.length).toBeGreaterThanOrEqual(2);
          expect(raw.frames.length).toBeLessThanOrEqual(3);
          const last = raw.frames[raw.frames.length - 1];
          expect([ErrorCode.SASL_AUTHENTICATION_FAILED, ErrorCode.ILLEGAL_SASL_STATE]).toContain(last.readInt16BE(4));
        }),
        { numRuns: 40 },
      );
      const kafka = kafkajs(bootstrap, { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-pw' });
      const admin = kafka.admin();
      await admin.connect();
      expect(await admin.listTopics()).toEqual(expect.any(Array));
      await admin.disconnect();
    });
  });
});
