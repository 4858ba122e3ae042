// A cluster node's metrics port over HTTPS with basic auth, in-process: the
// password is checked against the cluster's SCRAM users (made with `rill user
// create --bootstrap`, held in the broker's metadata image). A controller-only
// node has no users to check, so basic auth there is a usage error.
import * as https from 'node:https';
import * as path from 'node:path';
import { runBroker } from '../../cli/broker-command';
import { runUser } from '../../cli/user-command';
import { combinedNodeArgs, combinedNodePorts, httpsMetricsArgs } from '../support/node-args';
import { certsAndTempDirs } from '../support/test-certs';
import { eventually } from '../support/eventually';
import { fakeIO } from './fake-io';

const { dirs, certs } = certsAndTempDirs('cli-node-http-security');

function scrape(url: string, authorization?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) =>
    https
      .get(url, { ca: certs().read(certs().ca), agent: false, timeout: 10_000, headers: authorization ? { authorization } : {} }, (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode!, body }));
      })
      .on('error', reject),
  );
}

test("a combined node's metrics over HTTPS to the cluster's users only", async () => {
  const ports = await combinedNodePorts();
  const { kafkaPort } = ports;
  const io = fakeIO();
  const stop = new AbortController();
  const exited = runBroker([...combinedNodeArgs(ports, path.join(dirs.make(), 'node')), ...httpsMetricsArgs(certs())], io, stop.signal);
  try {
    // The user exists once the controller has committed it and this node's broker has seen it.
    await eventually('the cluster to take a user', async () => {
      const code = await Promise.race([
        runUser(['create', 'alice', '--bootstrap', `127.0.0.1:${kafkaPort}`, '--password', 'alice-pw'], fakeIO()),
        exited.then(() => -1),
      ]);
      if (code === -1) throw new Error(`the node stopped: ${io.err()}`);
      return code === 0;
    });
    const url = /rill node 1: metrics on (https:\/\/\S+\/metrics)/.exec(io.out())?.[1];
    expect(url).toBeDefined();
    const refused = await scrape(url!);
    expect(refused.status).toBe(401);
    expect(refused.body).not.toContain('rill_');
    expect((await scrape(url!, `Basic ${Buffer.from('alice:wrong').toString('base64')}`)).status).toBe(401);
    const scraped = await scrape(url!, `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`);
    expect(scraped.status).toBe(200);
    expect(scraped.body).toContain('rill_controller_raft_term');
  } finally {
    stop.abort();
    await exited;
  }
}, 60_000);

test('basic auth on a controller-only node is a usage error', async () => {
  const io = fakeIO();
  const code = await runBroker(
    ['--controller', '--node-id', '1', '--controllers', '1@127.0.0.1:1', '--data-dir', dirs.make(), '--metrics-port', '0', '--metrics-basic-auth'],
    io,
    new AbortController().signal,
  );
  expect(code).toBe(2);
  expect(io.err()).toContain("--metrics-basic-auth checks the cluster's users at this node's broker, and a controller-only node has none");
});
