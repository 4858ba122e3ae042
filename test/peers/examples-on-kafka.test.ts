// Issue 18, part 1: a Rill example pipeline on Apache Kafka itself, through the
// kafkajs LogClient: the word count's input, repartition and changelog topics are
// created on Kafka, and its counts table and the updates it writes to the output
// topic are the same as on the embedded log.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { kafkaLogClient, type KafkaLogClient } from '../../core/client';
import { runWordCount, wordCountOn } from '../../examples/wordcount/main';
import { startKafka, type KafkaPeer } from './kafka/kafka-broker';

let kafka: KafkaPeer;
let client: KafkaLogClient | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rill-examples-on-kafka-'));

beforeAll(async () => {
  kafka = await startKafka({ lifetimeMs: 10 * 60_000 });
}, 180_000);
afterAll(async () => {
  await client?.close();
  await kafka?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('wordcount: the same counts on Apache Kafka as on the embedded log, with its internal topics made on Kafka', async () => {
  const embedded = await runWordCount(dir, () => undefined);
  client = kafkaLogClient({ brokers: [kafka.bootstrap], clientId: 'rill-examples' });
  const onKafka = await wordCountOn(client);
  expect(onKafka.counts).toEqual(embedded);
  // One update per word occurrence (21 words in the sample lines), the last of each word its final count.
  expect(onKafka.updates).toHaveLength(21);
  const last = new Map(onKafka.updates.map((u) => [u.key, u.value]));
  expect(new Map([...last].sort(([a], [b]) => String(a).localeCompare(String(b))))).toEqual(embedded);
  const topics = await client.offsets('wordcount-word-counts-repartition');
  expect(topics.length).toBeGreaterThan(0);
}, 120_000);
