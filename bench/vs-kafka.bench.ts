// npm run bench:vs-kafka — `rill broker` against Apache Kafka 4.x on one node,
// the same client for both (kafkajs), in one run (issue 18, part 3's first bench).
//
// Both brokers run as child processes on loopback (Kafka: one KRaft node in
// combined mode from the jars `npm run peers:kafka` fetched, 1 GB heap; Rill:
// `rill broker`). Per record size (100 B, 1 KB) and acks (1 and all): a kafkajs
// producer sends batches of BATCH records to a one-partition topic with
// IN_FLIGHT batches outstanding; then a kafkajs consumer reads them all from the
// beginning (clocked from its first batch, so the group join is not in it, and
// the records of that first batch are not counted either: a small run that
// arrives in one or two batches would otherwise show a rate of millions).
// Warm-up: the first round of each broker and scenario is run and dropped, the
// same for both (the JVM's JIT and Node's); then ROUNDS measured rounds.
// Each broker's CPU per million records and its RSS after the load are recorded too.
//
// On a shared machine the load moves a lot within a run (rates of one broker
// varied 3x between rounds at load average 20), so a ratio of two medians taken
// minutes apart says more about the load than about the brokers. Each round
// therefore runs both brokers back to back, in alternating order, and the
// ratio reported is the median of the rounds' own ratios (`ratio`), with their
// range (`ratioRange`) and each broker's range of rates, so the noise shows.
// Every topic is deleted after its round (the disk and page cache stay the
// same from round to round), and a consume that stops getting records fails
// the run with a message instead of waiting for ever.
// A second lane does the same with Kafka's own ProducerPerformance (after its
// own warm-up records; latency percentiles from it) and ConsumerPerformance
// (bench/vs-kafka-java.ts): the Java client costs far less per record than
// kafkajs, so the brokers' own speed shows.
// Results: bench/results/vs-kafka.json. Goal (issue 18): ahead of Apache Kafka
// on one node for produce and consume with the same client.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from '../test/peers/kafka/kafka-broker';
import { startRillBroker } from '../test/peers/rill-broker';
import { cpuMs, rssMb } from './proc-stats';
import { wordCountComparison } from './vs-kafka-wordcount';
import { consumerPerformance, JavaConsumeRate, JavaProduceRate, producerPerformance } from './vs-kafka-java';

const ROUNDS = Number(process.env.BENCH_VS_KAFKA_ROUNDS ?? 3);
/** Which phases run: `clients` (produce/consume) and `wordcount` (Kafka Streams against the Rill DSL). */
const PHASES = new Set((process.env.BENCH_VS_KAFKA_PHASES ?? 'clients,wordcount').split(','));
const BATCH = Number(process.env.BENCH_VS_KAFKA_BATCH ?? 100);
const IN_FLIGHT = Number(process.env.BENCH_VS_KAFKA_IN_FLIGHT ?? 4);
const SCENARIOS = [100, 1024].flatMap((recordBytes) =>
  [1, -1].map((acks) => ({
    recordBytes,
    acks,
    records: Number(recordBytes === 100 ? (process.env.BENCH_VS_KAFKA_RECORDS_100 ?? 200_000) : (process.env.BENCH_VS_KAFKA_RECORDS_1K ?? 100_000)),
  })),
);

interface Broker {
  name: 'rill' | 'kafka';
  bootstrap: string;
  pid: number;
  kafka: Kafka;
  stop(): Promise<void>;
}

interface Rate {
  msgsPerSec: number;
  mbPerSec: number;
  /** The broker process's user+system CPU per million records (Linux /proc). */
  brokerCpuMsPerMillion: number;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const median = <T extends { msgsPerSec: number }>(rates: T[]): T => [...rates].sort((a, b) => a.msgsPerSec - b.msgsPerSec)[Math.floor(rates.length / 2)];
const middle = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A consume with no new record for this long fails the run (a broker lost records, or stalled). */
const CONSUME_STALL_MS = 60_000;

/**
 * Rill against Kafka for one measure: the median of the rounds' own ratios
 * (both brokers ran back to back in a round, under the same load), their
 * range, and each broker's median round with the range of its rates.
 */
function compare<T extends { msgsPerSec: number }>(rill: T[], kafka: T[]) {
  const ratios = rill.map((r, i) => r.msgsPerSec / kafka[i].msgsPerSec);
  const range = (rates: T[]) => [Math.min(...rates.map((r) => r.msgsPerSec)), Math.max(...rates.map((r) => r.msgsPerSec))];
  return {
    rill: { ...median(rill), range: range(rill) },
    kafka: { ...median(kafka), range: range(kafka) },
    ratio: round(middle(ratios), 2),
    ratioRange: [round(Math.min(...ratios), 2), round(Math.max(...ratios), 2)],
  };
}

/**
 * Times `run` over `records` records of `recordBytes`, with the broker's CPU
 * meanwhile. `run` resolves with when its clock started and how many records
 * came before that (not counted in the rate).
 */
async function clocked(broker: Broker, records: number, recordBytes: number, run: () => Promise<{ start: bigint; before?: number }>): Promise<Rate> {
  const cpuBefore = cpuMs(broker.pid);
  const { start, before = 0 } = await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const timed = records - before;
  if (timed <= 0) throw new Error(`${broker.name}: all ${records} records came in the first batch: too few to time (raise BENCH_VS_KAFKA_RECORDS_*)`);
  return {
    msgsPerSec: Math.round(timed / seconds),
    mbPerSec: round((timed * recordBytes) / seconds / 1e6, 1),
    brokerCpuMsPerMillion: Math.round(((cpuMs(broker.pid) - cpuBefore) / records) * 1e6),
  };
}

async function createTopic(broker: Broker, topic: string): Promise<void> {
  const admin = broker.kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
}

async function deleteTopics(broker: Broker, topics: string[]): Promise<void> {
  const admin = broker.kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics });
  await admin.disconnect();
}

