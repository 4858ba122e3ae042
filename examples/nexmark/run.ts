// Running a Nexmark query on the embedded log: write generated events to
// `nexmark-events` (event i to partition i mod P, record timestamp = event
// time, no key, as a generator with P parallel instances would), run the
// query's app from the start until it has caught up, read its output back.
import { rillLogClient, type Rill } from '../../core/client';
import { RillStreams, silentLogger, type StreamsConfig } from '../../dsl';
import { readTopic, type ReadRecord } from '../support/run-example';
import { EVENTS_TOPIC, eventSerde, eventTime, type Event } from './model';
import { nexmarkQuery, outputKeySerde, outputSerdes, outputTopic, type NexmarkOptions, type QueryName } from './queries';

/** Creates the events topic with `partitions` partitions and writes the events; returns how many. */
export async function writeEvents(rill: Rill, events: Iterable<Event>, partitions: number): Promise<number> {
  await rill.admin.createTopics([{ name: EVENTS_TOPIC, partitions }]);
  const producer = rill.producer({ batchSize: 1024 * 1024, idempotent: false });
  const serde = eventSerde();
  let n = 0;
  let chunk: { value: Buffer; timestamp: number; partition: number }[] = [];
  for (const e of events) {
    const bytes = serde.serialize(e);
    if (bytes._tag === 'Left') throw new Error(`Event ${n} does not fit the Event schema: ${bytes.left.message}`);
    chunk.push({ value: bytes.right, timestamp: eventTime(e), partition: n % partitions });
    n++;
    if (chunk.length === 10_000) {
      await producer.send(EVENTS_TOPIC, chunk);
      chunk = [];
    }
  }
  if (chunk.length > 0) await producer.send(EVENTS_TOPIC, chunk);
  await producer.close();
  return n;
}

export interface QueryRun {
  /** Wall time from start() until caught up, seconds. */
  wallSeconds: number;
  /** Process CPU time (user + system) from start() until caught up (and flushed, with `flushWindows`), seconds. */
  cpuSeconds: number;
  /** With `flushWindows`: wall time of the flush after catching up, seconds (mostly waiting for a clock tick). */
  flushSeconds?: number;
  /** The measured span on the monotonic clock (µs, as V8's CPU profiles): to summarise a profile of the run only. */
  spanUs: [number, number];
}

export interface RunOptions {
  /**
   * After catching up, move the app's wall clock a day ahead so that every
   * window still open closes (the query must set closeAfterIdleMs) and wait
   * until what that emits is processed: the end of a finite input, made
   * explicit. Polls the log, so not for tests.
   */
  flushWindows?: boolean;
}

const DAY = 24 * 3600 * 1000;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the query's app on the events already written, from the start until it has caught up, then stops it. */
export async function runQuery(
  rill: Rill,
  query: QueryName,
  options: NexmarkOptions = {},
  config: Partial<Omit<StreamsConfig, 'log'>> = {},
  run: RunOptions = {},
): Promise<QueryRun> {
  let clockOffset = 0;
  const now = () => Date.now() + clockOffset;
  const topology = nexmarkQuery(query, options);
  // One instance runs every task ('all'): no consumer-group rebalance at start, during which
  // waitUntilCaughtUp can return before any task exists (issue 13).
  const app = new RillStreams(topology, {
    log: rill,
    logger: silentLogger,
    commitIntervalMs: 1000,
    taskAssignment: 'all',
    ...(run.flushWindows ? { now, wallClockTickMs: 100 } : {}),
    ...config,
  });
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  const seconds = () => Number(process.hrtime.bigint() - t) / 1e9;
  try {
    await app.start();
    await app.waitUntilCaughtUp();
    const wallSeconds = seconds();
    let flushSeconds: number | undefined;
    if (run.flushWindows) {
      clockOffset = DAY;
      // The windows close at the next tick; their results may go through a repartition topic to a next step,
      // and writes reach the log by the next commit: done once nothing moved for longer than a commit interval.
      const topics = [outputTopic(query), ...topology.repartitionTopics];
      let last = -1;
      for (let stable = 0; stable < 6; ) {
        await pause(250);
        await app.waitUntilCaughtUp();
        let written = 0;
        for (const topic of topics) written += await endOffsets(rill, topic);
        stable = written === last ? stable + 1 : 0;
        last = written;
      }
      flushSeconds = seconds() - wallSeconds;
    }
    const used = process.cpuUsage(cpu);
    const startUs = Number(t / 1000n);
    return { wallSeconds, cpuSeconds: (used.user + used.system) / 1e6, flushSeconds, spanUs: [startUs, startUs + Math.round(seconds() * 1e6)] };
  } finally {
    await app.stop();
  }
}

async function endOffsets(rill: Rill, topic: string): Promise<number> {
  return (await rill.admin.fetchTopicOffsets(topic)).reduce((s, o) => s + o.highWatermark, 0);
}

/** The query's output records (all partitions), decoded. */
export async function readOutput(rill: Rill, query: QueryName): Promise<ReadRecord<number | null, unknown>[]> {
  return readTopic(rillLogClient(rill), outputTopic(query), outputKeySerde, outputSerdes[query] as never);
}
