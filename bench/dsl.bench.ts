// npm run bench:dsl — the DSL against a hand-written loop, and state restore.
//
// 1. Word count over BENCH_DSL_WORDS words (default 10 M; lines of 10 words
//    drawn from a 10 000-word vocabulary) on the embedded log:
//    (a) a hand-written loop: the same Rill consumer, split, a Map of counts;
//    (b) the DSL on a 1-partition input: flatMapValues -> selectKey -> count
//        into a store with a changelog; the single task hands the re-keyed
//        records on in memory (localRepartition). Target: DSL / loop >= 0.7.
//    (c) the DSL on a 4-partition input, through a real repartition topic
//        (every word written and read back), against the hand loop over the
//        same 4 partitions. Target: >= 0.2.
//    (d) (b) and (c) at-least-once against exactly-once (one transaction per
//        commit interval, the default 1 s), alternating rounds of their own
//        (bench/ab-rounds.ts). Target (issue #14): exactly-once / at-least-once >= 0.8.
//    (e) (b) and (c) without metrics against with them (a registry of the
//        app's metrics, scraped every second), alternating rounds:
//        BENCH_DSL_METRICS_ROUNDS (default 30 in memory, 20 through the
//        topic), medians of per-round ratios with bootstrap 95 % intervals, by
//        time and by CPU per word. Target (issue #17): the metrics cost <= 3%.
//        BENCH_DSL_ONLY=metrics runs (e) alone: a full-size run puts it into
//        dsl.json beside the other figures, a quick one (BENCH_QUICK=1, a few
//        minutes) writes dsl-metrics-quick.json.
//    A/B rounds: BENCH_DSL_AB_ROUNDS (default 6) of the exactly-once comparisons.
//    Each DSL run is timed from start() until waitUntilCaughtUp() (offsets
//    committed), its process CPU measured, and its counts are compared with
//    the hand loop's, word by word, before a figure is reported. Medians of
//    per-round ratios, of time and of CPU (on a loaded machine, judge by CPU).
// 2. Restore of a count store from a changelog of BENCH_DSL_RESTORE_KEYS keys
//    (default 5 M): records/s from the restore's first progress report to its
//    last (start() itself, topic checks and group join, not counted). Target >= 500k/s.
// BENCH_QUICK=1: 1 M words and 500 k restore keys (about 12 minutes at load average 20).
// Results: bench/results/dsl.json. Not part of npm test.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rill } from '../core/client';
import { jsonSerde, stringSerde } from '../core/schema';
import { metricsRegistry } from '../core/metrics';
import { RillStreams, StreamsBuilder, count, flatMapValues, selectKey, silentLogger, type RestoreProgress } from '../dsl';
import { againstCost, againstRatio, alternate, loadAverage, measure, median, type AbResult, type Measured } from './ab-rounds';
import { benchProgress } from './progress';
import { uniform } from './seeded-random';

const QUICK = process.env.BENCH_QUICK === '1';
const WORDS = Number(process.env.BENCH_DSL_WORDS ?? (QUICK ? 1_000_000 : 10_000_000));
const RESTORE_KEYS = Number(process.env.BENCH_DSL_RESTORE_KEYS ?? (QUICK ? 500_000 : 5_000_000));
const ROUNDS = Number(process.env.BENCH_DSL_ROUNDS ?? 3);
/** Rounds of each A/B comparison (an even count: each goes first as often). */
const AB_ROUNDS = Number(process.env.BENCH_DSL_AB_ROUNDS ?? 6);
/** Rounds of each metrics comparison: more than the others, since 3 % is within one round's noise. */
const METRICS_ROUNDS = process.env.BENCH_DSL_METRICS_ROUNDS === undefined ? undefined : Number(process.env.BENCH_DSL_METRICS_ROUNDS);
const ONLY = process.env.BENCH_DSL_ONLY;
const WORDS_PER_LINE = 10;
const VOCABULARY = Array.from({ length: 10_000 }, (_, i) => `w${i.toString(36)}`);

const seconds = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;

/** Writes the same lines to a topic of `partitions` partitions (round-robin: no key). */
async function produceLines(rill: Rill, topic: string, partitions: number): Promise<number> {
  await rill.admin.createTopics([{ name: topic, partitions }]);
  const producer = rill.producer({ batchSize: 1024 * 1024, idempotent: false });
  const lines = Math.ceil(WORDS / WORDS_PER_LINE);
  const next = uniform(42);
  const chunk = 10_000;
  for (let i = 0; i < lines; i += chunk) {
    const records = [];
    for (let j = i; j < Math.min(lines, i + chunk); j++) {
      const words: string[] = [];
      for (let w = 0; w < WORDS_PER_LINE; w++) words.push(VOCABULARY[Math.floor(next(VOCABULARY.length))]);
      records.push({ value: words.join(' '), partition: j % partitions });
    }
    await producer.send(topic, records);
  }
  await producer.close();
  return lines;
}

