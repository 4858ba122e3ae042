// npm run bench:log — the partition log against the disk's raw limit, in one run.
//
// Appends 100-byte records in ~16 KB batches to a PartitionLog, and writes the same
// bytes with plain fs.writeSync to one file (the raw sequential write limit here);
// then reads both back (log.read by offset with 1 MB fetches, fs.readSync 1 MB
// chunks). Both end with an fsync. Three alternating rounds, medians reported. Then appends 5 GB (BENCH_LOG_SOAK_GB) under
// retention.bytes and samples resident memory to show it stays flat.
// Results: bench/results/log.json. Targets: append >= 0.7 x raw write, read >= 0.5 x raw read.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PartitionLog, encodeRecordBatch } from '../core/log';
import { benchProgress } from './progress';

const TOTAL_MB = Number(process.env.BENCH_LOG_MB ?? 512);
const ROUNDS = Number(process.env.BENCH_LOG_ROUNDS ?? 3);
const SOAK_GB = Number(process.env.BENCH_LOG_SOAK_GB ?? 5);
const RECORD_BYTES = 100;
const RECORDS_PER_BATCH = 150; // ~16 KB batches with record overhead
const FETCH_BYTES = 1024 * 1024;

function makeBatch(): Buffer {
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({
    key: null,
    value: Buffer.alloc(RECORD_BYTES, 97 + (i % 26)),
    timestamp: Date.now(),
  }));
  return encodeRecordBatch({ records });
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function rawWrite(file: string, batch: Buffer, count: number): number {
  const fd = fs.openSync(file, 'w');
  const t = process.hrtime.bigint();
  let position = 0;
  for (let i = 0; i < count; i++) {
    fs.writeSync(fd, batch, 0, batch.length, position);
    position += batch.length;
  }
  fs.fsyncSync(fd);
  const s = seconds(t);
  fs.closeSync(fd);
  return s;
}

function rawRead(file: string): number {
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(FETCH_BYTES);
  const t = process.hrtime.bigint();
  let position = 0;
  for (;;) {
    // One reused buffer: the best case, the raw limit.
    const n = fs.readSync(fd, buf, 0, FETCH_BYTES, position);
    if (n === 0) break;
    position += n;
  }
  const s = seconds(t);
  fs.closeSync(fd);
  return s;
}

function logAppend(dir: string, batch: Buffer, count: number): { seconds: number; log: PartitionLog } {
  const log = PartitionLog.open(dir, { 'retention.ms': -1 });
  const t = process.hrtime.bigint();
  for (let i = 0; i < count; i++) log.append(batch);
  log.flush();
  return { seconds: seconds(t), log };
}

function logRead(log: PartitionLog): { seconds: number; bytes: number } {
  const t = process.hrtime.bigint();
  let offset = 0;
  let bytes = 0;
  const end = log.logEndOffset;
  while (offset < end) {
    const chunk = log.read(offset, FETCH_BYTES);
    bytes += chunk.length;
    // Next offset: the last batch's last offset + 1, read from its header only.
    let at = 0;
    let last = offset;
    while (at < chunk.length) {
      const size = chunk.readInt32BE(at + 8) + 12;
      last = chunk.readInt32BE(at) * 4294967296 + chunk.readUInt32BE(at + 4) + chunk.readInt32BE(at + 23);
      at += size;
    }
    offset = last + 1;
  }
  return { seconds: seconds(t), bytes };
}

function soak(dir: string, batch: Buffer): { samplesMB: number[]; gb: number; seconds: number } {
  const log = PartitionLog.open(dir, { 'retention.bytes': 512 * 1024 * 1024, 'retention.ms': -1, 'segment.bytes': 128 * 1024 * 1024 });
  const total = SOAK_GB * 1024 * 1024 * 1024;
  const count = Math.ceil(total / batch.length);
  const samplesMB: number[] = [];
  const t = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    log.append(batch);
    if (i % 8192 === 0) {
      log.deleteOldSegments();
      samplesMB.push(Math.round(process.memoryUsage().rss / 1e6));
    }
  }
  const s = seconds(t);
  log.close();
  return { samplesMB, gb: (count * batch.length) / 1024 ** 3, seconds: s };
}

