// A real `rill broker --authorizer` serving the schema registry with basic
// auth and /metrics over HTTPS with basic auth: the registry checks subjects
// against the broker's ACLs (a <topic>-value subject needs the topic's, a
// subject of no topic the cluster's; super users pass), answers 403 with
// Confluent's 40301, lists only what the caller may describe; a Prometheus
// scrape needs TLS and the password. Users made with `rill user create`, ACLs
// written to the data dir before the broker starts.
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { schemaRegistryRequest } from '../../core/client';
import { auth } from '../../core/protocol';
import { runUser } from '../../cli/user-command';
import { type BrokerProcess, killBrokerProcesses, startBrokerProcess } from '../support/broker-process';
import { httpsMetricsArgs } from '../support/node-args';
import { makeTestCerts, type TestCerts } from '../support/test-certs';
import { fakeIO } from './fake-io';

const { AclOperation, AclPermission, PatternType, ResourceType } = auth;
const PASSWORD = 'wonder-land';

const allow = (principal: string, topic: string, operation: number) => ({
  resourceType: ResourceType.TOPIC,
  resourceName: topic,
  patternType: PatternType.LITERAL,
  principal,
  host: '*',
  operation,
  permission: AclPermission.ALLOW,
});

describe('rill broker --authorizer: ACLs on schema registry subjects, metrics over HTTPS with basic auth', () => {
  let certs: TestCerts;
  let dir: string;
  let broker: BrokerProcess;

  beforeAll(async () => {
    certs = makeTestCerts();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-registry-acls-'));
    for (const user of ['admin', 'alice', 'bob']) expect(await runUser(['create', user, '--data-dir', dir, '--password', PASSWORD], fakeIO())).toBe(0);
    // alice may write the orders topic, bob read it; admin is a super user.
    new auth.FileAclStore(dir).save([allow('User:alice', 'orders', AclOperation.WRITE), allow('User:bob', 'orders', AclOperation.READ)]);
    broker = await startBrokerProcess([
      '--data-dir',
      dir,
      '--port',
      '0',
      '--authorizer',
      '--super-users',
      'User:admin',
      '--schema-registry-port',
      '0',
      '--schema-registry-basic-auth',
      ...httpsMetricsArgs(certs),
    ]);
  }, 60_000);

  afterAll(() => {
    killBrokerProcesses();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    certs?.remove();
  });

  const as = (username: string) => ({ username, password: PASSWORD });
  const schema = (name: string) => JSON.stringify({ schema: JSON.stringify({ type: 'record', name, fields: [{ name: 'id', type: 'long' }] }) });
  const register = (subject: string, user: string, name = 'Order') =>
    schemaRegistryRequest(`${broker.registryUrl}/subjects/${subject}/versions`, { method: 'POST', body: schema(name) }, as(user));
  const get = (p: string, user: string) => schemaRegistryRequest(`${broker.registryUrl}${p}`, {}, as(user));

  it("maps <topic>-value to the topic's ACLs and other subjects to the cluster's; 403 with 40301; lists only what the caller may describe", async () => {
    const order = await register('orders-value', 'alice');
    expect(order.status).toBe(200);
    const orderId = (order.body as { id: number }).id;
    expect(await register('orders-value', 'bob', 'OrderV2')).toEqual({
      status: 403,
      body: { error_code: 40301, message: 'User:bob is not authorized to WRITE Topic "orders"' },
    });
    // READ implies DESCRIBE: the topic's consumer reads its schemas.
    expect(await get('/subjects/orders-value/versions', 'bob')).toEqual({ status: 200, body: [1] });
    expect((await get(`/schemas/ids/${orderId}`, 'bob')).status).toBe(200);
    expect((await schemaRegistryRequest(`${broker.registryUrl}/subjects/orders-value`, { method: 'DELETE' }, as('bob'))).status).toBe(403);

    // A subject of no topic (RecordNameStrategy) needs the cluster: alice has no cluster ACL, the super user passes.
    const refused = await register('com.acme.Thing', 'alice', 'Thing');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error_code: 40301 });
    const thing = await register('com.acme.Thing', 'admin', 'Thing');
    expect(thing.status).toBe(200);
    const thingId = (thing.body as { id: number }).id;

    expect(await get('/subjects', 'admin')).toEqual({ status: 200, body: ['com.acme.Thing', 'orders-value'] });
    expect(await get('/subjects', 'bob')).toEqual({ status: 200, body: ['orders-value'] });
    // A schema only a hidden subject uses is not found, as an unknown id.
    expect(await get(`/schemas/ids/${thingId}`, 'bob')).toMatchObject({ status: 404, body: { error_code: 40403 } });
    // The global compatibility is the cluster's config.
    expect((await get('/config', 'bob')).status).toBe(403);
    expect((await get('/config', 'admin')).status).toBe(200);
  });

  it('serves /metrics over HTTPS to the password only', async () => {
    const url = /metrics on (https:\/\/\S+)/.exec(broker.stdout())?.[1];
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scrape = (headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) =>
        https
          .get(url!, { ca: certs.read(certs.ca), headers, agent: false }, (r) => {
            let body = '';
            r.on('data', (d) => (body += d));
            r.on('end', () => resolve({ status: r.statusCode!, body }));
          })
          .on('error', reject),
      );
    const refused = await scrape({});
    expect(refused.status).toBe(401);
    expect(refused.body).not.toContain('process_cpu');
    const scraped = await scrape({ authorization: `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}` });
    expect(scraped.status).toBe(200);
    expect(scraped.body).toContain('process_cpu');
  });
});
