// Word count, Kafka Streams against the Rill DSL (issue 18, part 3's second
// bench), as one phase of bench/vs-kafka.bench.ts.
//
// The same input for every lane: lines of 10 words drawn (seeded) from a
// 10 000-word vocabulary, already in a 2-partition topic before the clock
// starts. The same job: split into words, re-key by word through a
// repartition topic, count into a store with a changelog, write every count
// to an output topic; one stream thread or task runner, a 1 s commit
// interval, at-least-once. Lanes:
//   kafkaStreamsOnKafka   Kafka Streams 4.4 (its own JVM) on Apache Kafka
//   rillOnEmbedded        the Rill DSL on the embedded log (one process)
//   rillOnRillBroker      the Rill DSL (this process) on `rill broker`
//   kafkaStreamsOnRill    Kafka Streams on `rill broker`
// Each lane first runs the job over a warm-up topic and drops that (the JIT's
// warm-up, the JVM's and Node's alike), then runs it over the measured topic,
// timed from start until the group has committed the input and the
// repartition topic to their ends. A figure counts only if every word's count
// is right. CPU: the stream processor's own (the JVM's, or this process's;
// with the embedded log that includes the log) and the broker's, per million
// words. Rounds alternate the lanes' order; the ratios are medians of each
// round's own ratios, as in the produce/consume phase.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Kafka } from 'kafkajs';
import { protocolLogClient, Rill, type LogClient } from '../core/client';
import { jsonSerde, stringSerde } from '../core/schema';
import { RillStreams, StreamsBuilder, count, flatMapValues, selectKey, silentLogger, to } from '../dsl';
import { runJava } from '../test/peers/kafka/jvm';
import { cpuMs } from './proc-stats';
import { uniform } from './seeded-random';

const WORDS = Number(process.env.BENCH_VS_KAFKA_WC_WORDS ?? 2_000_000);
const WARM_UP_WORDS = Number(process.env.BENCH_VS_KAFKA_WC_WARM_UP_WORDS ?? 500_000);
const WORDS_PER_LINE = 10;
const PARTITIONS = 2;
const VOCABULARY = Array.from({ length: 10_000 }, (_, i) => `w${i.toString(36)}`);
const JVM_OPTIONS = ['-Xmx1g'];

export interface WordCountBroker {
  name: 'rill' | 'kafka';
  bootstrap: string;
  pid: number;
  kafka: Kafka;
}

export type WordCountLane = 'kafkaStreamsOnKafka' | 'rillOnEmbedded' | 'rillOnRillBroker' | 'kafkaStreamsOnRill';
const LANES: WordCountLane[] = ['kafkaStreamsOnKafka', 'rillOnEmbedded', 'rillOnRillBroker', 'kafkaStreamsOnRill'];

export interface WordCountRun {
  wordsPerSec: number;
  seconds: number;
  /** The stream processor's CPU (the JVM's, or this process's) per million words. */
  processorCpuMsPerMillionWords: number;
  /** The broker's CPU per million words (none for the embedded log: it is in the processor's). */
  brokerCpuMsPerMillionWords?: number;
  /** Words per CPU second of the processor and its broker together. */
  wordsPerCpuSecond: number;
}

interface Input {
  lines: string[];
  expected: Map<string, number>;
}

function makeInput(words: number, seed: number): Input {
  const next = uniform(seed);
  const lines: string[] = [];
  const expected = new Map<string, number>();
  for (let i = 0; i < Math.ceil(words / WORDS_PER_LINE); i++) {
    const line: string[] = [];
    for (let w = 0; w < WORDS_PER_LINE; w++) {
      const word = VOCABULARY[Math.floor(next(VOCABULARY.length))];
      line.push(word);
      expected.set(word, (expected.get(word) ?? 0) + 1);
    }
    lines.push(line.join(' '));
  }
  return { lines, expected };
}

async function fillOverKafkaProtocol(kafka: Kafka, topic: string, input: Input): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < input.lines.length; i += 2000) {
    const messages = input.lines.slice(i, i + 2000).map((value, j) => ({ value, partition: (i + j) % PARTITIONS }));
    await producer.send({ topic, acks: 1, messages });
  }
  await producer.disconnect();
}

async function fillEmbedded(rill: Rill, topic: string, input: Input): Promise<void> {
  await rill.admin.createTopics([{ name: topic, partitions: PARTITIONS }]);
  const producer = rill.producer({ batchSize: 1024 * 1024, idempotent: false });
  for (let i = 0; i < input.lines.length; i += 10_000) {
    await producer.send(
      topic,
      input.lines.slice(i, i + 10_000).map((value, j) => ({ value, partition: (i + j) % PARTITIONS })),
    );
  }
  await producer.close();
}

