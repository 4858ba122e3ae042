// `npm run bench:connectors`: table materialization into Redis, updates/s.
// Rill's Redis table sink (reading the topic through a LogConsumer, decoding,
// one round trip per batch, committing offsets after each) against a
// hand-written ioredis loop doing the same SETs in pipelines of the same size
// (and, for reference, the same writes as one MSET per batch by hand), in one
// run, against one redis-server started here on a free port.
// Writes bench/results/connectors.json. Target: sink / hand-written >= 0.8.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { Rill } from '../core/client';
import { rillLogClient, silentLogger } from '../dsl';
import { redisConnection, redisTableSink, SinkTask } from '../connectors';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 400_000);
const KEYS = 10_000;
const BATCH = 1000;
const ROUNDS = 5;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number) {
  // Spawned directly so its pid is ours to kill; killed on any exit of this process.
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.once('exit', () => child.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  return child;
}

const keyOf = (i: number) => `item-${(i * 7919) % KEYS}`;

/** What a user would write by hand: the same SETs, pipelined BATCH at a time. */
async function handWritten(redis: Redis): Promise<number> {
  await redis.flushall();
  const started = process.hrtime.bigint();
  for (let from = 0; from < UPDATES; from += BATCH) {
    const p = redis.pipeline();
    for (let i = from; i < Math.min(UPDATES, from + BATCH); i++) p.set(`t:${keyOf(i)}`, String(i));
    const replies = await p.exec();
    if (replies!.some(([e]) => e)) throw new Error('a SET failed');
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The same trick the sink uses for string keys (one MSET per batch), by hand: the fastest plain ioredis loop. */
async function handWrittenMset(redis: Redis): Promise<number> {
  await redis.flushall();
  const started = process.hrtime.bigint();
  for (let from = 0; from < UPDATES; from += BATCH) {
    const args: string[] = [];
    for (let i = from; i < Math.min(UPDATES, from + BATCH); i++) args.push(`t:${keyOf(i)}`, String(i));
    await redis.mset(...args);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

async function rillSink(rill: Rill, redis: Redis, round: number, transactional: boolean): Promise<number> {
  await redis.flushall();
  const client = rillLogClient(rill);
  const task = new SinkTask(client, redisTableSink({ redis, keyPrefix: 't:', transactional, name: `bench-${round}-${transactional}` }), {
    topics: ['bench-table'],
    logger: silentLogger,
    maxBatch: BATCH,
  });
  const started = process.hrtime.bigint();
  await task.start();
  await task.waitUntilCaughtUp();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await task.stop();
  return seconds;
}

async function main(): Promise<void> {
  if (spawnSync('redis-server', ['--version']).status !== 0) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const port = await freePort();
  const child = await startRedis(port);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-connectors-'));
  const rill = Rill.open({ dir });
  const redis = redisConnection(`redis://127.0.0.1:${port}`);
  try {
    await rill.admin.createTopics([{ name: 'bench-table', partitions: 2 }]);
    const producer = rill.producer();
    for (let from = 0; from < UPDATES; from += 10_000) {
      await producer.send(
        'bench-table',
        Array.from({ length: Math.min(10_000, UPDATES - from) }, (_, j) => ({ key: keyOf(from + j), value: String(from + j) })),
      );
    }
    await producer.flush();

    const rounds: { handWrittenPerSec: number; handWrittenMsetPerSec: number; sinkPipelinePerSec: number; sinkMultiPerSec: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const hand = await handWritten(redis);
      const handMset = await handWrittenMset(redis);
      const pipeline = await rillSink(rill, redis, r, false);
      const multi = await rillSink(rill, redis, r, true);
      rounds.push({
        handWrittenPerSec: Math.round(UPDATES / hand),
        handWrittenMsetPerSec: Math.round(UPDATES / handMset),
        sinkPipelinePerSec: Math.round(UPDATES / pipeline),
        sinkMultiPerSec: Math.round(UPDATES / multi),
      });
      const x = rounds[r];
      console.log(
        `round ${r + 1}: hand-written SET pipeline ${x.handWrittenPerSec}/s, hand-written MSET ${x.handWrittenMsetPerSec}/s, sink (pipeline) ${x.sinkPipelinePerSec}/s, sink (MULTI) ${x.sinkMultiPerSec}/s`,
      );
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const hand = median(rounds.map((r) => r.handWrittenPerSec));
    const handMset = median(rounds.map((r) => r.handWrittenMsetPerSec));
    const pipeline = median(rounds.map((r) => r.sinkPipelinePerSec));
    const multi = median(rounds.map((r) => r.sinkMultiPerSec));
    const ratio = (f: (r: (typeof rounds)[number]) => number) => +median(rounds.map(f)).toFixed(3);
    const redisVersion = spawnSync('redis-server', ['--version'])
      .stdout.toString()
      .match(/v=(\S+)/)?.[1];
    const result = {
      benchmark: 'connectors',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model.trim(), node: process.version, redis: redisVersion },
      updates: UPDATES,
      keys: KEYS,
      batch: BATCH,
      rounds: ROUNDS,
      updatesPerSecond: { handWrittenSetPipeline: hand, handWrittenMset: handMset, redisTableSinkPipeline: pipeline, redisTableSinkMulti: multi },
      // Each round's ratio is measured side by side; the median of those is robust to a busy machine.
      ratios: {
        sinkPipelineVsHandWritten: ratio((r) => r.sinkPipelinePerSec / r.handWrittenPerSec),
        sinkMultiVsHandWritten: ratio((r) => r.sinkMultiPerSec / r.handWrittenPerSec),
        sinkPipelineVsHandWrittenMset: ratio((r) => r.sinkPipelinePerSec / r.handWrittenMsetPerSec),
      },
      target: { sinkVsHandWritten: 0.8 },
      perRound: rounds,
      note:
        'updates/s: median of rounds; ratios: median of the per-round ratios. handWrittenSetPipeline (the target baseline) is the loop a user writes: the same SETs pipelined BATCH at a time. ' +
        'The sink writes string keys of a batch as one MSET (last value per key), so handWrittenMset is the same trick by hand. ' +
        'The sink also reads the topic, decodes each record and commits offsets after every batch.',
    };
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'connectors.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result.updatesPerSecond), JSON.stringify(result.ratios));
  } finally {
    redis.disconnect();
    await rill.close();
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
