// npm run bench:wire — Rill's Kafka wire protocol against Redis Streams, in one run.
//
// Produce: a kafkajs producer sends batches to `rill broker` (a child process,
// acks=-1) while ioredis sends the same batches as pipelined XADDs to a
// redis-server it starts (no persistence on either side beyond the OS page
// cache: Rill's default flush policy, Redis with appendonly off and no RDB).
// Each side keeps IN_FLIGHT batches outstanding. Consume: a kafkajs consumer
// reads everything from the beginning; ioredis reads the stream with XRANGE in
// chunks of the same batch size. 100-byte and 1 KB records. Rounds alternate
// between the two systems; medians are reported.
// TLS: a second `rill broker` serves SSL (certificates made with openssl at
// start) and kafkajs produces and consumes the same rounds over it. Each round
// runs plaintext and TLS back to back, alternating which goes first, and the
// TLS/plaintext ratio is the median of the rounds' own ratios (Kafka's goal:
// >= 0.7). Beside throughput, CPU milliseconds per MB of records are reported
// for the broker (/proc) and for the client (this process, process.cpuUsage):
// on a loaded machine they are the steadier measure.
// BENCH_WIRE_ONLY=tls runs only the plaintext/TLS pairs (and writes no result
// file); BENCH_WIRE_CPU_PROF=DIR runs the brokers under node --cpu-prof, their
// profiles written to DIR when they stop (summarise with bench/cpuprofile-summary.ts).
// Results: bench/results/wire.json. Target: Rill >= 2x Redis Streams for produce.
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { encodeRecordBatch } from '../core/log';
import { apis, KafkaConnection } from '../core/protocol';
import { makeTestCerts } from '../test/support/test-certs';
import { cpuMs as processCpuMs } from './proc-stats';

const ROUNDS = Number(process.env.BENCH_WIRE_ROUNDS ?? 3);
const BATCH = Number(process.env.BENCH_WIRE_BATCH ?? 100);
const IN_FLIGHT = Number(process.env.BENCH_WIRE_IN_FLIGHT ?? 4);
const SCENARIOS = [
  { recordBytes: 100, records: Number(process.env.BENCH_WIRE_RECORDS_100 ?? 200_000) },
  { recordBytes: 1024, records: Number(process.env.BENCH_WIRE_RECORDS_1K ?? 100_000) },
];
const ROOT = path.join(__dirname, '..');
/** BENCH_WIRE_METRICS=1: the brokers keep their Prometheus metrics (--metrics-port 0), to measure what counting costs. */
const METRICS_ARGS = process.env.BENCH_WIRE_METRICS === '1' ? ['--metrics-port', '0'] : [];
const TLS_ONLY = process.env.BENCH_WIRE_ONLY === 'tls';
const CPU_PROF_DIR = process.env.BENCH_WIRE_CPU_PROF;

interface Rate {
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  /** CPU the server process spent per million records (Linux /proc), to separate server cost from client cost. */
  serverCpuMsPerMillion?: number;
  /** The same per MB of record bytes. */
  serverCpuMsPerMb?: number;
  /** CPU this process (the client) spent per MB of record bytes. */
  clientCpuMsPerMb?: number;
}

/** user+system CPU milliseconds of a process so far (Linux); NaN once it is gone. */
function cpuMs(pid: number): number {
  try {
    return processCpuMs(pid);
  } catch {
    return NaN;
  }
}

/** Measures `run`, the server's CPU and this process's (the client's) during it. */
async function measured(pid: number, records: number, recordBytes: number, run: () => Promise<Rate>): Promise<Rate> {
  const before = cpuMs(pid);
  const clientBefore = process.cpuUsage();
  const r = await run();
  const spent = cpuMs(pid) - before;
  const client = process.cpuUsage(clientBefore);
  const mb = (records * recordBytes) / 1e6;
  const clientCpuMsPerMb = round((client.user + client.system) / 1000 / mb, 2);
  if (!Number.isFinite(spent)) return { ...r, clientCpuMsPerMb };
  return { ...r, serverCpuMsPerMillion: Math.round((spent / records) * 1e6), serverCpuMsPerMb: round(spent / mb, 2), clientCpuMsPerMb };
}

/** One plaintext and one TLS run back to back, the TLS one first in odd rounds, so that neither always runs on a warmer or quieter machine. */
async function pairedRuns(round: number, plain: () => Promise<Rate>, overTls: () => Promise<Rate>): Promise<{ plain: Rate; tls: Rate }> {
  if (round % 2 === 0) {
    const p = await plain();
    return { plain: p, tls: await overTls() };
  }
  const t = await overTls();
  return { plain: await plain(), tls: t };
}

