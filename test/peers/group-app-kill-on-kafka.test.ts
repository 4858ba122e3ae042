// Issue 18, part 1: a stateful Rill application on Apache Kafka, two instances
// sharing its tasks through a Kafka consumer group (the kafkajs LogClient). One
// instance is its own process and is killed with SIGKILL once everything it was
// given is processed and committed: the group moves its tasks to the other,
// which restores their counts from the changelogs on Kafka. The counts are then
// exact: nothing was left to process again, so every count came back through
// its changelog.
import type { KafkaLogClient } from '../../core/client';
import { LINES } from '../../examples/wordcount/topology';
import { rebalanceWaits } from '../support/rebalance-waits';
import { wordCountKillFixture } from './kafka/wordcount-child';
import { wordCountInstance } from './kafka/wordcount-instance';

const APP = 'wc-kill';
const PARTITIONS = 4;
const WAIT_MS = 60_000;

const fixture = wordCountKillFixture(APP);
const client = fixture.client;

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
  const a = fixture.app(wordCountInstance(client('a'), APP, events.notify));
  await a.start();
  const b = fixture.startChild(events.notify);
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

  await fixture.killChild();
  await events.until('a to own every partition', () => a.assignedPartitions.length === PARTITIONS);
  await a.waitUntilCaughtUp();
  const after = new Map<string, number>();
  for (const w of counts.keys()) {
    const r = await a.queryKey<string, number>('word-counts', w);
    if (r.hosted && r.value !== undefined) after.set(w, r.value);
  }
  expect(after).toEqual(counts);
}, 240_000);
