// Kafka's own load tools, ProducerPerformance and ConsumerPerformance
// (org.apache.kafka.tools, kafka-producer-perf-test / kafka-consumer-perf-test),
// as one lane of bench/vs-kafka.bench.ts: the Java client, which costs its side
// far less per record than kafkajs, so the broker's own speed shows.
import { runJava } from '../test/peers/kafka/jvm';

/** The tools' JVMs run with the default JIT (not the peer tests' fast-start options): they are measured. */
const PERF_JVM_OPTIONS = ['-Xmx1g'];
const LIFETIME_MS = 300_000;

export interface JavaProduceRate {
  msgsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Produces `records` records of `recordBytes` as fast as the producer can (batch.size 64 KB, linger 5 ms),
 * after `warmupRecords` more that are not counted (the tool's --warmup-records: its steady-state line).
 */
export async function producerPerformance(
  bootstrap: string,
  topic: string,
  records: number,
  warmupRecords: number,
  recordBytes: number,
  acks: string,
): Promise<JavaProduceRate> {
  const run = await runJava(
    'org.apache.kafka.tools.ProducerPerformance',
    [
      '--bootstrap-server',
      bootstrap,
      '--topic',
      topic,
      '--num-records',
      String(records + warmupRecords),
      '--warmup-records',
      String(warmupRecords),
      '--record-size',
      String(recordBytes),
      '--throughput',
      '-1',
      '--producer-props',
      `acks=${acks}`,
      'batch.size=65536',
      'linger.ms=5',
      'enable.idempotence=false',
    ],
    { jvmOptions: PERF_JVM_OPTIONS, lifetimeMs: LIFETIME_MS },
  );
  // "N steady state records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P ms 50th, P ms 95th, P ms 99th, P ms 99.9th."
  const line = run.stdout.split('\n').find((l) => l.includes('steady state records sent'));
  const m =
    line && /([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, [\d.]+ ms max latency, (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(line);
  if (run.code !== 0 || !m) throw new Error(`ProducerPerformance failed (exit ${run.code}): ${run.stdout.slice(-2000)}${run.stderr.slice(-2000)}`);
  return { msgsPerSec: Math.round(Number(m[1])), mbPerSec: Number(m[2]), avgLatencyMs: Number(m[3]), p50Ms: Number(m[4]), p99Ms: Number(m[5]) };
}

export interface JavaConsumeRate {
  msgsPerSec: number;
  mbPerSec: number;
}

/** Reads `records` records from the beginning; the rate over the fetch time (the tool's fetch.nMsg.sec, the group join left out). */
export async function consumerPerformance(bootstrap: string, topic: string, records: number): Promise<JavaConsumeRate> {
  const run = await runJava(
    'org.apache.kafka.tools.ConsumerPerformance',
    ['--bootstrap-server', bootstrap, '--topic', topic, '--num-records', String(records), '--timeout', '60000'],
    {
      jvmOptions: PERF_JVM_OPTIONS,
      lifetimeMs: LIFETIME_MS,
    },
  );
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const lines = run.stdout.trim().split('\n');
  const header = lines.findIndex((l) => l.includes('fetch.nMsg.sec'));
  const cols = header >= 0 ? lines[header + 1]?.split(',').map((c) => c.trim()) : undefined;
  if (run.code !== 0 || !cols || cols.length < 10 || Number(cols[4]) < records)
    throw new Error(`ConsumerPerformance failed (exit ${run.code}): ${run.stdout.slice(-2000)}${run.stderr.slice(-2000)}`);
  return { msgsPerSec: Math.round(Number(cols[9])), mbPerSec: Number(cols[8]) };
}