function wrongCounts(what: string, counted: (word: string) => number | undefined, size: number, expected: Map<string, number>): void {
  const wrong = [...expected].filter(([w, n]) => counted(w) !== n);
  if (wrong.length > 0 || size !== expected.size) {
    const e = wrong.slice(0, 3).map(([w, n]) => `${w}: ${counted(w)} counted, ${n} expected`);
    throw new Error(`${what}: ${wrong.length} word(s) counted wrong (${e.join('; ')}), ${size} words counted, ${expected.size} expected`);
  }
}

function wordCountTopology(app: string, input: string) {
  const b = new StreamsBuilder(app);
  b.stream(input, { key: stringSerde(), value: stringSerde() }).pipe(
    flatMapValues((line) => line.split(' ')),
    selectKey((r) => r.value, { keySerde: stringSerde() }),
    count({ store: 'counts', keySerde: stringSerde(), valueSerde: jsonSerde<number>() }),
    to(`${app}-counts`, { key: stringSerde(), value: jsonSerde<number>() }),
  );
  return b.build();
}

/** Runs the DSL word count over `input` to its end; its seconds and this process's CPU ms meanwhile. */
async function rillWordCount(log: Rill | LogClient, app: string, input: string, expected?: Map<string, number>): Promise<{ seconds: number; cpuMs: number }> {
  const streams = new RillStreams(wordCountTopology(app, input), {
    log,
    logger: silentLogger,
    commitIntervalMs: 1000,
    // Through a real repartition topic, as Kafka Streams does.
    localRepartition: false,
    taskAssignment: 'all',
  });
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  await streams.start();
  await streams.waitUntilCaughtUp();
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  const used = process.cpuUsage(cpu);
  if (expected !== undefined) {
    const store = streams.store<string, number>('counts');
    wrongCounts(`Rill DSL (${app})`, (w) => store.get(w), store.size, expected);
  }
  await streams.stop();
  return { seconds, cpuMs: (used.user + used.system) / 1000 };
}

/** Runs StreamsWordCountBench (warm-up, then measured) and checks the counts it read back from its output. */
async function kafkaStreamsWordCount(bootstrap: string, warmUpTopic: string, topic: string, app: string, expected: Map<string, number>) {
  const countsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-wc-')), 'counts.tsv');
  try {
    const run = await runJava('dev.rill.peers.StreamsWordCountBench', [bootstrap, warmUpTopic, topic, app, countsFile], {
      jvmOptions: JVM_OPTIONS,
      lifetimeMs: 15 * 60_000,
    });
    const result = /^RESULT (.*)$/m.exec(run.stdout);
    if (run.code !== 0 || !result) throw new Error(`Kafka Streams word count failed (exit ${run.code}): ${run.stdout.slice(-2000)}${run.stderr.slice(-2000)}`);
    const counted = new Map(
      fs
        .readFileSync(countsFile, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => {
          const [word, n] = l.split('\t');
          return [word, Number(n)] as const;
        }),
    );
    wrongCounts(`Kafka Streams (${app} on ${bootstrap})`, (w) => counted.get(w), counted.size, expected);
    return JSON.parse(result[1]) as { seconds: number; cpuMs: number };
  } finally {
    fs.rmSync(path.dirname(countsFile), { recursive: true, force: true });
  }
}

function figures(seconds: number, processorCpuMs: number, brokerCpuMs?: number): WordCountRun {
  const perMillion = (ms: number) => Math.round((ms / WORDS) * 1e6);
  const totalCpuSeconds = (processorCpuMs + (brokerCpuMs ?? 0)) / 1000;
  return {
    wordsPerSec: Math.round(WORDS / seconds),
    seconds: Math.round(seconds * 100) / 100,
    processorCpuMsPerMillionWords: perMillion(processorCpuMs),
    ...(brokerCpuMs === undefined ? {} : { brokerCpuMsPerMillionWords: perMillion(brokerCpuMs) }),
    wordsPerCpuSecond: Math.round(WORDS / totalCpuSeconds),
  };
}

const middle = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round2 = (n: number) => Math.round(n * 100) / 100;

