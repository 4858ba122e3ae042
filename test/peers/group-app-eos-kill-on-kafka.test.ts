// Issue 18, part 1, with exactly-once (issue 14): the word count on Apache
// Kafka, two instances sharing its tasks through a Kafka consumer group (the
// kafkajs LogClient), both with processingGuarantee 'exactly-once'. While
// lines are flowing, the instance in its own process is killed with SIGKILL
// right after a commit of its own, and restarted under the same instance id
// (its restart fences the killed incarnation, whose open transaction Kafka
// aborts) — twice. Every count the app wrote, read read_committed, must then be
// exactly 1, 2, ..., n per word: a record processed twice would repeat a
// count, one lost would leave a gap or a short total.
import type { ChildProcess } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaLogClient, type KafkaLogClient } from '../../core/client';
import { memoryLogger, RillStreams } from '../../dsl';
import { COUNTS, LINES, wordCountTopology } from '../../examples/wordcount/topology';
import { killAndWait } from '../support/ports';
import { rebalanceWaits } from '../support/rebalance-waits';
import { startKafka, type KafkaPeer } from './kafka/kafka-broker';
import { startWordCountChild, type WordCountChild } from './kafka/wordcount-child';
import { KILL_TEST_GROUP } from './kafka/wordcount-instance';

const APP = 'wc-eos-kill';
const PARTITIONS = 4;
const WAIT_MS = 90_000;
const KILLS = 2;
const LINES_TOTAL = 240;
const CHUNK = 8;
const VOCABULARY = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'];

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

/** Line i: two words, so every word's count grows through the run. */
function line(i: number): string {
  return `${VOCABULARY[i % VOCABULARY.length]} ${VOCABULARY[(i * 3 + 1) % VOCABULARY.length]}`;
}

/** The group's committed offsets of the input on these partitions, summed. */
async function committedInput(admin: KafkaLogClient, partitions: readonly number[]): Promise<number> {
  const committed = await admin.committedOffsets(APP, LINES);
  return partitions.reduce((sum, p) => sum + Math.max(0, committed.get(p) ?? 0), 0);
}

/**
 * Reads the app's output read_committed from the start until every word's
 * latest count is its expected total (or fails after WAIT_MS with what it saw);
 * every count each word got, in order.
 */
async function readCommittedCounts(expected: Map<string, number>): Promise<Map<string, number[]>> {
  const reader = new Kafka({ clientId: `${APP}-reader`, brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING });
  // kafkajs reads read_committed unless told readUncommitted.
  const consumer = reader.consumer({ groupId: `${APP}-reader`, readUncommitted: false, maxWaitTimeInMs: 100 });
  const seen = new Map<string, number[]>();
  const done = () => [...expected].every(([w, n]) => seen.get(w)?.at(-1) === n);
  await consumer.connect();
  await consumer.subscribe({ topic: COUNTS, fromBeginning: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the counts did not reach their totals in ${WAIT_MS} ms: ${JSON.stringify([...seen])}`)), WAIT_MS);
      void consumer.run({
        eachMessage: async ({ message }) => {
          const word = message.key!.toString();
          seen.set(word, [...(seen.get(word) ?? []), JSON.parse(message.value!.toString()) as number]);
          if (done()) resolve();
        },
      });
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return seen;
}

test('exactly-once on Apache Kafka: an instance killed with SIGKILL mid-stream twice, every word counted 1..n, none twice', async () => {
  const admin = client('test');
  await admin.ensureTopics([{ name: LINES, partitions: PARTITIONS }]);
  const events = rebalanceWaits(WAIT_MS);
  const a = new RillStreams(wordCountTopology(APP), {
    log: client('a'),
    logger: memoryLogger(),
    commitIntervalMs: 50,
    group: KILL_TEST_GROUP,
    processingGuarantee: 'exactly-once',
    instanceId: 'a',
    onRebalance: events.notify,
  });
  apps.push(a);
  await a.start();
  const startB = (): WordCountChild => {
    const started = startWordCountChild(kafka.bootstrap, APP, events.notify, 'b');
    child = started.process;
    return started;
  };
  let b = startB();
  const split = () =>
    events
      .until('a 2 + 2 split', () => a.assignedPartitions.length === 2 && b.assigned().length === 2)
      .catch((e: Error) => Promise.reject(new Error(`${e.message}; a has ${a.assignedPartitions}; the child printed:\n${b.output()}`)));
  await split();

  const expected = new Map<string, number>();
  const producer = admin.producer();
  let sent = 0;
  const sendChunk = async () => {
    const records = [];
    for (const end = Math.min(LINES_TOTAL, sent + CHUNK); sent < end; sent++) {
      for (const w of line(sent).split(' ')) expected.set(w, (expected.get(w) ?? 0) + 1);
      records.push({ key: null, value: Buffer.from(line(sent)), timestamp: Date.now(), partition: sent % PARTITIONS });
    }
    await producer.sendBatch(LINES, records);
  };

  for (let kill = 0; kill < KILLS; kill++) {
    // A chunk to both instances; once the child has committed a transaction of its own since the last kill,
    // another chunk, and the child is killed at once: with lines sent to it that it has not committed.
    const owned = b.assigned();
    const before = await committedInput(admin, owned);
    await sendChunk();
    for (const deadline = Date.now() + WAIT_MS; (await committedInput(admin, owned)) <= before; ) {
      if (Date.now() > deadline) throw new Error(`the child committed nothing of its partitions ${owned} in ${WAIT_MS} ms: ${b.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await sendChunk();
    await killAndWait(child!);
    b = startB();
    await split();
  }
  while (sent < LINES_TOTAL) await sendChunk();
  await producer.close();

  const counts = await readCommittedCounts(expected);
  for (const [word, total] of expected) expect({ word, counts: counts.get(word) }).toEqual({ word, counts: Array.from({ length: total }, (_, i) => i + 1) });
}, 300_000);
