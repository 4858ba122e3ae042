// npm run bench:dsl — the DSL against a hand-written loop, and state restore.
//
// 1. Word count over BENCH_DSL_WORDS words (default 10 M; lines of 10 words
//    from a 10 000-word vocabulary) on one partition of the embedded log:
//    (a) a hand-written loop: the same Rill consumer, split, a Map of counts;
//    (b) the DSL: flatMapValues -> selectKey -> count into a store with a
//        changelog, run by RillStreams until caught up (offsets committed).
//    Alternating rounds, medians. Target: DSL / loop >= 0.5.
// 2. Restore of a count store from a changelog of BENCH_DSL_RESTORE_KEYS keys
//    (default 5 M): records/s from the restore's start to its end. Target >= 500k/s.
// Results: bench/results/dsl.json. Not part of npm test.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rill } from '../core/client';
import { jsonSerde, stringSerde } from '../core/schema';
import { RillStreams, StreamsBuilder, count, flatMapValues, selectKey, silentLogger, type RestoreProgress } from '../dsl';

const WORDS = Number(process.env.BENCH_DSL_WORDS ?? 10_000_000);
const RESTORE_KEYS = Number(process.env.BENCH_DSL_RESTORE_KEYS ?? 5_000_000);
const ROUNDS = Number(process.env.BENCH_DSL_ROUNDS ?? 3);
const WORDS_PER_LINE = 10;
const VOCABULARY = Array.from({ length: 10_000 }, (_, i) => `w${i.toString(36)}`);

const seconds = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function produceLines(rill: Rill): Promise<number> {
  await rill.admin.createTopics([{ name: 'lines', partitions: 1 }]);
  const producer = rill.producer({ batchSize: 1024 * 1024, idempotent: false });
  const lines = Math.ceil(WORDS / WORDS_PER_LINE);
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const chunk = 10_000;
  for (let i = 0; i < lines; i += chunk) {
    const records = [];
    for (let j = i; j < Math.min(lines, i + chunk); j++) {
      const words: string[] = [];
      for (let w = 0; w < WORDS_PER_LINE; w++) words.push(VOCABULARY[next() % VOCABULARY.length]);
      records.push({ value: words.join(' ') });
    }
    await producer.send('lines', records);
  }
  await producer.close();
  return lines;
}

async function handLoop(rill: Rill, lines: number): Promise<{ seconds: number; distinct: number }> {
  const consumer = rill.consumer({ autoOffsetReset: 'earliest' });
  await consumer.assign([{ topic: 'lines', partition: 0 }]);
  const counts = new Map<string, number>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const t = process.hrtime.bigint();
  let read = 0;
  for await (const r of consumer) {
    for (const word of decoder.decode(r.value!).split(' ')) counts.set(word, (counts.get(word) ?? 0) + 1);
    if (++read >= lines) break;
  }
  const s = seconds(t);
  await consumer.close();
  return { seconds: s, distinct: counts.size };
}

function wordCount(app: string) {
  const b = new StreamsBuilder(app);
  b.stream('lines', { key: stringSerde(), value: stringSerde() }).pipe(
    flatMapValues((line) => line.split(' ')),
    selectKey((r) => r.value, { keySerde: stringSerde() }),
    count({ store: 'counts', keySerde: stringSerde(), valueSerde: jsonSerde<number>() }),
  );
  return b.build();
}

async function dsl(rill: Rill, round: number | string, localRepartition = true): Promise<{ seconds: number; distinct: number }> {
  const app = new RillStreams(wordCount(`bench-wc-${round}`), { log: rill, logger: silentLogger, commitIntervalMs: 1000, localRepartition });
  const t = process.hrtime.bigint();
  await app.start();
  await app.waitUntilCaughtUp();
  const s = seconds(t);
  const distinct = app.store('counts').size;
  await app.stop();
  return { seconds: s, distinct };
}