async function handLoop(rill: Rill, topic: string, partitions: number, lines: number): Promise<{ seconds: number; counts: Map<string, number> }> {
  const consumer = rill.consumer({ autoOffsetReset: 'earliest' });
  await consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
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
  return { seconds: s, counts };
}

function wordCount(app: string, topic: string) {
  const b = new StreamsBuilder(app);
  b.stream(topic, { key: stringSerde(), value: stringSerde() }).pipe(
    flatMapValues((line) => line.split(' ')),
    selectKey((r) => r.value, { keySerde: stringSerde() }),
    count({ store: 'counts', keySerde: stringSerde(), valueSerde: jsonSerde<number>() }),
  );
  return b.build();
}

interface DslRun {
  /** In memory (one partition), or through the repartition topic. */
  readonly localRepartition: boolean;
  readonly processingGuarantee?: 'at-least-once' | 'exactly-once';
  /** The app's metrics in a registry of their own, scraped every second as Prometheus would (more often). */
  readonly metrics?: boolean;
  /** Default 1000 ms. */
  readonly commitIntervalMs?: number;
}

async function dsl(rill: Rill, app: string, topic: string, expected: Map<string, number>, run: DslRun): Promise<Measured> {
  const registry = run.metrics ? metricsRegistry() : undefined;
  const streams = new RillStreams(wordCount(app, topic), {
    log: rill,
    logger: silentLogger,
    commitIntervalMs: run.commitIntervalMs ?? 1000,
    localRepartition: run.localRepartition,
    taskAssignment: 'all',
    processingGuarantee: run.processingGuarantee ?? 'at-least-once',
    metrics: registry,
  });
  const scrape = registry ? setInterval(() => void registry.metrics(), 1000) : undefined;
  const measured = await measure(async () => {
    await streams.start();
    await streams.waitUntilCaughtUp();
  });
  clearInterval(scrape);
  // The figure counts only if the answer is right: every word's count as the hand loop's.
  const store = streams.store<string, number>('counts');
  const wrong = [...expected].filter(([w, n]) => store.get(w) !== n);
  const size = store.size;
  await streams.stop();
  if (wrong.length > 0 || size !== expected.size)
    throw new Error(
      `${app}: ${wrong.length} word(s) counted wrong (e.g. ${wrong
        .slice(0, 3)
        .map(([w, n]) => `${w}: ${n} expected`)
        .join(', ')}), ${size} words in the store, ${expected.size} expected`,
    );
  return measured;
}

async function restore(dir: string): Promise<{ keys: number; seconds: number; recordsPerSecond: number }> {
  const rill = Rill.open({ dir });
  const topology = (() => {
    const b = new StreamsBuilder('bench-restore');
    b.stream('restore-input', { key: stringSerde(), value: stringSerde() }).pipe(
      count({ store: 'big', keySerde: stringSerde(), valueSerde: jsonSerde<number>() }),
    );
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
        elapsed = seconds(started);
        restored = p.restored;
      }
    },
  });
  await app.start();
  const keys = app.store('big').size;
  await app.stop();
  await rill.close();
  if (keys !== RESTORE_KEYS || restored !== RESTORE_KEYS) throw new Error(`restore: expected ${RESTORE_KEYS} keys, got ${keys} (restored ${restored})`);
  return { keys, seconds: elapsed, recordsPerSecond: Math.round(RESTORE_KEYS / elapsed) };
}

