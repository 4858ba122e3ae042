// --metrics-port on `rill broker`, in-process: the command prints where its
// metrics are, /metrics counts what kafkajs produces, and the port closes with
// the broker. A bad port is a usage error (exit 2) before anything starts. A
// combined cluster node shows its controller's and its broker's metrics.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runBroker } from '../../cli/broker-command';
import { fakeIO } from './fake-io';
import { Scrape } from '../support/scrape';
import { combinedNodeArgs, combinedNodePorts } from '../support/node-args';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-metrics-cli-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Resolves with the first match of `pattern` in what `read` returns, polling until `exited` settles first. */
async function printed(read: () => string, pattern: RegExp, exited: Promise<number>): Promise<RegExpExecArray> {
  let done = false;
  void exited.then(() => (done = true));
  for (;;) {
    const m = pattern.exec(read());
    if (m) return m;
    if (done) throw new Error(`the command ended without printing ${pattern}: ${read()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('rill broker --metrics-port serves /metrics until it stops', async () => {
  const io = fakeIO();
  const stop = new AbortController();
  const exited = runBroker(['--data-dir', path.join(dir, 'data'), '--port', '0', '--no-schema-registry', '--metrics-port', '0'], io, stop.signal);
  try {
    const url = (await printed(io.out, /rill broker: metrics on (http:\/\/\S+\/metrics)/, exited))[1];
    const port = (await printed(io.out, /listening on [^:]+:(\d+)/, exited))[1];
    const kafka = new Kafka({ clientId: 'metrics-cli', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: 'lines', messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await producer.disconnect();
    const scrape = await Scrape.of(url);
    expect(scrape.value('rill_broker_messages_in_total', { topic: 'lines' })).toBe(3);
    // The command's registry carries the process's own metrics too.
    expect(scrape.value('process_cpu_user_seconds_total')).toBeGreaterThan(0);
    stop.abort();
    expect(await exited).toBe(0);
    await expect(Scrape.of(url)).rejects.toThrow(/ECONNREFUSED/);
  } finally {
    stop.abort();
    await exited;
  }
});

test('a bad --metrics-port is a usage error', async () => {
  const io = fakeIO();
  const code = await runBroker(['--data-dir', path.join(dir, 'bad'), '--metrics-port', '70000'], io, new AbortController().signal);
  expect(code).toBe(2);
  expect(io.err()).toContain('--metrics-port needs a port number, 0 to 65535');
});

test('a combined cluster node (controller and broker) serves both roles’ metrics from one registry', async () => {
  const ports = await combinedNodePorts();
  const io = fakeIO();
  const stop = new AbortController();
  const exited = runBroker([...combinedNodeArgs(ports, path.join(dir, 'node')), '--metrics-port', '0'], io, stop.signal);
  try {
    const url = (await printed(io.out, /rill node 1: metrics on (http:\/\/\S+\/metrics)/, exited))[1];
    // A quorum of one: its controller becomes active on its own.
    let scrape = await Scrape.of(url);
    while (scrape.value('rill_controller_active_controller_count') !== 1) {
      await new Promise((r) => setTimeout(r, 50));
      scrape = await Scrape.of(url);
    }
    expect(scrape.value('rill_controller_raft_term')).toBeGreaterThanOrEqual(1);
    expect(scrape.family('rill_broker_requests_total')).toBeDefined();
    expect(scrape.family('rill_broker_under_replicated_partitions')).toBeDefined();
    stop.abort();
    expect(await exited).toBe(0);
  } finally {
    stop.abort();
    await exited;
  }
});
