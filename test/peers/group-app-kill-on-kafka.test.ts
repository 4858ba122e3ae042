// Issue 18, part 1: a stateful Rill application on Apache Kafka, two instances
// sharing its tasks through a Kafka consumer group (the kafkajs LogClient). One
// instance is its own process and is killed with SIGKILL once everything it was
// given is processed and committed: the group moves its tasks to the other,
// which restores their counts from the changelogs on Kafka. The counts are then
// exact: nothing was left to process again, so every count came back through
// its changelog.
import type { ChildProcess } from 'node:child_process';
import { kafkaLogClient, type KafkaLogClient } from '../../core/client';
import { memoryLogger, RillStreams, type RebalanceEvent } from '../../dsl';
import { LINES, wordCountTopology } from '../../examples/wordcount/topology';
import { killAndWait } from '../support/ports';
import { rebalanceWaits } from '../support/rebalance-waits';
import { startKafka, type KafkaPeer } from './kafka/kafka-broker';
import { startWordCountChild, type WordCountChild } from './kafka/wordcount-child';
import { KILL_TEST_GROUP } from './kafka/wordcount-instance';

const APP = 'wc-kill';
const PARTITIONS = 4;
const WAIT_MS = 60_000;

let kafka: KafkaPeer;
let child: ChildProcess | undefined;
const clients: KafkaLogClient[] = [];
const apps: RillStreams[] = [];

beforeAll(async () => {
  kafka = await startKafka({ lifetimeMs: 10 * 60_000 });
}, 180_000);
afterAll(async () => {
  if (child) await killAndWait(child);
  for (const a of apps) await a.stop().catch(() => undefined);
  for (const c of clients) await c.close().catch(() => undefined);
  await kafka?.stop();
});

function client(name: string): KafkaLogClient {
  const c = kafkaLogClient({ brokers: [kafka.bootstrap], clientId: `${APP}-${name}` });
  clients.push(c);
  return c;
}

/** Starts the other instance as a process; `onRebalance` hears each of its rebalances. */
function startChild(onRebalance: (e: RebalanceEvent) => void): WordCountChild {
  const started = startWordCountChild(kafka.bootstrap, APP, onRebalance);
  child = started.process;
  return started;
}

/** Every input and repartition record committed by the group (both instances' work). */
async function committedEverything(admin: KafkaLogClient): Promise<boolean> {
  for (const topic of [LINES, `${APP}-word-counts-repartition`]) {
    const committed = await admin.committedOffsets(APP, topic);
    for (const e of await admin.offsets(topic)) if (e.end > 0 && (committed.get(e.partition) ?? -1) < e.end) return false;
  }
  return true;
}

test('an instance killed with SIGKILL: its tasks move to the other, their counts restored from the changelogs on Kafka', async () => {
  const admin = client('test');
  await admin.ensureTopics([{ name: LINES, partitions: PARTITIONS }]);
  const events = rebalanceWaits(WAIT_MS);
  const a = new RillStreams(wordCountTopology(APP), {
    log: client('a'),
    logger: memoryLogger(),
    commitIntervalMs: 50,
    group: KILL_TEST_GROUP,
    onRebalance: events.notify,
  });
  apps.push(a);
  await a.start();
  const b = startChild(events.notify);
  await events
    .until('a 2 + 2 split', () => a.assignedPartitions.length === 2 && b.assigned().length === 2)
    .catch((e: Error) => Promise.reject(new Error(`${e.message}; a has ${a.assignedPartitions}; the child printed:\n${b.output()}`)));

  const vocabulary = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
  const counts = new Map<string, number>();
  const records = Array.from({ length: 40 }, (_, i) => {
    const words = [vocabulary[i % 6], vocabulary[(i * 5 + 1) % 6]];
    for (const w of words) counts.set(w, (counts.get(w) ?? 0) + 1);
    return { key: null, value: Buffer.from(words.join(' ')), timestamp: Date.now(), partition: i % PARTITIONS };
  });
  const producer = admin.producer();
  await producer.sendBatch(LINES, records);
  await producer.close();
  // a's own work, then the child's: committed offsets at every end (the child's commits follow its changelog writes).
  for (let round = 0; !(await a.waitUntilCaughtUp().then(() => committedEverything(admin))); round++) {
    if (round > 200) throw new Error(`the group did not commit everything: ${b.output()}`);
  }

  await killAndWait(child!);
  child = undefined;
  await events.until('a to own every partition', () => a.assignedPartitions.length === PARTITIONS);
  await a.waitUntilCaughtUp();
  const after = new Map<string, number>();
  for (const w of counts.keys()) {
    const r = await a.queryKey<string, number>('word-counts', w);
    if (r.hosted && r.value !== undefined) after.set(w, r.value);
  }
  expect(after).toEqual(counts);
}, 240_000);
