// In-process produce -> consume through the embedded broker (Rill.open): throughput
// for 100-byte and 1 KB records, end-to-end latency at a fixed rate, memory
// while 5 GB flows through a retention-bounded topic, and two same-run A/B
// comparisons (bench/ab-rounds.ts: alternating rounds, medians of per-round
// ratios of time and of process CPU):
//   - exactlyOnce: the same pipeline at-least-once (idempotent producer,
//     read_uncommitted consumer) against exactly-once (a transactional producer
//     committing every BENCH_EOS_COMMIT_MS, default 100 ms as in KIP-98's
//     measurements, and a read_committed consumer). Goal (issue #14): >= 0.8.
//   - metricsCost: the pipeline over the Kafka protocol (Rill's protocol client
//     here, a `rill broker` child) without and with the broker's Prometheus
//     metrics (--metrics-port, scraped every second), BENCH_CLIENT_METRICS_ROUNDS
//     short rounds (default 32, quick 20) judged by wall time and by the
//     broker's CPU, with bootstrap 95 % intervals. Goal (issue #17): <= 3%.
// Not part of `npm test`.
//
//   npm run bench:client            (full run, writes bench/results/client.json)
//   BENCH_QUICK=1 npm run bench:client   (smaller volumes, a few minutes)
//   BENCH_CLIENT_AB_ONLY=1 npm run bench:client   (only the two A/B comparisons;
//       the other figures in client.json are kept as they are)
//   BENCH_CLIENT_ONLY=metrics npm run bench:client   (only the metrics comparison,
//       a few minutes; with BENCH_QUICK=1 written to client-metrics-quick.json)
//
// The physical reference for throughput is a plain sequential file write+read of
// the same bytes on the same disk, measured in the same run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { protocolLogClient, Rill } from '../core/client';
import { killBrokerProcesses, startBrokerProcess } from '../test/support/broker-process';
import { againstCost, againstRatio, alternate, loadAverage, measure, measureOther, type AbResult, type Measured } from './ab-rounds';
import { preciseCpuMs } from './proc-stats';
import { benchProgress } from './progress';

const QUICK = process.env.BENCH_QUICK === '1';
const AB_ROUNDS = Number(process.env.BENCH_AB_ROUNDS ?? (QUICK ? 4 : 6));
const EOS_COMMIT_MS = Number(process.env.BENCH_EOS_COMMIT_MS ?? 100);
/** Only the two A/B comparisons, written into the existing results beside the other figures. */
const AB_ONLY = process.env.BENCH_CLIENT_AB_ONLY === '1';
/** BENCH_CLIENT_ONLY=metrics: only the metrics comparison. */
const ONLY = process.env.BENCH_CLIENT_ONLY;
const GB = 1024 * 1024 * 1024;

interface ThroughputResult {
  recordBytes: number;
  records: number;
  produceRecordsPerSec: number;
  produceMBPerSec: number;
  pipelineRecordsPerSec: number;
  pipelineMBPerSec: number;
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'rill-client-bench-'));
}

const mb = (bytes: number, ms: number) => bytes / (1024 * 1024) / (ms / 1000);

interface ProduceOptions {
  /** Each value starts with the time it was made (latency). */
  readonly stamp?: boolean;
  /** Exactly-once: a transactional producer of this id, committing a transaction every `commitMs`. */
  readonly transaction?: { readonly id: string; readonly commitMs: number };
}

