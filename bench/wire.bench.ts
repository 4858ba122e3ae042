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
// start) and kafkajs produces and consumes the same rounds over it; the ratio
// TLS/plaintext is reported beside (Kafka's goal: >= 0.7).
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

interface Rate {
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  /** CPU the server process spent per million records (Linux /proc), to separate server cost from client cost. */
  serverCpuMsPerMillion?: number;
}

/** user+system CPU milliseconds of a process so far (Linux). */
function cpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks at USER_HZ 100
  } catch {
    return NaN;
  }
}

/** Measures `run` and the server's CPU during it. */
async function measured(pid: number, records: number, run: () => Promise<Rate>): Promise<Rate> {
  const before = cpuMs(pid);
  const r = await run();
  const spent = cpuMs(pid) - before;
  return Number.isFinite(spent) ? { ...r, serverCpuMsPerMillion: Math.round((spent / records) * 1e6) } : r;
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

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-wire-'));
  const rill = await startRill(path.join(dir, 'rill'));
  const certs = makeTestCerts();
  const rillTls = await startRill(path.join(dir, 'rill-tls'), ['--ssl-cert', certs.server.cert, '--ssl-key', certs.server.key]);
  const kafkaTls = new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${rillTls.port}`], ssl: { ca: certs.read(certs.ca) }, logLevel: logLevel.NOTHING });
  fs.mkdirSync(path.join(dir, 'redis'));
  const redisServer = await startRedis(path.join(dir, 'redis'));
  const kafka = new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${rill.port}`], logLevel: logLevel.NOTHING });
  const redis = new Redis({ port: redisServer.port, host: '127.0.0.1', lazyConnect: false });

  const results = [];
  for (const s of SCENARIOS) {
    const value = Buffer.alloc(s.recordBytes, 'x');
    const produced: { rill: Rate[]; redis: Rate[]; rillClient: Rate[]; rillTls: Rate[] } = { rill: [], redis: [], rillClient: [], rillTls: [] };
    const consumed: { rill: Rate[]; redis: Rate[]; rillTls: Rate[] } = { rill: [], redis: [], rillTls: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const topic = `bench-${s.recordBytes}-${round}`;
      const rillPid = rill.child.pid!;
      const redisPid = redisServer.child.pid!;
      produced.rill.push(await measured(rillPid, s.records, () => rillProduce(kafka, topic, s.records, value)));
      produced.redis.push(await measured(redisPid, s.records, () => redisProduce(redis, topic, s.records, value)));
      produced.rillClient.push(await measured(rillPid, s.records, () => rillClientProduce(`127.0.0.1:${rill.port}`, `${topic}-rill-client`, s.records, value)));
      consumed.rill.push(await measured(rillPid, s.records, () => rillConsume(kafka, topic, s.records, s.recordBytes)));
      consumed.redis.push(await measured(redisPid, s.records, () => redisConsume(redis, topic, s.records, s.recordBytes)));
      const tlsPid = rillTls.child.pid!;
      produced.rillTls.push(await measured(tlsPid, s.records, () => rillProduce(kafkaTls, topic, s.records, value)));
      consumed.rillTls.push(await measured(tlsPid, s.records, () => rillConsume(kafkaTls, topic, s.records, s.recordBytes)));
      await redis.del(topic);
      console.error(
        `${s.recordBytes} B round ${round + 1}: produce rill ${produced.rill[round].msgsPerSec}/s redis ${produced.redis[round].msgsPerSec}/s rill-client ${produced.rillClient[round].msgsPerSec}/s; consume rill ${consumed.rill[round].msgsPerSec}/s redis ${consumed.redis[round].msgsPerSec}/s; over TLS produce ${produced.rillTls[round].msgsPerSec}/s consume ${consumed.rillTls[round].msgsPerSec}/s`,
      );
    }
    const p = { rill: median(produced.rill), redis: median(produced.redis), rillClient: median(produced.rillClient) };
    const c = { rill: median(consumed.rill), redis: median(consumed.redis) };
    const tls = { produce: median(produced.rillTls), consume: median(consumed.rillTls) };
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
      // kafkajs over SSL to the same kind of broker; ratios: TLS msgs/s over plaintext msgs/s.
      tls: {
        ...tls,
        produceRatio: round(tls.produce.msgsPerSec / p.rill.msgsPerSec, 2),
        consumeRatio: round(tls.consume.msgsPerSec / c.rill.msgsPerSec, 2),
      },
    });
  }

  const out = {
    bench: 'wire',
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    rounds: ROUNDS,
    peers: {
      rill: 'kafkajs 2.x -> rill broker (Kafka protocol, acks=-1)',
      redis: 'ioredis -> redis-server Streams (pipelined XADD / XRANGE)',
      rillClient: "Rill's protocol client (core/protocol KafkaConnection, batches by core/log) -> rill broker: the broker without kafkajs' client cost",
      rillTls: 'kafkajs 2.x over SSL (TLS 1.3, EC P-256 certificate) -> rill broker --ssl-cert/--ssl-key',
    },
    target: 'rill produce >= 2x redis; TLS/plaintext >= 0.7',
    results,
  };
  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'wire.json'), JSON.stringify(out, null, 2) + '\n');
  console.log(
    JSON.stringify(
      results.map((r) => ({
        recordBytes: r.recordBytes,
        produce: { ratio: r.produce.ratio, rillClientRatio: r.produce.rillClientRatio, serverEfficiency: r.produce.serverEfficiency },
        consume: { ratio: r.consume.ratio, serverEfficiency: r.consume.serverEfficiency },
        tls: { produceRatio: r.tls.produceRatio, consumeRatio: r.tls.consumeRatio },
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
