// LogProducer over a kafkajs producer: the queued records go out as one
// kafkajs sendBatch (acks = all) per batch (see batching-producer.ts).
import { Partitioners, type Kafka, type Message } from 'kafkajs';
import { batchingProducer } from '../batching-producer';
import type { LogProducer, OutgoingRecord } from '../log-client';

export function kafkaProducer(kafka: Kafka): LogProducer {
  // Kafka's default (murmur2) partitioner, the one Rill uses too. Idempotent:
  // when one partition of a request fails (NOT_LEADER_OR_FOLLOWER just after
  // a topic is created, say), kafkajs sends the whole request to that broker
  // again, so without sequence numbers the partitions that were written are
  // written twice (seen on Apache Kafka: an example's input lines counted twice).
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  return batchingProducer({
    name: 'kafka',
    open: () => producer.connect(),
    shut: () => producer.disconnect(),
    async sendQueued(records) {
      const byTopic = new Map<string, Message[]>();
      for (const { topic, record } of records) {
        const list = byTopic.get(topic) ?? [];
        list.push(toMessage(record));
        byTopic.set(topic, list);
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    },
  });
}

function toMessage(r: OutgoingRecord): Message {
  return { key: r.key, value: r.value, timestamp: String(r.timestamp), partition: r.partition, headers: r.headers ? { ...r.headers } : undefined };
}
