// node -r ./test/support/register-ts.js bench/metrics.bench.ts — what the broker's Prometheus metrics cost, A/B in one
// process: two embedded brokers behind KafkaServer, one without metrics and one
// with them (its registry scraped every second, more often than Prometheus'
// usual 15 s). Each round produces the same batches to a 4-partition topic
// with Rill's protocol client (IN_FLIGHT requests pipelined, acks=1) and fetches
// them all back; the two brokers take turns, in alternating order, so drift of a
// shared machine falls on both. Reported: the median records/s and process CPU
// per million records (client and broker both, in this process) of each, and
// their ratios. bench:wire measures the same with `rill broker` as a child
// (BENCH_WIRE_METRICS=1 turns its metrics on), but its rounds run minutes apart.
// Results: bench/results/metrics.json.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Broker } from '../core/broker';
import { batchHeader, encodeRecordBatch } from '../core/log';
import { metricsRegistry, type Registry } from '../core/metrics';
import { apis, KafkaConnection, KafkaServer } from '../core/protocol';

const ROUNDS = Number(process.env.BENCH_METRICS_ROUNDS ?? 7);
const RECORDS = Number(process.env.BENCH_METRICS_RECORDS ?? 200_000);
const BATCH = 100;
const RECORD_BYTES = 100;
const PARTITIONS = 4;
const IN_FLIGHT = 8;
const ROOT = path.join(__dirname, '..');

interface Side {
  name: 'off' | 'on';
  broker: Broker;
  server: KafkaServer;
  registry?: Registry;
}

interface Round {
  recordsPerSec: number;
  cpuMsPerMillion: number;
}

async function side(name: Side['name'], dir: string): Promise<Side> {
  const broker = Broker.open({ dir: path.join(dir, name), scheduler: false });
  const registry = name === 'on' ? metricsRegistry() : undefined;
  const server = await KafkaServer.start({ broker, port: 0, metrics: registry });
  return { name, broker, server, registry };
}

/** Produces RECORDS records to a fresh topic and fetches them back; the time and CPU of both. */
async function round(s: Side, topic: string): Promise<Round> {
  const conn = await KafkaConnection.connect(`127.0.0.1:${s.server.port}`);
  s.broker.createTopic({ name: topic, partitions: PARTITIONS });
  const batch = encodeRecordBatch({ records: Array.from({ length: BATCH }, () => ({ key: null, value: Buffer.alloc(RECORD_BYTES, 7) })) });
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let next = 0;
  const batches = RECORDS / BATCH;
  const lane = async () => {
    while (next < batches) {
      const partition = next++ % PARTITIONS;
      // The log writes offsets into the bytes it is given: each request sends its own copy.
      const r = await conn.request<apis.ProduceResponse>(apis.produce, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 30_000,
        topicData: [{ name: topic, partitionData: [{ index: partition, records: Buffer.from(batch) }] }],
      });
      if (r.responses[0].partitionResponses[0].errorCode !== 0) throw new Error(`produce failed: ${r.responses[0].partitionResponses[0].errorCode}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const offsets = Array.from({ length: PARTITIONS }, () => 0);
  let fetched = 0;
  while (fetched < RECORDS) {
    const r = await conn.request<apis.FetchResponse>(apis.fetch, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 8 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: offsets.map((fetchOffset, partition) => ({ partition, fetchOffset, partitionMaxBytes: 2 << 20 })) }],
      forgottenTopicsData: [],
      rackId: '',
    });
    for (const p of r.responses[0].partitions) {
      const records = p.records ?? Buffer.alloc(0);
      for (let pos = 0; pos + batchHeader.RECORDS <= records.length; pos += batchHeader.batchSizeAt(records, pos)) {
        if (pos + batchHeader.batchSizeAt(records, pos) > records.length) break;
        const last = batchHeader.lastOffsetAt(records, pos);
        fetched += last + 1 - Math.max(offsets[p.partitionIndex], batchHeader.baseOffsetAt(records, pos));
        offsets[p.partitionIndex] = last + 1;
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  conn.close();
  s.broker.deleteTopic(topic);
  return { recordsPerSec: Math.round((2 * RECORDS) / seconds), cpuMsPerMillion: Math.round(((used.user + used.system) / 1000 / (2 * RECORDS)) * 1e6) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-metrics-'));
  const off = await side('off', dir);
  const on = await side('on', dir);
  // Scraped as Prometheus would, only more often.
  const scraper = setInterval(() => void on.registry!.metrics(), 1000);
  const results: Record<Side['name'], Round[]> = { off: [], on: [] };
  try {
    await round(off, 'warm-off');
    await round(on, 'warm-on');
    for (let i = 0; i < ROUNDS; i++) {
      for (const s of i % 2 === 0 ? [off, on] : [on, off]) results[s.name].push(await round(s, `t${i}`));
      const [a, b] = [results.off[i], results.on[i]];
      console.log(`round ${i + 1}: off ${a.recordsPerSec}/s ${a.cpuMsPerMillion} ms CPU per M; on ${b.recordsPerSec}/s ${b.cpuMsPerMillion} ms CPU per M`);
    }
  } finally {
    clearInterval(scraper);
    for (const s of [off, on]) {
      await s.server.close(1000);
      await s.broker.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const summary = (rs: Round[]) => ({ recordsPerSec: median(rs.map((r) => r.recordsPerSec)), cpuMsPerMillion: median(rs.map((r) => r.cpuMsPerMillion)) });
  const a = summary(results.off);
  const b = summary(results.on);
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    rounds: ROUNDS,
    records: RECORDS,
    what: `${BATCH}-record batches of ${RECORD_BYTES} B to ${PARTITIONS} partitions, ${IN_FLIGHT} Produce requests in flight (acks=1), then Fetch of all; records/s counts both`,
    off: a,
    on: b,
    throughputRatio: Math.round((b.recordsPerSec / a.recordsPerSec) * 1000) / 1000,
    cpuRatio: Math.round((b.cpuMsPerMillion / a.cpuMsPerMillion) * 1000) / 1000,
    rawRounds: results,
  };
  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'metrics.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify({ off: a, on: b, throughputRatio: out.throughputRatio, cpuRatio: out.cpuRatio }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
