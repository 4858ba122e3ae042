// Running a Nexmark query on the embedded log: write generated events to
// `nexmark-events` (event i to partition i mod P, record timestamp = event
// time, no key, as a generator with P parallel instances would), run the
// query's app from the start until it has caught up, read its output back.
import type { Rill } from '../../core/client';
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
  /** Process CPU time (user + system) over the same span, seconds. */
  cpuSeconds: number;
}

/** Runs the query's app on the events already written, from the start until it has caught up, then stops it. */
export async function runQuery(rill: Rill, query: QueryName, options: NexmarkOptions = {}, config: Partial<Omit<StreamsConfig, 'log'>> = {}): Promise<QueryRun> {
  const app = new RillStreams(nexmarkQuery(query, options), { log: rill, logger: silentLogger, commitIntervalMs: 1000, ...config });
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  try {
    await app.start();
    await app.waitUntilCaughtUp();
    const wallSeconds = Number(process.hrtime.bigint() - t) / 1e9;
    const used = process.cpuUsage(cpu);
    return { wallSeconds, cpuSeconds: (used.user + used.system) / 1e6 };
  } finally {
    await app.stop();
  }
}

/** The query's output records (all partitions), decoded. */
export async function readOutput(rill: Rill, query: QueryName): Promise<ReadRecord<number | null, unknown>[]> {
  return readTopic(rill, outputTopic(query), outputKeySerde, outputSerdes[query] as never);
}
