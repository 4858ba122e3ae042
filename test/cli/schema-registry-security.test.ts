// The schema registry's HTTP security, with real HTTPS requests and
// certificates made by openssl at test time: a real `rill broker` serving the
// registry over TLS with basic auth checked against its SCRAM users (`rill
// user create`), `rill produce`/`rill consume --avro` reaching it with
// https://USER:PASSWORD@ and the CA from --command-config, and 401 with a
// WWW-Authenticate challenge for a missing or wrong password; and the registry
// server alone with required client certificates.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { schemaRegistryRequest } from '../../core/client';
import { ListenerTls } from '../../core/protocol';
import { EphemeralSchemaStorage, SchemaRegistry, type SchemaRegistryServer, startSchemaRegistryServer } from '../../core/schema';
import { runConsume } from '../../cli/consume-command';
import { runProduce } from '../../cli/produce-command';
import { runUser } from '../../cli/user-command';
import { type BrokerProcess, killBrokerProcesses, startBrokerProcess } from '../support/broker-process';
import { makeTestCerts, type TestCerts } from '../support/test-certs';
import { fakeIO } from './fake-io';

async function cli(run: (argv: string[], io: ReturnType<typeof fakeIO>) => Promise<number>, argv: string[], stdin = '') {
  const io = fakeIO(stdin);
  const code = await run(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('rill broker: the schema registry over HTTPS with basic auth', () => {
  let certs: TestCerts;
  let dir: string;
  let broker: BrokerProcess;

  beforeAll(async () => {
    certs = makeTestCerts();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-registry-auth-'));
    expect((await cli(runUser, ['create', 'alice', '--data-dir', dir, '--password', 'wonder-land'])).code).toBe(0);
    broker = await startBrokerProcess([
      '--data-dir',
      dir,
      '--port',
      '0',
      '--schema-registry-port',
      '0',
      '--schema-registry-ssl-cert',
      certs.server.cert,
      '--schema-registry-ssl-key',
      certs.server.key,
      '--schema-registry-basic-auth',
    ]);
  }, 60_000);

  afterAll(() => {
    killBrokerProcesses();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    certs?.remove();
  });

  it('answers 401 with a challenge without a password or with a wrong one, and serves the user', async () => {
    expect(broker.registryUrl).toMatch(/^https:/);
    const ca = certs.read(certs.ca);
    const none = await schemaRegistryRequest(`${broker.registryUrl}/subjects`, {}, { ca });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error_code: 401, message: 'Authentication required: HTTP basic auth (user and password)' });
    const wrong = await schemaRegistryRequest(`${broker.registryUrl}/subjects`, {}, { ca, username: 'alice', password: 'guess' });
    expect(wrong.status).toBe(401);
    const unknown = await schemaRegistryRequest(`${broker.registryUrl}/subjects`, {}, { ca, username: 'mallory', password: 'wonder-land' });
    expect(unknown.status).toBe(401);
    const right = await schemaRegistryRequest(`${broker.registryUrl}/subjects`, {}, { ca, username: 'alice', password: 'wonder-land' });
    expect(right).toEqual({ status: 200, body: [] });
    // The challenge itself, as a browser or curl sees it.
    const challenge = await new Promise<string | undefined>((resolve, reject) =>
      https
        .get(`${broker.registryUrl}/subjects`, { ca }, (r) => {
          r.resume();
          resolve(r.headers['www-authenticate'] as string | undefined);
        })
        .on('error', reject),
    );
    expect(challenge).toBe('Basic realm="Rill Schema Registry", charset="UTF-8"');
    // Plain HTTP to the HTTPS port gets no answer.
    await expect(fetch(`http://127.0.0.1:${new URL(broker.registryUrl).port}/subjects`)).rejects.toThrow();
    // Without the CA the registry's certificate is not trusted.
    await expect(schemaRegistryRequest(`${broker.registryUrl}/subjects`, {}, { username: 'alice', password: 'wonder-land' })).rejects.toThrow(/certificate/);
  });

  it('carries rill produce and consume --avro with https://USER:PASSWORD@ and the CA from --command-config', async () => {
    const schemaFile = path.join(dir, 'click.avsc');
    fs.writeFileSync(schemaFile, JSON.stringify({ type: 'record', name: 'Click', fields: [{ name: 'user', type: 'string' }] }));
    const config = path.join(dir, 'client.properties');
    fs.writeFileSync(config, `bootstrap.servers=127.0.0.1:${broker.port}\nschema.registry.ssl.ca.location=${certs.ca}\n`);
    const url = new URL(broker.registryUrl);
    url.username = 'alice';
    url.password = 'wonder-land';
    const registry = ['--schema-registry', url.toString().replace(/\/$/, ''), '--command-config', config];
    const produced = await cli(runProduce, ['--topic', 'secure-clicks', '--avro-schema', schemaFile, ...registry], '{"user":"ada"}\n');
    expect(produced).toMatchObject({ code: 0, err: 'Produced 1 record(s) to secure-clicks.\n' });
    const consumed = await cli(runConsume, ['--topic', 'secure-clicks', '--from-beginning', '--exit-at-end', '--avro', ...registry]);
    expect(consumed).toMatchObject({ code: 0, out: '{"user":"ada"}\n' });

    const noPassword = await cli(
      runProduce,
      ['--topic', 'secure-clicks', '--avro-schema', schemaFile, '--schema-registry', broker.registryUrl, '--command-config', config],
      '{"user":"bob"}\n',
    );
    expect(noPassword.code).toBe(1);
    expect(noPassword.err).toContain('(HTTP 401): give USER:PASSWORD@ in --schema-registry, or schema.registry.basic.auth.user.info in --command-config');
    // The same user from the config file instead of the URL.
    fs.appendFileSync(config, 'schema.registry.basic.auth.user.info=alice:wonder-land\n');
    const fromFile = await cli(
      runProduce,
      ['--topic', 'secure-clicks', '--avro-schema', schemaFile, '--schema-registry', broker.registryUrl, '--command-config', config],
      '{"user":"bob"}\n',
    );
    expect(fromFile).toMatchObject({ code: 0, err: 'Produced 1 record(s) to secure-clicks.\n' });
  });
});

describe('the schema registry server with required client certificates', () => {
  let certs: TestCerts;
  let server: SchemaRegistryServer;

  beforeAll(async () => {
    certs = makeTestCerts();
    const tls = ListenerTls.load({ certFile: certs.server.cert, keyFile: certs.server.key, caFile: certs.ca, clientAuth: 'required' });
    server = await startSchemaRegistryServer({ registry: SchemaRegistry.open(new EphemeralSchemaStorage()), port: 0, tls: tls.serverOptions() });
  });

  afterAll(async () => {
    await server?.close();
    certs?.remove();
  });

  it('serves a client with a certificate of its CA and refuses one without', async () => {
    const ca = certs.read(certs.ca);
    const withCert = await schemaRegistryRequest(`${server.url}/subjects`, {}, { ca, cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) });
    expect(withCert).toEqual({ status: 200, body: [] });
    await expect(schemaRegistryRequest(`${server.url}/subjects`, {}, { ca })).rejects.toThrow();
    // The server goes on serving after the refusal.
    expect(
      (await schemaRegistryRequest(`${server.url}/subjects`, {}, { ca, cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) })).status,
    ).toBe(200);
  });
});
