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
// Prints one JSON line per run: seconds, CPU ms, CPU/wall, words/s, bytes
// allocated (from V8's GC profiler: what the heap grew by between
// collections, so objects a minor GC freed count too), load average.
//
//   node -r ./test/support/register-ts.js bench/dsl-repartition.ts ab BASE_ROOT [PAIRS]
//
// runs that A/B: PAIRS pairs (default 4) of processes, one per checkout, the
// one going first alternating, each process running the case twice (cold,
// then warm), and writes bench/results/dsl-repartition.json.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import type * as ClientModule from '../core/client';
import { countsCheck, loadCheckout, produceWordLines, wordCountStreams } from './wordcount-checkout';

const here = path.join(__dirname, '..');
const root = process.env.RILL_ROOT ?? here;
const code = loadCheckout(root);
const { Rill } = code;

const WORDS = Number(process.env.BENCH_DSL_WORDS ?? 1_000_000);
const RUNS = process.argv[2] === 'ab' ? 0 : Number(process.argv[2] ?? 1);
const PARTITIONS = 4;

async function run(rill: ClientModule.Rill, app: string, topic: string, expected: Map<string, number>) {
  const streams = wordCountStreams(code, rill, app, topic, false);
  const allocation = new AllocationMeter();
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await streams.start();
  await streams.waitUntilCaughtUp();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const allocatedMB = Math.round(allocation.stop() / 1e6);
  const { wrong } = countsCheck(streams, expected);
  await streams.stop();
  if (wrong > 0) throw new Error(`${app}: ${wrong} word(s) counted wrong`);
  const cpuMs = (used.user + used.system) / 1000;
  return {
    seconds: Number(seconds.toFixed(3)),
    cpuMs: Math.round(cpuMs),
    cpuPerWall: Number((cpuMs / 1000 / seconds).toFixed(2)),
    wordsPerSecond: Math.round(WORDS / seconds),
    allocatedMB,
  };
}

/** Bytes allocated on the V8 heap while it runs: the heap's growth between collections (V8's GC profiler gives each one's before and after). */
class AllocationMeter {
  private readonly profiler = new v8.GCProfiler();
  private readonly startUsed = v8.getHeapStatistics().used_heap_size;

  constructor() {
    this.profiler.start();
  }

  stop(): number {
    const { statistics } = this.profiler.stop() as {
      statistics: { beforeGC: { heapStatistics: { usedHeapSize: number } }; afterGC: { heapStatistics: { usedHeapSize: number } } }[];
    };
    let allocated = 0;
    let after = this.startUsed;
    for (const gc of statistics) {
      allocated += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - after);
      after = gc.afterGC.heapStatistics.usedHeapSize;
    }
    return allocated + Math.max(0, v8.getHeapStatistics().used_heap_size - after);
  }
}

type Run = Awaited<ReturnType<typeof run>>;

/** One process of this script on a checkout: its cold and warm runs. */
function runProcess(checkout: string): { cold: Run; warm: Run } {
  const out = execFileSync(process.execPath, ['-r', path.join(here, 'test/support/register-ts.js'), __filename, '2'], {
    env: { ...process.env, RILL_ROOT: checkout },
    encoding: 'utf8',
  });
  const [cold, warm] = out
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Run);
  return { cold, warm };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function gitHead(checkout: string): string {
  return execFileSync('git', ['-C', checkout, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
}

/** The A/B of this checkout against `base`, in alternating processes; writes bench/results/dsl-repartition.json. */
function abCompare(base: string, pairs: number): void {
  const loadStart = os.loadavg();
  const rounds: { baseFirst: boolean; loadAverage: number; base: { cold: Run; warm: Run }; new: { cold: Run; warm: Run } }[] = [];
  for (let i = 0; i < pairs; i++) {
    const baseFirst = i % 2 === 0;
    const first = runProcess(baseFirst ? base : here);
    const second = runProcess(baseFirst ? here : base);
    const [b, n] = baseFirst ? [first, second] : [second, first];
    const round = { baseFirst, loadAverage: os.loadavg()[0], base: b, new: n };
    console.log(JSON.stringify(round));
    rounds.push(round);
  }
  const ratio = (phase: 'cold' | 'warm', field: 'cpuMs' | 'seconds' | 'allocatedMB') =>
    Number(median(rounds.map((r) => r.base[phase][field] / r.new[phase][field])).toFixed(3));
  const result = {
    benchmark: 'dsl-repartition',
    date: new Date().toISOString(),
    what: `bench/dsl-repartition.ts ab: the ${WORDS}-word count on ${PARTITIONS} partitions through the repartition topic (bench:dsl case c alone), start() to waitUntilCaughtUp(), counts checked. Alternating processes per checkout (base ${gitHead(base)}, new ${gitHead(here)}), each running it twice: cold, then warm. Ratios are medians of per-round base/new (above 1: new costs less). Judge by CPU and allocation: wall time swings with the shared machine's load.`,
    machine: { cpus: os.cpus().length, node: process.version, loadAverage: { start: loadStart, end: os.loadavg() } },
    medianRatio: {
      cpu: { cold: ratio('cold', 'cpuMs'), warm: ratio('warm', 'cpuMs') },
      allocation: { cold: ratio('cold', 'allocatedMB'), warm: ratio('warm', 'allocatedMB') },
      time: { cold: ratio('cold', 'seconds'), warm: ratio('warm', 'seconds') },
    },
    medianWarm: {
      base: { cpuMs: median(rounds.map((r) => r.base.warm.cpuMs)), allocatedMB: median(rounds.map((r) => r.base.warm.allocatedMB)) },
      new: { cpuMs: median(rounds.map((r) => r.new.warm.cpuMs)), allocatedMB: median(rounds.map((r) => r.new.warm.allocatedMB)) },
    },
    rounds,
  };
  fs.writeFileSync(path.join(here, 'bench/results/dsl-repartition.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result.medianRatio));
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-dsl-rp-'));
  try {
    const rill = Rill.open({ dir });
    const { counts: expected } = await produceWordLines(rill, 'lines4', WORDS, PARTITIONS);
    for (let i = 0; i < RUNS; i++) {
      const r = await run(rill, `wc4-${i}`, 'lines4', expected);
      console.log(JSON.stringify({ root, words: WORDS, ...r, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))) }));
    }
    await rill.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'ab') {
  if (!process.argv[3]) throw new Error('usage: dsl-repartition.ts ab BASE_CHECKOUT [PAIRS]');
  abCompare(path.resolve(process.argv[3]), Number(process.argv[4] ?? 4));
} else
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
