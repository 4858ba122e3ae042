// Issue 20 items 4-5: `rill produce` sends what it buffered after a linger
// (so `tail -f | rill produce` delivers while stdin stays open), on a stop
// signal sends the rest and prints the count, keeps the valid Avro lines
// before a bad one, and takes --bootstrap as a list.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runProduce } from '../../cli/produce-command';
import { EphemeralSchemaStorage, SchemaRegistry, SchemaRegistryServer, startSchemaRegistryServer } from '../../core/schema';
import { startTestCluster, TestCluster, waitFor } from '../core/protocol/harness';
import { fakeIO } from './fake-io';

let cluster: TestCluster;
let registryServer: SchemaRegistryServer;
let b: string[];
let dir: string;

beforeAll(async () => {
  cluster = await startTestCluster();
  registryServer = await startSchemaRegistryServer({ registry: SchemaRegistry.open(new EphemeralSchemaStorage()), port: 0 });
  b = ['--bootstrap', cluster.bootstrap];
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-produce-'));
});

afterAll(async () => {
  await registryServer.close();
  await cluster.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The high watermark of partition 0 of `topic` (0 while it does not exist). */
function stored(topic: string): number {
  const o = cluster.broker.partitionOffsets(topic, 0);
  return o._tag === 'Right' ? o.right.highWatermark : 0;
}

/** `rill produce` with a stdin that stays open until the test ends it, and a stop signal. */
function producing(argv: string[]) {
  const io = fakeIO();
  const stdin = new PassThrough();
  const stop = new AbortController();
  const done = runProduce(argv, { ...io, stdin }, stop.signal);
  return { io, stdin, stop, done };
}

test('lines are delivered after the linger while stdin stays open; a stop signal sends the rest and prints the count', async () => {
  const run = producing(['--topic', 'tailed', '--linger-ms', '20', ...b]);
  try {
    run.stdin.write('one\ntwo\nthree\n');
    await waitFor(() => stored('tailed') === 3, 'the first three lines to be stored without stdin ending');
    run.stdin.write('four\n');
    await waitFor(() => stored('tailed') === 4, 'the fourth line');
  } finally {
    run.stop.abort();
  }
  expect(await run.done).toBe(0);
  expect(run.io.err()).toBe('Produced 4 record(s) to tailed (stopped).\n');
});

test('a stop signal flushes lines still lingering (nothing dropped) and reports them', async () => {
  const run = producing(['--topic', 'interrupted', '--linger-ms', '600000', ...b]);
  run.stdin.write('a\nb\n');
  // The lines are read (and buffered, the linger being long) before the signal.
  await waitFor(() => run.stdin.readableLength === 0, 'produce to read its stdin');
  run.stop.abort();
  expect(await run.done).toBe(0);
  expect(run.io.err()).toBe('Produced 2 record(s) to interrupted (stopped).\n');
  expect(stored('interrupted')).toBe(2);
});

test('Avro: a bad line stops the run, the valid lines before it are written and counted', async () => {
  const schemaFile = path.join(dir, 'click.avsc');
  fs.writeFileSync(
    schemaFile,
    JSON.stringify({
      type: 'record',
      name: 'Click',
      fields: [
        { name: 'user', type: 'string' },
        { name: 'n', type: 'int' },
      ],
    }),
  );
  const io = fakeIO('{"user":"ada","n":1}\n{"user":"bob","n":2}\n{"user":"eve"}\n{"user":"max","n":4}\n');
  const code = await runProduce(['--topic', 'avro-partial', '--avro-schema', schemaFile, '--schema-registry', registryServer.url, ...b], io);
  expect(code).toBe(1);
  expect(io.err()).toBe('rill produce: line 3: does not match the Avro schema (at n); 2 record(s) were written to avro-partial before it\n');
  expect(stored('avro-partial')).toBe(2);
});

test('--bootstrap is a list: an address that refuses is skipped', async () => {
  const io = fakeIO('x\ny\n');
  expect(await runProduce(['--topic', 'listed', '--bootstrap', `127.0.0.1:1,${cluster.bootstrap}`], io)).toBe(0);
  expect(io.err()).toBe('Produced 2 record(s) to listed.\n');
  expect(stored('listed')).toBe(2);
});

test('a send that fails while stdin is idle ends the run with the count, without waiting for more input', async () => {
  const run = producing(['--topic', 'vanishing', '--linger-ms', '10', ...b]);
  try {
    run.stdin.write('a\n');
    await waitFor(() => stored('vanishing') === 1, 'the first line to be stored');
    expect(cluster.broker.deleteTopic('vanishing')._tag).toBe('Right');
    run.stdin.write('b\n');
    // stdin stays open: the failed send alone ends the run.
    expect(await run.done).toBe(1);
  } finally {
    run.stop.abort();
  }
  expect(run.io.err()).toMatch(/^rill produce: cannot produce to vanishing-0: .*; 1 record\(s\) were written to vanishing before it\n$/);
});
