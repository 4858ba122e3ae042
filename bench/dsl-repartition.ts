// The DSL word count through a real repartition topic, alone: for profiles
// (node --cpu-prof) and same-run A/B of two checkouts. bench:dsl's case (c)
// without the rest of that bench: BENCH_DSL_WORDS words (default 1 M; lines of
// 10 words from a 10 000-word vocabulary) on 4 partitions, 4 tasks in one
// instance, every word written to the repartition topic and read back, counted
// into a store with a changelog. Each run is timed from start() to
// waitUntilCaughtUp(), its process CPU measured, and its counts checked
// against a plain Map's.
//
//   node -r ./test/support/register-ts.js bench/dsl-repartition.ts [RUNS]
//
// RILL_ROOT=/path/to/other/checkout runs that checkout's code with this script
// (alternate two processes, one per checkout, at the same load, for an A/B).
// Prints one JSON line per run: seconds, CPU ms, CPU/wall, words/s, load average.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as ClientModule from '../core/client';
import type * as DslModule from '../dsl';
import type * as SchemaModule from '../core/schema';
import { uniform } from './seeded-random';

const root = process.env.RILL_ROOT ?? path.join(__dirname, '..');
const { Rill } = require(path.join(root, 'core/client')) as typeof ClientModule;
const { RillStreams, StreamsBuilder, count, flatMapValues, selectKey, silentLogger } = require(path.join(root, 'dsl')) as typeof DslModule;
const { jsonSerde, stringSerde } = require(path.join(root, 'core/schema')) as typeof SchemaModule;

const WORDS = Number(process.env.BENCH_DSL_WORDS ?? 1_000_000);
const RUNS = Number(process.argv[2] ?? 1);
const PARTITIONS = 4;
const WORDS_PER_LINE = 10;
const VOCABULARY = Array.from({ length: 10_000 }, (_, i) => `w${i.toString(36)}`);

async function produceLines(rill: ClientModule.Rill, topic: string): Promise<Map<string, number>> {
  await rill.admin.createTopics([{ name: topic, partitions: PARTITIONS }]);
  const producer = rill.producer({ batchSize: 1024 * 1024, idempotent: false });
  const counts = new Map<string, number>();
  const lines = Math.ceil(WORDS / WORDS_PER_LINE);
  const next = uniform(42);
  for (let i = 0; i < lines; i += 10_000) {
    const records = [];
    for (let j = i; j < Math.min(lines, i + 10_000); j++) {
      const words: string[] = [];
      for (let w = 0; w < WORDS_PER_LINE; w++) {
        const word = VOCABULARY[Math.floor(next(VOCABULARY.length))];
        counts.set(word, (counts.get(word) ?? 0) + 1);
        words.push(word);
      }
      records.push({ value: words.join(' '), partition: j % PARTITIONS });
    }
    await producer.send(topic, records);
  }
  await producer.close();
  return counts;
}

async function run(rill: ClientModule.Rill, app: string, topic: string, expected: Map<string, number>) {
  const b = new StreamsBuilder(app);
  b.stream(topic, { key: stringSerde(), value: stringSerde() }).pipe(
    flatMapValues((line: string) => line.split(' ')),
    selectKey((r: { value: string }) => r.value, { keySerde: stringSerde() }),
    count({ store: 'counts', keySerde: stringSerde(), valueSerde: jsonSerde<number>() }),
  );
  const streams = new RillStreams(b.build(), { log: rill, logger: silentLogger, commitIntervalMs: 1000, localRepartition: false, taskAssignment: 'all' });
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await streams.start();
  await streams.waitUntilCaughtUp();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const store = streams.store<string, number>('counts');
  const wrong = [...expected].filter(([w, n]) => store.get(w) !== n).length;
  await streams.stop();
  if (wrong > 0) throw new Error(`${app}: ${wrong} word(s) counted wrong`);
  const cpuMs = (used.user + used.system) / 1000;
  return {
    seconds: Number(seconds.toFixed(3)),
    cpuMs: Math.round(cpuMs),
    cpuPerWall: Number((cpuMs / 1000 / seconds).toFixed(2)),
    wordsPerSecond: Math.round(WORDS / seconds),
  };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-dsl-rp-'));
  try {
    const rill = Rill.open({ dir });
    const expected = await produceLines(rill, 'lines4');
    for (let i = 0; i < RUNS; i++) {
      const r = await run(rill, `wc4-${i}`, 'lines4', expected);
      console.log(JSON.stringify({ root, words: WORDS, ...r, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))) }));
    }
    await rill.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