async function restore(dir: string): Promise<{ keys: number; seconds: number; recordsPerSecond: number }> {
  const rill = Rill.open({ dir });
  const topology = (() => {
    const b = new StreamsBuilder('bench-restore');
    b.stream('restore-input', { key: stringSerde(), value: stringSerde() }).pipe(count({ store: 'big', keySerde: stringSerde(), valueSerde: jsonSerde<number>() }));
    return b.build();
  })();
  await rill.admin.createTopics([
    { name: 'restore-input', partitions: 1 },
    { name: 'bench-restore-big-changelog', partitions: 1, config: { 'cleanup.policy': 'compact' } },
  ]);
  // The changelog as a count store writes it: string key, JSON number value.
  const producer = rill.producer({ batchSize: 1024 * 1024, idempotent: false });
  for (let i = 0; i < RESTORE_KEYS; i += 20_000) {
    const records = [];
    for (let j = i; j < Math.min(RESTORE_KEYS, i + 20_000); j++) records.push({ key: `key-${j}`, value: String(j % 1000), partition: 0 });
    await producer.send('bench-restore-big-changelog', records);
  }
  await producer.close();
  let started = 0n;
  let elapsed = 0;
  let restored = 0;
  const app = new RillStreams(topology, {
    log: rill,
    logger: silentLogger,
    onRestoreProgress: (p: RestoreProgress) => {
      if (started === 0n) started = process.hrtime.bigint();
      if (p.done) {
        elapsed = seconds(startedAt);
        restored = p.restored;
      }
    },
  });
  const startedAt = process.hrtime.bigint();
  await app.start();
  const keys = app.store('big').size;
  await app.stop();
  await rill.close();
  if (keys !== RESTORE_KEYS || restored !== RESTORE_KEYS) throw new Error(`restore: expected ${RESTORE_KEYS} keys, got ${keys} (restored ${restored})`);
  return { keys, seconds: elapsed, recordsPerSecond: Math.round(RESTORE_KEYS / elapsed) };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-dsl-'));
  try {
    const rill = Rill.open({ dir: path.join(dir, 'wc') });
    const lines = await produceLines(rill);
    const loop: number[] = [];
    const streams: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const a = await handLoop(rill, lines);
      const b = await dsl(rill, round);
      if (a.distinct !== b.distinct) throw new Error(`word count mismatch: loop ${a.distinct} distinct words, DSL ${b.distinct}`);
      loop.push(WORDS / a.seconds);
      streams.push(WORDS / b.seconds);
      ratios.push(a.seconds / b.seconds);
      console.log(`round ${round}: loop ${Math.round(WORDS / a.seconds)} words/s, DSL ${Math.round(WORDS / b.seconds)} words/s, ratio ${(a.seconds / b.seconds).toFixed(3)}`);
    }
    // Once more with the repartition going through its topic (10 M records written and read back).
    const viaTopic = await dsl(rill, 'via-topic', false);
    console.log(`DSL through the repartition topic: ${Math.round(WORDS / viaTopic.seconds)} words/s`);
    await rill.close();
    const r = await restore(path.join(dir, 'restore'));
    console.log(`restore: ${r.keys} keys in ${r.seconds.toFixed(2)} s = ${r.recordsPerSecond} records/s`);
    const result = {
      benchmark: 'dsl',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
      wordcount: {
        words: WORDS,
        lines,
        rounds: ROUNDS,
        handLoopWordsPerSecond: Math.round(median(loop)),
        dslWordsPerSecond: Math.round(median(streams)),
        ratio: Number(median(ratios).toFixed(3)),
        ratiosPerRound: ratios.map((x) => Number(x.toFixed(3))),
        target: 0.5,
        note: 'one partition: the repartition before count is handed on in memory (localRepartition); the DSL run includes start, changelog writes and offset commits',
        dslThroughRepartitionTopicWordsPerSecond: Math.round(WORDS / viaTopic.seconds),
        ratioThroughRepartitionTopic: Number((WORDS / viaTopic.seconds / median(loop)).toFixed(3)),
      },
      restore: { keys: r.keys, seconds: Number(r.seconds.toFixed(3)), recordsPerSecond: r.recordsPerSecond, target: 500_000 },
    };
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'dsl.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(JSON.stringify(result, null, 2));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
