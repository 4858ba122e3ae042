// The transaction coordinator's settings of `rill broker` (docs/cli.md):
// transaction.max.timeout.ms, transactional.id.expiration.ms and
// transaction.abort.timed.out.transaction.cleanup.interval.ms, as config keys and
// flags, on the single node and on a cluster broker. Bad values are usage errors
// (exit 2) naming the key; a broker given a maximum refuses a transactional
// producer asking for more (INVALID_TRANSACTION_TIMEOUT) and serves one within it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { runBroker } from '../../cli/broker-command';
import { applyConfig, completeSettings } from '../../cli/broker-config';
import { transactionSettings } from '../../cli/transaction-config';
import { apis, KafkaConnection } from '../../core/protocol';
import { freePortPair } from '../support/ports';
import { fakeIO } from './fake-io';

const READY_MS = 30_000;

test('the config keys fill the coordinator settings; unset ones are left to its defaults', () => {
  const partial = { dataDir: '/tmp/x' };
  applyConfig(
    partial,
    {
      'transaction.max.timeout.ms': '60000',
      'transactional.id.expiration.ms': '86400000',
      'transaction.abort.timed.out.transaction.cleanup.interval.ms': '250',
    },
    'test',
  );
  expect(transactionSettings(completeSettings(partial))).toEqual({ maxTimeoutMs: 60_000, idExpirationMs: 86_400_000, tickIntervalMs: 250 });
  expect(transactionSettings(completeSettings({ dataDir: '/tmp/x' }))).toEqual({});
});

test.each([
  ['transaction.max.timeout.ms', '0', '--transaction-max-timeout-ms'],
  ['transactional.id.expiration.ms', '-1', '--transactional-id-expiration-ms'],
  ['transaction.abort.timed.out.transaction.cleanup.interval.ms', '2147483648', '--transaction-abort-interval-ms'],
])('%s=%s is refused, naming the key and its flag', (key, value, flag) => {
  const partial = { dataDir: '/tmp/x' };
  applyConfig(partial, { [key]: value }, 'test');
  expect(() => completeSettings(partial)).toThrow(`${key} (${flag}) must be a whole number of milliseconds from 1 to 2147483647, got ${value}`);
});

/** Runs `rill broker ARGS` in this process until it prints `ready`; its io and a stop. */
async function startBroker(args: string[], ready: RegExp): Promise<{ stop: () => Promise<void>; out: () => string }> {
  const io = fakeIO();
  const abort = new AbortController();
  const running = runBroker(args, io, abort.signal);
  const deadline = Date.now() + READY_MS;
  let exited: number | undefined;
  void running.then((code) => (exited = code));
  while (!ready.test(io.out())) {
    if (exited !== undefined || Date.now() > deadline) throw new Error(`rill broker did not start (exit ${exited}):\n${io.out()}\n${io.err()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    out: io.out,
    stop: async () => {
      abort.abort();
      await running;
    },
  };
}

/** Resolves once the broker at `bootstrap` lists itself in Metadata (a cluster node registers after it listens); bounded. */
async function registered(bootstrap: string): Promise<void> {
  const deadline = Date.now() + READY_MS;
  for (;;) {
    const c = await KafkaConnection.connect(bootstrap, { timeoutMs: 2000 }).catch(() => undefined);
    const m = await c
      ?.request<apis.MetadataResponse>(apis.metadata, {
        topics: [],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      })
      .catch(() => undefined);
    c?.close();
    if ((m?.brokers.length ?? 0) > 0) return;
    if (Date.now() > deadline) throw new Error(`${bootstrap} did not register`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Whether a transactional producer asking for `timeoutMs` is served (it commits a transaction) or refused, and with what. */
async function transactionWith(bootstrap: string, timeoutMs: number): Promise<string> {
  const kafka = new Kafka({
    clientId: 'txn-settings',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 500 },
  });
  const producer = kafka.producer({ transactionalId: `txn-${timeoutMs}`, transactionTimeout: timeoutMs, idempotent: true, maxInFlightRequests: 1 });
  try {
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'txn-settings', messages: [{ value: 'x' }] });
    await txn.commit();
    return 'committed';
  } catch (e) {
    return (e as { type?: string }).type ?? (e as Error).message;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

describe('transaction.max.timeout.ms on a running broker', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-txn-settings-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('single node: --transaction-max-timeout-ms refuses a longer transaction timeout and serves a shorter one', async () => {
    const port = await freePortPair(new Set());
    const broker = await startBroker(
      ['--data-dir', dir, '--port', String(port), '--no-schema-registry', '--transaction-max-timeout-ms', '5000', '--transaction-abort-interval-ms', '200'],
      /rill broker: listening/,
    );
    try {
      expect(await transactionWith(`127.0.0.1:${port}`, 6000)).toBe('INVALID_TRANSACTION_TIMEOUT');
      expect(await transactionWith(`127.0.0.1:${port}`, 5000)).toBe('committed');
    } finally {
      await broker.stop();
    }
  }, 60_000);

  it('cluster broker: the same flag on a combined node', async () => {
    const taken = new Set<number>();
    const controller = await freePortPair(taken);
    const port = await freePortPair(taken);
    const node = await startBroker(
      [
        '--controller',
        '--node-id',
        '1',
        '--controllers',
        `1@127.0.0.1:${controller}`,
        '--port',
        String(port),
        '--data-dir',
        dir,
        '--transaction-max-timeout-ms',
        '5000',
        '--transactional-id-expiration-ms',
        '3600000',
      ],
      /rill broker 1:/,
    );
    try {
      await registered(`127.0.0.1:${port}`);
      expect(await transactionWith(`127.0.0.1:${port}`, 6000)).toBe('INVALID_TRANSACTION_TIMEOUT');
      expect(await transactionWith(`127.0.0.1:${port}`, 5000)).toBe('committed');
    } finally {
      await node.stop();
    }
  }, 60_000);

  it.each([
    [
      ['--transaction-abort-interval-ms', '0'],
      /transaction\.abort\.timed\.out\.transaction\.cleanup\.interval\.ms \(--transaction-abort-interval-ms\) must be/,
    ],
    [['--controller', '--node-id', '1', '--controllers', '1@127.0.0.1:1', '--transaction-max-timeout-ms', '-5'], /transaction\.max\.timeout\.ms .* got -5/],
    [['--controller', '--node-id', '1', '--controllers', '1@127.0.0.1:1', '--transaction-max-timeout-ms', '5000'], /are for a broker .* controller-only node/],
  ])('refuses %j with exit 2 and a message', async (args, message) => {
    const io = fakeIO();
    expect(await runBroker(['--data-dir', dir, ...args], io, new AbortController().signal)).toBe(2);
    expect(io.err()).toMatch(message);
  });
});
