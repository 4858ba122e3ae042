// kill -9 of a kafkajs transactional producer in the middle of a transaction,
// against a real `rill broker` process. The child (transactional-producer-child.ts)
// commits one transaction on both partitions of a topic, sends a second one it
// never ends, says so on stdout, and is killed with SIGKILL. Then:
// - a read_committed reader (the Kafka protocol, and kcat/librdkafka with
//   -X isolation.level=read_committed) sees the first transaction and nothing
//   of the open one, on every partition;
// - the coordinator aborts the open transaction once its transaction.timeout.ms
//   has passed (polled for with a deadline): ABORT markers, the last stable
//   offset at the high watermark, the records still invisible;
// - or a new producer with the same transactional id fences it: its
//   InitProducerId aborts the open transaction before it is answered, and the
//   new producer's transactions commit as usual.
// And a transaction.timeout.ms above transaction.max.timeout.ms is refused.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { run } from '../core/protocol/children';
import { waitFor } from '../core/protocol/harness';
import { killBrokerProcesses, startBrokerProcess, type BrokerProcess } from '../support/broker-process';
import { killAndWait } from '../support/ports';
import { readPartitionAs, type PartitionView } from './partition-view';

const ROOT = path.resolve(__dirname, '../..');
const PARTITIONS = [0, 1];
const PER_PARTITION = 3;
/** How long the child may take to start (transpiling on a loaded machine) and send its two transactions. */
const CHILD_READY_MS = 60_000;
/** Bound on the wait for the coordinator's timeout abort (its timer ticks every second). */
const ABORT_DEADLINE_MS = 30_000;

let dir: string;
let broker: BrokerProcess;
let kafka: Kafka;
const producers: Producer[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-txn-crash-'));
  broker = await startBrokerProcess(['--data-dir', dir, '--port', '0', '--host', '127.0.0.1', '--schema-registry-port', '0'], 170_000);
  kafka = new Kafka({ clientId: 'txn-crash', brokers: [bootstrap()], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: ['crash-timeout', 'crash-fenced'].map((topic) => ({ topic, numPartitions: PARTITIONS.length })) });
  await admin.disconnect();
}, CHILD_READY_MS);

afterAll(async () => {
  for (const p of producers.splice(0)) await p.disconnect().catch(() => undefined);
  killBrokerProcesses();
  await broker?.exited;
  fs.rmSync(dir, { recursive: true, force: true });
});

const bootstrap = () => `127.0.0.1:${broker.port}`;
const expected = (prefix: string, partition: number) => Array.from({ length: PER_PARTITION }, (_, i) => `${prefix}-${partition}-${i}`);

/** Starts the child producer; resolves once it has committed one transaction and left the next open, then kills it with SIGKILL. */
async function producerKilledMidTransaction(transactionalId: string, topic: string, timeoutMs: number): Promise<void> {
  const args = ['-r', './test/support/register-ts.js', 'test/compat/transactional-producer-child.ts', bootstrap(), transactionalId, topic];
  const child = spawn(process.execPath, [...args, String(PARTITIONS.length), String(timeoutMs), String(PER_PARTITION)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the producer child did not open its transaction within ${CHILD_READY_MS} ms: ${stderr}`)),
        CHILD_READY_MS,
      );
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        if (line !== 'open') return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the producer child exited with ${code} before its transaction was open: ${stderr}`));
      });
    });
  } finally {
    await killAndWait(child);
  }
}

const views = (topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<PartitionView[]> =>
  Promise.all(PARTITIONS.map((p) => readPartitionAs(bootstrap(), topic, p, isolation)));

/** What kcat (librdkafka) reads under read_committed, as "partition value" lines, sorted. */
async function kcatReadCommitted(topic: string): Promise<string[]> {
  const r = await run('kcat', ['-b', bootstrap(), '-C', '-t', topic, '-X', 'isolation.level=read_committed', '-o', 'beginning', '-e', '-q', '-f', '%p %s\n'], {
    timeoutMs: 30_000,
  });
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).sort();
}

const kcatLines = (...prefixes: string[]) => PARTITIONS.flatMap((p) => prefixes.flatMap((prefix) => expected(prefix, p).map((v) => `${p} ${v}`))).sort();

