// A kafkajs client's round trip through a cluster, for the tests of how
// clients reach it (TLS, named listeners): a topic of 3 partitions at
// replication factor 3, 30 records produced with acks=all, and all of them
// read back by a group consumer.
import type { Kafka } from 'kafkajs';

export async function replicatedRoundTrip(kafka: Kafka, topic: string, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true })).toBe(true);
  const producer = kafka.producer();
  await producer.connect();
  const values = Array.from({ length: 30 }, (_, i) => `v${i}`);
  await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length === values.length) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  await admin.disconnect();
  expect(seen.sort()).toEqual([...values].sort());
}