/** Sends `records` records in batches, IN_FLIGHT batches outstanding; resolves with the start time. */
async function produce(broker: Broker, topic: string, records: number, value: Buffer, acks: number): Promise<{ start: bigint }> {
  const producer = broker.kafka.producer();
  await producer.connect();
  const messages = Array.from({ length: BATCH }, () => ({ value }));
  let next = 0;
  const batches = Math.ceil(records / BATCH);
  const lane = async () => {
    while (next++ < batches) await producer.send({ topic, acks, messages });
  };
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  await producer.disconnect();
  return { start };
}

/** Reads `records` records from the beginning; resolves with the time of the first batch and its size. */
async function consume(broker: Broker, topic: string, records: number): Promise<{ start: bigint; before: number }> {
  const consumer = broker.kafka.consumer({ groupId: `${topic}-reader`, maxBytesPerPartition: 8 << 20, maxBytes: 32 << 20, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let start: bigint | undefined;
  let before = 0;
  let seen = 0;
  let stall: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const stalled = () =>
        reject(new Error(`${broker.name}: consuming ${topic} stopped at ${seen} of ${records} records (nothing for ${CONSUME_STALL_MS} ms)`));
      stall = setTimeout(stalled, CONSUME_STALL_MS);
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (start === undefined) {
            start = process.hrtime.bigint();
            before = batch.messages.length;
          }
          seen += batch.messages.length;
          stall?.refresh();
          if (seen >= records) resolve();
        },
      });
    });
  } finally {
    clearTimeout(stall);
    await consumer.disconnect();
  }
  return { start: start!, before };
}

