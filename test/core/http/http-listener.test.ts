// core/http's listener with real HTTPS requests and certificates made by
// openssl at test time, and the endpoints served on it: /metrics (a
// Prometheus scrape with TLS and basic auth) and the console. A missing or
// wrong password gets 401 with a challenge and nothing else; a missing or
// untrusted client certificate and plaintext sent to the TLS port are
// refused at the handshake; the listener serves the next caller each time.
import * as https from 'node:https';
import * as http from 'node:http';
import type * as tls from 'node:tls';
import { type HttpSecurity, startHttpListener, type HttpListener } from '../../../core/http';
import { ListenerTls } from '../../../core/protocol';
import { MetricsServer, metricsRegistry, Counter } from '../../../core/metrics';
import { ConsoleServer } from '../../../console/server';
import { makeTestCerts, type TestCerts } from '../../support/test-certs';

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs?.remove());

const opened: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** One request on a fresh connection: its answer, or the error that ended it. */
function request(url: string, options: https.RequestOptions = {}): Promise<Reply> {
  const client = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { agent: false, timeout: 10_000, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
  });
}

/** The server TLS of the test CA's certificate, with client certificates as asked. */
function serverTls(clientAuth: 'none' | 'required' = 'none'): tls.TlsOptions {
  return ListenerTls.load({ certFile: certs.server.cert, keyFile: certs.server.key, caFile: certs.ca, clientAuth }).serverOptions();
}

const USERS: Record<string, string> = { alice: 'wonder-land' };
const check = (user: string, password: string) => USERS[user] === password;

async function listen(security: HttpSecurity): Promise<HttpListener> {
  const listener = await startHttpListener({
    port: 0,
    security,
    realm: 'Rill test',
    handle: (_req, res, caller) => res.end(`hello ${caller.user ?? 'anonymous'}`),
  });
  opened.push(() => listener.close());
  return listener;
}

describe('core/http listener', () => {
  test('basic auth over TLS: 401 with a challenge and no data without a password or with a wrong one; the user is served', async () => {
    const listener = await listen({ tls: serverTls(), authenticate: check });
    expect(listener.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = certs.read(certs.ca);
    const none = await request(listener.url, { ca });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="Rill test", charset="UTF-8"');
    expect(JSON.parse(none.body)).toEqual({ error_code: 401, message: 'Authentication required: HTTP basic auth (user and password)' });
    const wrong = await request(listener.url, { ca, headers: { authorization: basic('alice', 'guess') } });
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain('hello');
    const unknown = await request(listener.url, { ca, headers: { authorization: basic('mallory', 'wonder-land') } });
    expect(unknown.status).toBe(401);
    const malformed = await request(listener.url, { ca, headers: { authorization: 'Basic !!!' } });
    expect(malformed.status).toBe(401);
    const right = await request(listener.url, { ca, headers: { authorization: basic('alice', 'wonder-land') } });
    expect(right).toMatchObject({ status: 200, body: 'hello alice' });
  });

  test('a user check that fails (its broker unreachable) lets nobody in and says why', async () => {
    const listener = await listen({
      authenticate: async () => {
        throw new Error('no broker answered the login');
      },
    });
    const r = await request(listener.url, { headers: { authorization: basic('alice', 'wonder-land') } });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).message).toBe('Cannot check the password now: no broker answered the login');
  });

  test('required client certificates: none, an untrusted one and plaintext are refused at the handshake; a trusted one is served after them', async () => {
    const listener = await listen({ tls: serverTls('required') });
    const ca = certs.read(certs.ca);
    await expect(request(listener.url, { ca })).rejects.toThrow();
    // A certificate of another CA, which the listener does not trust.
    await expect(request(listener.url, { ca, cert: certs.read(certs.untrustedNode.cert), key: certs.read(certs.untrustedNode.key) })).rejects.toThrow();
    // Plain HTTP to the TLS port: no HTTP answer, the connection is closed.
    await expect(request(listener.url.replace('https:', 'http:'))).rejects.toThrow();
    // An untrusted server: the client refuses it (the listener's certificate is of the test CA).
    await expect(request(listener.url, { ca: certs.read(certs.otherCa) })).rejects.toThrow();
    const good = await request(listener.url, { ca, cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) });
    expect(good).toMatchObject({ status: 200, body: 'hello anonymous' });
  });
});

describe('endpoints on the listener', () => {
  test('a Prometheus scrape over HTTPS with basic auth; without the password, 401 and no metric', async () => {
    const registry = metricsRegistry();
    new Counter({ name: 'rill_test_scrapes_total', help: 'a counter the scrape must show', registers: [registry] }).inc(3);
    const server = await MetricsServer.start({ registry, port: 0, security: { tls: serverTls(), authenticate: check } });
    opened.push(() => server.close());
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const ca = certs.read(certs.ca);
    const refused = await request(server.url, { ca });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Basic realm="Rill metrics", charset="UTF-8"');
    expect(refused.body).not.toContain('rill_test_scrapes_total');
    const scraped = await request(server.url, { ca, headers: { authorization: basic('alice', 'wonder-land') } });
    expect(scraped.status).toBe(200);
    expect(scraped.body).toContain('rill_test_scrapes_total 3');
  });

  test('the console over HTTPS with basic auth: 401 without the password, its page with it', async () => {
    // The page is served without asking the brokers; nothing listens at this bootstrap address.
    const server = await ConsoleServer.start({ bootstrap: '127.0.0.1:1', port: 0, security: { tls: serverTls(), authenticate: check } });
    opened.push(() => server.close());
    expect(server.url).toMatch(/^https:/);
    const ca = certs.read(certs.ca);
    const refused = await request(`${server.url}/`, { ca });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Basic realm="Rill console", charset="UTF-8"');
    expect(refused.body).not.toContain('<html');
    const page = await request(`${server.url}/`, { ca, headers: { authorization: basic('alice', 'wonder-land') } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<html');
  });
});
