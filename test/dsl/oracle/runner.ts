// Runs an OracleCase two ways and returns what each produced, normalized:
// - runTestDriver: TopologyTestDriver, one driver per task, fed the records of
//   that task's partitions in the order the runtime promises (see compare.ts);
// - runRuntime: RillStreams on an embedded Rill in a temp dir, every topic
//   with `partitions` partitions, repartition topics through the log
//   (localRepartition false), phase 1 written, processed, the app stopped,
//   phase 2 written and the app started again from its changelogs; after it
//   stops, a third start restores the stores once more (nothing new to read).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rill } from '../../../core/client';
import { defaultSerde, memoryLogger, RillStreams, TopologyTestDriver, type Topology } from '../../../dsl';
import { buildTopology, comparedStores, outputKeySerde, valueSerde } from './topology';
import { partitionOf, sourceTopics, type InputRecord, type OracleCase } from './spec';

export interface OutRecord {
  key: string;
  value: string;
  timestamp: number;
  /** Dead letters: the reason (rill.error header). */
  error?: string;
}

export interface Observed {
  out: OutRecord[];
  dlq: OutRecord[];
  /** `store: key = value` lines, sorted. */
  stores: string[];
  /** The runtime only: the stores as a further restart restores them from their changelogs. */
  restored?: string[];
}

const json = (v: unknown) => JSON.stringify(v ?? null);

/**
 * The order one task sees its partitions' records in: repeatedly the head
 * (lowest offset not yet taken) of the partition whose head has the lowest
 * timestamp. `records` are in write order.
 */
export function mergeByHead(records: InputRecord[], partitionOfRecord: (r: InputRecord) => string): InputRecord[] {
  const queues = new Map<string, InputRecord[]>();
  for (const r of records) {
    const id = partitionOfRecord(r);
    if (!queues.has(id)) queues.set(id, []);
    queues.get(id)!.push(r);
  }
  const out: InputRecord[] = [];
  const heads = [...queues.values()];
  for (;;) {
    let best: InputRecord[] | undefined;
    for (const q of heads) if (q.length && (!best || q[0].timestamp < best[0].timestamp)) best = q;
    if (!best) return out;
    out.push(best.shift()!);
  }
}

/** What the test driver of one task (or, for 'scatter', of the whole app) is fed: phase 1 merged, then phase 2 merged. */
export function driverFeeds(c: OracleCase): InputRecord[][] {
  const p = c.topology.partitions;
  const byPartition = (r: InputRecord) => `${r.topic}/${partitionOf(r.key, p)}`;
  const feed = (filterTask: (r: InputRecord) => boolean) => [
    ...mergeByHead(c.phase1.filter(filterTask), byPartition),
    ...mergeByHead(c.phase2.filter(filterTask), byPartition),
  ];
  if (c.topology.rekey === 'scatter') return [feed(() => true)];
  return Array.from({ length: p }, (_, q) => feed((r) => partitionOf(r.key, p) === q));
}

function storeLines(c: OracleCase, kv: (name: string) => Iterable<[unknown, unknown]>, win: (name: string) => Iterable<[unknown, unknown]>): string[] {
  const lines: string[] = [];
  for (const s of comparedStores(c.topology))
    for (const [k, v] of s.kind === 'key-value' ? kv(s.name) : win(s.name)) lines.push(`${s.name}: ${json(k)} = ${json(v)}`);
  return lines.sort();
}

export function runTestDriver(c: OracleCase): Observed {
  const result: Observed = { out: [], dlq: [], stores: [] };
  for (const feed of driverFeeds(c)) {
    const driver = new TopologyTestDriver(buildTopology('oracle', c.topology), { logger: memoryLogger() });
    try {
      for (const r of feed) driver.inputTopic<string, number>(r.topic).pipeInput(r.key, r.value, r.timestamp);
      const out = driver.outputTopic<unknown, unknown>('out', { key: outputKeySerde(c.topology), value: valueSerde });
      for (const r of out.readRecordsToList()) result.out.push({ key: json(r.key), value: json(r.value), timestamp: r.timestamp });
      if (driver.writtenTopics.includes('dlq')) {
        for (const r of driver.outputTopic<unknown, unknown>('dlq').readRecordsToList())
          result.dlq.push({ key: json(r.key), value: json(r.value), timestamp: r.timestamp, error: r.headers?.['rill.error'] });
      }
      result.stores.push(
        ...storeLines(
          c,
          (n) => driver.keyValueStore(n).all(),
          (n) => driver.windowStore(n).all(),
        ),
      );
    } finally {
      driver.close();
    }
  }
  result.stores.sort();
  return result;
}

async function produce(rill: Rill, records: InputRecord[], partitions: number): Promise<void> {
  const byTopic = new Map<string, InputRecord[]>();
  for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
  const producer = rill.producer();
  try {
    for (const [topic, rs] of byTopic) {
      await producer.send(
        topic,
        rs.map((r) => ({
          key: r.key,
          value: r.value === null ? null : JSON.stringify(r.value),
          timestamp: r.timestamp,
          partition: partitionOf(r.key, partitions),
        })),
      );
    }
  } finally {
    await producer.close();
  }
}