async function startBrokers(): Promise<Broker[]> {
  const client = (bootstrap: string) => new Kafka({ clientId: 'bench-vs-kafka', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const rill = await startRillBroker();
  const kafka = await startKafka();
  return [
    { name: 'rill', bootstrap: rill.bootstrap, pid: rill.pid, kafka: client(rill.bootstrap), stop: rill.stop },
    { name: 'kafka', bootstrap: kafka.bootstrap, pid: kafka.pid, kafka: client(kafka.bootstrap), stop: kafka.stop },
  ];
}

/**
 * A run of one phase keeps the other phase's figures from the last file (with
 * the date and load of the run that measured them), so the file always holds both.
 */
function keepSkippedPhases<T extends { results: unknown[]; wordCount?: unknown }>(file: string, out: T): T & { earlierRun?: unknown } {
  if (PHASES.has('clients') && PHASES.has('wordcount')) return out;
  let before: Record<string, unknown>;
  try {
    before = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return out;
  }
  const kept = PHASES.has('clients') ? 'wordcount' : 'clients';
  // The run that measured the kept phase: the last file's own, or the one it kept too.
  const keptBefore = before.earlierRun as { phases?: string[] } | undefined;
  const earlierRun = keptBefore?.phases?.includes(kept) ? keptBefore : { date: before.date, loadAverage: before.loadAverage, phases: [kept] };
  if (!PHASES.has('clients')) return { ...out, results: before.results ?? [], rssAfterLoadMb: before.rssAfterLoadMb, earlierRun };
  return { ...out, wordCount: before.wordCount, earlierRun };
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg().map((l) => round(l, 2));
  if (loadAtStart[0] > os.cpus().length) {
    console.error(`load average ${loadAtStart[0]} on ${os.cpus().length} cores: the rates will be noisy; compare the ratios (paired per round), not the rates`);
  }
  const brokers = await startBrokers();
  const results = [];
  try {
    for (const s of PHASES.has('clients') ? SCENARIOS : []) {
      const value = Buffer.alloc(s.recordBytes, 'x');
      const produced: Record<string, Rate[]> = { rill: [], kafka: [] };
      const consumed: Record<string, Rate[]> = { rill: [], kafka: [] };
      const javaProduced: Record<string, JavaProduceRate[]> = { rill: [], kafka: [] };
      const javaConsumed: Record<string, JavaConsumeRate[]> = { rill: [], kafka: [] };
      // Round 0 is the warm-up, dropped for both brokers.
      for (let r = 0; r <= ROUNDS; r++) {
        // Alternating which broker goes first, so neither always runs after the other's load.
        for (const b of r % 2 === 0 ? brokers : [...brokers].reverse()) {
          const topic = `vs-${s.recordBytes}-acks${s.acks === -1 ? 'all' : s.acks}-${r}`;
          await createTopic(b, topic);
          const p = await clocked(b, s.records, s.recordBytes, () => produce(b, topic, s.records, value, s.acks));
          const c = await clocked(b, s.records, s.recordBytes, () => consume(b, topic, s.records));
          console.error(
            `${s.recordBytes} B acks=${s.acks} ${r === 0 ? 'warm-up' : `round ${r}`} ${b.name}: produce ${p.msgsPerSec}/s, consume ${c.msgsPerSec}/s`,
          );
          if (r === 0) {
            await deleteTopics(b, [topic]);
            continue;
          }
          produced[b.name].push(p);
          consumed[b.name].push(c);
          await createTopic(b, `${topic}-java`);
          const jp = await producerPerformance(
            b.bootstrap,
            `${topic}-java`,
            s.records,
            Math.round(s.records / 4),
            s.recordBytes,
            s.acks === -1 ? 'all' : String(s.acks),
          );
          const jc = await consumerPerformance(b.bootstrap, `${topic}-java`, s.records);
          console.error(`  ProducerPerformance ${jp.msgsPerSec}/s (p99 ${jp.p99Ms} ms), ConsumerPerformance ${jc.msgsPerSec}/s`);
          javaProduced[b.name].push(jp);
          javaConsumed[b.name].push(jc);
          await deleteTopics(b, [topic, `${topic}-java`]);
        }
      }
      results.push({
        recordBytes: s.recordBytes,
        acks: s.acks === -1 ? 'all' : String(s.acks),
        records: s.records,
        // ratio: the median over rounds of Rill's records/s over Apache Kafka's in that round (> 1: Rill ahead).
        produce: compare(produced.rill, produced.kafka),
        consume: compare(consumed.rill, consumed.kafka),
        javaProduce: compare(javaProduced.rill, javaProduced.kafka),
        javaConsume: compare(javaConsumed.rill, javaConsumed.kafka),
      });
    }
    const [rill, kafka] = brokers;
    const wordCount = PHASES.has('wordcount') ? await wordCountComparison(rill, kafka, ROUNDS, (line) => console.error(line)) : undefined;
    const rssAfterLoadMb = Object.fromEntries(brokers.map((b) => [b.name, rssMb(b.pid)]));
    const out = {
      bench: 'vs-kafka',
      date: new Date().toISOString(),
      node: process.version,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      loadAverage: { atStart: loadAtStart, atEnd: os.loadavg().map((l) => round(l, 2)) },
      rounds: ROUNDS,
      warmUp: 'one round per broker and scenario, dropped',
      pairing: 'each round runs both brokers back to back (order alternating); ratio = median of the per-round ratios, ratioRange their min and max',
      batch: BATCH,
      inFlight: IN_FLIGHT,
      peers: {
        rill: 'kafkajs 2.x -> rill broker (one partition)',
        kafka: 'kafkajs 2.x -> Apache Kafka 4.4.0, one KRaft node (broker+controller), JDK 17, -Xmx1g G1 (one partition)',
        java: "javaProduce/javaConsume: Kafka 4.4.0's ProducerPerformance (batch.size 64 KB, linger 5 ms, a quarter more records as its warm-up) and ConsumerPerformance (fetch rate) against each",
      },
      goal: 'rill ahead of Apache Kafka (ratio > 1) for produce and consume with the same client',
      rssAfterLoadMb,
      results,
      wordCount,
    };
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    const file = path.join(__dirname, 'results', 'vs-kafka.json');
    fs.writeFileSync(file, JSON.stringify(keepSkippedPhases(file, out), null, 2) + '\n');
    console.log(
      JSON.stringify({
        rssAfterLoadMb,
        results: results.map((r) => ({
          recordBytes: r.recordBytes,
          acks: r.acks,
          produce: r.produce.ratio,
          consume: r.consume.ratio,
          javaProduce: r.javaProduce.ratio,
          javaConsume: r.javaConsume.ratio,
        })),
        wordCount: wordCount?.againstKafkaStreamsOnKafka,
      }),
    );
  } finally {
    for (const b of brokers) await b.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
