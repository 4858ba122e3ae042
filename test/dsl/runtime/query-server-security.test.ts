// Interactive queries behind TLS (client certificates required) and basic
// auth, on two instances of one application on the real embedded broker:
// every key is answered from either instance, the one that does not own it
// forwarding over https with its own certificate and the caller's
// credentials. Without a password, with a wrong one, or without a client
// certificate, nothing is answered. Every wait is on an event or a
// condition, and bounded.
import * as https from 'node:https';
import { Rill } from '../../../core/client';
import { ListenerTls } from '../../../core/protocol';
import { memoryLogger, RillStreams } from '../../../dsl';
import { LINES, wordCountTopology } from '../../../examples/wordcount/topology';
import { rebalanceWaits } from '../../support/rebalance-waits';
import { certsAndTempDirs } from '../../support/test-certs';
import { eventually } from '../../support/eventually';

const { dirs, certs } = certsAndTempDirs('dsl-query-security');
const opened: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
});

const GROUP = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 50, rebalanceTimeoutMs: 5_000 };
const AUTH = `Basic ${Buffer.from('alice:wonder-land').toString('base64')}`;

interface Reply {
  status: number;
  body: { [k: string]: unknown };
  servedBy?: string;
}

/** A GET with the test CA trusted; the node certificate as the client's unless told otherwise. */
function get(url: string, options: https.RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      { agent: false, timeout: 10_000, ca: certs().read(certs().ca), cert: certs().read(certs().node.cert), key: certs().read(certs().node.key), ...options },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { [k: string]: unknown },
            servedBy: res.headers['x-rill-query-served-by'] as string | undefined,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
  });
}

test('two instances over TLS and basic auth: every key from either instance, forwarded with the caller credentials; refused without them', async () => {
  const rill = Rill.open({ dir: dirs.make(), groups: { minSessionTimeoutMs: 100 }, groupTickIntervalMs: 20 });
  opened.push(() => rill.close());
  await rill.admin.createTopics([{ name: LINES, partitions: 2 }]);
  // The node certificate serves and calls (127.0.0.1); callers need a certificate of the test CA and alice's password.
  const tls = ListenerTls.load({ certFile: certs().node.cert, keyFile: certs().node.key, caFile: certs().ca, clientAuth: 'required' });
  const checked: string[] = [];
  const authenticate = (user: string, password: string) => {
    checked.push(user);
    return user === 'alice' && password === 'wonder-land';
  };
  const events = rebalanceWaits(30_000);
  const instance = () => {
    const app = new RillStreams(wordCountTopology('wc-https'), {
      log: rill,
      logger: memoryLogger(),
      queryPort: 0,
      querySecurity: { tls: tls.serverOptions(), authenticate },
      queryForwardTls: { ...tls.clientOptions() },
      onRebalance: events.notify,
      group: GROUP,
    });
    opened.push(() => app.stop());
    return app;
  };
  const apps = [instance(), instance()];
  for (const a of apps) await a.start();
  for (const a of apps) expect(a.queryUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  await events.until('each instance to own one task', () => apps.every((a) => a.assignedPartitions.length === 1));

  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
  await rill.producer().send(
    LINES,
    words.map((w, i) => ({ value: `${w} ${w}`, partition: i % 2 })),
  );
  const hostOf = (url: string) => url.slice('https://'.length);
  const forwarded = new Set<string>();
  await eventually('every word from both instances', async () => {
    await Promise.all(apps.map((a) => a.waitUntilCaughtUp()));
    for (const w of words)
      for (const a of apps) {
        const r = await get(`${a.queryUrl}/stores/word-counts/keys/${w}`, { headers: { authorization: AUTH } });
        if (r.status !== 200 || r.body.value !== 2) return false;
        if (r.servedBy !== hostOf(a.queryUrl!)) forwarded.add(w);
      }
    return true;
  });
  // Each instance owns some words, so each answered some through the other.
  expect(forwarded.size).toBeGreaterThan(0);

  const url = `${apps[0].queryUrl}/stores/word-counts/keys/alpha`;
  const none = await get(url);
  expect(none.status).toBe(401);
  expect(none.body).toEqual({ error: 'Authentication required: HTTP basic auth (user and password)', code: 'unauthorized' });
  const wrong = await get(url, { headers: { authorization: `Basic ${Buffer.from('alice:guess').toString('base64')}` } });
  expect(wrong.status).toBe(401);
  expect(wrong.body).not.toHaveProperty('value');
  // No client certificate: the handshake is refused, and the next caller is served.
  await expect(get(url, { headers: { authorization: AUTH }, cert: undefined, key: undefined })).rejects.toThrow();
  expect((await get(url, { headers: { authorization: AUTH } })).body).toMatchObject({ key: 'alpha', value: 2 });
}, 60_000);
