// The word count's task alone (flatMapValues -> selectKey -> count, the
// re-keyed words handed on in memory, changelog flushes to a collector that
// drops them), two checkouts in ONE process, in alternating rounds over the
// same lines: the per-round CPU ratio base / new is paired, so load that
// comes and goes on a shared machine hits both sides of a pair alike. No log,
// consumer or runtime loop: what the DSL's per-record path costs, beside the
// hand loop's split-and-count over the same bytes.
//
//   node -r ./test/support/register-ts.js bench/dsl-task-ab.ts BASE_CHECKOUT [ROUNDS]
//
// Prints, and writes to bench/results/dsl-task-ab.json, the medians (the first
// 6 rounds are warm-up) of CPU ns per word of each checkout and of the hand
// loop, and of the paired ratios, with the load average.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as DslModule from '../dsl';
import type * as TaskModule from '../dsl/runtime/stream-task';
import type * as SchemaModule from '../core/schema';
import { uniform } from './seeded-random';

const LINES = 50_000;
const WORDS_PER_LINE = 10;
const WARM_UP = 6;

function wordCountTask(root: string): TaskModule.StreamTask {
  const dsl = require(path.join(root, 'dsl')) as typeof DslModule;
  const { StreamTask } = require(path.join(root, 'dsl/runtime/stream-task')) as typeof TaskModule;
  const { jsonSerde, stringSerde } = require(path.join(root, 'core/schema')) as typeof SchemaModule;
  const b = new dsl.StreamsBuilder('task-ab');
  b.stream('lines', { key: stringSerde(), value: stringSerde() }).pipe(
    dsl.flatMapValues((line: string) => line.split(' ')),
    dsl.selectKey((r: { value: string }) => r.value, { keySerde: stringSerde() }),
    dsl.count({ store: 'counts', keySerde: stringSerde(), valueSerde: jsonSerde<number>() }),
  );
  const task = new StreamTask({
    topology: b.build(),
    partition: 0,
    collector: { send: () => undefined },
    logger: dsl.silentLogger,
    deserializationErrors: 'fail',
    processingErrors: 'fail',
    now: () => 0,
    repartitionLocally: true,
  });
  task.start();
  return task;
}

function lines(): Buffer[] {
  const vocabulary = Array.from({ length: 10_000 }, (_, i) => `w${i.toString(36)}`);
  const next = uniform(42);
  return Array.from({ length: LINES }, () =>
    Buffer.from(Array.from({ length: WORDS_PER_LINE }, () => vocabulary[Math.floor(next(vocabulary.length))]).join(' ')),
  );
}

function cpuMicros(work: () => void): number {
  const start = process.cpuUsage();
  work();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

const load = () => os.loadavg().map((l) => Number(l.toFixed(2)));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function main(): void {
  const base = process.argv[2];
  if (!base) throw new Error('usage: bench/dsl-task-ab.ts BASE_CHECKOUT [ROUNDS]');
  const rounds = Number(process.argv[3] ?? 60);
  const startLoad = load();
  const input = lines();
  const [baseTask, newTask] = [base, path.join(__dirname, '..')].map(wordCountTask);
  const viaTask = (task: TaskModule.StreamTask) => () => {
    for (let i = 0; i < LINES; i++) task.process({ topic: 'lines', partition: 0, offset: i, timestamp: 1_700_000_000_000 + i, key: null, value: input[i] });
    task.flushState();
  };
  const counts = new Map<string, number>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const byHand = () => {
    for (let i = 0; i < LINES; i++) for (const w of decoder.decode(input[i]).split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  };
  const got = { base: [] as number[], new: [] as number[], hand: [] as number[], ratio: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    // The one that goes first alternates.
    const order = r % 2 === 0 ? (['base', 'new'] as const) : (['new', 'base'] as const);
    const cpu = { base: 0, new: 0 };
    for (const which of order) cpu[which] = cpuMicros(viaTask(which === 'base' ? baseTask : newTask));
    const hand = cpuMicros(byHand);
    if (r < WARM_UP) continue;
    got.base.push(cpu.base);
    got.new.push(cpu.new);
    got.hand.push(hand);
    got.ratio.push(cpu.base / cpu.new);
  }
  const nsPerWord = (micros: number[]) => Math.round((median(micros) * 1000) / (LINES * WORDS_PER_LINE));
  const result = {
    benchmark: 'dsl-task-ab',
    date: new Date().toISOString(),
    base,
    rounds: rounds - WARM_UP,
    wordsPerRound: LINES * WORDS_PER_LINE,
    baseCpuNsPerWord: nsPerWord(got.base),
    newCpuNsPerWord: nsPerWord(got.new),
    handCpuNsPerWord: nsPerWord(got.hand),
    baseOverNew: Number(median(got.ratio).toFixed(3)),
    handOverNew: Number((median(got.hand) / median(got.new)).toFixed(3)),
    handOverBase: Number((median(got.hand) / median(got.base)).toFixed(3)),
    loadAverage: { start: startLoad, end: load() },
  };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'dsl-task-ab.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result));
}

main();