/** Every partition ends with an ABORT marker of the open transaction, whose records stay in the log but out of read_committed. */
async function expectAborted(topic: string): Promise<void> {
  const all = await views(topic, 'read_uncommitted');
  for (const [p, v] of all.entries()) {
    expect(v.values).toEqual([...expected('committed', p), ...expected('open', p)]);
    expect(v.markers.map((m) => m.kind)).toEqual(['COMMIT', 'ABORT']);
  }
  const committed = await views(topic, 'read_committed');
  for (const [p, v] of committed.entries()) {
    expect(v.values).toEqual(expected('committed', p));
    expect(v.lastStableOffset).toBe(v.highWatermark);
    expect(v.abortedProducers).toEqual([all[p].markers[1].producerId]);
  }
  expect(await kcatReadCommitted(topic)).toEqual(kcatLines('committed'));
}

test(
  "the coordinator aborts a killed producer's open transaction once transaction.timeout.ms passes; read_committed never sees it",
  async () => {
    await producerKilledMidTransaction('crash-timeout-tx', 'crash-timeout', 2500);
    // Whether or not the timeout has passed yet, the open transaction is invisible to read_committed readers.
    for (const [p, v] of (await views('crash-timeout', 'read_committed')).entries()) expect(v.values).toEqual(expected('committed', p));
    expect(await kcatReadCommitted('crash-timeout')).toEqual(kcatLines('committed'));
    await waitFor(
      async () => (await views('crash-timeout', 'read_uncommitted')).every((v) => v.markers.some((m) => m.kind === 'ABORT')),
      'the ABORT markers of the timed-out transaction',
      ABORT_DEADLINE_MS,
    );
    await expectAborted('crash-timeout');
  },
  2 * CHILD_READY_MS,
);

test(
  "a new producer with the same transactional id aborts the killed one's open transaction before it gets its epoch, then commits",
  async () => {
    // A timeout far beyond this test's life: only the fencing can end the transaction.
    await producerKilledMidTransaction('crash-fenced-tx', 'crash-fenced', 15 * 60_000);
    for (const [p, v] of (await views('crash-fenced', 'read_committed')).entries()) {
      expect(v.values).toEqual(expected('committed', p));
      // The open transaction holds the last stable offset at its first record.
      expect(v.lastStableOffset).toBe(PER_PARTITION + 1);
      expect(v.highWatermark).toBe(2 * PER_PARTITION + 1);
    }
    expect(await kcatReadCommitted('crash-fenced')).toEqual(kcatLines('committed'));

    const successor = kafka.producer({ transactionalId: 'crash-fenced-tx', idempotent: true, maxInFlightRequests: 1 });
    producers.push(successor);
    await successor.connect();
    // kafkajs sends InitProducerId with its first transaction, which is answered only once the fenced transaction's markers are written.
    const txn = await successor.transaction();
    await expectAborted('crash-fenced');
    await txn.send({ topic: 'crash-fenced', messages: PARTITIONS.flatMap((partition) => expected('after', partition).map((value) => ({ partition, value }))) });
    await txn.commit();
    for (const [p, v] of (await views('crash-fenced', 'read_committed')).entries())
      expect(v.values).toEqual([...expected('committed', p), ...expected('after', p)]);
    expect(await kcatReadCommitted('crash-fenced')).toEqual(kcatLines('committed', 'after'));
  },
  2 * CHILD_READY_MS,
);

test('a transaction.timeout.ms above transaction.max.timeout.ms (15 min) is refused with INVALID_TRANSACTION_TIMEOUT, and the broker goes on', async () => {
  const tooLong = kafka.producer({ transactionalId: 'too-long-tx', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 15 * 60_000 + 1 });
  producers.push(tooLong);
  await tooLong.connect();
  await expect(tooLong.transaction()).rejects.toMatchObject({ type: 'INVALID_TRANSACTION_TIMEOUT' });
  // The same id with a timeout within the bound is served.
  const bounded = kafka.producer({ transactionalId: 'too-long-tx', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000 });
  producers.push(bounded);
  await bounded.connect();
  const txn = await bounded.transaction();
  await txn.send({ topic: 'crash-timeout', messages: [{ partition: 0, value: 'bounded' }] });
  await txn.abort();
});
