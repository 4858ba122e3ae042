// `rill broker`'s log as a real process with stderr a pipe: JSON lines, one
// object each; --log-level warn leaves out the info lines; a client id full of
// newlines and JSON cannot add a line of its own, in JSON or in pretty text.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import { runBroker } from '../../cli/broker-command';
import { createLogger } from '../../core/logging';
import { startTestCluster } from '../core/protocol/harness';
import { fakeIO } from './fake-io';
import { killBrokerProcesses, startBrokerProcess, type BrokerProcess } from '../support/broker-process';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-broker-logs-'));
});
afterAll(() => {
  killBrokerProcesses();
  fs.rmSync(dir, { recursive: true, force: true });
});

function start(name: string, ...flags: string[]): Promise<BrokerProcess> {
  return startBrokerProcess(['--data-dir', path.join(dir, name), '--port', '0', '--host', '127.0.0.1', '--schema-registry-port', '0', ...flags]);
}

/** Stops the broker and returns its stderr, each line parsed (a line that is not JSON fails the test). */
async function stopAndReadLines(broker: BrokerProcess): Promise<Record<string, unknown>[]> {
  broker.child.kill('SIGTERM');
  expect(await broker.exited).toBe(0);
  return broker
    .stderr()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A request of an API no broker serves (key 999): the broker closes the connection and logs a warning. */
function sendUnknownApi(port: number): Promise<void> {
  const frame = Buffer.alloc(14);
  frame.writeInt32BE(10, 0);
  frame.writeInt16BE(999, 4); // api key
  frame.writeInt16BE(0, 6); // version
  frame.writeInt32BE(1, 8); // correlation id
  frame.writeInt16BE(-1, 12); // null client id
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(frame));
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
}

test('--log-level warn: no info line; the warning is a JSON line with its level and component', async () => {
  const broker = await start('warn', '--log-level', 'warn');
  const kafka = new Kafka({ clientId: 'quiet', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'auto-created', messages: [{ value: 'v' }] }); // auto-creation is an info line
  await producer.disconnect();
  await sendUnknownApi(broker.port);
  const lines = await stopAndReadLines(broker);
  expect(lines.every((l) => typeof l.level === 'number' && l.level >= 40)).toBe(true);
  expect(lines).toContainEqual(expect.objectContaining({ level: 40, component: 'kafka', msg: 'closing connection: unknown API key 999' }));
});

test('info by default; a hostile client id stays a field of its one line', async () => {
  const hostile = 'evil\n{"level":60,"msg":"forged"}\n\u001b[31m';
  const broker = await start('info');
  const kafka = new Kafka({ clientId: hostile, brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'made-by-evil', messages: [{ value: 'v' }] });
  await producer.disconnect();
  const lines = await stopAndReadLines(broker);
  expect(lines.some((l) => l.msg === 'forged')).toBe(false);
  const created = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('auto-created'));
  expect(created).toEqual([expect.objectContaining({ level: 30, component: 'kafka', topic: 'made-by-evil', clientId: hostile })]);
  expect(lines).toContainEqual(expect.objectContaining({ level: 30, msg: 'stopped: logs flushed and closed' }));
});

test('pretty text (a terminal): the hostile client id is quoted under its line, nothing forged', async () => {
  const hostile = 'evil\n[12:00:00.000] FATAL: forged\n\u001b[2J';
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const cluster = await startTestCluster({ server: { logger: createLogger({ destination: out, pretty: true }) } });
  try {
    const kafka = new Kafka({ clientId: hostile, brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'made-by-evil', messages: [{ value: 'v' }] });
    await producer.disconnect();
  } finally {
    await cluster.stop();
  }
  expect(text).not.toContain('\u001b');
  expect(text.split('\n').some((l) => l.includes('FATAL'))).toBe(true); // inside the quoted field...
  expect(text.split('\n').filter((l) => /^\[[\d:.]+\] FATAL/.test(l))).toEqual([]); // ...never a line of its own
  expect(text).toContain(`clientId: ${JSON.stringify(hostile)}`);
  expect(text).toMatch(/^\[[\d:.]+\] INFO: auto-created a topic of 1 partition\(s\)$/m);
});

test('a level that is not one is a usage error naming the choices, from the flag or from RILL_LOG_LEVEL', async () => {
  const flag = fakeIO();
  expect(await runBroker(['--data-dir', path.join(dir, 'bad'), '--log-level', 'loud'], flag, new AbortController().signal)).toBe(2);
  expect(flag.err()).toContain('--log-level: "loud" is not a log level (one of trace, debug, info, warn, error, fatal, silent)');
  const env = fakeIO('', { RILL_LOG_LEVEL: 'chatty' });
  expect(await runBroker(['--data-dir', path.join(dir, 'bad')], env, new AbortController().signal)).toBe(2);
  expect(env.err()).toContain('RILL_LOG_LEVEL: "chatty" is not a log level');
  expect(fs.existsSync(path.join(dir, 'bad'))).toBe(false); // refused before anything was opened
});
