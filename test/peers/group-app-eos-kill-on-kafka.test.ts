// Issue 18, part 1, with exactly-once (issue 14): the word count on Apache
// Kafka, two instances sharing its tasks through a Kafka consumer group (the
// kafkajs LogClient), both with processingGuarantee 'exactly-once'. While
// lines are flowing, the instance in its own process is killed with SIGKILL
// right after a commit of its own, and restarted under the same instance id
// (its restart fences the killed incarnation, whose open transaction Kafka
// aborts) — twice. Every count the app wrote, read read_committed, must then be
// exactly 1, 2, ..., n per word: a record processed twice would repeat a
// count, one lost would leave a gap or a short total.
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaLogClient } from '../../core/client';
import { memoryLogger } from '../../dsl';
import { COUNTS, LINES } from '../../examples/wordcount/topology';
import { rebalanceWaits } from '../support/rebalance-waits';
import { wordCountKillFixture } from './kafka/wordcount-child';
import { wordCountInstance } from './kafka/wordcount-instance';

const APP = 'wc-eos-kill';
const PARTITIONS = 4;
const WAIT_MS = 90_000;
const KILLS = 2;
const LINES_TOTAL = 240;
const CHUNK = 8;
const VOCABULARY = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'];

const fixture = wordCountKillFixture(APP);
const client = fixture.client;

/** Where the group and the topics stand, and what the instances logged: for a failure's message. */
async function groupState(admin: KafkaLogClient, logs: string): Promise<string> {
  const lines = [];
  for (const topic of [LINES, `${APP}-word-counts-repartition`, `${APP}-word-counts-changelog`, COUNTS]) {
    const committed = await admin.committedOffsets(APP, topic).catch(() => new Map<number, number>());
    const ends = await admin.offsets(topic).catch((e: Error) => e.message);
    lines.push(`${topic}: ends ${JSON.stringify(ends)}, committed ${JSON.stringify([...committed])}`);
  }
  return `${lines.join('\n')}\n${logs}`;
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
async function readCommittedCounts(expected: Map<string, number>, diagnose: () => Promise<string>): Promise<Map<string, number[]>> {
  const reader = new Kafka({ clientId: `${APP}-reader`, brokers: [fixture.bootstrap()], logLevel: logLevel.NOTHING });
  // kafkajs reads read_committed unless told readUncommitted.
  const consumer = reader.consumer({ groupId: `${APP}-reader`, readUncommitted: false, maxWaitTimeInMs: 100 });
  const seen = new Map<string, number[]>();
  const done = () => [...expected].every(([w, n]) => seen.get(w)?.at(-1) === n);
  await consumer.connect();
  await consumer.subscribe({ topic: COUNTS, fromBeginning: true });
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        const short = [...expected].filter(([w, n]) => seen.get(w)?.at(-1) !== n).map(([w, n]) => `${w} ${seen.get(w)?.at(-1)} of ${n}`);
        void diagnose().then((state) =>
          reject(new Error(`the counts did not reach their totals in ${WAIT_MS} ms (${short.join(', ')}): ${JSON.stringify([...seen])}\n${state}`)),
        );
      }, WAIT_MS);
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
  const logger = memoryLogger();
  const a = fixture.app(wordCountInstance(client('a'), APP, events.notify, 'a', logger));
  await a.start();
  const startB = () => fixture.startChild(events.notify, 'b');
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
    await fixture.killChild();
    b = startB();
    await split();
  }
  while (sent < LINES_TOTAL) await sendChunk();
  await producer.close();

  const counts = await readCommittedCounts(expected, () => groupState(admin, `a logged:\n${logger.lines.join('\n')}\nthe child printed:\n${b.output()}`));
  for (const [word, total] of expected) expect({ word, counts: counts.get(word) }).toEqual({ word, counts: Array.from({ length: total }, (_, i) => i + 1) });
}, 300_000);
