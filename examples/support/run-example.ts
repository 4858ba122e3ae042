// What every example's main does: open the embedded log in a temp dir (or
// --dir), create the input topics, write the sample records, run the topology
// until it has caught up, read the output topics back, stop, clean up. The run
// itself works on any LogClient, so the same example runs on a Rill cluster or
// an Apache Kafka: pass a LogClient instead of a directory.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rill, rillLogClient, type LogClient } from '../../core/client';
import type { Serde } from '../../core/schema';
import { RillStreams, silentLogger, type StreamsConfig, type Topology } from '../../dsl';

export interface InputRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  timestamp?: number;
}

export interface ExampleRun {
  topology: Topology;
  /** Input topics, their partition counts and the records to write, in order. */
  inputs: { topic: string; partitions: number; records: InputRecord[] }[];
  config?: Partial<Omit<StreamsConfig, 'log'>>;
  /** Runs with the app caught up, before it stops (interactive queries). */
  query?: (app: RillStreams) => void | Promise<void>;
}

export interface ReadRecord<K, V> {
  key: K | null;
  value: V | null;
  timestamp: number;
}

/**
 * Runs an example on `target`: a directory (the embedded log, opened there and
 * closed after) or any LogClient (a Rill cluster, an Apache Kafka through
 * kafkajs). `read` gets the log to read the output topics from.
 */
export async function runExample(run: ExampleRun, target: string | LogClient, read: (log: LogClient) => Promise<void>): Promise<void> {
  if (typeof target !== 'string') {
    await runOn(run, target);
    await read(target);
    return;
  }
  const rill = Rill.open({ dir: target });
  try {
    const log = rillLogClient(rill);
    await runOn(run, log);
    await read(log);
  } finally {
    await rill.close();
  }
}

/** Input topics created, the sample records written, the topology run until it has caught up, queried, stopped. */
async function runOn(run: ExampleRun, log: LogClient): Promise<void> {
  await log.ensureTopics(run.inputs.map((i) => ({ name: i.topic, partitions: i.partitions })));
  const producer = log.producer();
  const now = Date.now();
  for (const input of run.inputs) {
    await producer.sendBatch(
      input.topic,
      input.records.map((r) => ({ key: bytes(r.key), value: bytes(r.value), timestamp: r.timestamp ?? now })),
    );
  }
  await producer.close();
  const app = new RillStreams(run.topology, { log, logger: silentLogger, commitIntervalMs: 100, ...run.config });
  await app.start();
  await app.waitUntilCaughtUp();
  await run.query?.(app);
  await app.stop();
}

function bytes(v: Buffer | string | null | undefined): Buffer | null {
  return v === null || v === undefined ? null : typeof v === 'string' ? Buffer.from(v) : v;
}

/** Every record of a topic (all partitions), decoded, in partition then offset order. */
export async function readTopic<K, V>(log: LogClient, topic: string, key: Serde<K>, value: Serde<V>): Promise<ReadRecord<K, V>[]> {
  const out: ReadRecord<K, V>[] = [];
  for (const o of await log.offsets(topic)) {
    for (let offset = o.start; offset < o.end; ) {
      const got = await log.fetch({ topic, partition: o.partition }, offset, 1024 * 1024);
      for (const r of got.records) if (r.offset < o.end) out.push(decoded(r, key, value));
      if (got.nextOffset <= offset) break;
      offset = got.nextOffset;
    }
  }
  return out;
}

function decoded<K, V>(r: { key: Buffer | null; value: Buffer | null; timestamp: number }, key: Serde<K>, value: Serde<V>): ReadRecord<K, V> {
  const k = r.key === null ? null : key.deserialize(r.key);
  const v = r.value === null ? null : value.deserialize(r.value);
  return {
    key: k === null ? null : k._tag === 'Right' ? k.right : null,
    value: v === null ? null : v._tag === 'Right' ? v.right : null,
    timestamp: r.timestamp,
  };
}

/** For `main`: the --dir argument, or a fresh temp dir removed afterwards. */
export function exampleDir(name: string): { dir: string; cleanup: () => void } {
  const i = process.argv.indexOf('--dir');
  if (i > 0 && process.argv[i + 1]) return { dir: process.argv[i + 1], cleanup: () => undefined };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rill-${name}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function runMain(name: string, main: (dir: string) => Promise<unknown>): void {
  const { dir, cleanup } = exampleDir(name);
  main(dir)
    .then(cleanup)
    .catch((e) => {
      console.error(e);
      process.exitCode = 1;
    });
}
