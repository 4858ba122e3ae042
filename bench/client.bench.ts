// In-process produce -> consume through the embedded broker (Rill.open): throughput
// for 100-byte and 1 KB records, end-to-end latency at a fixed rate, and memory
// while 5 GB flows through a retention-bounded topic. Not part of `npm test`.
//
//   npm run bench:client            (full run, writes bench/results/client.json)
//   BENCH_QUICK=1 npm run bench:client   (smaller volumes, for a smoke run)
//
// The physical reference for throughput is a plain sequential file write+read of
// the same bytes on the same disk, measured in the same run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rill } from '../core/client';
import { benchProgress } from './progress';

const QUICK = process.env.BENCH_QUICK === '1';
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

/** Sends `count` records of `size` bytes in chunks, keeping a few sends in flight. */
async function produce(rill: Rill, topic: string, count: number, size: number, stamp = false): Promise<void> {
  const producer = rill.producer({ batchSize: 256 * 1024, lingerMs: 0 });
  const chunk = 2000;
  const value = Buffer.alloc(size, 7);
  const inFlight: Promise<unknown>[] = [];
  for (let sent = 0; sent < count; sent += chunk) {
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
  await producer.close();
}

async function consume(rill: Rill, topic: string, count: number, onRecord?: (value: Buffer) => void): Promise<void> {
  const consumer = rill.consumer({ autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, maxBufferedBytes: 16 * 1024 * 1024 });
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

function dirSize(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) total += fs.statSync(path.join(e.parentPath, e.name)).size;
  }
  return total;
}

async function main(): Promise<void> {
  const volume = QUICK ? 64 * 1024 * 1024 : 512 * 1024 * 1024;
  const progress = benchProgress('bench:client', 5);
  const result = {
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.release()}` },
    date: new Date().toISOString(),
    fileCeiling: await progress.after('file ceiling', fileCeiling(volume)),
    throughput: [await progress.after('throughput, 100 B', throughput(100, volume / 2)), await progress.after('throughput, 1 KB', throughput(1024, volume))],
    latency: await progress.after('latency', latency(QUICK ? 1000 : 5000, QUICK ? 2 : 10, 100)),
    memory: await progress.after('memory under flow', memoryUnderFlow(QUICK ? 0.5 * GB : 5 * GB, 1024)),
  };
  console.log(JSON.stringify({ ...result, memory: { ...result.memory, samples: `${result.memory.samples.length} samples` } }, null, 2));
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'client.json'), JSON.stringify(result, null, 2) + '\n');
}

void main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