function main(): void {
  const root = fs.mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'rill-bench-log-'));
  try {
    const batch = makeBatch();
    const count = Math.ceil((TOTAL_MB * 1024 * 1024) / batch.length);
    const mb = (count * batch.length) / 1e6;
    console.log(`${count} batches of ${batch.length} bytes (${RECORDS_PER_BATCH} x ${RECORD_BYTES}-byte records), ${mb.toFixed(0)} MB each way`);

    // Alternate raw and log runs and keep the median of each, so a burst of load
    // on a shared machine does not land on one side only.
    const runs: { rawWriteS: number; rawReadS: number; appendS: number; readS: number; readBytes: number }[] = [];
    const progress = benchProgress('bench:log', ROUNDS + (SOAK_GB > 0 ? 1 : 0));
    for (let round = 0; round < ROUNDS; round++) {
      const rawWriteS = rawWrite(path.join(root, 'raw.bin'), batch, count);
      const rawReadS = rawRead(path.join(root, 'raw.bin'));
      fs.rmSync(path.join(root, 'raw.bin'));
      const appended = logAppend(path.join(root, 'log'), batch, count);
      const read = logRead(appended.log);
      appended.log.close();
      fs.rmSync(path.join(root, 'log'), { recursive: true });
      runs.push({ rawWriteS, rawReadS, appendS: appended.seconds, readS: read.seconds, readBytes: read.bytes });
      progress.tick(`round ${round + 1} of ${ROUNDS}`);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const rawWriteS = median(runs.map((r) => r.rawWriteS));
    const rawReadS = median(runs.map((r) => r.rawReadS));
    const appendS = median(runs.map((r) => r.appendS));
    const readS = median(runs.map((r) => r.readS));
    const read = { seconds: readS, bytes: runs[0].readBytes };
    const appended = { seconds: appendS };

    const result: Record<string, unknown> = {
      benchmark: 'log',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
      batchBytes: batch.length,
      recordBytes: RECORD_BYTES,
      megabytes: Math.round(mb),
      raw: { writeMBps: Math.round(mb / rawWriteS), readMBps: Math.round(mb / rawReadS) },
      log: { appendMBps: Math.round(mb / appended.seconds), readMBps: Math.round(read.bytes / 1e6 / read.seconds) },
      ratios: {
        appendVsRawWrite: Number((rawWriteS / appended.seconds).toFixed(3)),
        readVsRawRead: Number((rawReadS / read.seconds).toFixed(3)),
      },
      rounds: ROUNDS,
      ratiosPerRound: runs.map((r) => ({
        appendVsRawWrite: Number((r.rawWriteS / r.appendS).toFixed(3)),
        readVsRawRead: Number((r.rawReadS / r.readS).toFixed(3)),
      })),
      targets: { appendVsRawWrite: 0.7, readVsRawRead: 0.5 },
    };
    console.log(JSON.stringify(result, null, 2));
    if (SOAK_GB > 0) {
      const s = soak(path.join(root, 'soak'), batch);
      progress.tick(`soak, ${SOAK_GB} GB`);
      result.soak = {
        gigabytes: Number(s.gb.toFixed(2)),
        appendMBps: Math.round((s.gb * 1024) / s.seconds),
        rssMB: { first: s.samplesMB[0], max: Math.max(...s.samplesMB), last: s.samplesMB[s.samplesMB.length - 1] },
      };
      console.log('soak', JSON.stringify(result.soak));
    }
    const out = path.join(__dirname, 'results', 'log.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    console.log(`written to ${path.relative(process.cwd(), out)}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main();
