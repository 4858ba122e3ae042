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
// BENCH_DSL_BASE=/path/to/other/checkout does that A/B itself: BENCH_DSL_PAIRS
// (default 3) pairs of child processes, base and this checkout alternating
// (the one that goes first too), each RUNS runs (default 3; the first, cold,
// is left out of the medians); writes bench/results/dsl-memory.json.
// Each run is preceded by a full collection; the hand loop and the DSL take
// turns in the same process. Per run, one JSON line: wall seconds, process CPU
// ms (user + system, process.cpuUsage) and CPU ns per word, the heap bytes
// allocated per word (what the heap grew by between collections, from V8's
// GCProfiler) and GC time, and, on DSL lines, the CPU ratio hand / DSL of the
// hand-loop run just before it (the figure to judge under load; 1 = as cheap
// as the hand loop).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type * as ClientModule from '../core/client';
import { countsCheck, loadCheckout, produceWordLines, wordCountStreams } from './wordcount-checkout';

const root = process.env.RILL_ROOT ?? path.join(__dirname, '..');
const code = loadCheckout(root);
const { Rill } = code;

const WORDS = Number(process.env.BENCH_DSL_WORDS ?? 1_000_000);
const RUNS = Number(process.argv[2] ?? 1);

const collect: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

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
  const streams = wordCountStreams(code, rill, app, topic, true);
  const cost = await measured(async () => {
    await streams.start();
    await streams.waitUntilCaughtUp();
  });
  const { wrong, size } = countsCheck(streams, expected);
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
    const { lines } = await produceWordLines(rill, 'lines', WORDS, 1);
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

interface RunLine {
  run: number;
  what: 'hand' | 'dsl';
  cpuNsPerWord: number;
  allocatedBytesPerWord: number;
  gcMs: number;
  cpuRatio?: number;
  wallRatio?: number;
  wordsPerSecond: number;
  loadAverage: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Runs this script in a child process on one checkout; its JSON lines. */
function child(checkout: string, runs: number): RunLine[] {
  const out = execFileSync(process.execPath, ['-r', './test/support/register-ts.js', 'bench/dsl-memory.ts', String(runs)], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, RILL_ROOT: checkout, BENCH_DSL_BASE: '' },
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunLine);
}

function abAgainst(base: string): void {
  const pairs = Number(process.env.BENCH_DSL_PAIRS ?? 3);
  const here = path.join(__dirname, '..');
  const startLoad = os.loadavg();
  const warm = { base: [] as RunLine[], new: [] as RunLine[] };
  const perPair: { baseFirst: boolean; baseCpuNsPerWord: number; newCpuNsPerWord: number; baseCpuRatio: number; newCpuRatio: number }[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    const baseFirst = pair % 2 === 0;
    const got: Record<'base' | 'new', RunLine[]> = { base: [], new: [] };
    for (const which of baseFirst ? (['base', 'new'] as const) : (['new', 'base'] as const)) {
      got[which] = child(which === 'base' ? base : here, Math.max(2, RUNS)).filter((l) => l.what === 'dsl' && l.run > 0);
      warm[which].push(...got[which]);
    }
    const m = (which: 'base' | 'new', f: (l: RunLine) => number) => median(got[which].map(f));
    perPair.push({
      baseFirst,
      baseCpuNsPerWord: m('base', (l) => l.cpuNsPerWord),
      newCpuNsPerWord: m('new', (l) => l.cpuNsPerWord),
      baseCpuRatio: m('base', (l) => l.cpuRatio!),
      newCpuRatio: m('new', (l) => l.cpuRatio!),
    });
    console.log(JSON.stringify(perPair.at(-1)));
  }
  const summary = (lines: RunLine[]) => ({
    cpuNsPerWord: median(lines.map((l) => l.cpuNsPerWord)),
    allocatedBytesPerWord: median(lines.map((l) => l.allocatedBytesPerWord)),
    gcMsPerRun: median(lines.map((l) => l.gcMs)),
    wordsPerSecond: median(lines.map((l) => l.wordsPerSecond)),
    cpuRatioHandOverDsl: median(lines.map((l) => l.cpuRatio!)),
    wallRatioHandOverDsl: median(lines.map((l) => l.wallRatio!)),
  });
  const result = {
    benchmark: 'dsl-memory',
    date: new Date().toISOString(),
    what: 'bench/dsl-memory.ts: the in-memory word count of bench:dsl (1 partition, localRepartition, changelog writes and commits included, start() to waitUntilCaughtUp(), counts checked) against the same hand loop, in one process, hand loop then DSL per run. A/B: base and new checkouts in alternating child processes; medians over the warm runs (the first run of each process left out).',
    method:
      'CPU = process.cpuUsage (user + system) over the run; allocation = heap growth between collections (v8.GCProfiler); cpuRatio = hand-loop CPU / DSL CPU of the same round (1 = the DSL as cheap as the loop). Wall-clock figures are noise on this shared, loaded machine: judge by CPU.',
    words: WORDS,
    base,
    machine: {
      cpus: os.cpus().length,
      node: process.version,
      loadAverage: { start: startLoad.map((l) => Number(l.toFixed(2))), end: os.loadavg().map((l) => Number(l.toFixed(2))) },
    },
    baseline: summary(warm.base),
    new: summary(warm.new),
    cpuPerWordBaseOverNew: Number((median(perPair.map((p) => p.baseCpuNsPerWord / p.newCpuNsPerWord)) || 0).toFixed(3)),
    pairs: perPair,
  };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'dsl-memory.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

if (process.env.BENCH_DSL_BASE) abAgainst(process.env.BENCH_DSL_BASE);
else
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