/** (e): the two word counts without the app's metrics (A) against with them (B). */
async function metricsCost(rill: Rill, counts1: Map<string, number>, counts4: Map<string, number>, progress: { tick(what: string): void }) {
  const show = (what: string) => (r: { ratio: number; cpuRatio: number }, round: number) =>
    console.log(`with metrics / without, ${what}, round ${round}: ${r.ratio} by time, ${r.cpuRatio} by CPU`);
  // One commit, at the end (waitUntilCaughtUp's): with one a second, a run the load stretches commits more often and
  // costs more CPU, and that noise, not the metrics, decided single rounds (0.6x to 1.9x at load 20).
  const inMemoryRun = { localRepartition: true, commitIntervalMs: 3_600_000 };
  const viaTopicRun = { localRepartition: false, commitIntervalMs: 3_600_000 };
  const compare = async (what: string, rounds: number, app: string, topic: string, counts: Map<string, number>, run: DslRun) => {
    const result = await alternate(
      rounds,
      (round) => dsl(rill, `plain-${app}-${round}`, topic, counts, run),
      (round) => dsl(rill, `metered-${app}-${round}`, topic, counts, { ...run, metrics: true }),
      show(what),
    );
    progress.tick(`metrics, ${what}`);
    return result;
  };
  const inMemory = await compare('in memory', METRICS_ROUNDS ?? 30, 'wc', 'lines', counts1, inMemoryRun);
  const viaTopic = await compare('through the repartition topic', METRICS_ROUNDS ?? 20, 'wc4', 'lines4', counts4, viaTopicRun);
  return {
    what:
      "the word counts without the app's metrics against with them (a registry scraped every second), committing once, at the end; cost = 1 - (with / without) by time, cpuCost = 1 - (CPU without / CPU with); " +
      "medians of per-round ratios over alternating rounds, with bootstrap 95 % intervals; shown: the interval's upper end within the target; cpuUsPerRecord: process CPU-µs per word",
    inMemory: {
      note: 'the 1-partition word count, where a per-record cost would show most (runs of about a second of CPU: noisy)',
      ...againstCost(inMemory, 0.03, WORDS),
    },
    throughRepartitionTopic: { note: 'the 4-partition word count through the repartition topic', ...againstCost(viaTopic, 0.03, WORDS) },
  };
}

