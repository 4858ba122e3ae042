// Issue 18, part 1: Rill's four example pipelines on Apache Kafka itself,
// through the kafkajs LogClient, one after the other in this one process (as a
// user's script would): their input, repartition and changelog topics are
// created on Kafka, and each gives exactly the embedded log's outputs.
//
// This sequence used to hang (the second or third example never caught up):
// kafkajs fetched a partition's first batch while the consumer still asked for
// the group's start offsets, and the answer set the partition's position back
// to its start. fetchedLag() then said those records were still to come, so a
// task with that partition and another input waited for them for ever
// (core/client/kafkajs/kafkajs-consumer.ts, startAt). A retried produce also
// sometimes wrote an example's input twice (the kafkajs producer is idempotent since).
// And the restore of a changelog just created sometimes failed with
// NOT_LEADER_OR_FOLLOWER: Kafka's Metadata names a new partition's leader a
// moment before that broker serves it, and kafkajs' fetchTopicOffsets gives up
// on the error (the kafkajs LogClient's offsets() asks again since:
// core/client/kafkajs/topic-readiness.ts, listOffsets).
import { kafkaLogClient, type KafkaLogClient } from '../../core/client';
import type { Topology } from '../../dsl';
import { runOrders } from '../../examples/orders/main';
import { ordersTopology } from '../../examples/orders/topology';
import { runPageViews } from '../../examples/page-views/main';
import { pageViewsTopology } from '../../examples/page-views/topology';
import { runSessions } from '../../examples/sessions/main';
import { sessionsTopology } from '../../examples/sessions/topology';
import { runWordCount } from '../../examples/wordcount/main';
import { wordCountTopology } from '../../examples/wordcount/topology';
import { tempDirs } from '../support/tmp-dir';
import { startKafka, type KafkaPeer } from './kafka/kafka-broker';

let kafka: KafkaPeer;
const clients: KafkaLogClient[] = [];
const dirs = tempDirs('examples-on-kafka');

beforeAll(async () => {
  kafka = await startKafka({ lifetimeMs: 10 * 60_000 });
}, 180_000);
afterAll(async () => {
  for (const c of clients) await c.close();
  await kafka?.stop();
  dirs.removeAll();
});

/** A kafkajs LogClient on the Kafka peer (closed after the file). */
function kafkaClient(): KafkaLogClient {
  const c = kafkaLogClient({ brokers: [kafka.bootstrap], clientId: 'rill-examples' });
  clients.push(c);
  return c;
}

/** Every repartition and changelog topic of the topology exists on Kafka, with the app's partition count. */
async function expectInternalTopics(client: KafkaLogClient, topology: Topology, partitions: number): Promise<void> {
  const internal = [...topology.repartitionTopics, ...topology.changelogTopics];
  const counts = await Promise.all(internal.map((name) => client.partitionCount(name)));
  expect(Object.fromEntries(internal.map((name, i) => [name, counts[i]]))).toEqual(Object.fromEntries(internal.map((name) => [name, partitions])));
}

test('wordcount: the same counts, updates and printout on Apache Kafka as on the embedded log; its repartition and changelog topics made there', async () => {
  const embeddedLines: string[] = [];
  const embedded = await runWordCount(dirs.make(), (s) => embeddedLines.push(s));
  const lines: string[] = [];
  const client = kafkaClient();
  expect(await runWordCount(client, (s) => lines.push(s))).toEqual(embedded);
  expect(lines).toEqual(embeddedLines);
  const topology = wordCountTopology();
  expect(topology.repartitionTopics.length + topology.changelogTopics.length).toBeGreaterThan(1);
  await expectInternalTopics(client, topology, 2);
}, 120_000);

test('orders (stream-table and stream-stream joins): the same joins on Apache Kafka, its changelogs there', async () => {
  const client = kafkaClient();
  expect(await runOrders(client, () => undefined)).toEqual(await runOrders(dirs.make(), () => undefined));
  await expectInternalTopics(client, ordersTopology(), 1);
}, 120_000);

test('page views (Avro in and out, tumbling windows with grace): the same final counts on Apache Kafka', async () => {
  const client = kafkaClient();
  const embedded = await runPageViews(dirs.make(), () => undefined);
  expect(embedded.length).toBeGreaterThan(0);
  expect(await runPageViews(client, () => undefined)).toEqual(embedded);
  await expectInternalTopics(client, pageViewsTopology(), 1);
}, 120_000);

test('sessions (session windows): the same sessions on Apache Kafka', async () => {
  const client = kafkaClient();
  const embedded = await runSessions(dirs.make(), () => undefined);
  expect(embedded.length).toBeGreaterThan(0);
  expect(await runSessions(client, () => undefined)).toEqual(embedded);
  await expectInternalTopics(client, sessionsTopology(), 1);
}, 120_000);