/** TLS over plaintext: throughput ratios and CPU per MB, per round, and their medians. */
function tlsSummary(pairs: { plain: Rate; tls: Rate }[]) {
  const ratio = (pick: (r: Rate) => number | undefined, pair: { plain: Rate; tls: Rate }) => {
    const t = pick(pair.tls);
    const p = pick(pair.plain);
    return t !== undefined && p !== undefined && p > 0 ? t / p : NaN;
  };
  const med = (xs: number[]) => round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)], 2);
  const rounds = pairs.map((pair) =>
    round(
      ratio((r) => r.msgsPerSec, pair),
      2,
    ),
  );
  return {
    plain: median(pairs.map((p) => p.plain)),
    tls: median(pairs.map((p) => p.tls)),
    /** Median of the rounds' own TLS/plaintext throughput ratios. */
    ratio: med(rounds),
    roundRatios: rounds,
    /** Median TLS/plaintext CPU per MB, broker and client. */
    serverCpuRatio: med(pairs.map((pair) => ratio((r) => r.serverCpuMsPerMb, pair))),
    clientCpuRatio: med(pairs.map((pair) => ratio((r) => r.clientCpuMsPerMb, pair))),
  };
}

const children: ChildProcess[] = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${text}`)), 30000);
    const onData = (d: Buffer) => {
      text += d;
      const m = pattern.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${what} exited with ${code}: ${text}`)));
  });
}

async function startRill(dir: string, extraArgs: readonly string[] = []): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      ...(CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] : []),
      '-r',
      './test/support/register-ts.js',
      'cli/main.ts',
      'broker',
      '--data-dir',
      dir,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--no-schema-registry',
      ...METRICS_ARGS,
      ...extraArgs,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.push(child);
  const m = await waitForLine(child, /listening on [^:]+:(\d+)/, 'rill broker');
  return { port: Number(m[1]), child };
}

async function startRedis(dir: string): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  await waitForLine(child, /Ready to accept connections/, 'redis-server');
  return { port, child };
}

function rate(records: number, recordBytes: number, start: bigint): Rate {
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds: round(seconds, 3), msgsPerSec: Math.round(records / seconds), mbPerSec: round((records * recordBytes) / seconds / 1e6, 1) };
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = (rates: Rate[]) => [...rates].sort((a, b) => a.msgsPerSec - b.msgsPerSec)[Math.floor(rates.length / 2)];

/** Runs `send(i)` for i in [0, batches) with at most IN_FLIGHT outstanding. */
async function pipelined(batches: number, send: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < batches) await send(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

async function rillProduce(kafka: Kafka, topic: string, records: number, value: Buffer): Promise<Rate> {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  const messages = Array.from({ length: BATCH }, () => ({ value }));
  await producer.send({ topic, messages: messages.slice(0, 1) }); // topic creation outside the clock
  const start = process.hrtime.bigint();
  await pipelined(records / BATCH, () => producer.send({ topic, acks: -1, messages }));
  const r = rate(records, value.length, start);
  await producer.disconnect();
  return r;
}

/**
 * The broker's own ceiling, without kafkajs' client-side cost: Rill's protocol
 * client sends the same batches (encoded by core/log) as Produce requests.
 */
async function rillClientProduce(bootstrap: string, topic: string, records: number, value: Buffer): Promise<Rate> {
  const conn = await KafkaConnection.connect(bootstrap);
  await conn.request(apis.metadata, { topics: [{ name: topic }], allowAutoTopicCreation: true }); // creates it, outside the clock
  const start = process.hrtime.bigint();
  await pipelined(records / BATCH, async () => {
    const batch = encodeRecordBatch({ records: Array.from({ length: BATCH }, () => ({ key: null, value })) });
    const r = await conn.request<apis.ProduceResponse>(apis.produce, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
    });
    if (r.responses[0].partitionResponses[0].errorCode !== 0) throw new Error(`produce failed: ${r.responses[0].partitionResponses[0].errorCode}`);
  });
  const r = rate(records, value.length, start);
  conn.close();
  return r;
}

async function rillConsume(kafka: Kafka, topic: string, records: number, recordBytes: number): Promise<Rate> {
  const consumer = kafka.consumer({ groupId: `bench-${topic}`, maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 32 * 1024 * 1024, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  // The clock includes joining the group (one member, no rebalance delay) and the first fetch.
  const start = process.hrtime.bigint();
  const done = new Promise<Rate>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        seen += batch.messages.length;
        if (seen >= records + 1) resolve(rate(seen, recordBytes, start));
      },
    });
  });
  const r = await done;
  await consumer.disconnect();
  return r;
}