/** Every lane, `rounds` times in alternating order; each lane's median round and the per-round ratios against Kafka Streams on Kafka. */
export async function wordCountComparison(rill: WordCountBroker, kafka: WordCountBroker, rounds: number, report: (line: string) => void) {
  const warmUp = makeInput(WARM_UP_WORDS, 7);
  const measured = makeInput(WORDS, 42);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-bench-wc-embedded-'));
  const embedded = Rill.open({ dir });
  const remote = protocolLogClient({ brokers: [rill.bootstrap], clientId: 'bench-vs-kafka-wc' });
  const runs: Record<WordCountLane, WordCountRun[]> = { kafkaStreamsOnKafka: [], rillOnEmbedded: [], rillOnRillBroker: [], kafkaStreamsOnRill: [] };
  try {
    await fillOverKafkaProtocol(kafka.kafka, 'wc-warm-up', warmUp);
    await fillOverKafkaProtocol(kafka.kafka, 'wc-input', measured);
    await fillOverKafkaProtocol(rill.kafka, 'wc-warm-up', warmUp);
    await fillOverKafkaProtocol(rill.kafka, 'wc-input', measured);
    await fillEmbedded(embedded, 'wc-warm-up', warmUp);
    await fillEmbedded(embedded, 'wc-input', measured);
    for (let r = 0; r < rounds; r++) {
      const app = `wc-r${r}`;
      for (const lane of r % 2 === 0 ? LANES : [...LANES].reverse()) {
        let run: WordCountRun;
        if (lane === 'rillOnEmbedded') {
          await rillWordCount(embedded, `${app}-warm-up`, 'wc-warm-up');
          const m = await rillWordCount(embedded, app, 'wc-input', measured.expected);
          run = figures(m.seconds, m.cpuMs);
        } else if (lane === 'rillOnRillBroker') {
          await rillWordCount(remote, `${app}-rill-warm-up`, 'wc-warm-up');
          const before = cpuMs(rill.pid);
          const m = await rillWordCount(remote, `${app}-rill`, 'wc-input', measured.expected);
          run = figures(m.seconds, m.cpuMs, cpuMs(rill.pid) - before);
        } else {
          const broker = lane === 'kafkaStreamsOnKafka' ? kafka : rill;
          // The broker's CPU over the JVM's whole run (warm-up included), scaled to the measured share of the words.
          const before = cpuMs(broker.pid);
          const m = await kafkaStreamsWordCount(broker.bootstrap, 'wc-warm-up', 'wc-input', `${app}-ks`, measured.expected);
          const brokerMs = ((cpuMs(broker.pid) - before) * WORDS) / (WORDS + WARM_UP_WORDS);
          run = figures(m.seconds, m.cpuMs, brokerMs);
        }
        runs[lane].push(run);
        report(`word count round ${r + 1} ${lane}: ${run.wordsPerSec} words/s, ${run.wordsPerCpuSecond} words per CPU second`);
      }
    }
  } finally {
    await remote.close();
    await embedded.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const base = runs.kafkaStreamsOnKafka;
  const ratio = (lane: WordCountLane, of: (r: WordCountRun) => number) => {
    const per = runs[lane].map((run, i) => of(run) / of(base[i]));
    return { ratio: round2(middle(per)), ratioRange: [round2(Math.min(...per)), round2(Math.max(...per))] };
  };
  const medianRun = (lane: WordCountLane) => [...runs[lane]].sort((a, b) => a.wordsPerSec - b.wordsPerSec)[Math.floor(runs[lane].length / 2)];
  return {
    words: WORDS,
    warmUpWords: WARM_UP_WORDS,
    partitions: PARTITIONS,
    job: 'split lines into words, re-key by word through a repartition topic, count into a store with a changelog, every count to an output topic; one stream thread / task runner, commit interval 1 s, at-least-once, the rest defaults (Kafka Streams: its 10 MB record cache)',
    clock: 'from start until the group has committed the input and the repartition topic to their ends; counts checked word by word',
    goal: 'Rill DSL >= 0.5 of Kafka Streams on Apache Kafka in words/s',
    lanes: Object.fromEntries(LANES.map((lane) => [lane, { median: medianRun(lane), rounds: runs[lane] }])),
    againstKafkaStreamsOnKafka: Object.fromEntries(
      LANES.filter((l) => l !== 'kafkaStreamsOnKafka').map((lane) => [
        lane,
        { wordsPerSec: ratio(lane, (x) => x.wordsPerSec), wordsPerCpuSecond: ratio(lane, (x) => x.wordsPerCpuSecond) },
      ]),
    ),
  };
}