/** BENCH_DSL_ONLY=metrics: the input, the hand loop's counts to check against, and (e). */
async function metricsOnly(dir: string): Promise<void> {
  const rill = Rill.open({ dir: path.join(dir, 'wc') });
  const lines = await produceLines(rill, 'lines', 1);
  await produceLines(rill, 'lines4', 4);
  const counts1 = (await handLoop(rill, 'lines', 1, lines)).counts;
  const counts4 = (await handLoop(rill, 'lines4', 4, lines)).counts;
  const metrics = await metricsCost(rill, counts1, counts4, benchProgress('bench:dsl', 2));
  const entry = { measuredAt: new Date().toISOString(), quick: QUICK, words: WORDS, ...metrics };
  await rill.close();
  const brief = (x: { rounds: readonly unknown[] }) => ({ ...x, rounds: `${x.rounds.length} rounds` });
  console.log(JSON.stringify({ ...entry, inMemory: brief(entry.inMemory), throughRepartitionTopic: brief(entry.throughRepartitionTopic) }, null, 2));
  const results = path.join(__dirname, 'results');
  if (QUICK) fs.writeFileSync(path.join(results, 'dsl-metrics-quick.json'), JSON.stringify(entry, null, 2) + '\n');
  else {
    const file = path.join(results, 'dsl.json');
    const kept = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
    fs.writeFileSync(file, JSON.stringify({ ...kept, metricsCost: entry }, null, 2) + '\n');
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-dsl-'));
  try {
    if (ONLY === 'metrics') return await metricsOnly(dir);
    const startLoad = loadAverage();
    const rill = Rill.open({ dir: path.join(dir, 'wc') });
    const lines = await produceLines(rill, 'lines', 1);
    await produceLines(rill, 'lines4', 4);
    const rate = (s: number) => Math.round(WORDS / s);
    const inMemory = { loop: [] as number[], dsl: [] as number[], ratio: [] as number[] };
    const viaTopic = { loop: [] as number[], dsl: [] as number[], ratio: [] as number[] };
    let counts1 = new Map<string, number>();
    let counts4 = new Map<string, number>();
    const progress = benchProgress('bench:dsl', ROUNDS + 4);
    const inMemoryRun = { localRepartition: true };
    const viaTopicRun = { localRepartition: false };
    for (let round = 0; round < ROUNDS; round++) {
      const a = await handLoop(rill, 'lines', 1, lines);
      counts1 = a.counts;
      const b = await dsl(rill, `bench-wc-${round}`, 'lines', a.counts, inMemoryRun);
      inMemory.loop.push(rate(a.seconds));
      inMemory.dsl.push(rate(b.seconds));
      inMemory.ratio.push(a.seconds / b.seconds);
      const c = await handLoop(rill, 'lines4', 4, lines);
      counts4 = c.counts;
      const d = await dsl(rill, `bench-wc4-${round}`, 'lines4', c.counts, viaTopicRun);
      viaTopic.loop.push(rate(c.seconds));
      viaTopic.dsl.push(rate(d.seconds));
      viaTopic.ratio.push(c.seconds / d.seconds);
      console.log(
        `round ${round}: 1 partition, in memory: loop ${rate(a.seconds)} words/s, DSL ${rate(b.seconds)}, ratio ${(a.seconds / b.seconds).toFixed(3)}; ` +
          `4 partitions through the repartition topic: loop ${rate(c.seconds)}, DSL ${rate(d.seconds)}, ratio ${(c.seconds / d.seconds).toFixed(3)}`,
      );
      progress.tick(`round ${round + 1} of ${ROUNDS}`);
    }
    const show = (what: string) => (r: { ratio: number; cpuRatio: number }, round: number) =>
      console.log(`${what} round ${round}: ${r.ratio} by time, ${r.cpuRatio} by CPU`);
    const exactlyOnce = { ...inMemoryRun, processingGuarantee: 'exactly-once' as const };
    const eosInMemory = await alternate(
      AB_ROUNDS,
      (round) => dsl(rill, `alo-wc-${round}`, 'lines', counts1, inMemoryRun),
      (round) => dsl(rill, `eos-wc-${round}`, 'lines', counts1, exactlyOnce),
      show('exactly-once / at-least-once, in memory'),
    );
    progress.tick('exactly-once, in memory');
    const eosViaTopic = await alternate(
      AB_ROUNDS,
      (round) => dsl(rill, `alo-wc4-${round}`, 'lines4', counts4, viaTopicRun),
      (round) => dsl(rill, `eos-wc4-${round}`, 'lines4', counts4, { ...exactlyOnce, localRepartition: false }),
      show('exactly-once / at-least-once, through the repartition topic'),
    );
    progress.tick('exactly-once, through the repartition topic');
    const metrics = await metricsCost(rill, counts1, counts4, progress);
    await rill.close();
    const r = await restore(path.join(dir, 'restore'));
    console.log(`restore: ${r.keys} keys in ${r.seconds.toFixed(2)} s = ${r.recordsPerSecond} records/s`);
    const summary = (x: typeof inMemory, target: number, note: string) => ({
      handLoopWordsPerSecond: median(x.loop),
      dslWordsPerSecond: median(x.dsl),
      ratio: Number(median(x.ratio).toFixed(3)),
      ratiosPerRound: x.ratio.map((v) => Number(v.toFixed(3))),
      target,
      met: median(x.ratio) >= target,
      note,
    });
    const guarantees = (x: AbResult, note: string) => ({
      atLeastOnceWordsPerSecond: rate(median(x.rounds.map((r) => r.aSeconds))),
      exactlyOnceWordsPerSecond: rate(median(x.rounds.map((r) => r.bSeconds))),
      note,
      ...againstRatio(x, 0.8),
    });
    const result = {
      benchmark: 'dsl',
      date: new Date().toISOString(),
      quick: QUICK,
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadAverage: { start: startLoad, end: loadAverage() } },
      wordcount: {
        words: WORDS,
        lines,
        distinctWords: counts1.size,
        rounds: ROUNDS,
        checked: 'every DSL run: each word count equal to the hand loop before the figure is kept',
        inMemory: summary(
          inMemory,
          0.7,
          'one partition: the repartition before count is handed on in memory (localRepartition); start to caught up, changelog writes and offset commits included',
        ),
        throughRepartitionTopic: summary(
          viaTopic,
          0.2,
          'four partitions, four tasks in one instance; every word written to the repartition topic and read back; start to caught up',
        ),
      },
      exactlyOnce: {
        checked: 'every run: each word count equal to the hand loop before the figure is kept',
        what: "ratio: exactly-once's throughput / at-least-once's; cpuRatio: at-least-once's CPU / exactly-once's; medians of per-round ratios, alternating rounds, the default 1 s commit interval",
        inMemory: guarantees(eosInMemory, 'the 1-partition word count, exactly-once against at-least-once'),
        throughRepartitionTopic: guarantees(eosViaTopic, 'the 4-partition word count through the repartition topic, exactly-once against at-least-once'),
      },
      metricsCost: metrics,
      restore: {
        keys: r.keys,
        seconds: Number(r.seconds.toFixed(3)),
        recordsPerSecond: r.recordsPerSecond,
        target: 500_000,
        met: r.recordsPerSecond >= 500_000,
      },
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