async function redisProduce(redis: Redis, key: string, records: number, value: Buffer): Promise<Rate> {
  const start = process.hrtime.bigint();
  await pipelined(records / BATCH, () => {
    const p = redis.pipeline();
    for (let i = 0; i < BATCH; i++) p.xadd(key, '*', 'v', value);
    return p.exec();
  });
  return rate(records, value.length, start);
}

async function redisConsume(redis: Redis, key: string, records: number, recordBytes: number): Promise<Rate> {
  const start = process.hrtime.bigint();
  let seen = 0;
  let from = '-';
  while (seen < records) {
    const entries = (await redis.xrangeBuffer(key, from, '+', 'COUNT', BATCH * 10)) as [Buffer, Buffer[]][];
    if (entries.length === 0) break;
    seen += entries.length;
    from = '(' + entries[entries.length - 1][0].toString();
  }
  return rate(seen, recordBytes, start);
}

/**
 * Transpiles the broker's sources into register-ts's cache before any broker
 * starts: a broker that transpiles keeps the TypeScript compiler in its heap
 * for life, and its garbage collector then marks it over and over (in one
 * profile, 40% of the plaintext broker's CPU), so the first broker started
 * would be the slower one.
 */
function warmTranspileCache(): Promise<void> {
  const child = spawn(process.execPath, ['-r', './test/support/register-ts.js', 'cli/main.ts', 'broker', '--help'], { cwd: ROOT, stdio: 'ignore' });
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`rill broker --help exited with ${code}`)))));
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-wire-'));
  await warmTranspileCache();
  const rill = await startRill(path.join(dir, 'rill'));
  const certs = makeTestCerts();
  const rillTls = await startRill(path.join(dir, 'rill-tls'), ['--ssl-cert', certs.server.cert, '--ssl-key', certs.server.key]);
  const kafkaTls = new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${rillTls.port}`], ssl: { ca: certs.read(certs.ca) }, logLevel: logLevel.NOTHING });
  fs.mkdirSync(path.join(dir, 'redis'));
  const redisServer = await startRedis(path.join(dir, 'redis'));
  const kafka = new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${rill.port}`], logLevel: logLevel.NOTHING });
  const redis = new Redis({ port: redisServer.port, host: '127.0.0.1', lazyConnect: false });

  const loadAtStart = os.loadavg().map((l) => round(l, 2));
  const results = [];
  for (const s of SCENARIOS) {
    const value = Buffer.alloc(s.recordBytes, 'x');
    const produced: { rill: Rate[]; redis: Rate[]; rillClient: Rate[] } = { rill: [], redis: [], rillClient: [] };
    const consumed: { rill: Rate[]; redis: Rate[] } = { rill: [], redis: [] };
    const tlsProduce: { plain: Rate; tls: Rate }[] = [];
    const tlsConsume: { plain: Rate; tls: Rate }[] = [];
    const rillPid = rill.child.pid!;
    const tlsPid = rillTls.child.pid!;
    const redisPid = redisServer.child.pid!;
    const run = (pid: number, go: () => Promise<Rate>) => measured(pid, s.records, s.recordBytes, go);
    for (let round = 0; round < ROUNDS; round++) {
      const topic = `bench-${s.recordBytes}-${round}`;
      const p = await pairedRuns(
        round,
        () => run(rillPid, () => rillProduce(kafka, topic, s.records, value)),
        () => run(tlsPid, () => rillProduce(kafkaTls, topic, s.records, value)),
      );
      const c = await pairedRuns(
        round,
        () => run(rillPid, () => rillConsume(kafka, topic, s.records, s.recordBytes)),
        () => run(tlsPid, () => rillConsume(kafkaTls, topic, s.records, s.recordBytes)),
      );
      tlsProduce.push(p);
      tlsConsume.push(c);
      produced.rill.push(p.plain);
      consumed.rill.push(c.plain);
      const line = `${s.recordBytes} B round ${round + 1}: plaintext/TLS produce ${p.plain.msgsPerSec}/${p.tls.msgsPerSec} msgs/s (broker ${p.plain.serverCpuMsPerMb}/${p.tls.serverCpuMsPerMb}, client ${p.plain.clientCpuMsPerMb}/${p.tls.clientCpuMsPerMb} CPU-ms/MB); consume ${c.plain.msgsPerSec}/${c.tls.msgsPerSec} msgs/s (broker ${c.plain.serverCpuMsPerMb}/${c.tls.serverCpuMsPerMb}, client ${c.plain.clientCpuMsPerMb}/${c.tls.clientCpuMsPerMb} CPU-ms/MB)`;
      if (TLS_ONLY) {
        console.error(line);
        continue;
      }
      produced.redis.push(await run(redisPid, () => redisProduce(redis, topic, s.records, value)));
      produced.rillClient.push(await run(rillPid, () => rillClientProduce(`127.0.0.1:${rill.port}`, `${topic}-rill-client`, s.records, value)));
      consumed.redis.push(await run(redisPid, () => redisConsume(redis, topic, s.records, s.recordBytes)));
      await redis.del(topic);
      console.error(
        `${line}; produce redis ${produced.redis[round].msgsPerSec}/s rill-client ${produced.rillClient[round].msgsPerSec}/s; consume redis ${consumed.redis[round].msgsPerSec}/s`,
      );
    }
    // kafkajs over SSL to the same kind of broker, paired round by round with plaintext.
    const tls = { produce: tlsSummary(tlsProduce), consume: tlsSummary(tlsConsume) };
    if (TLS_ONLY) {
      results.push({ recordBytes: s.recordBytes, records: s.records, batch: BATCH, inFlight: IN_FLIGHT, tls });
      continue;
    }
    const p = { rill: median(produced.rill), redis: median(produced.redis), rillClient: median(produced.rillClient) };
    const c = { rill: median(consumed.rill), redis: median(consumed.redis) };
    const cpuRatio = (a?: number, b?: number) => (a && b ? round(b / a, 2) : null);
    results.push({
      recordBytes: s.recordBytes,
      records: s.records,
      batch: BATCH,
      inFlight: IN_FLIGHT,
      // ratio: Rill msgs/s over Redis msgs/s (client-bound end to end); serverEfficiency: Redis server CPU per record over Rill's.
      produce: {
        ...p,
        ratio: round(p.rill.msgsPerSec / p.redis.msgsPerSec, 2),
        rillClientRatio: round(p.rillClient.msgsPerSec / p.redis.msgsPerSec, 2),
        serverEfficiency: cpuRatio(p.rill.serverCpuMsPerMillion, p.redis.serverCpuMsPerMillion),
      },
      consume: {
        ...c,
        ratio: round(c.rill.msgsPerSec / c.redis.msgsPerSec, 2),
        serverEfficiency: cpuRatio(c.rill.serverCpuMsPerMillion, c.redis.serverCpuMsPerMillion),
      },
      tls,
    });
  }

  const [load1, load5, load15] = os.loadavg().map((l) => round(l, 2));
  const out = {
    bench: 'wire',
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    rounds: ROUNDS,
    // The machine is shared: throughput moves with its load, CPU per MB and same-run ratios much less.
    loadAverage: { atStart: loadAtStart, atEnd: [load1, load5, load15] },
    peers: {
      rill: 'kafkajs 2.x -> rill broker (Kafka protocol, acks=-1)',
      redis: 'ioredis -> redis-server Streams (pipelined XADD / XRANGE)',
      rillClient: "Rill's protocol client (core/protocol KafkaConnection, batches by core/log) -> rill broker: the broker without kafkajs' client cost",
      rillTls: 'kafkajs 2.x over SSL (TLS 1.3, EC P-256 certificate) -> rill broker --ssl-cert/--ssl-key',
    },
    target: 'rill produce >= 2x redis; TLS/plaintext >= 0.7',
    results,
  };
  if (!TLS_ONLY) {
    fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'wire.json'), JSON.stringify(out, null, 2) + '\n');
  }
  console.log(
    JSON.stringify(
      results.map((r) => ({
        recordBytes: r.recordBytes,
        ...(r.produce && r.consume
          ? {
              produce: { ratio: r.produce.ratio, rillClientRatio: r.produce.rillClientRatio, serverEfficiency: r.produce.serverEfficiency },
              consume: { ratio: r.consume.ratio, serverEfficiency: r.consume.serverEfficiency },
            }
          : {}),
        tls: Object.fromEntries(
          (['produce', 'consume'] as const).map((k) => [
            k,
            { ratio: r.tls[k].ratio, rounds: r.tls[k].roundRatios, serverCpuRatio: r.tls[k].serverCpuRatio, clientCpuRatio: r.tls[k].clientCpuRatio },
          ]),
        ),
      })),
    ),
  );

  redis.disconnect();
  for (const c of [rill.child, rillTls.child, redisServer.child]) c.kill('SIGTERM');
  await Promise.all([rill.child, rillTls.child, redisServer.child].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))));
  fs.rmSync(dir, { recursive: true, force: true });
  certs.remove();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