interface RawOut {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: Record<string, string>;
}

async function readTopic(rill: Rill, topic: string): Promise<RawOut[]> {
  const existing = await rill.admin.listTopics();
  if (!existing.includes(topic)) return [];
  const offsets = await rill.admin.fetchTopicOffsets(topic);
  const total = offsets.reduce((n, o) => n + o.highWatermark - o.logStartOffset, 0);
  const out: RawOut[] = [];
  if (total === 0) return out;
  const consumer = rill.consumer({ autoOffsetReset: 'earliest' });
  try {
    await consumer.assign(offsets.map((o) => ({ topic, partition: o.partition })));
    for await (const r of consumer) {
      out.push({ key: r.key, value: r.value, timestamp: r.timestamp, headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? ''])) });
      if (out.length >= total) break;
    }
  } finally {
    await consumer.close();
  }
  return out;
}

function decode(
  serde: { deserialize: (b: Buffer, l: { topic: string; isKey: boolean }) => { _tag: string; right?: unknown; left?: unknown } },
  b: Buffer | null,
  topic: string,
  isKey: boolean,
): unknown {
  if (b === null) return null;
  const r = serde.deserialize(b, { topic, isKey });
  if (r._tag === 'Left') throw new Error(`cannot decode a record of ${topic}: ${JSON.stringify(r.left)}`);
  return r.right;
}

/**
 * Runs cases on the real runtime. Cases share one embedded log (a fresh one
 * every `casesPerLog` cases), each with its own topic prefix and application
 * id, which saves opening and closing a log per case.
 */
export class RuntimeHarness {
  private rill: Rill | undefined;
  private dir: string | undefined;
  private cases = 0;

  constructor(private readonly casesPerLog = 100) {}

  async run(c: OracleCase): Promise<Observed> {
    if (!this.rill || this.cases % this.casesPerLog === 0) await this.renew();
    const n = this.cases++;
    return runOnLog(this.rill!, c, `c${n}-`, `oracle-c${n}`);
  }

  async close(): Promise<void> {
    const { rill, dir } = this;
    this.rill = undefined;
    this.dir = undefined;
    if (rill) await rill.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }

  private async renew(): Promise<void> {
    await this.close();
    this.dir = fs.mkdtempSync(path.join(tmpRoot(), 'rill-oracle-'));
    this.rill = Rill.open({ dir: this.dir });
  }
}

/** A memory-backed temp dir when there is one (/dev/shm): the cases' logs are fsync-bound on a shared disk. */
function tmpRoot(): string {
  const shm = '/dev/shm';
  try {
    fs.accessSync(shm, fs.constants.W_OK);
    return shm;
  } catch {
    return os.tmpdir();
  }
}

async function runOnLog(rill: Rill, c: OracleCase, prefix: string, appId: string): Promise<Observed> {
  const p = c.topology.partitions;
  const apps: RillStreams[] = [];
  const start = async (topology: Topology) => {
    const app = new RillStreams(topology, { log: rill, logger: memoryLogger(), taskAssignment: 'all', localRepartition: false });
    apps.push(app);
    await app.start();
    await app.waitUntilCaughtUp();
    return app;
  };
  const prefixed = (records: InputRecord[]) => records.map((r) => ({ ...r, topic: prefix + r.topic }));
  try {
    await rill.admin.createTopics(sourceTopics(c.topology.terminal).map((name) => ({ name: prefix + name, partitions: p })));
    await produce(rill, prefixed(c.phase1), p);
    const first = await start(buildTopology(appId, c.topology, prefix));
    await first.stop();
    await produce(rill, prefixed(c.phase2), p);
    const second = await start(buildTopology(appId, c.topology, prefix));
    const stores = storeLines(
      c,
      (n) => second.store(n).all(),
      (n) => second.windowStore(n).all(),
    );
    await second.stop();
    // A third start with nothing new to read: its stores are what the changelogs restore.
    const third = await start(buildTopology(appId, c.topology, prefix));
    const restored = storeLines(
      c,
      (n) => third.store(n).all(),
      (n) => third.windowStore(n).all(),
    );
    await third.stop();
    const keySerde = outputKeySerde(c.topology);
    const out = (await readTopic(rill, `${prefix}out`)).map((r) => ({
      key: json(decode(keySerde, r.key, 'out', true)),
      value: json(decode(valueSerde, r.value, 'out', false)),
      timestamp: r.timestamp,
    }));
    const dlqSerde = defaultSerde<unknown>();
    const dlq = (await readTopic(rill, `${prefix}dlq`)).map((r) => ({
      key: json(decode(dlqSerde, r.key, 'dlq', true)),
      value: json(decode(dlqSerde, r.value, 'dlq', false)),
      timestamp: r.timestamp,
      error: r.headers['rill.error'],
    }));
    return { out, dlq, stores, restored };
  } finally {
    for (const app of apps) await app.stop().catch(() => undefined);
  }
}

/** One case on a log of its own (for replays). */
export async function runRuntime(c: OracleCase): Promise<Observed> {
  const harness = new RuntimeHarness();
  try {
    return await harness.run(c);
  } finally {
    await harness.close();
  }
}
