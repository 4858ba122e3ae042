// The DSL word count in memory, alone, against bench:dsl's hand loop: for
// profiles (node --cpu-prof, --heap-prof) and same-run A/B of two checkouts.
// bench:dsl's cases (a) and (b) without the rest of that bench:
// BENCH_DSL_WORDS words (default 1 M; lines of 10 words from a 10 000-word
// vocabulary) on one partition; the DSL's flatMapValues -> selectKey -> count
// hands the re-keyed records on in memory (localRepartition), counts into a
// store with a changelog, commits every second. Each DSL run is timed from
// start() to waitUntilCaughtUp(); each run's counts are checked against the
// hand loop's before a figure is printed.
//
//   node -r ./test/support/register-ts.js bench/dsl-memory.ts [RUNS]
//
// RILL_ROOT=/path/to/other/checkout runs that checkout's code with this script
// (alternate processes, one per checkout, at the same load, for an A/B).
// Each run is preceded by a full collection; the hand loop and the DSL take
// turns in the same process. Per run, one JSON line: wall seconds, process CPU
// ms (user + system, process.cpuUsage) and CPU ns per word, the heap bytes
// allocated per word (what the heap grew by between collections, from V8's
// GCProfiler) and GC time, and, on DSL lines, the CPU ratio hand / DSL of the
// hand-loop run just before it (the figure to judge under load; 1 = as cheap
// as the hand loop).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
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
const WORDS_PER_LINE = 10;
const VOCABULARY = Array.from({ length: 10_000 }, (_, i) => `w${i.toString(36)}`);

const collect: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

async function produceLines(rill: ClientModule.Rill, topic: string): Promise<number> {
  await rill.admin.createTopics([{ name: topic, partitions: 1 }]);
  const producer = rill.producer({ batchSize: 1024 * 1024, idempotent: false });
  const lines = Math.ceil(WORDS / WORDS_PER_LINE);
  const next = uniform(42);
  for (let i = 0; i < lines; i += 10_000) {
    const records = [];
    for (let j = i; j < Math.min(lines, i + 10_000); j++) {
      const words: string[] = [];
      for (let w = 0; w < WORDS_PER_LINE; w++) words.push(VOCABULARY[Math.floor(next(VOCABULARY.length))]);
      records.push({ value: words.join(' '), partition: 0 });
    }
    await producer.send(topic, records);
  }
  await producer.close();
  return lines;
}

interface Cost {
  seconds: number;
  cpuMs: number;
  allocatedBytes: number;
  gcMs: number;
}

/** Runs `work` after a full collection; its wall time, process CPU, heap allocation and GC time. */
async function measured(work: () => Promise<void>): Promise<Cost> {
  collect();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const heapAtStart = v8.getHeapStatistics().used_heap_size;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const heapAtEnd = v8.getHeapStatistics().used_heap_size;
  const data = profiler.stop();
  let allocatedBytes = 0;
  let gcMs = 0;
  let lastAfter = heapAtStart;
  for (const s of data?.statistics ?? []) {
    allocatedBytes += Math.max(0, s.beforeGC.heapStatistics.usedHeapSize - lastAfter);
    lastAfter = s.afterGC.heapStatistics.usedHeapSize;
    gcMs += s.cost / 1000;
  }
  allocatedBytes += Math.max(0, heapAtEnd - lastAfter);
  return { seconds, cpuMs: (used.user + used.system) / 1000, allocatedBytes, gcMs };
}

async function handLoop(rill: ClientModule.Rill, topic: string, lines: number): Promise<{ cost: Cost; counts: Map<string, number> }> {
  const counts = new Map<string, number>();
  const consumer = rill.consumer({ autoOffsetReset: 'earliest' });
  await consumer.assign([{ topic, partition: 0 }]);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const cost = await measured(async () => {
    let read = 0;
    for await (const r of consumer) {
      for (const word of decoder.decode(r.value!).split(' ')) counts.set(word, (counts.get(word) ?? 0) + 1);
      if (++read >= lines) break;
    }
  });
  await consumer.close();
  return { cost, counts };
}

async function dsl(rill: ClientModule.Rill, app: string, topic: string, expected: Map<string, number>): Promise<Cost> {
  const b = new StreamsBuilder(app);
  b.stream(topic, { key: stringSerde(), value: stringSerde() }).pipe(
    flatMapValues((line: string) => line.split(' ')),
    selectKey((r: { value: string }) => r.value, { keySerde: stringSerde() }),
    count({ store: 'counts', keySerde: stringSerde(), valueSerde: jsonSerde<number>() }),
  );
  const streams = new RillStreams(b.build(), { log: rill, logger: silentLogger, commitIntervalMs: 1000, localRepartition: true, taskAssignment: 'all' });
  const cost = await measured(async () => {
    await streams.start();
    await streams.waitUntilCaughtUp();
  });
  const store = streams.store<string, number>('counts');
  const wrong = [...expected].filter(([w, n]) => store.get(w) !== n).length;
  const size = store.size;
  await streams.stop();
  if (wrong > 0 || size !== expected.size) throw new Error(`${app}: ${wrong} word(s) counted wrong, ${size} words in the store, ${expected.size} expected`);
  return cost;
}

const perWord = (cost: Cost) => ({
  seconds: Number(cost.seconds.toFixed(3)),
  cpuMs: Math.round(cost.cpuMs),
  cpuNsPerWord: Math.round((cost.cpuMs * 1e6) / WORDS),
  wordsPerSecond: Math.round(WORDS / cost.seconds),
  allocatedBytesPerWord: Math.round(cost.allocatedBytes / WORDS),
  gcMs: Math.round(cost.gcMs),
});

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-dsl-mem-'));
  try {
    const rill = Rill.open({ dir });
    const lines = await produceLines(rill, 'lines');
    for (let i = 0; i < RUNS; i++) {
      const hand = await handLoop(rill, 'lines', lines);
      const load = () => os.loadavg().map((l) => Number(l.toFixed(2)));
      console.log(JSON.stringify({ run: i, what: 'hand', words: WORDS, ...perWord(hand.cost), loadAverage: load() }));
      const d = await dsl(rill, `wc-${i}`, 'lines', hand.counts);
      console.log(
        JSON.stringify({
          run: i,
          what: 'dsl',
          root,
          words: WORDS,
          ...perWord(d),
          cpuRatio: Number((hand.cost.cpuMs / d.cpuMs).toFixed(3)),
          wallRatio: Number((hand.cost.seconds / d.seconds).toFixed(3)),
          loadAverage: load(),
        }),
      );
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