/** Sends `count` records of `size` bytes in chunks, keeping a few sends in flight. */
async function produce(rill: Rill, topic: string, count: number, size: number, options: ProduceOptions = {}): Promise<void> {
  const { stamp = false, transaction } = options;
  const settings = { batchSize: 256 * 1024, lingerMs: 0 };
  const txn = transaction ? rill.producer({ ...settings, transactionalId: transaction.id }) : undefined;
  const producer = txn ?? rill.producer(settings);
  const chunk = 2000;
  const value = Buffer.alloc(size, 7);
  const inFlight: Promise<unknown>[] = [];
  await txn?.beginTransaction();
  let opened = performance.now();
  for (let sent = 0; sent < count; sent += chunk) {
    if (txn && performance.now() - opened >= transaction!.commitMs) {
      await Promise.all(inFlight.splice(0));
      await txn.commit();
      await txn.beginTransaction();
      opened = performance.now();
    }
    const n = Math.min(chunk, count - sent);
    const records = new Array(n);
    for (let i = 0; i < n; i++) {
      let v = value;
      if (stamp) {
        v = Buffer.allocUnsafe(size);
        v.writeDoubleBE(performance.now(), 0);
      }
      records[i] = { value: v, partition: 0 };
    }
    inFlight.push(producer.send(topic, records));
    if (inFlight.length >= 4) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await txn?.commit();
  await producer.close();
}

async function consume(
  rill: Rill,
  topic: string,
  count: number,
  onRecord?: (value: Buffer) => void,
  isolationLevel: 'read_committed' | 'read_uncommitted' = 'read_uncommitted',
): Promise<void> {
  const consumer = rill.consumer({ autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, maxBufferedBytes: 16 * 1024 * 1024, isolationLevel });
  await consumer.assign([{ topic, partition: 0 }]);
  let seen = 0;
  for await (const r of consumer) {
    onRecord?.(r.value!);
    if (++seen === count) break;
  }
  await consumer.close();
}

async function throughput(recordBytes: number, totalBytes: number): Promise<ThroughputResult> {
  const records = Math.floor(totalBytes / recordBytes);
  const dir = tmp();
  try {
    const rill = Rill.open({ dir });
    await rill.admin.createTopics([
      { name: 'produce-only', config: { 'segment.bytes': 256 * 1024 * 1024 } },
      { name: 'pipeline', config: { 'segment.bytes': 256 * 1024 * 1024 } },
    ]);
    let t0 = performance.now();
    await produce(rill, 'produce-only', records, recordBytes);
    const produceMs = performance.now() - t0;
    t0 = performance.now();
    await Promise.all([produce(rill, 'pipeline', records, recordBytes), consume(rill, 'pipeline', records)]);
    const pipelineMs = performance.now() - t0;
    await rill.close();
    return {
      recordBytes,
      records,
      produceRecordsPerSec: Math.round(records / (produceMs / 1000)),
      produceMBPerSec: +mb(records * recordBytes, produceMs).toFixed(1),
      pipelineRecordsPerSec: Math.round(records / (pipelineMs / 1000)),
      pipelineMBPerSec: +mb(records * recordBytes, pipelineMs).toFixed(1),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Plain write then read of `bytes` in 1 MiB chunks: the disk/page-cache ceiling for the same volume. */
function fileCeiling(bytes: number): { writeMBPerSec: number; readMBPerSec: number } {
  const dir = tmp();
  const file = path.join(dir, 'ceiling');
  const chunk = Buffer.alloc(1024 * 1024, 7);
  try {
    const fd = fs.openSync(file, 'w');
    let t0 = performance.now();
    for (let w = 0; w < bytes; w += chunk.length) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
    const writeMs = performance.now() - t0;
    const rfd = fs.openSync(file, 'r');
    t0 = performance.now();
    for (let r = 0; r < bytes; r += chunk.length) fs.readSync(rfd, chunk, 0, chunk.length, r);
    fs.closeSync(rfd);
    const readMs = performance.now() - t0;
    return { writeMBPerSec: +mb(bytes, writeMs).toFixed(1), readMBPerSec: +mb(bytes, readMs).toFixed(1) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function latency(ratePerSec: number, seconds: number, recordBytes: number) {
  const dir = tmp();
  try {
    const rill = Rill.open({ dir });
    await rill.admin.createTopics([{ name: 'latency' }]);
    const total = ratePerSec * seconds;
    const latencies: number[] = [];
    const consumed = consume(rill, 'latency', total, (v) => latencies.push(performance.now() - v.readDoubleBE(0)));
    const producer = rill.producer({ lingerMs: 0 });
    // One record per tick of a fixed schedule: send when its due time has come.
    const start = performance.now();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / ratePerSec;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const v = Buffer.alloc(recordBytes);
      v.writeDoubleBE(performance.now(), 0);
      sends.push(producer.send('latency', { value: v, partition: 0 }));
    }
    await Promise.all(sends);
    await consumed;
    await rill.close();
    latencies.sort((a, b) => a - b);
    const q = (p: number) => +latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(3);
    return { ratePerSec, seconds, recordBytes, records: total, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: q(1) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function memoryUnderFlow(totalBytes: number, recordBytes: number) {
  const dir = tmp();
  try {
    const rill = Rill.open({ dir, scheduler: { intervalMs: 500, retentionCheckIntervalMs: 500 } });
    await rill.admin.createTopics([{ name: 'flow', config: { 'segment.bytes': 64 * 1024 * 1024, 'retention.bytes': 256 * 1024 * 1024 } }]);
    const records = Math.floor(totalBytes / recordBytes);
    const samples: { atMB: number; heapMB: number; rssMB: number }[] = [];
    let consumedBytes = 0;
    let nextSample = 0;
    const sample = () => {
      const m = process.memoryUsage();
      samples.push({ atMB: Math.round(consumedBytes / 1024 / 1024), heapMB: +(m.heapUsed / 1024 / 1024).toFixed(1), rssMB: +(m.rss / 1024 / 1024).toFixed(1) });
    };
    const t0 = performance.now();
    await Promise.all([
      produce(rill, 'flow', records, recordBytes),
      consume(rill, 'flow', records, (v) => {
        consumedBytes += v.length;
        if (consumedBytes >= nextSample) {
          sample();
          nextSample += totalBytes / 50;
        }
      }),
    ]);
    const ms = performance.now() - t0;
    sample();
    const diskBytes = dirSize(dir);
    await rill.close();
    const steady = samples.slice(Math.floor(samples.length / 5)); // after warm-up
    return {
      totalGB: +(totalBytes / GB).toFixed(2),
      recordBytes,
      seconds: +(ms / 1000).toFixed(1),
      MBPerSec: +mb(totalBytes, ms).toFixed(1),
      heapMB: { min: Math.min(...steady.map((s) => s.heapMB)), max: Math.max(...steady.map((s) => s.heapMB)) },
      rssMB: { min: Math.min(...steady.map((s) => s.rssMB)), max: Math.max(...steady.map((s) => s.rssMB)) },
      diskMBAtEnd: Math.round(diskBytes / 1024 / 1024),
      samples,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The 100 B pipeline at-least-once (A) against exactly-once (B), in one broker:
 * each run a fresh topic; exactly-once runs a fresh transactional id.
 */
async function exactlyOnceCost(records: number, recordBytes: number): Promise<AbResult & { commitMs: number; records: number; recordBytes: number }> {
  const dir = tmp();
  try {
    const rill = Rill.open({ dir });
    const pipeline = async (name: string, exactlyOnce: boolean) => {
      await rill.admin.createTopics([{ name, config: { 'segment.bytes': 256 * 1024 * 1024 } }]);
      return measure(() =>
        Promise.all([
          produce(rill, name, records, recordBytes, exactlyOnce ? { transaction: { id: `${name}-txn`, commitMs: EOS_COMMIT_MS } } : {}),
          consume(rill, name, records, undefined, exactlyOnce ? 'read_committed' : 'read_uncommitted'),
        ]),
      );
    };
    const result = await alternate(
      AB_ROUNDS,
      (round) => pipeline(`alo-${round}`, false),
      (round) => pipeline(`eos-${round}`, true),
      (r, round) => console.log(`exactly-once round ${round}: ${r.ratio} of at-least-once's throughput, ${r.cpuRatio} by CPU`),
    );
    await rill.close();
    return { ...result, commitMs: EOS_COMMIT_MS, records, recordBytes };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `rill broker` as a child process, as it runs in production: with its metrics
 * on (--metrics-port: the Kafka front end's counters and the process's own,
 * event loop lag and GC included), scraped over HTTP every second, more often
 * than Prometheus' usual 15 s; or with them off.
 */
async function brokerChild(dir: string, metrics: boolean) {
  const broker = await startBrokerProcess(
    ['--data-dir', dir, '--port', '0', '--host', '127.0.0.1', '--schema-registry-port', '0', ...(metrics ? ['--metrics-port', '0'] : [])],
    60 * 60_000,
  );
  const url = metrics ? /metrics on (\S+)/.exec(broker.stdout())?.[1] : undefined;
  if (metrics && url === undefined) throw new Error(`rill broker did not say where its metrics are: ${broker.stdout()}`);
  let scraped = 0;
  const scrape = url
    ? setInterval(
        () =>
          void fetch(url)
            .then((r) => r.text())
            .then(() => scraped++),
        1000,
      )
    : undefined;
  return {
    port: broker.port,
    /** Records the metrics rounds wrote to it so far: where the next round starts reading. */
    produced: 0,
    /** The broker's CPU-ms so far. */
    cpuMs: () => preciseCpuMs(broker.child.pid!),
    scraped: () => scraped,
    async close() {
      clearInterval(scrape);
      broker.child.kill('SIGTERM');
      await broker.exited;
    },
  };
}

/** The one topic of a metrics round: each round appends to it and reads back what it appended. */
const METRICS_TOPIC = 'metrics-cost';

/**
 * `records` records over the Kafka protocol with Rill's protocol client: all
 * produced (one send of 2000 at a time), then all consumed. Produce and
 * consume one after the other, so that both brokers get the same requests:
 * run at once, the fetches' sizes follow the machine's timing, and so does
 * the broker's CPU per record (rounds from 0.7x to 2.3x at load 20). Every
 * round uses the same topic, from where the last one ended: a topic per round
 * grows the broker's heap and its GC's share round by round (the broker's CPU
 * per round doubled after 13 rounds). Only the moving is timed (`timed`): the
 * connection and the consumer's assignment are set up before.
 */
async function protocolRound(
  broker: { port: number; produced: number },
  records: number,
  recordBytes: number,
  timed: (work: () => Promise<void>) => Promise<Measured>,
): Promise<Measured> {
  const client = protocolLogClient({ brokers: `127.0.0.1:${broker.port}` });
  try {
    const topic = METRICS_TOPIC;
    await client.ensureTopics([{ name: topic, partitions: 1 }]);
    const producer = client.producer();
    const consumer = client.consumer({ groupId: `${topic}-reader` });
    await consumer.assign([{ topic, partition: 0 }]);
    await consumer.seek({ topic, partition: 0 }, broker.produced);
    const value = Buffer.alloc(recordBytes, 7);
    const chunk = 2000;
    const measured = await timed(async () => {
      for (let sent = 0; sent < records; sent += chunk)
        await producer.sendBatch(
          topic,
          Array.from({ length: Math.min(chunk, records - sent) }, () => ({ key: null, value, timestamp: Date.now(), partition: 0 })),
        );
      let seen = 0;
      while (seen < records) seen += (await consumer.poll(5000, 100)).length;
    });
    broker.produced += records;
    await producer.close();
    await consumer.close();
    return measured;
  } finally {
    await client.close?.();
  }
}

/** Rounds a pair of broker children serves before a fresh pair takes over (an even count: each order as often). */
const ROUNDS_PER_PAIR = 4;

/**
 * The pipeline over the Kafka protocol to a `rill broker` child without metrics
 * (A) against one with them (B), in alternating rounds; the CPU compared is the
 * broker's (the client's is the same work in both). A fresh pair of children
 * every ROUNDS_PER_PAIR rounds, each warmed up by a round first: a process
 * drifts into states of its own (its JIT's choices, its heap's growth; in one
 * run the child without metrics went from 0.5 to 1 CPU-µs per record while the
 * other stayed), which paired rounds of the same two processes cannot cancel.
 */
async function metricsCost(
  records: number,
  recordBytes: number,
  rounds: number,
): Promise<AbResult & { records: number; recordBytes: number; brokerPairs: number; scrapes: number }> {
  const dir = tmp();
  // The children go with this process, however it ends.
  process.on('exit', killBrokerProcesses);
  type Child = Awaited<ReturnType<typeof brokerChild>>;
  let pair: { off: Child; on: Child } | undefined;
  let pairs = 0;
  let scrapes = 0;
  const closePair = async () => {
    if (pair === undefined) return;
    scrapes += pair.on.scraped();
    await Promise.all([pair.off.close(), pair.on.close()]);
    pair = undefined;
  };
  const run = (broker: Child) => protocolRound(broker, records, recordBytes, (work) => measureOther(broker.cpuMs, work));
  try {
    const result = await alternate(
      rounds,
      () => run(pair!.off),
      () => run(pair!.on),
      (r, round) => console.log(`metrics round ${round}: ${r.ratio} of the throughput without them, ${r.cpuRatio} by the broker's CPU`),
      async (round) => {
        if (round % ROUNDS_PER_PAIR !== 0) return;
        await closePair();
        const [off, on] = await Promise.all([brokerChild(path.join(dir, `off-${pairs}`), false), brokerChild(path.join(dir, `on-${pairs}`), true)]);
        pair = { off, on };
        pairs++;
        await run(off);
        await run(on);
      },
    );
    await closePair();
    return { ...result, records, recordBytes, brokerPairs: pairs, scrapes };
  } finally {
    await closePair();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function dirSize(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += fs.statSync(path.join(e.parentPath, e.name)).size;
  }
  return total;
}

/** The exactly-once comparison as client.json reports it. */
function eosSummary(eos: Awaited<ReturnType<typeof exactlyOnceCost>>) {
  return {
    what: `100 B records produced and consumed at once in one embedded broker: at-least-once (idempotent producer, read_uncommitted) against exactly-once (a transaction committed every ${EOS_COMMIT_MS} ms, read_committed); ratio = exactly-once's throughput / at-least-once's, cpuRatio = at-least-once's CPU / exactly-once's, medians of alternating rounds`,
    ...againstRatio(eos, 0.8),
  };
}

/** The metrics comparison as client.json reports it. */
function metricsSummary(metrics: Awaited<ReturnType<typeof metricsCost>>) {
  return {
    what:
      "100 B records produced, then consumed, over the Kafka protocol (Rill's protocol client in this process, a `rill broker` child), the broker without metrics against one with them (--metrics-port, scraped over HTTP every second); " +
      "cost = 1 - ratio by wall time, cpuCost = 1 - (the broker's CPU without / with); medians of per-round ratios over alternating rounds, a fresh pair of brokers every 4 rounds, each warmed up by a round, with bootstrap 95 % intervals; shown: the interval's upper end within the target; cpuUsPerRecord: the broker's CPU-µs per record",
    ...againstCost(metrics, 0.03, metrics.records),
  };
}

/** Records each side of a metrics round moves, and the rounds (BENCH_CLIENT_METRICS_RECORDS, BENCH_CLIENT_METRICS_ROUNDS). */
const METRICS_RECORDS = Number(process.env.BENCH_CLIENT_METRICS_RECORDS ?? (QUICK ? 200_000 : 500_000));
const METRICS_ROUNDS = Number(process.env.BENCH_CLIENT_METRICS_ROUNDS ?? (QUICK ? 20 : 32));

/**
 * BENCH_CLIENT_ONLY=metrics: the metrics comparison alone. A full-size run puts
 * it into client.json beside the other figures; a quick one writes
 * client-metrics-quick.json.
 */
async function metricsOnly(file: string): Promise<void> {
  const metrics = await benchProgress('bench:client', 1).after('metrics', metricsCost(METRICS_RECORDS, 100, METRICS_ROUNDS));
  // The load average is the rounds' own (metricsSummary's loadAverage).
  const entry = { measuredAt: new Date().toISOString(), quick: QUICK, ...metricsSummary(metrics) };
  console.log(JSON.stringify({ ...entry, rounds: `${entry.rounds.length} rounds` }, null, 2));
  if (QUICK) fs.writeFileSync(path.join(path.dirname(file), 'client-metrics-quick.json'), JSON.stringify(entry, null, 2) + '\n');
  else {
    const kept = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
    fs.writeFileSync(file, JSON.stringify({ ...kept, metricsCost: entry }, null, 2) + '\n');
  }
}

async function main(): Promise<void> {
  const volume = QUICK ? 64 * 1024 * 1024 : 512 * 1024 * 1024;
  const abRecords = QUICK ? 300_000 : 1_000_000;
  const file = path.join(__dirname, 'results', 'client.json');
  if (ONLY === 'metrics') return metricsOnly(file);
  if (AB_ONLY) {
    const progress = benchProgress('bench:client', 2);
    const startLoad = loadAverage();
    const eos = await progress.after('exactly-once', exactlyOnceCost(abRecords, 100));
    const metrics = await progress.after('metrics', metricsCost(METRICS_RECORDS, 100, METRICS_ROUNDS));
    const kept = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
    const comparisons = {
      comparedAt: new Date().toISOString(),
      quick: QUICK,
      loadAverage: { start: startLoad, end: loadAverage() },
      exactlyOnce: eosSummary(eos),
      metricsCost: metricsSummary(metrics),
    };
    console.log(JSON.stringify(comparisons, null, 2));
    fs.writeFileSync(file, JSON.stringify({ ...kept, ...comparisons }, null, 2) + '\n');
    return;
  }
  const progress = benchProgress('bench:client', 7);
  const startLoad = loadAverage();
  const fileCeilingResult = await progress.after('file ceiling', fileCeiling(volume));
  const throughputResult = [
    await progress.after('throughput, 100 B', throughput(100, volume / 2)),
    await progress.after('throughput, 1 KB', throughput(1024, volume)),
  ];
  const latencyResult = await progress.after('latency', latency(QUICK ? 1000 : 5000, QUICK ? 2 : 10, 100));
  const memory = await progress.after('memory under flow', memoryUnderFlow(QUICK ? 0.5 * GB : 5 * GB, 1024));
  const eos = await progress.after('exactly-once', exactlyOnceCost(abRecords, 100));
  const metrics = await progress.after('metrics', metricsCost(METRICS_RECORDS, 100, METRICS_ROUNDS));
  const result = {
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.release()}` },
    date: new Date().toISOString(),
    quick: QUICK,
    loadAverage: { start: startLoad, end: loadAverage() },
    fileCeiling: fileCeilingResult,
    throughput: throughputResult,
    latency: latencyResult,
    memory,
    exactlyOnce: eosSummary(eos),
    metricsCost: metricsSummary(metrics),
  };
  console.log(JSON.stringify({ ...result, memory: { ...result.memory, samples: `${result.memory.samples.length} samples` } }, null, 2));
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
